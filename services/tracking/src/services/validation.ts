import * as path from 'node:path';
import { CairnError } from '@cairn/contracts';

/** MLflow's validation limits (mlflow/utils/validation.py), one place for the tracking service. */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  runTagValueLength: 8000,
  experimentTagValueLength: 20_000,
  experimentNameLength: 500,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  searchRunsMaxResults: 50_000,
  searchExperimentsMaxResults: 50_000,
  metricHistoryPage: 25_000,
  bulkIntervalRunIds: 100,
  bulkIntervalMaxResults: 2500,
  datasetNameLength: 500,
  datasetDigestLength: 36,
  datasetSourceLength: 65_535,
  datasetSchemaLength: 1_048_575,
  datasetProfileLength: 16_384,
  inputTagKeyLength: 255,
  inputTagValueLength: 500,
} as const;

/** Python's `\w` is Unicode-aware: letters, marks, digits and connector punctuation, plus MLflow's extras. */
const KEY_PATTERN = /^[\p{L}\p{M}\p{N}\p{Pc}/.\- :]*$/u;

/** Run, experiment and metric keys: MLflow's character set, length, and path normalisation rules. */
export function validateKey(kind: 'Metric name' | 'Param key' | 'Tag key', key: string): void {
  const label = kind === 'Metric name' ? 'metric name' : kind === 'Param key' ? 'parameter name' : 'tag name';
  if (key.length === 0) throw CairnError.invalidParameter(`Invalid ${label}: ''. Names must not be empty.`);
  if (!KEY_PATTERN.test(key)) {
    throw CairnError.invalidParameter(
      `Invalid ${label}: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  const normalized = path.posix.normalize(key);
  if (key.startsWith('/') || normalized !== key || normalized.startsWith('..') || key === '.') {
    throw CairnError.invalidParameter(
      `Invalid ${label}: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normalized}'`,
    );
  }
  validateLength(kind, key, LIMITS.keyLength);
}

/** MLflow's server cuts over-long param and run-tag values to the limit instead of refusing them. */
export function truncate(value: string, limit: number): string {
  return value.length > limit ? value.slice(0, limit) : value;
}

export function validateLength(entity: string, value: string, limit: number): void {
  if (value.length > limit) {
    throw CairnError.invalidParameter(
      `${entity} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}`,
    );
  }
}

/** Non-empty required string parameter, with MLflow's wording. */
export function requireValue(name: string, value: string | undefined): string {
  if (value === undefined || value === '') {
    throw CairnError.invalidParameter(
      `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
    );
  }
  return value;
}

/** A run id as MLflow issues them (32 lowercase hex), else RESOURCE_DOES_NOT_EXIST-style lookups would scan. */
export function validateRunId(runId: string): string {
  requireValue('run_id', runId);
  if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(runId)) {
    throw CairnError.invalidParameter(`Invalid run ID: '${runId.slice(0, 300)}'`);
  }
  return runId;
}

export function validateTimestamp(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw CairnError.invalidParameter(`Invalid value ${value} for parameter '${name}': expected a non-negative integer`);
  }
}

export function validateStep(step: number): void {
  if (!Number.isSafeInteger(step)) {
    throw CairnError.invalidParameter(`Invalid value ${step} for parameter 'step': expected an integer`);
  }
}

/** max_results: a positive integer up to the endpoint's limit (MLflow's message). */
export function validateMaxResults(value: number, limit: number): void {
  if (!Number.isInteger(value) || value <= 0 || value > limit) {
    throw CairnError.invalidParameter(
      `Invalid value for request parameter max_results. It must be at most ${limit}, but got value ${value}`,
    );
  }
}

/** log-batch size limits, checked per kind then in total (MLflow's wording). */
export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (entity: string, limit: number, length: number): void => {
    if (length > limit) {
      throw CairnError.invalidParameter(
        `A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. ` +
          `Please split up ${entity} across multiple requests and try again.`,
      );
    }
  };
  check('metrics', LIMITS.batchMetrics, metrics);
  check('params', LIMITS.batchParams, params);
  check('tags', LIMITS.batchTags, tags);
  check('metrics, params, and tags', LIMITS.batchTotal, metrics + params + tags);
}

/** A metric's timestamp and step (the key is checked with validateKey). */
export function validateMetricNumbers(key: string, value: number, timestamp: number, step: number): void {
  if (typeof value !== 'number') {
    throw CairnError.invalidParameter(
      `Got invalid value ${String(value)} for metric '${key}' (timestamp=${timestamp}). Please specify value as a valid double (64-bit floating point)`,
    );
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw CairnError.invalidParameter(
      `Got invalid timestamp ${timestamp} for metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  }
  if (!Number.isSafeInteger(step)) {
    throw CairnError.invalidParameter(
      `Got invalid step ${step} for metric '${key}' (value=${value}). Step must be a valid long (64-bit integer).`,
    );
  }
}

/** A dataset input of log-inputs: required fields and MLflow's size limits. */
export function validateDatasetInput(input: {
  dataset?: { name: string; digest: string; source_type: string; source: string; schema?: string | undefined; profile?: string | undefined } | undefined;
  tags: { key: string; value: string }[];
}): void {
  const dataset = input.dataset;
  if (!dataset) throw CairnError.invalidParameter('Dataset cannot be None');
  for (const field of ['name', 'digest', 'source_type', 'source'] as const) {
    if (!dataset[field]) throw CairnError.invalidParameter(`Dataset ${field} cannot be None`);
  }
  const tooLong = (field: string, limit: number): CairnError =>
    CairnError.invalidParameter(`'${field}' exceeds the maximum length of ${limit} characters`);
  if (dataset.name.length > LIMITS.datasetNameLength) throw tooLong('name', LIMITS.datasetNameLength);
  if (dataset.digest.length > LIMITS.datasetDigestLength) throw tooLong('digest', LIMITS.datasetDigestLength);
  if (dataset.source.length > LIMITS.datasetSourceLength) throw tooLong('source', LIMITS.datasetSourceLength);
  if ((dataset.schema?.length ?? 0) > LIMITS.datasetSchemaLength) throw tooLong('schema', LIMITS.datasetSchemaLength);
  if ((dataset.profile?.length ?? 0) > LIMITS.datasetProfileLength) throw tooLong('profile', LIMITS.datasetProfileLength);
  for (const tag of input.tags) {
    if (!tag.key) throw CairnError.invalidParameter('InputTag key cannot be None');
    if (tag.key.length > LIMITS.inputTagKeyLength) throw tooLong('key', LIMITS.inputTagKeyLength);
    if (tag.value.length > LIMITS.inputTagValueLength) throw tooLong('value', LIMITS.inputTagValueLength);
  }
}
