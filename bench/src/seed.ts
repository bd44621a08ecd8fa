import { createHash } from 'node:crypto';
import { Client } from 'pg';

/**
 * Seeds the search and history data sets straight into each system's own
 * schema with INSERT ... SELECT FROM generate_series: the fastest honest path
 * for both. Every value is a pure function of (run index, key index, step),
 * written once below and used for both systems, so the data are identical.
 *
 * Bulk tables are loaded with their indexes (and primary keys) dropped and
 * re-created afterwards from their own definitions, and with foreign-key
 * triggers off (session_replication_role = replica); the end state is the
 * schema each system's migrations created, packed instead of grown.
 */
export interface SeedShape {
  runs: number;
  params: number;
  metrics: number;
  steps: number;
  historyPoints: number;
}

export interface SeedTarget {
  system: 'cairn' | 'mlflow';
  dbUrl: string;
  searchExperimentId: string;
  historyExperimentId: string;
}

export interface SeedResult {
  system: string;
  seconds: number;
  rows: Record<string, number>;
  table_mb: Record<string, number>;
  /** Share of each table's pages marked all-visible by vacuumAnalyze (%). */
  all_visible_pct: Record<string, number>;
}

const T0 = 1_700_000_000_000;
export const HISTORY_RUN_ID = createHash('md5').update('bench-history-run').digest('hex');
export const HISTORY_METRIC_KEY = 'loss';

/** 32 pseudo-random bits from md5 of a text expression (deterministic, same in every database). */
const h = (expr: string) => `(('x' || substr(md5(${expr}), 1, 8))::bit(32)::bigint)`;

/** The data, as SQL expressions over the staging columns i (run index), k (key index), s (step). */
const V = {
  paramValue: `'v' || (${h(`'p' || i || '.' || k`)} % 10)`,
  metricValue: (step: string) => `(${h(`'m' || i || '.' || k || '.' || ${step}`)}::float8 / 4294967296.0)`,
  metricTimestamp: (step: string) => `(start_time + ${step}::bigint * 1000)`,
  /** Five tags per run, the run-name tag included (both systems store it as a tag). */
  tags: `(VALUES ('mlflow.runName', name), ('mlflow.user', 'bench'), ('mlflow.source.type', 'LOCAL'),
                 ('group', 'g' || (${h(`'g' || i`)} % 5)), ('fold', 'f' || (${h(`'f' || i`)} % 10)))`,
  historyValue: `(((s::bigint * 7919) % 1000003)::float8 / 1000003)`,
  historyTimestamp: `(${T0}::bigint + s)`,
};

function stagingSql(shape: SeedShape): string[] {
  return [
    `CREATE TEMP TABLE bench_src AS
       SELECT i, md5('bench-run-' || i) AS run_uuid, 'run-' || i AS name, ${T0}::bigint + i::bigint * 1000 AS start_time
       FROM generate_series(0, ${shape.runs - 1}) AS i`,
  ];
}

function mlflowSql(t: SeedTarget, shape: SeedShape): { runs: string[]; bulk: string[] } {
  const exp = Number(t.searchExperimentId);
  const hexp = Number(t.historyExperimentId);
  return {
    runs: [
      ...stagingSql(shape),
      `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time,
                         end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
       SELECT run_uuid, name, 'LOCAL', '', '', 'bench', 'FINISHED', start_time, start_time + 60000, '', 'active',
              'mlflow-artifacts:/${exp}/' || run_uuid || '/artifacts', ${exp}, NULL
       FROM bench_src ORDER BY i`,
      `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time,
                         end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
       VALUES ('${HISTORY_RUN_ID}', 'history', 'LOCAL', '', '', 'bench', 'FINISHED', ${T0}, ${T0 + 3_600_000}, '',
               'active', 'mlflow-artifacts:/${hexp}/${HISTORY_RUN_ID}/artifacts', ${hexp}, NULL)`,
    ],
    bulk: [
      `INSERT INTO params (key, value, run_uuid)
       SELECT 'p' || k, ${V.paramValue}, run_uuid FROM bench_src, generate_series(0, ${shape.params - 1}) AS k`,
      `INSERT INTO tags (key, value, run_uuid)
       SELECT t.key, t.value, run_uuid FROM bench_src, LATERAL ${V.tags} AS t(key, value)`,
      `INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
       SELECT 'm' || k, ${V.metricValue('s')}, ${V.metricTimestamp('s')}, run_uuid, s, false
       FROM bench_src, generate_series(0, ${shape.metrics - 1}) AS k, generate_series(0, ${shape.steps - 1}) AS s`,
      `INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)
       SELECT 'm' || k, ${V.metricValue(String(shape.steps - 1))}, ${V.metricTimestamp(String(shape.steps - 1))},
              ${shape.steps - 1}, false, run_uuid
       FROM bench_src, generate_series(0, ${shape.metrics - 1}) AS k`,
      `INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
       SELECT '${HISTORY_METRIC_KEY}', ${V.historyValue}, ${V.historyTimestamp}, '${HISTORY_RUN_ID}', s, false
       FROM generate_series(0, ${shape.historyPoints - 1}) AS s`,
      `INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)
       SELECT '${HISTORY_METRIC_KEY}', ${V.historyValue}, ${V.historyTimestamp}, s, false, '${HISTORY_RUN_ID}'
       FROM (SELECT ${shape.historyPoints - 1}::bigint AS s) AS last`,
    ],
  };
}

function cairnSql(t: SeedTarget, shape: SeedShape): { runs: string[]; bulk: string[] } {
  const exp = Number(t.searchExperimentId);
  const hexp = Number(t.historyExperimentId);
  return {
    runs: [
      ...stagingSql(shape),
      `INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time,
                                  lifecycle_stage, artifact_uri, deleted_time)
       SELECT run_uuid, ${exp}, name, 'bench', 'FINISHED', start_time, start_time + 60000, 'active',
              'mlflow-artifacts:/${exp}/' || run_uuid || '/artifacts', NULL
       FROM bench_src ORDER BY i`,
      `INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time,
                                  lifecycle_stage, artifact_uri, deleted_time)
       VALUES ('${HISTORY_RUN_ID}', ${hexp}, 'history', 'bench', 'FINISHED', ${T0}, ${T0 + 3_600_000}, 'active',
               'mlflow-artifacts:/${hexp}/${HISTORY_RUN_ID}/artifacts', NULL)`,
      `CREATE TEMP TABLE bench_keys AS
         SELECT b.i, b.run_uuid, b.start_time, r.run_key FROM bench_src b JOIN tracking.runs r USING (run_uuid)`,
      // History rows name their key by tracking.metric_keys' key_id.
      `INSERT INTO tracking.metric_keys (key)
       SELECT 'm' || k FROM generate_series(0, ${shape.metrics - 1}) AS k UNION ALL SELECT '${HISTORY_METRIC_KEY}'
       ON CONFLICT (key) DO NOTHING`,
    ],
    bulk: [
      `INSERT INTO tracking.params (run_uuid, key, value)
       SELECT run_uuid, 'p' || k, ${V.paramValue} FROM bench_src, generate_series(0, ${shape.params - 1}) AS k`,
      `INSERT INTO tracking.tags (run_uuid, key, value)
       SELECT run_uuid, t.key, t.value FROM bench_src, LATERAL ${V.tags} AS t(key, value)`,
      `INSERT INTO tracking.metrics (run_key, key_id, step, timestamp, value, is_nan)
       SELECT run_key, mk.key_id, s, ${V.metricTimestamp('s')}, ${V.metricValue('s')}, false
       FROM bench_keys, generate_series(0, ${shape.metrics - 1}) AS k, tracking.metric_keys mk, generate_series(0, ${shape.steps - 1}) AS s
       WHERE mk.key = 'm' || k`,
      `INSERT INTO tracking.latest_metrics (run_uuid, key, value, timestamp, step, is_nan)
       SELECT run_uuid, 'm' || k, ${V.metricValue(String(shape.steps - 1))},
              ${V.metricTimestamp(String(shape.steps - 1))}, ${shape.steps - 1}, false
       FROM bench_src, generate_series(0, ${shape.metrics - 1}) AS k`,
      `INSERT INTO tracking.metrics (run_key, key_id, step, timestamp, value, is_nan)
       SELECT (SELECT run_key FROM tracking.runs WHERE run_uuid = '${HISTORY_RUN_ID}'),
              (SELECT key_id FROM tracking.metric_keys WHERE key = '${HISTORY_METRIC_KEY}'), s,
              ${V.historyTimestamp}, ${V.historyValue}, false
       FROM generate_series(0, ${shape.historyPoints - 1}) AS s`,
      `INSERT INTO tracking.latest_metrics (run_uuid, key, value, timestamp, step, is_nan)
       SELECT '${HISTORY_RUN_ID}', '${HISTORY_METRIC_KEY}', ${V.historyValue}, ${V.historyTimestamp}, s, false
       FROM (SELECT ${shape.historyPoints - 1}::bigint AS s) AS last`,
    ],
  };
}

const BULK_TABLES = {
  mlflow: ['public.params', 'public.tags', 'public.metrics', 'public.latest_metrics'],
  cairn: ['tracking.params', 'tracking.tags', 'tracking.metrics', 'tracking.latest_metrics'],
};

interface IndexDef {
  table: string;
  index: string;
  indexDef: string;
  constraint: string | null;
  constraintDef: string | null;
}

/** The indexes of the bulk tables (primary/unique constraints included, unless something references them). */
async function indexDefs(db: Client, tables: string[]): Promise<IndexDef[]> {
  const { rows } = await db.query<IndexDef>(
    `SELECT i.indrelid::regclass::text AS "table", i.indexrelid::regclass::text AS index,
            pg_get_indexdef(i.indexrelid) AS "indexDef", c.conname AS constraint,
            pg_get_constraintdef(c.oid) AS "constraintDef"
     FROM pg_index i
     LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u')
     WHERE i.indrelid = ANY ($1::regclass[])
       AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)`,
    [tables],
  );
  return rows;
}

export async function seed(target: SeedTarget, shape: SeedShape, log: (msg: string) => void): Promise<SeedResult> {
  const started = performance.now();
  const db = new Client({ connectionString: target.dbUrl, application_name: `bench-seed-${target.system}` });
  await db.connect();
  try {
    await db.query(`SET statement_timeout = '400s'`);
    await db.query(`SET session_replication_role = replica`);
    await db.query(`SET maintenance_work_mem = '512MB'`);
    await db.query(`SET work_mem = '64MB'`);
    await db.query(`SET synchronous_commit = off`);
    const sql = target.system === 'mlflow' ? mlflowSql(target, shape) : cairnSql(target, shape);
    const tables = BULK_TABLES[target.system];
    const indexes = await indexDefs(db, tables);
    await db.query('BEGIN');
    for (const stmt of sql.runs) await db.query(stmt);
    for (const ix of indexes) {
      if (ix.constraint) await db.query(`ALTER TABLE ${ix.table} DROP CONSTRAINT ${quoteIdent(ix.constraint)}`);
      else await db.query(`DROP INDEX ${ix.index}`);
    }
    for (const stmt of sql.bulk) {
      const t0 = performance.now();
      const res = await db.query(stmt);
      log(`${target.system}: ${stmt.trim().split('\n')[0]!.slice(0, 60)}… ${res.rowCount} rows, ${secs(t0)} s`);
    }
    const t1 = performance.now();
    for (const ix of indexes) {
      if (ix.constraint) await db.query(`ALTER TABLE ${ix.table} ADD CONSTRAINT ${quoteIdent(ix.constraint)} ${ix.constraintDef}`);
      else await db.query(ix.indexDef);
    }
    await db.query('COMMIT');
    log(`${target.system}: ${indexes.length} indexes re-created in ${secs(t1)} s`);
    const runsTable = runsTableOf(target.system);
    const rows: Record<string, number> = {};
    const sizes: Record<string, number> = {};
    for (const table of [runsTable, ...tables]) {
      const { rows: r } = await db.query<{ n: string; mb: string }>(
        `SELECT (SELECT count(*) FROM ${table})::text AS n, (pg_total_relation_size('${table}') / 1048576)::text AS mb`,
      );
      rows[table] = Number(r[0]!.n);
      sizes[table] = Number(r[0]!.mb);
    }
    return { system: target.system, seconds: Number(secs(started)), rows, table_mb: sizes, all_visible_pct: {} };
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await db.end();
  }
}

function runsTableOf(system: SeedTarget['system']): string {
  return system === 'mlflow' ? 'public.runs' : 'tracking.runs';
}

/**
 * VACUUM (ANALYZE) of freshly loaded tables, as after any bulk load:
 * statistics, and the visibility map that lets index-only scans skip the
 * table. PostgreSQL marks a page all-visible only when no snapshot still
 * open anywhere in the cluster (another system's seed, an autovacuum's
 * ANALYZE of it) may not see its rows, so a VACUUM right after a load can
 * leave the map empty: it is repeated, a second apart, until every table's
 * map is complete (at most `tries` times). Returns the share of each table's
 * pages marked all-visible (%); run once no seed transaction is open.
 */
export async function vacuumUntilVisible(db: Client, tables: readonly string[], tries = 20): Promise<Record<string, number>> {
  let visible: Record<string, number> = {};
  for (let attempt = 1; attempt <= tries; attempt++) {
    await db.query(`VACUUM (ANALYZE) ${tables.join(', ')}`);
    const { rows } = await db.query<{ name: string; pct: number }>(
      `SELECT c.oid::regclass::text AS name, round(100.0 * c.relallvisible / greatest(c.relpages, 1), 1)::float8 AS pct
       FROM pg_class c WHERE c.oid = ANY ($1::regclass[])`,
      [tables],
    );
    visible = Object.fromEntries(rows.map((r) => [r.name, r.pct]));
    if (rows.every((r) => r.pct >= 99.5)) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return visible;
}

/** vacuumUntilVisible of a seeded tracking database (then ANALYZE of the rest). */
export async function vacuumAnalyze(target: SeedTarget, log: (msg: string) => void): Promise<Record<string, number>> {
  const db = new Client({ connectionString: target.dbUrl, application_name: `bench-vacuum-${target.system}` });
  await db.connect();
  try {
    const started = performance.now();
    const visible = await vacuumUntilVisible(db, [runsTableOf(target.system), ...BULK_TABLES[target.system]]);
    await db.query('ANALYZE');
    log(`${target.system}: VACUUM ANALYZE in ${secs(started)} s; pages all-visible (%): ${JSON.stringify(visible)}`);
    return visible;
  } finally {
    await db.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function secs(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
