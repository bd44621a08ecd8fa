import { z } from 'zod';
import { tracking } from '@cairn/contracts';
import { wire } from '../http/request-parsing';
import { JsonMetric, jsonMetrics } from './metrics.dto';

/**
 * Request bodies of MLflow 3's `/logged-models` endpoints (service.proto field
 * names). A JSON null is an absent field, as in protobuf JSON.
 */

const MAX_ENTRIES = 1000;

const keyValue = z.object({ key: z.string(), value: z.string() });

/** protobuf JSON takes an enum by name or by number (LoggedModelStatus). */
const STATUS_BY_NUMBER: Record<number, string> = {
  0: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  1: 'LOGGED_MODEL_PENDING',
  2: 'LOGGED_MODEL_READY',
  3: 'LOGGED_MODEL_UPLOAD_FAILED',
};

const loggedModelStatus = z.union([
  z.string(),
  z
    .number()
    .int()
    .transform((n) => STATUS_BY_NUMBER[n] ?? String(n)),
]);

export const createLoggedModelBody = z.object({
  experiment_id: z.string(),
  name: z.string().nullish(),
  model_type: z.string().nullish(),
  source_run_id: z.string().nullish(),
  params: z.array(keyValue).max(MAX_ENTRIES).nullish(),
  tags: z.array(keyValue).max(MAX_ENTRIES).nullish(),
});

/** The path's model id wins; MLflow's client repeats it in the body. */
export const finalizeLoggedModelBody = z.object({
  model_id: z.string().nullish(),
  status: loggedModelStatus,
});

export const setLoggedModelTagsBody = z.object({
  model_id: z.string().nullish(),
  tags: z.array(keyValue).max(MAX_ENTRIES).nullish(),
});

export const logLoggedModelParamsBody = z.object({
  model_id: z.string().nullish(),
  params: z.array(keyValue).max(MAX_ENTRIES).nullish(),
});

export const searchLoggedModelsBody = z.object({
  experiment_ids: z.array(z.string()).max(MAX_ENTRIES),
  filter: z.string().nullish(),
  datasets: z
    .array(z.object({ dataset_name: z.string().nullish(), dataset_digest: z.string().nullish() }))
    .max(MAX_ENTRIES)
    .nullish(),
  max_results: wire.int32.nullish(),
  order_by: z
    .array(
      z.object({
        field_name: z.string().nullish(),
        ascending: wire.bool.nullish(),
        dataset_name: z.string().nullish(),
        dataset_digest: z.string().nullish(),
      }),
    )
    .max(MAX_ENTRIES)
    .nullish(),
  page_token: z.string().nullish(),
});

/** A LoggedModel whose metric values are JSON-safe (NaN / ±Infinity as protobuf JSON strings). */
export type JsonLoggedModel = Omit<tracking.LoggedModel, 'data'> & {
  data?: (Omit<tracking.LoggedModelData, 'metrics'> & { metrics: JsonMetric<tracking.Metric>[] }) | undefined;
};

export function jsonLoggedModel(model: tracking.LoggedModel | undefined): JsonLoggedModel | undefined {
  if (!model?.data) return model;
  return { ...model, data: { ...model.data, metrics: jsonMetrics(model.data.metrics) } };
}
