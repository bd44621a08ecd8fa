import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metric history gets a UNIQUE index over MLflow's whole metric identity
 * (run, key, step, timestamp, value, is_nan) in place of the non-unique
 * (run_key, key, step, timestamp) INCLUDE (value, is_nan) one. Reads keep the
 * same prefix order (and index-only scans); writes gain a cheap duplicate
 * check: PostgreSQL verifies uniqueness during the index insertion it does
 * anyway, so a log-batch appends with a plain INSERT and falls back to
 * skipping stored rows only when the index refuses one (a retried request).
 * Before this, every appended row cost an extra anti-join probe.
 */
export class MetricsIdentity1765100000000 implements MigrationInterface {
  name = 'MetricsIdentity1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE UNIQUE INDEX metrics_identity ON tracking.metrics (run_key, key, step, timestamp, value, is_nan)`,
    );
    await q.query(`DROP INDEX tracking.metrics_history`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX metrics_history ON tracking.metrics (run_key, key, step, timestamp) INCLUDE (value, is_nan)`,
    );
    await q.query(`DROP INDEX tracking.metrics_identity`);
  }
}
