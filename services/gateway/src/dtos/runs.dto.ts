import { z } from 'zod';
import { MetricColumnsBuilder, MetricInput, toMetricColumns, tracking } from '@cairn/contracts';
import { parseRequest, queryString, wire } from '../http/request-parsing';
import { JsonMetric, jsonMetrics } from './metrics.dto';

/**
 * Request schemas of the runs endpoints (MLflow's service.proto field names)
 * and the JSON shape of their answers. Unknown fields are ignored, as
 * MLflow's parser does; `run_uuid` is accepted wherever `run_id` is.
 */

const tag = z.object({ key: z.string(), value: z.string().default('') });

const runRef = {
  run_id: z.string().optional(),
  run_uuid: z.string().optional(),
};

/** MLflow's deprecated `run_uuid` alias, mapped to run_id. */
export function runIdOf(request: { run_id?: string | undefined; run_uuid?: string | undefined }): string {
  return request.run_id || request.run_uuid || '';
}

export const createRunBody = z.object({
  experiment_id: z.string().optional(),
  user_id: z.string().optional(),
  run_name: z.string().optional(),
  start_time: wire.int64.optional(),
  tags: z.array(tag).optional(),
});

export const getRunQuery = z.object({ run_id: queryString.optional(), run_uuid: queryString.optional() });

export const updateRunBody = z.object({
  ...runRef,
  status: z.string().optional(),
  end_time: wire.int64.optional(),
  run_name: z.string().optional(),
});

export const runIdBody = z.object(runRef);

const metric = z.object({
  key: z.string(),
  value: wire.double,
  timestamp: wire.int64,
  step: wire.int64.optional(),
  model_id: z.string().optional(),
  dataset_name: z.string().optional(),
  dataset_digest: z.string().optional(),
});

export const logMetricBody = metric.extend(runRef);

export const logParamBody = z.object({ ...runRef, key: z.string(), value: z.string().default('') });

export const setTagBody = z.object({ ...runRef, key: z.string(), value: z.string().default('') });

export const deleteTagBody = z.object({ ...runRef, key: z.string() });

export const logBatchBody = z.object({
  ...runRef,
  metrics: z.array(metric).optional(),
  params: z.array(tag).optional(),
  tags: z.array(tag).optional(),
});

/** logBatchBody but its metrics (see logBatchRequest). */
const logBatchEnvelope = logBatchBody.omit({ metrics: true });

/** `metrics[i][field]` of a link field, or a verdict: undefined (absent), false (not a string). */
function linkField(m: Record<string, unknown>, field: 'model_id' | 'dataset_name' | 'dataset_digest'): string | undefined | false {
  const v = m[field];
  return v === undefined || typeof v === 'string' ? v : false;
}

/**
 * A log-batch's metrics as tracking's MetricColumns when every metric is in
 * canonical JSON — `key` a string, `value` a JSON number, `timestamp` (and
 * `step`, when there) a safe integer, links strings, other fields ignored —
 * else null: then the full schema (logBatchBody, with protobuf JSON's
 * strings for int64 and double) judges and words the message. The columns
 * are what toMetricColumns makes of the full schema's output for such
 * metrics (the unit test compares the two on random messages). Checked
 * field by field, with no object per metric: zod's copy of 1000 metric
 * objects, with its checks' results, was ~60% of the gateway's garbage per
 * log-batch, and every scavenge that meets a batch in flight copies it.
 */
export function canonicalMetricColumns(metrics: unknown): tracking.MetricColumns | null {
  if (metrics === undefined) return toMetricColumns([]);
  if (!Array.isArray(metrics)) return null;
  const columns = new MetricColumnsBuilder(metrics.length);
  let links = false;
  for (const m of metrics as unknown[]) {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
    const { key, value, timestamp, step } = m as Record<string, unknown>;
    if (typeof key !== 'string' || typeof value !== 'number' || !Number.isFinite(value)) return null;
    if (!Number.isSafeInteger(timestamp) || (step !== undefined && !Number.isSafeInteger(step))) return null;
    const model = linkField(m as Record<string, unknown>, 'model_id');
    const name = linkField(m as Record<string, unknown>, 'dataset_name');
    const digest = linkField(m as Record<string, unknown>, 'dataset_digest');
    if (model === false || name === false || digest === false) return null;
    links ||= !!model || !!name || !!digest;
    columns.add(key, value, timestamp as number, (step as number | undefined) ?? 0);
  }
  // Rare: metrics linked to a logged model or dataset take the general conversion.
  return links ? toMetricColumns(metrics as MetricInput[]) : columns.finish();
}

/** A log-batch body as tracking's request (metrics through canonicalMetricColumns when they can). */
export function logBatchRequest(body: unknown): tracking.LogBatchRequest {
  const metrics = body !== null && typeof body === 'object' && !Array.isArray(body) ? canonicalMetricColumns((body as { metrics?: unknown }).metrics) : null;
  if (metrics) {
    const request = parseRequest(logBatchEnvelope, body);
    return { run_id: runIdOf(request), metrics, params: request.params ?? [], tags: request.tags ?? [] };
  }
  const request = parseRequest(logBatchBody, body);
  return { run_id: runIdOf(request), metrics: toMetricColumns(request.metrics ?? []), params: request.params ?? [], tags: request.tags ?? [] };
}

const dataset = z.object({
  name: z.string(),
  digest: z.string(),
  source_type: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});

export const logInputsBody = z.object({
  ...runRef,
  datasets: z.array(z.object({ tags: z.array(tag).optional(), dataset })).optional(),
  models: z.array(z.object({ model_id: z.string() })).optional(),
});

export const logOutputsBody = z.object({
  ...runRef,
  models: z.array(z.object({ model_id: z.string(), step: wire.int64.optional() })),
});

export const searchRunsBody = z.object({
  experiment_ids: z.array(z.union([z.string(), wire.int64.transform(String)])).optional(),
  filter: z.string().optional(),
  run_view_type: z.string().optional(),
  max_results: wire.int32.optional(),
  order_by: z.array(z.string()).optional(),
  page_token: z.string().optional(),
});

export function toMetricMessage(m: z.infer<typeof metric>): tracking.Metric {
  return {
    key: m.key,
    value: m.value,
    timestamp: m.timestamp,
    step: m.step ?? 0,
    model_id: m.model_id || undefined,
    dataset_name: m.dataset_name || undefined,
    dataset_digest: m.dataset_digest || undefined,
  };
}

// ------------------------------------------------------------- responses

export type JsonRun = Omit<tracking.Run, 'data'> & {
  data?: Omit<tracking.RunData, 'metrics'> & { metrics: JsonMetric<tracking.Metric>[] };
};

/** A Run with its latest metrics JSON-safe (NaN / ±Infinity as protobuf JSON strings). */
export function jsonRun(run: tracking.Run): JsonRun {
  if (!run.data) return run;
  return { ...run, data: { ...run.data, metrics: jsonMetrics(run.data.metrics) } };
}
