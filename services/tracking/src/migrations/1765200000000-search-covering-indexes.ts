import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Covering indexes for search_runs, so that its hot paths are index-only
 * scans instead of one random heap visit per row:
 *  - latest_metrics (key, value) INCLUDE (run_uuid, is_nan): walking a metric
 *    in value order (order_by metrics.x, with an early stop) and driving from a
 *    metric condition return the run without touching the table;
 *  - the latest_metrics primary key INCLUDEs the value columns: a metric
 *    condition probed per run and the metrics of a page of runs come from the
 *    index alone;
 *  - params/tags are indexed on their full (key, value) INCLUDE (run_uuid)
 *    where the value is at most 1000 bytes (a btree entry must stay under
 *    ~2.7 kB; keys are at most 250 characters), which is every value the
 *    search compares with `=`/`IN` against a literal of at most 1000 bytes;
 *    longer values keep the (key, left(value, 200)) index, now partial;
 *  - params (run_uuid, key) INCLUDE (value) for short values, plus the few
 *    long ones by run: a page's params without visiting the table.
 * Every query adds `octet_length(value) <= 1000` (or `> 1000`) to match these
 * partial indexes; the expression statistics keep that condition from
 * skewing the row estimates.
 * The updates of latest_metrics were never HOT (value is indexed), so the
 * wider primary key costs no extra index insertions.
 */
export class SearchCoveringIndexes1765200000000 implements MigrationInterface {
  name = 'SearchCoveringIndexes1765200000000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `DROP INDEX tracking.latest_metrics_key_value`,
      `CREATE INDEX latest_metrics_key_value ON tracking.latest_metrics (key, value) INCLUDE (run_uuid, is_nan)`,
      `ALTER TABLE tracking.latest_metrics DROP CONSTRAINT latest_metrics_pkey,
         ADD CONSTRAINT latest_metrics_pkey PRIMARY KEY (run_uuid, key) INCLUDE (value, timestamp, step, is_nan)`,

      `DROP INDEX tracking.params_key_value`,
      `CREATE INDEX params_key_value ON tracking.params (key, value) INCLUDE (run_uuid) WHERE octet_length(value) <= 1000`,
      `CREATE INDEX params_key_long_value ON tracking.params (key, left(value, 200)) WHERE octet_length(value) > 1000`,
      `CREATE INDEX params_run_value ON tracking.params (run_uuid, key) INCLUDE (value) WHERE octet_length(value) <= 1000`,
      `CREATE INDEX params_run_long_value ON tracking.params (run_uuid) WHERE octet_length(value) > 1000`,
      `CREATE STATISTICS tracking.params_value_octets ON (octet_length(value)) FROM tracking.params`,

      `DROP INDEX tracking.tags_key_value`,
      `CREATE INDEX tags_key_value ON tracking.tags (key, value) INCLUDE (run_uuid) WHERE octet_length(value) <= 1000`,
      `CREATE INDEX tags_key_long_value ON tracking.tags (key, left(value, 200)) WHERE octet_length(value) > 1000`,
      `CREATE STATISTICS tracking.tags_value_octets ON (octet_length(value)) FROM tracking.tags`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const statements = [
      `DROP STATISTICS tracking.tags_value_octets`,
      `DROP INDEX tracking.tags_key_long_value`,
      `DROP INDEX tracking.tags_key_value`,
      `CREATE INDEX tags_key_value ON tracking.tags (key, left(value, 200))`,

      `DROP STATISTICS tracking.params_value_octets`,
      `DROP INDEX tracking.params_run_long_value`,
      `DROP INDEX tracking.params_run_value`,
      `DROP INDEX tracking.params_key_long_value`,
      `DROP INDEX tracking.params_key_value`,
      `CREATE INDEX params_key_value ON tracking.params (key, left(value, 200))`,

      `ALTER TABLE tracking.latest_metrics DROP CONSTRAINT latest_metrics_pkey,
         ADD CONSTRAINT latest_metrics_pkey PRIMARY KEY (run_uuid, key)`,
      `DROP INDEX tracking.latest_metrics_key_value`,
      `CREATE INDEX latest_metrics_key_value ON tracking.latest_metrics (key, value)`,
    ];
    for (const sql of statements) await q.query(sql);
  }
}
