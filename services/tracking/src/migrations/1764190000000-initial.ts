import { MigrationInterface, QueryRunner } from 'typeorm';
import { dropOutboxTablesSql, outboxTablesSql } from '@cairn/events';

export class Initial1764190000000 implements MigrationInterface {
  name = 'Initial1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE tracking.experiment_id_seq START 1`);
    await q.query(`
      CREATE TABLE tracking.experiments (
        experiment_id bigint PRIMARY KEY,
        name text NOT NULL,
        artifact_location text NOT NULL,
        lifecycle_stage text NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
        creation_time bigint NOT NULL,
        last_update_time bigint NOT NULL,
        CONSTRAINT experiments_name_key UNIQUE (name)
      )`);
    await q.query(`
      CREATE TABLE tracking.experiment_tags (
        experiment_id bigint NOT NULL REFERENCES tracking.experiments (experiment_id) ON DELETE CASCADE,
        key text NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (experiment_id, key)
      )`);
    // MLflow's "Default" experiment, id 0, always exists.
    await q.query(`
      INSERT INTO tracking.experiments
        (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
      VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active',
              (extract(epoch from now()) * 1000)::bigint, (extract(epoch from now()) * 1000)::bigint)`);
    for (const sql of outboxTablesSql('tracking')) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropOutboxTablesSql('tracking')) await q.query(sql);
    await q.query(`DROP TABLE tracking.experiment_tags`);
    await q.query(`DROP TABLE tracking.experiments`);
    await q.query(`DROP SEQUENCE tracking.experiment_id_seq`);
  }
}
