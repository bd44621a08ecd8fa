import { z } from 'zod';
import { tracking } from '@cairn/contracts';
import { queryString, wire } from '../http/request-parsing';
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

/** `metric` in canonical JSON only (see parseRequest): JSON numbers; z.int() is a safe integer. */
const canonicalMetric = z.object({
  key: z.string(),
  value: z.number(),
  timestamp: z.int(),
  step: z.int().optional(),
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

/** logBatchBody in canonical JSON only: the log-batch controller's fast path (see parseRequest). */
export const logBatchCanonicalBody = logBatchBody.extend({ metrics: z.array(canonicalMetric).optional() });

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
