import type { MetricColumns } from './generated/cairn/tracking/v1/tracking';

/** A metric as the REST API carries it: step 0 when absent, links optional ("" or absent: none). */
export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step?: number | undefined;
  model_id?: string | undefined;
  dataset_name?: string | undefined;
  dataset_digest?: string | undefined;
}

/**
 * Metrics as tracking's MetricColumns (the log-batch contract): element i of
 * each column is metric i; a link column stays empty unless some metric has
 * that link.
 */
export function toMetricColumns(metrics: readonly MetricInput[]): MetricColumns {
  const n = metrics.length;
  const keys = new Array<string>(n);
  const values = new Array<number>(n);
  const timestamps = new Array<number>(n);
  const steps = new Array<number>(n);
  let models = false;
  let names = false;
  let digests = false;
  for (let i = 0; i < n; i++) {
    const m = metrics[i]!;
    keys[i] = m.key;
    values[i] = m.value;
    timestamps[i] = m.timestamp;
    steps[i] = m.step ?? 0;
    models ||= !!m.model_id;
    names ||= !!m.dataset_name;
    digests ||= !!m.dataset_digest;
  }
  return {
    keys,
    values,
    timestamps,
    steps,
    model_ids: models ? metrics.map((m) => m.model_id ?? '') : [],
    dataset_names: names ? metrics.map((m) => m.dataset_name ?? '') : [],
    dataset_digests: digests ? metrics.map((m) => m.dataset_digest ?? '') : [],
  };
}
