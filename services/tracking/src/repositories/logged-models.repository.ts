import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CairnError } from '@cairn/contracts';

/** A row of tracking.logged_models, numbers already converted from bigint. */
export interface LoggedModelRow {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  /** Stored as MLflow's LoggedModelStatus names: PENDING, READY, FAILED (UNSPECIFIED never written). */
  status: string;
  lifecycle_stage: string;
  model_type: string | null;
  source_run_id: string | null;
  status_message: string | null;
}

export interface KeyValue {
  key: string;
  value: string;
}

/**
 * One metric value linked to a logged model (tracking.logged_model_metrics).
 * Written by the runs code when runs/log-metric or runs/log-batch carry a
 * model_id; read back as the model's `data.metrics`.
 */
export interface LoggedModelMetricRow {
  model_id: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  run_id: string | null;
  dataset_name?: string | null;
  dataset_digest?: string | null;
}

/** A model with its tags, params and linked metrics. */
export interface LoggedModelAggregate {
  model: LoggedModelRow;
  tags: KeyValue[];
  params: KeyValue[];
  metrics: LoggedModelMetricRow[];
}

export interface ExperimentRef {
  experiment_id: number;
  artifact_location: string;
  lifecycle_stage: string;
}

type RawModelRow = Omit<LoggedModelRow, 'experiment_id' | 'creation_timestamp' | 'last_updated_timestamp'> & {
  experiment_id: string | number;
  creation_timestamp: string | number;
  last_updated_timestamp: string | number;
};

type RawMetricRow = Omit<LoggedModelMetricRow, 'timestamp' | 'step' | 'value'> & {
  value: number | string;
  timestamp: string | number;
  step: string | number;
};

const MODEL_COLUMNS = `model_id, experiment_id, name, artifact_location, creation_timestamp, last_updated_timestamp,
  status, lifecycle_stage, model_type, source_run_id, status_message`;

function toModelRow(raw: RawModelRow): LoggedModelRow {
  return {
    ...raw,
    experiment_id: Number(raw.experiment_id),
    creation_timestamp: Number(raw.creation_timestamp),
    last_updated_timestamp: Number(raw.last_updated_timestamp),
  };
}

function toMetricRow(raw: RawMetricRow): LoggedModelMetricRow {
  return { ...raw, value: Number(raw.value), timestamp: Number(raw.timestamp), step: Number(raw.step) };
}

/**
 * All SQL of logged models. Every method takes the caller's EntityManager
 * when it may run inside a transaction (PGlite has one connection: a query
 * on another runner inside a transaction would deadlock).
 */
@Injectable()
export class LoggedModelsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The manager to use outside a transaction. */
  get defaultManager(): EntityManager {
    return this.dataSource.manager;
  }

  async findExperiment(manager: EntityManager, experimentId: number): Promise<ExperimentRef | undefined> {
    const rows = await manager.query<{ experiment_id: string | number; artifact_location: string; lifecycle_stage: string }[]>(
      `SELECT experiment_id, artifact_location, lifecycle_stage FROM tracking.experiments WHERE experiment_id = $1`,
      [experimentId],
    );
    const row = rows[0];
    return row ? { ...row, experiment_id: Number(row.experiment_id) } : undefined;
  }

  async runExists(manager: EntityManager, runId: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(`SELECT 1 FROM tracking.runs WHERE run_uuid = $1`, [runId]);
    return rows.length > 0;
  }

  /** Inserts a model with its params and tags (keys already unique). */
  async insert(manager: EntityManager, model: LoggedModelRow, params: KeyValue[], tags: KeyValue[]): Promise<void> {
    await manager.query(
      `INSERT INTO tracking.logged_models (${MODEL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        model.model_id,
        model.experiment_id,
        model.name,
        model.artifact_location,
        model.creation_timestamp,
        model.last_updated_timestamp,
        model.status,
        model.lifecycle_stage,
        model.model_type,
        model.source_run_id,
        model.status_message,
      ],
    );
    await this.insertParams(manager, model.model_id, params);
    await this.upsertTags(manager, model.model_id, tags);
  }

  /** The model row, deleted or not; `lock` takes a row lock for the rest of the transaction. */
  async findRow(manager: EntityManager, modelId: string, lock = false): Promise<LoggedModelRow | undefined> {
    const rows = await manager.query<RawModelRow[]>(
      `SELECT ${MODEL_COLUMNS} FROM tracking.logged_models WHERE model_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [modelId],
    );
    const row = rows[0];
    return row ? toModelRow(row) : undefined;
  }

  /** Models with tags, params and metrics, in the order of `modelIds` (unknown ids are skipped). */
  async loadMany(manager: EntityManager, modelIds: readonly string[]): Promise<LoggedModelAggregate[]> {
    if (modelIds.length === 0) return [];
    const ids = [...modelIds];
    const [models, tags, params, metrics] = [
      await manager.query<RawModelRow[]>(
        `SELECT ${MODEL_COLUMNS} FROM tracking.logged_models WHERE model_id = ANY($1::text[])`,
        [ids],
      ),
      await manager.query<(KeyValue & { model_id: string })[]>(
        `SELECT model_id, key, value FROM tracking.logged_model_tags WHERE model_id = ANY($1::text[]) ORDER BY model_id, key`,
        [ids],
      ),
      await manager.query<(KeyValue & { model_id: string })[]>(
        `SELECT model_id, key, value FROM tracking.logged_model_params WHERE model_id = ANY($1::text[]) ORDER BY model_id, key`,
        [ids],
      ),
      await manager.query<RawMetricRow[]>(
        `SELECT model_id, key, value, timestamp, step, run_id, dataset_name, dataset_digest
           FROM tracking.logged_model_metrics WHERE model_id = ANY($1::text[])
          ORDER BY model_id, key, timestamp, step`,
        [ids],
      ),
    ];
    const byId = new Map<string, LoggedModelAggregate>();
    for (const raw of models) byId.set(raw.model_id, { model: toModelRow(raw), tags: [], params: [], metrics: [] });
    for (const t of tags) byId.get(t.model_id)?.tags.push({ key: t.key, value: t.value });
    for (const p of params) byId.get(p.model_id)?.params.push({ key: p.key, value: p.value });
    for (const m of metrics) byId.get(m.model_id)?.metrics.push(toMetricRow(m));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async findParams(manager: EntityManager, modelId: string, keys: readonly string[]): Promise<KeyValue[]> {
    if (keys.length === 0) return [];
    return manager.query<KeyValue[]>(
      `SELECT key, value FROM tracking.logged_model_params WHERE model_id = $1 AND key = ANY($2::text[])`,
      [modelId, [...keys]],
    );
  }

  /** Inserts params; a key that already exists keeps its value (the caller checks immutability). */
  async insertParams(manager: EntityManager, modelId: string, params: readonly KeyValue[]): Promise<void> {
    if (params.length === 0) return;
    await manager.query(
      `INSERT INTO tracking.logged_model_params (model_id, key, value)
       SELECT $1, p.key, p.value FROM unnest($2::text[], $3::text[]) AS p(key, value)
       ON CONFLICT (model_id, key) DO NOTHING`,
      [modelId, params.map((p) => p.key), params.map((p) => p.value)],
    );
  }

  /** Sets tags (keys unique within the call); an existing key takes the new value. */
  async upsertTags(manager: EntityManager, modelId: string, tags: readonly KeyValue[]): Promise<void> {
    if (tags.length === 0) return;
    await manager.query(
      `INSERT INTO tracking.logged_model_tags (model_id, key, value)
       SELECT $1, t.key, t.value FROM unnest($2::text[], $3::text[]) AS t(key, value)
       ON CONFLICT (model_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [modelId, tags.map((t) => t.key), tags.map((t) => t.value)],
    );
  }

  /** Deletes one tag; false when the model had no such tag. */
  async deleteTag(manager: EntityManager, modelId: string, key: string): Promise<boolean> {
    // Wrapped in a SELECT: TypeORM answers a bare DELETE with [rows, count], not rows.
    const rows = await manager.query<{ n: number }[]>(
      `WITH deleted AS (DELETE FROM tracking.logged_model_tags WHERE model_id = $1 AND key = $2 RETURNING key)
       SELECT count(*)::int AS n FROM deleted`,
      [modelId, key],
    );
    return (rows[0]?.n ?? 0) > 0;
  }

  async updateStatus(manager: EntityManager, modelId: string, status: string, now: number): Promise<void> {
    await manager.query(
      `UPDATE tracking.logged_models SET status = $2, last_updated_timestamp = $3 WHERE model_id = $1`,
      [modelId, status, now],
    );
  }

  /** Soft delete, as MLflow: lifecycle_stage 'deleted' and a fresh last_updated_timestamp. */
  async markDeleted(manager: EntityManager, modelId: string, now: number): Promise<void> {
    await manager.query(
      `UPDATE tracking.logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp = $2 WHERE model_id = $1`,
      [modelId, now],
    );
  }

  /** Runs a compiled search (compileLoggedModelSearch) and returns the model ids in order. */
  async searchIds(manager: EntityManager, query: { sql: string; params: unknown[] }): Promise<string[]> {
    const rows = await manager.query<{ model_id: string }[]>(query.sql, query.params);
    return rows.map((r) => r.model_id);
  }

  /**
   * Links metric values to logged models, in the caller's transaction (the
   * runs code calls this from runs/log-metric and runs/log-batch when a
   * metric carries a model_id). Rows identical on (model_id, key, timestamp,
   * step, run_id) to one already stored are skipped, so a retried request
   * does not duplicate history (MLflow's primary key). Throws
   * RESOURCE_DOES_NOT_EXIST when a model id is unknown (deleted models still
   * accept metrics, as in MLflow).
   */
  async recordModelMetrics(manager: EntityManager, rows: readonly LoggedModelMetricRow[]): Promise<void> {
    if (rows.length === 0) return;
    const modelIds = [...new Set(rows.map((r) => r.model_id))];
    const found = await manager.query<{ model_id: string }[]>(
      `SELECT model_id FROM tracking.logged_models WHERE model_id = ANY($1::text[])`,
      [modelIds],
    );
    const known = new Set(found.map((r) => r.model_id));
    const missing = modelIds.find((id) => !known.has(id));
    if (missing !== undefined) throw CairnError.notFound(`Logged model with ID '${missing}' not found.`);
    await manager.query(
      `INSERT INTO tracking.logged_model_metrics
         (model_id, key, value, timestamp, step, run_id, dataset_name, dataset_digest)
       SELECT DISTINCT ON (n.model_id, n.key, n.timestamp, n.step, n.run_id)
              n.model_id, n.key, n.value, n.timestamp, n.step, n.run_id, n.dataset_name, n.dataset_digest
         FROM unnest($1::text[], $2::text[], $3::float8[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[])
              AS n(model_id, key, value, timestamp, step, run_id, dataset_name, dataset_digest)
        WHERE NOT EXISTS (
          SELECT 1 FROM tracking.logged_model_metrics e
           WHERE e.model_id = n.model_id AND e.key = n.key AND e.timestamp = n.timestamp
             AND e.step = n.step AND e.run_id IS NOT DISTINCT FROM n.run_id)`,
      [
        rows.map((r) => r.model_id),
        rows.map((r) => r.key),
        rows.map((r) => r.value),
        rows.map((r) => r.timestamp),
        rows.map((r) => r.step),
        rows.map((r) => r.run_id),
        rows.map((r) => r.dataset_name ?? null),
        rows.map((r) => r.dataset_digest ?? null),
      ],
    );
  }
}
