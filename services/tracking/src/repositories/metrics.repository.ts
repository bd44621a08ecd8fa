import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { isUniqueViolation, namedStatement, pgBoolArray, pgFloat8Array, pgInt8Array, pgTextArray } from '@cairn/persistence';

/** One metric value as stored: NaN is value 0 with is_nan, as MLflow stores it. */
export interface StoredMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: boolean;
  model_id: string | null;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export interface LatestMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: boolean;
}

/** A row of metric history; run_key/run_uuid only where several runs are read at once. */
export interface HistoryRow {
  run_key: number;
  step: number;
  timestamp: number;
  value: number;
  is_nan: boolean;
}

/**
 * Where a page of history resumes: at (step, timestamp), after skipping the
 * `skip` rows of that (step, timestamp) already returned. Rows tied on
 * (step, timestamp) come back in index order (heap position), which is
 * stable for append-only history.
 */
export interface HistoryCursor {
  step: number;
  timestamp: number;
  skip: number;
}

export interface StepRange {
  start: number | null;
  end: number | null;
}

export interface SeriesBounds {
  run_key: number;
  min_step: number | null;
  max_step: number | null;
  /** Rows in the range, counted up to limit + 1 only. */
  n: number;
}

/**
 * A batch's history rows as the statement's column parameters (binary
 * arrays, see historyColumns), built once: what a write holds while
 * PostgreSQL works (and again for a retry) is a few buffers, not an object
 * per row that every scavenge of the tracking service would copy.
 */
export interface HistoryColumns {
  /** Rows in the batch. */
  readonly count: number;
  /** The 8 column parameters of historySelect. */
  readonly params: readonly (Buffer | null)[];
}

/** How a history write treats rows identical to stored ones: refused (23505, see insertHistory) or left out. */
export type MetricsMode = 'append' | 'skip-existing';

/** The error of an `append` that met a row identical to a stored one (see insertHistory). */
export function isDuplicateMetric(err: unknown): boolean {
  return isUniqueViolation(err);
}

/**
 * Exactly the index's order, so that LIMIT stops an index scan early: an
 * extra sort key (value) would make PostgreSQL sort the whole series.
 */
const HISTORY_ORDER = 'step, timestamp';

/**
 * Metric history SQL. tracking.metrics is indexed on
 * (run_key, key_id, step, timestamp, value, is_nan), unique (migrations
 * MetricsIdentity1765100000000, MetricKeys1765400000000): every read here is
 * an index(-only) range scan or a handful of index probes, never a scan of a
 * run's whole history. A key is stored once, in tracking.metric_keys; its
 * key_id never changes, so this repository keeps the ids it has seen.
 */
@Injectable()
export class MetricsRepository {
  /** key → key_id of tracking.metric_keys, for the keys this process has written (ids never change). */
  private readonly knownKeyIds = new Map<string, number>();

  /**
   * The key_id of each of `keys` (tracking.metric_keys), keys not stored yet
   * added first. Two statements, each in its own snapshot: the INSERT waits
   * for a concurrent writer adding the same key, so the SELECT after it sees
   * that key too. Run with the reader, outside a transaction.
   */
  async keyIds(m: EntityManager, keys: readonly string[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const missing = new Set<string>();
    for (const key of keys) {
      const id = this.knownKeyIds.get(key);
      if (id !== undefined) ids.set(key, id);
      else missing.add(key);
    }
    if (missing.size === 0) return ids;
    const list = pgTextArray([...missing]);
    await m.query(REGISTER_KEYS_SQL, [list]);
    const rows = await m.query<{ key: string; key_id: string | number }[]>(KEY_IDS_SQL, [list]);
    if (this.knownKeyIds.size + rows.length > KNOWN_KEY_IDS_LIMIT) this.knownKeyIds.clear();
    for (const row of rows) {
      ids.set(row.key, Number(row.key_id));
      this.knownKeyIds.set(row.key, Number(row.key_id));
    }
    if (rows.length !== missing.size) throw new Error('metric keys without a key_id after registering them');
    return ids;
  }

  /**
   * Appends a batch with ONE statement (columns as binary arrays through
   * unnest). `append` is the fast path: the unique metrics_identity index
   * refuses a row identical to a stored one (key, step, timestamp, value,
   * is_nan) with SQLSTATE 23505, and the caller retries its transaction with
   * `skip-existing` (ON CONFLICT DO NOTHING: such rows are left out, as MLflow
   * does, also when a concurrent request stores them first). The caller
   * removes duplicates within the batch.
   */
  async insertHistory(m: EntityManager, runKey: number, history: HistoryColumns, mode: MetricsMode): Promise<void> {
    if (history.count === 0) return;
    await m.query(INSERT_HISTORY_SQL[mode], [runKey, ...history.params]);
  }

  /**
   * Upserts latest_metrics with ONE statement; `latest` holds one row per key
   * (pre-aggregated), and a stored row is replaced only by a strictly later
   * (step, timestamp, value).
   */
  async upsertLatest(m: EntityManager, runId: string, latest: readonly LatestMetric[]): Promise<void> {
    if (latest.length === 0) return;
    await m.query(UPSERT_LATEST_SQL, [runId, ...latestColumns(latest)]);
  }

  /**
   * The hot path of a metrics-only batch, in ONE statement and one round trip
   * (a statement is atomic: no explicit transaction): when run `runId` exists
   * and is active, appends `metrics` to its history (as insertHistory, same
   * `mode` and 23505 contract) and upserts `latest` (as upsertLatest). False
   * when the run is missing or not active; nothing was written then.
   */
  async appendToActiveRun(
    m: EntityManager,
    runId: string,
    history: HistoryColumns,
    latest: readonly LatestMetric[],
    mode: MetricsMode,
  ): Promise<boolean> {
    const rows = await m.query<{ run_key: number }[]>(APPEND_TO_ACTIVE_RUN_SQL[mode], [
      runId,
      ...history.params,
      ...latestColumns(latest),
    ]);
    return rows.length > 0;
  }

  /**
   * A series in (step, timestamp) order from `after` on (its skipped rows
   * included: the caller drops them), at most `limit` rows when set.
   */
  history(m: EntityManager, runKey: number, key: string, after: HistoryCursor | null, limit: number | null): Promise<HistoryRow[]> {
    const params: unknown[] = [runKey, key];
    let resume = '';
    if (after) {
      params.push(after.step, after.timestamp);
      resume = ` AND (step, timestamp) >= ($3::bigint, $4::bigint)`;
    }
    let limitClause = '';
    if (limit !== null) {
      params.push(limit);
      limitClause = ` LIMIT $${params.length}`;
    }
    return m.query<HistoryRow[]>(
      `SELECT run_key, step, timestamp, value, is_nan FROM tracking.metrics
       WHERE run_key = $1 AND key_id = ${keyId('$2')}${resume}
       ORDER BY ${HISTORY_ORDER}${limitClause}`,
      params,
    );
  }

  /** Up to `limit` rows of each run's series (runs in the given order), one statement. */
  bulkHistory(m: EntityManager, runKeys: readonly number[], key: string, limit: number): Promise<HistoryRow[]> {
    if (runKeys.length === 0) return Promise.resolve([]);
    return m.query<HistoryRow[]>(
      `SELECT r.run_key, h.step, h.timestamp, h.value, h.is_nan
       FROM unnest($1::bigint[]) WITH ORDINALITY AS r(run_key, ord)
       CROSS JOIN LATERAL (
         SELECT step, timestamp, value, is_nan FROM tracking.metrics
         WHERE run_key = r.run_key AND key_id = ${keyId('$2')}
         ORDER BY ${HISTORY_ORDER} LIMIT $3
       ) h
       ORDER BY r.ord, h.step, h.timestamp
       LIMIT $3`,
      [runKeys, key, limit],
    );
  }

  /**
   * Per run: the first and last step in the range (two index probes) and the
   * number of rows in it, counted only up to limit + 1.
   */
  bounds(m: EntityManager, runKeys: readonly number[], key: string, range: StepRange, limit: number): Promise<SeriesBounds[]> {
    const params: unknown[] = [runKeys, key, limit + 1];
    const inRange = rangeCondition(params, range);
    const series = `FROM tracking.metrics WHERE run_key = r.run_key AND key_id = ${keyId('$2')}${inRange}`;
    return m.query<SeriesBounds[]>(
      `SELECT r.run_key,
         (SELECT step ${series} ORDER BY step ASC LIMIT 1) AS min_step,
         (SELECT step ${series} ORDER BY step DESC LIMIT 1) AS max_step,
         (SELECT count(*)::int FROM (SELECT 1 ${series} LIMIT $3) c) AS n
       FROM unnest($1::bigint[]) AS r(run_key)`,
      params,
    );
  }

  /** Every row of small series (each known to hold at most `limit` rows in the range). */
  rangeRows(m: EntityManager, runKeys: readonly number[], key: string, range: StepRange, limit: number): Promise<HistoryRow[]> {
    if (runKeys.length === 0) return Promise.resolve([]);
    const params: unknown[] = [runKeys, key, limit];
    const inRange = rangeCondition(params, range);
    return m.query<HistoryRow[]>(
      `SELECT r.run_key, h.step, h.timestamp, h.value, h.is_nan
       FROM unnest($1::bigint[]) AS r(run_key)
       CROSS JOIN LATERAL (
         SELECT step, timestamp, value, is_nan FROM tracking.metrics
         WHERE run_key = r.run_key AND key_id = ${keyId('$2')}${inRange}
         ORDER BY ${HISTORY_ORDER} LIMIT $3
       ) h`,
      params,
    );
  }

  /**
   * One index probe per (run, target step): the first row at or after the
   * target (and at or before `maxSteps[i]`), plus, per run, its very last row.
   */
  probe(
    m: EntityManager,
    key: string,
    runKeys: readonly number[],
    targets: readonly number[],
    maxSteps: readonly number[],
  ): Promise<HistoryRow[]> {
    if (targets.length === 0) return Promise.resolve([]);
    return m.query<HistoryRow[]>(
      `SELECT t.run_key, h.step, h.timestamp, h.value, h.is_nan
       FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS t(run_key, target, max_step)
       CROSS JOIN LATERAL (
         SELECT step, timestamp, value, is_nan FROM tracking.metrics
         WHERE run_key = t.run_key AND key_id = ${keyId('$1')} AND step >= t.target AND step <= t.max_step
         ORDER BY ${HISTORY_ORDER} LIMIT 1
       ) h
       UNION ALL
       SELECT l.run_key, h.step, h.timestamp, h.value, h.is_nan
       FROM (SELECT DISTINCT run_key, max_step FROM unnest($2::bigint[], $4::bigint[]) AS x(run_key, max_step)) l
       CROSS JOIN LATERAL (
         SELECT step, timestamp, value, is_nan FROM tracking.metrics
         WHERE run_key = l.run_key AND key_id = ${keyId('$1')} AND step = l.max_step
         ORDER BY timestamp DESC LIMIT 1
       ) h`,
      [key, runKeys, targets, maxSteps],
    );
  }
}

/**
 * The key_id of the key in parameter `param` (tracking.metric_keys): an
 * InitPlan PostgreSQL runs once per statement, its result then an index
 * condition like a constant. An unknown key is NULL, which matches no row.
 */
function keyId(param: string): string {
  return `(SELECT key_id FROM tracking.metric_keys WHERE key = ${param})`;
}

/** `AND step >= $n AND step <= $m` for the bounds that are set (so the index range applies). */
function rangeCondition(params: unknown[], range: StepRange): string {
  let sql = '';
  if (range.start !== null) {
    params.push(range.start);
    sql += ` AND step >= $${params.length}::bigint`;
  }
  if (range.end !== null) {
    params.push(range.end);
    sql += ` AND step <= $${params.length}::bigint`;
  }
  return sql;
}

// ------------------------------------------------------------------ batch SQL

/*
 * The write statements of log-batch: constant texts (the batch travels as
 * array parameters), run as named statements, so PostgreSQL parses and plans
 * each once per connection instead of once per batch.
 */
const INSERT_HISTORY_SQL: Record<MetricsMode, string> = {
  append: namedStatement('tracking_insert_history', `INSERT INTO tracking.metrics ${historySelect('$1', 2, 'append')}`),
  'skip-existing': namedStatement('tracking_insert_history_skip', `INSERT INTO tracking.metrics ${historySelect('$1', 2, 'skip-existing')}`),
};

/** Metric keys kept by a process before it starts over (a few MB at most). */
const KNOWN_KEY_IDS_LIMIT = 100_000;

const REGISTER_KEYS_SQL = namedStatement(
  'tracking_register_metric_keys',
  `INSERT INTO tracking.metric_keys (key) SELECT k FROM unnest($1::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING`,
);

const KEY_IDS_SQL = namedStatement('tracking_metric_key_ids', `SELECT key, key_id FROM tracking.metric_keys WHERE key = ANY ($1::text[])`);

const UPSERT_LATEST_SQL = namedStatement('tracking_upsert_latest', `INSERT INTO tracking.latest_metrics AS l ${latestSelect('$1', 2)}`);

function appendToActiveRunSql(mode: MetricsMode): string {
  return `WITH run AS (SELECT run_key FROM tracking.runs WHERE run_uuid = $1 AND lifecycle_stage = 'active'),
       history AS (INSERT INTO tracking.metrics ${historySelect('run.run_key', 2, mode, 'run')}),
       latest AS (INSERT INTO tracking.latest_metrics AS l ${latestSelect('$1', 10, 'run')})
       SELECT run_key FROM run`;
}

const APPEND_TO_ACTIVE_RUN_SQL: Record<MetricsMode, string> = {
  append: namedStatement('tracking_append_to_active_run', appendToActiveRunSql('append')),
  'skip-existing': namedStatement('tracking_append_to_active_run_skip', appendToActiveRunSql('skip-existing')),
};

/**
 * `(columns) SELECT ... FROM unnest(...)` of a history append: `runKey` is
 * the SQL of the run key, the 8 columns of historyColumns are parameters
 * $first..$first+7; `from` joins a relation first (a row of it or nothing).
 */
function historySelect(runKey: string, first: number, mode: MetricsMode, from?: string): string {
  const p = (i: number) => `$${first + i}`;
  // ON CONFLICT probes the index before every row: only worth it once a duplicate is known to be there.
  const skipExisting = mode === 'skip-existing' ? ' ON CONFLICT (run_key, key_id, step, timestamp, value, is_nan) DO NOTHING' : '';
  return `(run_key, key_id, step, timestamp, value, is_nan, model_id, dataset_name, dataset_digest)
       SELECT ${runKey}, u.key_id, u.step, u.ts, u.value, u.is_nan, u.model_id, u.dataset_name, u.dataset_digest
       FROM ${from ? `${from}, ` : ''}unnest(${p(0)}::bigint[], ${p(1)}::bigint[], ${p(2)}::bigint[], ${p(3)}::float8[], ${p(4)}::bool[], ${p(5)}::text[], ${p(6)}::text[], ${p(7)}::text[])
         AS u(key_id, step, ts, value, is_nan, model_id, dataset_name, dataset_digest)${skipExisting}`;
}

/**
 * The rows of a history write as columns: element i of each is row i (NaN
 * already stored as value 0 with nans[i]). A link column is null when no row
 * has that link (unnest then pads it with NULLs), else as long as key_ids.
 */
export interface HistoryRows {
  /** tracking.metric_keys ids (MetricsRepository.keyIds). */
  key_ids: readonly number[];
  steps: readonly number[];
  timestamps: readonly number[];
  values: readonly number[];
  nans: readonly boolean[];
  model_ids: readonly (string | null)[] | null;
  dataset_names: readonly (string | null)[] | null;
  dataset_digests: readonly (string | null)[] | null;
}

/** The rows of a history write as the 8 column parameters of historySelect (binary arrays, @cairn/persistence pg-array). */
export function historyColumns(rows: HistoryRows): HistoryColumns {
  const link = (column: readonly (string | null)[] | null) => (column === null ? null : pgTextArray(column));
  const params = [
    pgInt8Array(rows.key_ids),
    pgInt8Array(rows.steps),
    pgInt8Array(rows.timestamps),
    pgFloat8Array(rows.values),
    pgBoolArray(rows.nans),
    link(rows.model_ids),
    link(rows.dataset_names),
    link(rows.dataset_digests),
  ];
  return { count: rows.key_ids.length, params };
}

/** `(columns) SELECT ... ON CONFLICT ...` of a latest_metrics upsert; the 5 columns of latestColumns are $first..$first+4. */
function latestSelect(runId: string, first: number, from?: string): string {
  const p = (i: number) => `$${first + i}`;
  return `(run_uuid, key, value, timestamp, step, is_nan)
       SELECT ${runId}, u.key, u.value, u.ts, u.step, u.is_nan
       FROM ${from ? `${from}, ` : ''}unnest(${p(0)}::text[], ${p(1)}::float8[], ${p(2)}::bigint[], ${p(3)}::bigint[], ${p(4)}::bool[]) AS u(key, value, ts, step, is_nan)
       ON CONFLICT (run_uuid, key) DO UPDATE
         SET value = EXCLUDED.value, timestamp = EXCLUDED.timestamp, step = EXCLUDED.step, is_nan = EXCLUDED.is_nan
         WHERE (EXCLUDED.step, EXCLUDED.timestamp, EXCLUDED.value) > (l.step, l.timestamp, l.value)`;
}

/** The 5 column parameters of latestSelect, as binary arrays. */
function latestColumns(latest: readonly LatestMetric[]): Buffer[] {
  return [
    pgTextArray(latest.map((x) => x.key)),
    pgFloat8Array(latest.map((x) => x.value)),
    pgInt8Array(latest.map((x) => x.timestamp)),
    pgInt8Array(latest.map((x) => x.step)),
    pgBoolArray(latest.map((x) => x.is_nan)),
  ];
}
