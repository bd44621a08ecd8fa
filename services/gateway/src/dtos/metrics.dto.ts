import { z } from 'zod';
import { jsonDouble, JsonDouble } from '@cairn/contracts';
import { queryString, wire } from '../http/request-parsing';

/**
 * Metric history requests (GET, fields in the query string) and metric
 * values as MLflow's JSON writes them (jsonDouble, @cairn/contracts).
 */

export type JsonMetric<M extends { value: number }> = Omit<M, 'value'> & { value: JsonDouble };

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
