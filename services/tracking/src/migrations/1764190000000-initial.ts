import { MigrationInterface, QueryRunner } from 'typeorm';
import { dropOutboxTablesSql, outboxTablesSql } from '@cairn/events';

/**
 * The tracking schema. Written for PostgreSQL's strengths and for size:
 *  - metric history (append-heavy, up to 10^8 rows) is keyed by a compact
 *    run_key (bigint) instead of the 32-char run id, with one non-unique
 *    (run_key, key, step, timestamp) index instead of MLflow's all-column
 *    primary key, covering value and is_nan so history reads never touch the heap;
 *  - latest_metrics keeps one row per (run, key) for search and get-run;
 *  - params/tags are searched through (key, left(value, 200)) expression
 *    indexes, because a btree entry cannot hold an 8000-char value.
 */
export class Initial1764190000000 implements MigrationInterface {
  name = 'Initial1764190000000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE SEQUENCE tracking.experiment_id_seq START 1`,
      `CREATE TABLE tracking.experiments (
         experiment_id bigint PRIMARY KEY,
         name text NOT NULL,
         artifact_location text NOT NULL,
         lifecycle_stage text NOT NULL CHECK (lifecycle_stage IN ('active', 'deleted')),
         creation_time bigint NOT NULL,
         last_update_time bigint NOT NULL,
         CONSTRAINT experiments_name_key UNIQUE (name)
       )`,
      `CREATE INDEX experiments_creation ON tracking.experiments (creation_time DESC, experiment_id)`,
      `CREATE TABLE tracking.experiment_tags (
         experiment_id bigint NOT NULL REFERENCES tracking.experiments (experiment_id) ON DELETE CASCADE,
         key text NOT NULL,
         value text NOT NULL,
         PRIMARY KEY (experiment_id, key)
       )`,
      `INSERT INTO tracking.experiments
         (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
       VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active',
               (extract(epoch from now()) * 1000)::bigint, (extract(epoch from now()) * 1000)::bigint)`,

      `CREATE TABLE tracking.runs (
         run_uuid text PRIMARY KEY,
         run_key bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
         experiment_id bigint NOT NULL REFERENCES tracking.experiments (experiment_id),
         name text NOT NULL,
         user_id text NOT NULL DEFAULT '',
         status text NOT NULL CHECK (status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),
         start_time bigint NOT NULL,
         end_time bigint,
         lifecycle_stage text NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
         artifact_uri text NOT NULL,
         deleted_time bigint
       )`,
      `CREATE INDEX runs_experiment_start ON tracking.runs (experiment_id, start_time DESC, run_uuid)`,
      `CREATE TABLE tracking.params (
         run_uuid text NOT NULL REFERENCES tracking.runs (run_uuid) ON DELETE CASCADE,
         key text NOT NULL,
         value text NOT NULL,
         PRIMARY KEY (run_uuid, key)
       )`,
      `CREATE INDEX params_key_value ON tracking.params (key, left(value, 200))`,
      `CREATE TABLE tracking.tags (
         run_uuid text NOT NULL REFERENCES tracking.runs (run_uuid) ON DELETE CASCADE,
         key text NOT NULL,
         value text NOT NULL,
         PRIMARY KEY (run_uuid, key)
       )`,
      `CREATE INDEX tags_key_value ON tracking.tags (key, left(value, 200))`,
      `CREATE TABLE tracking.latest_metrics (
         run_uuid text NOT NULL REFERENCES tracking.runs (run_uuid) ON DELETE CASCADE,
         key text NOT NULL,
         value double precision NOT NULL,
         timestamp bigint NOT NULL,
         step bigint NOT NULL,
         is_nan boolean NOT NULL DEFAULT false,
         PRIMARY KEY (run_uuid, key)
       )`,
      `CREATE INDEX latest_metrics_key_value ON tracking.latest_metrics (key, value)`,
      `CREATE TABLE tracking.metrics (
         run_key bigint NOT NULL,
         key text NOT NULL,
         step bigint NOT NULL,
         timestamp bigint NOT NULL,
         value double precision NOT NULL,
         is_nan boolean NOT NULL DEFAULT false,
         model_id text,
         dataset_name text,
         dataset_digest text
       )`,
      // History reads (pages, bulk, bulk-interval probes) need only these columns: index-only scans.
      `CREATE INDEX metrics_history ON tracking.metrics (run_key, key, step, timestamp) INCLUDE (value, is_nan)`,

      `CREATE TABLE tracking.datasets (
         dataset_uuid text PRIMARY KEY,
         experiment_id bigint NOT NULL REFERENCES tracking.experiments (experiment_id),
         name text NOT NULL,
         digest text NOT NULL,
         source_type text NOT NULL,
         source text NOT NULL,
         schema text,
         profile text,
         CONSTRAINT datasets_identity UNIQUE (experiment_id, name, digest)
       )`,
      `CREATE TABLE tracking.run_inputs (
         run_uuid text NOT NULL REFERENCES tracking.runs (run_uuid) ON DELETE CASCADE,
         dataset_uuid text NOT NULL REFERENCES tracking.datasets (dataset_uuid),
         tags jsonb NOT NULL DEFAULT '[]',
         context text,
         PRIMARY KEY (run_uuid, dataset_uuid)
       )`,
      `CREATE INDEX run_inputs_dataset ON tracking.run_inputs (dataset_uuid)`,
      `CREATE TABLE tracking.run_model_inputs (
         run_uuid text NOT NULL REFERENCES tracking.runs (run_uuid) ON DELETE CASCADE,
         model_id text NOT NULL,
         PRIMARY KEY (run_uuid, model_id)
       )`,
      `CREATE TABLE tracking.run_model_outputs (
         run_uuid text NOT NULL REFERENCES tracking.runs (run_uuid) ON DELETE CASCADE,
         model_id text NOT NULL,
         step bigint NOT NULL DEFAULT 0,
         PRIMARY KEY (run_uuid, model_id)
       )`,

      `CREATE TABLE tracking.logged_models (
         model_id text PRIMARY KEY,
         experiment_id bigint NOT NULL REFERENCES tracking.experiments (experiment_id),
         name text NOT NULL,
         artifact_location text NOT NULL,
         creation_timestamp bigint NOT NULL,
         last_updated_timestamp bigint NOT NULL,
         status text NOT NULL,
         lifecycle_stage text NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
         model_type text,
         source_run_id text,
         status_message text
       )`,
      `CREATE INDEX logged_models_experiment ON tracking.logged_models (experiment_id, creation_timestamp DESC, model_id)`,
      `CREATE TABLE tracking.logged_model_params (
         model_id text NOT NULL REFERENCES tracking.logged_models (model_id) ON DELETE CASCADE,
         key text NOT NULL,
         value text NOT NULL,
         PRIMARY KEY (model_id, key)
       )`,
      `CREATE TABLE tracking.logged_model_tags (
         model_id text NOT NULL REFERENCES tracking.logged_models (model_id) ON DELETE CASCADE,
         key text NOT NULL,
         value text NOT NULL,
         PRIMARY KEY (model_id, key)
       )`,
      `CREATE TABLE tracking.logged_model_metrics (
         model_id text NOT NULL REFERENCES tracking.logged_models (model_id) ON DELETE CASCADE,
         key text NOT NULL,
         value double precision NOT NULL,
         timestamp bigint NOT NULL,
         step bigint NOT NULL,
         run_id text,
         dataset_name text,
         dataset_digest text
       )`,
      `CREATE INDEX logged_model_metrics_model ON tracking.logged_model_metrics (model_id, key)`,
      ...outboxTablesSql('tracking'),
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const statements = [
      ...dropOutboxTablesSql('tracking'),
      'DROP TABLE tracking.logged_model_metrics',
      'DROP TABLE tracking.logged_model_tags',
      'DROP TABLE tracking.logged_model_params',
      'DROP TABLE tracking.logged_models',
      'DROP TABLE tracking.run_model_outputs',
      'DROP TABLE tracking.run_model_inputs',
      'DROP TABLE tracking.run_inputs',
      'DROP TABLE tracking.datasets',
      'DROP TABLE tracking.metrics',
      'DROP TABLE tracking.latest_metrics',
      'DROP TABLE tracking.tags',
      'DROP TABLE tracking.params',
      'DROP TABLE tracking.runs',
      'DROP TABLE tracking.experiment_tags',
      'DROP TABLE tracking.experiments',
      'DROP SEQUENCE tracking.experiment_id_seq',
    ];
    for (const sql of statements) await q.query(sql);
  }
}
