import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { namedStatement, sqlJson as js, sqlOptionalField } from '@cairn/persistence';
import { firstGroupParams, MatchCounts, SearchQuery } from '../search';

/** A row of tracking.runs (bigints parsed to numbers). */
export interface RunRow {
  run_uuid: string;
  run_key: number;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  deleted_time: number | null;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface OwnedKeyValue extends KeyValue {
  run_uuid: string;
}

export interface LatestMetricRow {
  run_uuid: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: boolean;
}

export interface DatasetInputRow {
  run_uuid: string;
  tags: KeyValue[];
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface ModelLinkRow {
  run_uuid: string;
  model_id: string;
  /** Set for outputs, NULL for inputs. */
  step: number | null;
}

/** Everything a Run message carries besides its info, for a set of runs. */
export interface RunChildren {
  metrics: LatestMetricRow[];
  params: OwnedKeyValue[];
  tags: OwnedKeyValue[];
  datasets: DatasetInputRow[];
  modelInputs: ModelLinkRow[];
  modelOutputs: ModelLinkRow[];
}

export interface NewRun {
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  start_time: number;
  artifact_uri: string;
}

export interface RunChanges {
  status?: string | undefined;
  end_time?: number | undefined;
  name?: string | undefined;
}

export interface ParamConflict {
  key: string;
  old_value: string;
  new_value: string;
}

export interface NewDataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface DatasetLink {
  name: string;
  digest: string;
  tags: KeyValue[];
  context: string | null;
}

const RUN_COLUMNS = `run_uuid, run_key, experiment_id, name, user_id, status, start_time, end_time,
  lifecycle_stage, artifact_uri, deleted_time`;

const RUN_NAME_TAG = 'mlflow.runName';

/** A run with its children as loadRuns' query returns them (children NULL when it has none of a kind). */
interface RunWithChildrenRow extends RunRow {
  metrics: [string, number | string, number, number, boolean][] | null;
  params: [string, string][] | null;
  tags: [string, string][] | null;
  datasets: [KeyValue[], string, string, string, string, string | null, string | null][] | null;
  /** Inputs have a NULL step. */
  models: [string, number | null][] | null;
}

/**
 * The runs $1 that exist, each with every child, one row per run. Params are
 * read in two parts that match the partial covering indexes (values up to
 * 1000 bytes, then the longer ones); each list is in key (model id, dataset
 * name/digest) order.
 */
const RUNS_WITH_CHILDREN_SQL = `SELECT ${RUN_COLUMNS},
  (SELECT json_agg(json_build_array(x.key, x.value, x.timestamp, x.step, x.is_nan) ORDER BY x.key)
   FROM tracking.latest_metrics x WHERE x.run_uuid = r.run_uuid) AS metrics,
  (SELECT json_agg(json_build_array(x.key, x.value) ORDER BY x.key)
   FROM (SELECT p.key, p.value FROM tracking.params p WHERE p.run_uuid = r.run_uuid AND octet_length(p.value) <= 1000
         UNION ALL
         SELECT p.key, p.value FROM tracking.params p WHERE p.run_uuid = r.run_uuid AND octet_length(p.value) > 1000) x) AS params,
  (SELECT json_agg(json_build_array(x.key, x.value) ORDER BY x.key)
   FROM tracking.tags x WHERE x.run_uuid = r.run_uuid) AS tags,
  (SELECT json_agg(json_build_array(ri.tags, d.name, d.digest, d.source_type, d.source, d.schema, d.profile) ORDER BY d.name, d.digest)
   FROM tracking.run_inputs ri JOIN tracking.datasets d ON d.dataset_uuid = ri.dataset_uuid WHERE ri.run_uuid = r.run_uuid) AS datasets,
  (SELECT json_agg(json_build_array(x.model_id, x.step) ORDER BY x.model_id)
   FROM (SELECT i.model_id, NULL::bigint AS step FROM tracking.run_model_inputs i WHERE i.run_uuid = r.run_uuid
         UNION ALL
         SELECT o.model_id, o.step FROM tracking.run_model_outputs o WHERE o.run_uuid = r.run_uuid) x) AS models
FROM tracking.runs r WHERE r.run_uuid = ANY($1::text[])`;

/**
 * jsonDouble (@cairn/contracts) in SQL, for a float8 column: a number, or the
 * strings "NaN", "Infinity" and "-Infinity" (float8's text is the shortest
 * exact one, as JSON.stringify's, with extra_float_digits > 0, the default).
 */
const sqlJsonDouble = (value: string, isNan: string): string =>
  `CASE WHEN ${isNan} THEN '"NaN"' WHEN ${value} = 'Infinity'::float8 THEN '"Infinity"'
        WHEN ${value} = '-Infinity'::float8 THEN '"-Infinity"' ELSE ${value}::text END`;

/**
 * A page of at least this many runs is rendered as two halves, each by its own
 * statement on its own pooled connection (two backends, two cores): the
 * rendering is most of a search's database time and the halves do not depend
 * on each other. Each statement has its own snapshot, as the id search and
 * the rendering always had (a run deleted in between is left out).
 */
const RUNS_JSON_SPLIT_AT = 40;

/**
 * The tail of the statements inserting a run's inputs or outputs (`WITH i AS
 * (INSERT ... RETURNING 1)`, the run id as $1): marks the run as having some
 * (runs.has_io, read by RUNS_JSON_SQL) when a row was written.
 */
const SET_HAS_IO = `UPDATE tracking.runs SET has_io = true WHERE run_uuid = $1 AND NOT has_io AND EXISTS (SELECT 1 FROM i)`;

/**
 * The runs $1 that exist, in the order of $1, each as its element of MLflow's
 * `runs` JSON array (a row per run, column `run`): every run with its latest
 * metrics, params, tags, dataset inputs and model links, each list in the
 * order loadRuns gives it and every field as the gateway rendered Run
 * messages (end_time, a dataset's schema and profile left out when NULL).
 * PostgreSQL writes the text directly, so a search page is never built as
 * objects by either service; a row per run keeps each string small (a
 * page-sized one would be allocated in V8's old generation every search).
 */
const RUNS_JSON_SQL = namedStatement('tracking_runs_json', `SELECT x.run
FROM unnest($1::text[]) WITH ORDINALITY AS u(id, ord)
CROSS JOIN LATERAL (
  SELECT '{"info":{"run_id":' || ${js('r.run_uuid')} || ',"run_uuid":' || ${js('r.run_uuid')}
    || ',"run_name":' || ${js('r.name')} || ',"experiment_id":"' || r.experiment_id
    || '","user_id":' || ${js('r.user_id')} || ',"status":' || ${js('r.status')}
    || ',"start_time":' || r.start_time || COALESCE(',"end_time":' || r.end_time, '')
    || ',"artifact_uri":' || ${js('r.artifact_uri')} || ',"lifecycle_stage":' || ${js('r.lifecycle_stage')}
    || '},"data":{"metrics":[' || COALESCE((
      SELECT string_agg('{"key":' || ${js('m.key')} || ',"value":' || ${sqlJsonDouble('m.value', 'm.is_nan')}
               || ',"timestamp":' || m.timestamp || ',"step":' || m.step || '}', ',' ORDER BY m.key)
      FROM tracking.latest_metrics m WHERE m.run_uuid = r.run_uuid), '')
    || '],"params":[' || COALESCE((
      SELECT string_agg('{"key":' || ${js('p.key')} || ',"value":' || ${js('p.value')} || '}', ',' ORDER BY p.key)
      FROM (SELECT p.key, p.value FROM tracking.params p WHERE p.run_uuid = r.run_uuid AND octet_length(p.value) <= 1000
            UNION ALL
            SELECT p.key, p.value FROM tracking.params p WHERE p.run_uuid = r.run_uuid AND octet_length(p.value) > 1000) p), '')
    || '],"tags":[' || COALESCE((
      SELECT string_agg('{"key":' || ${js('t.key')} || ',"value":' || ${js('t.value')} || '}', ',' ORDER BY t.key)
      FROM tracking.tags t WHERE t.run_uuid = r.run_uuid), '')
    || ']},"inputs":{"dataset_inputs":[' || CASE WHEN NOT r.has_io THEN '],"model_inputs":[]},"outputs":{"model_outputs":[]}}' ELSE COALESCE((
      SELECT string_agg('{"tags":' || ri.tags::text || ',"dataset":{"name":' || ${js('d.name')}
               || ',"digest":' || ${js('d.digest')} || ',"source_type":' || ${js('d.source_type')}
               || ',"source":' || ${js('d.source')} || ${sqlOptionalField('schema', 'd.schema')}
               || ${sqlOptionalField('profile', 'd.profile')} || '}}', ',' ORDER BY d.name, d.digest)
      FROM tracking.run_inputs ri JOIN tracking.datasets d ON d.dataset_uuid = ri.dataset_uuid
      WHERE ri.run_uuid = r.run_uuid), '')
    || '],"model_inputs":[' || COALESCE((
      SELECT string_agg('{"model_id":' || ${js('i.model_id')} || '}', ',' ORDER BY i.model_id)
      FROM tracking.run_model_inputs i WHERE i.run_uuid = r.run_uuid), '')
    || ']},"outputs":{"model_outputs":[' || COALESCE((
      SELECT string_agg('{"model_id":' || ${js('o.model_id')} || ',"step":' || o.step || '}', ',' ORDER BY o.model_id)
      FROM tracking.run_model_outputs o WHERE o.run_uuid = r.run_uuid), '')
    || ']}}' END AS run
  FROM tracking.runs r WHERE r.run_uuid = u.id
) x
ORDER BY u.ord`);

/**
 * All SQL of runs and their params, tags, inputs and outputs. Every method
 * takes the EntityManager to run on: the caller's transaction for writes,
 * `reader` for plain reads. Set-based: many rows travel as typed arrays
 * through unnest(), never one statement per row.
 */
@Injectable()
export class RunsRepository {
  /** The match counts of recent search walks (see MatchCounts). */
  private readonly matchCounts = new MatchCounts();

  constructor(private readonly dataSource: DataSource) {}

  /** The manager for reads outside a transaction. */
  get reader(): EntityManager {
    return this.dataSource.manager;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async findExperiment(
    m: EntityManager,
    experimentId: number,
  ): Promise<{ lifecycle_stage: string; artifact_location: string } | undefined> {
    const rows = await m.query<{ lifecycle_stage: string; artifact_location: string }[]>(
      `SELECT lifecycle_stage, artifact_location FROM tracking.experiments WHERE experiment_id = $1`,
      [experimentId],
    );
    return rows[0];
  }

  /** Inserts a run with its tags (the run name tag included by the caller). */
  async insertRun(m: EntityManager, run: NewRun, tags: KeyValue[]): Promise<RunRow> {
    const rows = await m.query<RunRow[]>(
      `INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
       VALUES ($1, $2, $3, $4, 'RUNNING', $5, 'active', $6)
       RETURNING ${RUN_COLUMNS}`,
      [run.run_uuid, run.experiment_id, run.name, run.user_id, run.start_time, run.artifact_uri],
    );
    if (tags.length > 0) await this.upsertTags(m, run.run_uuid, tags);
    return rows[0] as RunRow;
  }

  /** One run; `forUpdate` locks its row until the transaction ends. */
  async findRun(m: EntityManager, runId: string, forUpdate = false): Promise<RunRow | undefined> {
    const rows = await m.query<RunRow[]>(
      `SELECT ${RUN_COLUMNS} FROM tracking.runs WHERE run_uuid = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [runId],
    );
    return rows[0];
  }

  /** The runs with these ids that exist, in no particular order. */
  findRuns(m: EntityManager, runIds: readonly string[]): Promise<RunRow[]> {
    if (runIds.length === 0) return Promise.resolve([]);
    return m.query<RunRow[]>(`SELECT ${RUN_COLUMNS} FROM tracking.runs WHERE run_uuid = ANY($1::text[])`, [runIds]);
  }

  /**
   * The runs with these ids that exist (in no particular order) with their
   * latest metrics, params, tags, dataset inputs and model links: ONE query
   * whatever the count, each run's children aggregated into JSON arrays by
   * PostgreSQL (one row per run instead of one per child). Metrics and short
   * params come from covering indexes (index-only scans).
   */
  async loadRuns(m: EntityManager, runIds: readonly string[]): Promise<{ rows: RunRow[]; children: RunChildren }> {
    const children: RunChildren = { metrics: [], params: [], tags: [], datasets: [], modelInputs: [], modelOutputs: [] };
    if (runIds.length === 0) return { rows: [], children };
    const found = await m.query<RunWithChildrenRow[]>(RUNS_WITH_CHILDREN_SQL, [runIds]);
    const rows: RunRow[] = [];
    for (const { metrics, params, tags, datasets, models, ...run } of found) {
      rows.push(run);
      const run_uuid = run.run_uuid;
      for (const [key, value, timestamp, step, is_nan] of metrics ?? []) {
        // json renders NaN and ±Infinity as strings.
        children.metrics.push({ run_uuid, key, value: Number(value), timestamp, step, is_nan });
      }
      for (const [key, value] of params ?? []) children.params.push({ run_uuid, key, value });
      for (const [key, value] of tags ?? []) children.tags.push({ run_uuid, key, value });
      for (const [datasetTags, name, digest, source_type, source, schema, profile] of datasets ?? []) {
        children.datasets.push({ run_uuid, tags: datasetTags, name, digest, source_type, source, schema, profile });
      }
      for (const [model_id, step] of models ?? []) {
        (step === null ? children.modelInputs : children.modelOutputs).push({ run_uuid, model_id, step });
      }
    }
    return { rows, children };
  }

  /**
   * The runs with these ids that exist, in this order, each as its element
   * of MLflow's `runs` JSON array: see RUNS_JSON_SQL. What search pages
   * send; loadRuns serves the rest.
   */
  async runsJson(m: EntityManager, runIds: readonly string[]): Promise<string[]> {
    if (runIds.length === 0) return [];
    const halves =
      runIds.length < RUNS_JSON_SPLIT_AT
        ? [runIds]
        : [runIds.slice(0, runIds.length >> 1), runIds.slice(runIds.length >> 1)];
    const parts = await Promise.all(halves.map((ids) => m.query<{ run: string }[]>(RUNS_JSON_SQL, [ids])));
    return parts.flatMap((rows) => rows.map((row) => row.run));
  }

  /** Applies status / end_time / name (and the name tag); returns the updated run. */
  async updateRun(m: EntityManager, runId: string, changes: RunChanges): Promise<RunRow | undefined> {
    const rows = await m.query<RunRow[]>(
      `WITH u AS (
         UPDATE tracking.runs SET
           status = COALESCE($2, status),
           end_time = COALESCE($3::bigint, end_time),
           name = COALESCE($4, name)
         WHERE run_uuid = $1
         RETURNING ${RUN_COLUMNS}
       ) SELECT * FROM u`,
      [runId, changes.status ?? null, changes.end_time ?? null, changes.name ?? null],
    );
    if (changes.name !== undefined) await this.upsertTags(m, runId, [{ key: RUN_NAME_TAG, value: changes.name }]);
    return rows[0];
  }

  /** Sets lifecycle_stage and deleted_time; false when the run does not exist. */
  async setLifecycle(m: EntityManager, runId: string, stage: 'active' | 'deleted', deletedTime: number | null): Promise<boolean> {
    const rows = await m.query<{ n: number }[]>(
      `WITH u AS (UPDATE tracking.runs SET lifecycle_stage = $2, deleted_time = $3::bigint WHERE run_uuid = $1 RETURNING 1)
       SELECT count(*)::int AS n FROM u`,
      [runId, stage, deletedTime],
    );
    return (rows[0]?.n ?? 0) > 0;
  }

  /**
   * Inserts params that are not there yet (one statement) and returns the
   * keys already logged with another value; the caller rolls back on any.
   * The conflict check reads the snapshot before the insert, i.e. the params
   * logged by earlier requests.
   */
  async insertParams(m: EntityManager, runId: string, params: readonly KeyValue[]): Promise<ParamConflict[]> {
    if (params.length === 0) return [];
    return m.query<ParamConflict[]>(
      `WITH input AS (
         SELECT * FROM unnest($2::text[], $3::text[]) AS u(key, value)
       ), inserted AS (
         INSERT INTO tracking.params (run_uuid, key, value)
         SELECT $1, key, value FROM input
         ON CONFLICT (run_uuid, key) DO NOTHING
         RETURNING key
       )
       SELECT p.key, p.value AS old_value, i.value AS new_value
       FROM input i JOIN tracking.params p ON p.run_uuid = $1 AND p.key = i.key
       WHERE p.value <> i.value`,
      [runId, params.map((p) => p.key), params.map((p) => p.value)],
    );
  }

  /** Upserts tags (keys must be unique in the list); a run name tag also renames the run. */
  async upsertTags(m: EntityManager, runId: string, tags: readonly KeyValue[]): Promise<void> {
    if (tags.length === 0) return;
    await m.query(
      `INSERT INTO tracking.tags (run_uuid, key, value)
       SELECT $1, key, value FROM unnest($2::text[], $3::text[]) AS u(key, value)
       ON CONFLICT (run_uuid, key) DO UPDATE SET value = EXCLUDED.value`,
      [runId, tags.map((t) => t.key), tags.map((t) => t.value)],
    );
  }

  async renameRun(m: EntityManager, runId: string, name: string): Promise<void> {
    await m.query(`UPDATE tracking.runs SET name = $2 WHERE run_uuid = $1`, [runId, name]);
  }

  /** Deletes one tag; false when the run has no such tag. */
  async deleteTag(m: EntityManager, runId: string, key: string): Promise<boolean> {
    const rows = await m.query<{ n: number }[]>(
      `WITH d AS (DELETE FROM tracking.tags WHERE run_uuid = $1 AND key = $2 RETURNING 1) SELECT count(*)::int AS n FROM d`,
      [runId, key],
    );
    return (rows[0]?.n ?? 0) > 0;
  }

  /**
   * Upserts datasets by (experiment, name, digest) and links them to the run
   * with their input tags; an input already linked keeps its first tags.
   */
  async logDatasetInputs(
    m: EntityManager,
    runId: string,
    experimentId: number,
    datasets: readonly NewDataset[],
    links: readonly DatasetLink[],
    newUuid: () => string,
  ): Promise<void> {
    if (datasets.length === 0) return;
    await m.query(
      `INSERT INTO tracking.datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile)
       SELECT u.id, $1, u.name, u.digest, u.source_type, u.source, u.schema, u.profile
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
         AS u(id, name, digest, source_type, source, schema, profile)
       ON CONFLICT (experiment_id, name, digest) DO NOTHING`,
      [
        experimentId,
        datasets.map(() => newUuid()),
        datasets.map((d) => d.name),
        datasets.map((d) => d.digest),
        datasets.map((d) => d.source_type),
        datasets.map((d) => d.source),
        datasets.map((d) => d.schema),
        datasets.map((d) => d.profile),
      ],
    );
    await m.query(
      `WITH i AS (
         INSERT INTO tracking.run_inputs (run_uuid, dataset_uuid, tags, context)
         SELECT $1, d.dataset_uuid, u.tags::jsonb, u.context
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u(name, digest, tags, context)
         JOIN tracking.datasets d ON d.experiment_id = $2 AND d.name = u.name AND d.digest = u.digest
         ON CONFLICT (run_uuid, dataset_uuid) DO NOTHING
         RETURNING 1
       ) ${SET_HAS_IO}`,
      [
        runId,
        experimentId,
        links.map((l) => l.name),
        links.map((l) => l.digest),
        links.map((l) => JSON.stringify(l.tags)),
        links.map((l) => l.context),
      ],
    );
  }

  async insertModelInputs(m: EntityManager, runId: string, modelIds: readonly string[]): Promise<void> {
    if (modelIds.length === 0) return;
    await m.query(
      `WITH i AS (
         INSERT INTO tracking.run_model_inputs (run_uuid, model_id)
         SELECT $1, model_id FROM unnest($2::text[]) AS u(model_id)
         ON CONFLICT (run_uuid, model_id) DO NOTHING
         RETURNING 1
       ) ${SET_HAS_IO}`,
      [runId, modelIds],
    );
  }

  /** Model outputs (unique model ids); logging one again updates its step. */
  async upsertModelOutputs(m: EntityManager, runId: string, outputs: readonly { model_id: string; step: number }[]): Promise<void> {
    if (outputs.length === 0) return;
    await m.query(
      `WITH i AS (
         INSERT INTO tracking.run_model_outputs (run_uuid, model_id, step)
         SELECT $1, model_id, step FROM unnest($2::text[], $3::bigint[]) AS u(model_id, step)
         ON CONFLICT (run_uuid, model_id) DO UPDATE SET step = EXCLUDED.step
         RETURNING 1
       ) ${SET_HAS_IO}`,
      [runId, outputs.map((o) => o.model_id), outputs.map((o) => o.step)],
    );
  }

  /** The latest metrics of one run, for the run.finished event. */
  latestMetrics(m: EntityManager, runId: string, limit: number): Promise<LatestMetricRow[]> {
    return m.query<LatestMetricRow[]>(
      `SELECT run_uuid, key, value, timestamp, step, is_nan FROM tracking.latest_metrics
       WHERE run_uuid = $1 ORDER BY key LIMIT $2`,
      [runId, limit],
    );
  }

  /**
   * The run ids of a compiled search's page, in its order: the first group's
   * walk alone (its match counts counted, or reused: MatchCounts) when it
   * settles the page, else the whole statement. JIT and
   * parallel workers are off for Cairn's sessions (@cairn/persistence
   * data-source.ts): a search plans alternatives it may never run.
   */
  async searchRunIds(m: EntityManager, query: SearchQuery): Promise<string[]> {
    const first = query.firstGroup;
    if (first) {
      const counts = await this.matchCounts.get(first.counts, (sql, params) => m.query<Record<string, unknown>[]>(sql, params));
      const rows = await m.query<{ run_uuid: string }[]>(first.sql, firstGroupParams(first, counts));
      if (rows.length === first.rows) return rows.map((row) => row.run_uuid);
    }
    const rows = await m.query<{ run_uuid: string }[]>(query.sql, query.params);
    return rows.map((row) => row.run_uuid);
  }
}
