import { z } from 'zod';
import { queryString, wire } from '../http/request-parsing';

/**
 * Metric history requests (GET, fields in the query string) and the JSON
 * form of metric values.
 *
 * JSON has no NaN or Infinity and JSON.stringify writes them as null, which
 * the MLflow client would read back as None. MLflow answers with protobuf's
 * JSON mapping, which writes non-finite doubles as the strings "NaN",
 * "Infinity" and "-Infinity" (and its parser reads them back). So every
 * metric value leaving the gateway goes through `jsonDouble`.
 */

export type JsonDouble = number | 'NaN' | 'Infinity' | '-Infinity';

export type JsonMetric<M extends { value: number }> = Omit<M, 'value'> & { value: JsonDouble };

export function jsonDouble(value: number): JsonDouble {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** Metrics with non-finite values rewritten; finite ones pass through untouched (no copy). */
export function jsonMetrics<M extends { value: number }>(metrics: readonly M[]): JsonMetric<M>[] {
  const out = metrics as unknown as JsonMetric<M>[];
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i] as M;
    if (!Number.isFinite(m.value)) out[i] = { ...m, value: jsonDouble(m.value) };
  }
  return out;
}

/** A query value that may be repeated: the first occurrence counts. */
function first<S extends z.ZodType>(schema: S) {
  return z.preprocess((v: unknown) => (Array.isArray(v) ? (v as unknown[])[0] : v), schema);
}

export const getMetricHistoryQuery = z.object({
  run_id: queryString.optional(),
  run_uuid: queryString.optional(),
  metric_key: queryString,
  page_token: queryString.optional(),
  max_results: first(wire.int32).optional(),
});

export const getMetricHistoryBulkQuery = z.object({
  run_id: wire.repeated,
  metric_key: queryString.optional(),
  max_results: first(wire.int32).optional(),
});

export const getMetricHistoryBulkIntervalQuery = z.object({
  run_ids: wire.repeated,
  metric_key: queryString,
  start_step: first(wire.int64).optional(),
  end_step: first(wire.int64).optional(),
  max_results: first(wire.int32).optional(),
});
