import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Semaphore } from 'async-mutex';
import { EntityManager } from 'typeorm';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { CairnError, EventData, jsonPage, MetricColumnsReader, toMetricColumns, tracking } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { LoggedModelsRepository } from '../repositories/logged-models.repository';
import {
  HistoryColumns,
  historyColumns,
  isDuplicateMetric,
  LatestMetric,
  MetricsMode,
  MetricsRepository,
  StoredMetric,
} from '../repositories/metrics.repository';
import {
  DatasetLink,
  KeyValue,
  LatestMetricRow,
  NewDataset,
  RunChildren,
  RunRow,
  RunsRepository,
} from '../repositories/runs.repository';
import { compileRunSearch, decodePageToken, encodePageToken, ViewType } from '../search';
import { parseExperimentId } from './experiments.service';
import {
  LIMITS,
  requireValue,
  validateBatchLimits,
  validateDatasetInput,
  validateKey,
  validateMaxResults,
  validateMetricNumbers,
  truncate,
  validateRunId,
  validateTimestamp,
} from './validation';

export const RUN_NAME_TAG = 'mlflow.runName';
const DATASET_CONTEXT_TAG = 'mlflow.data.context';
const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
const TERMINAL_STATUSES = new Set(['FINISHED', 'FAILED', 'KILLED']);
const VIEW_TYPES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];
export const SEARCH_RUNS_DEFAULT_MAX_RESULTS = 1000;
/** run.finished carries at most this many latest metrics (the event schema's bound). */
const EVENT_METRICS_LIMIT = 1000;
const EMPTY_METRICS: tracking.MetricColumns = toMetricColumns([]);

// ------------------------------------------------------------------ helpers

export function readValue(value: number, isNan: boolean): number {
  return isNan ? Number.NaN : value;
}

/** MLflow's ordering of metric values for "latest": step, then timestamp, then value (NaN as 0). */
function isLater(step: number, timestamp: number, value: number, thanStep: number, thanTimestamp: number, thanValue: number): boolean {
  if (step !== thanStep) return step > thanStep;
  if (timestamp !== thanTimestamp) return timestamp > thanTimestamp;
  return value > thanValue;
}

/** A stored metric linked to a logged model. */
type LinkedMetric = StoredMetric & { model_id: string };

export interface PreparedMetrics {
  /** The history rows, as the statement's columns. */
  history: HistoryColumns;
  latest: LatestMetric[];
  /** The rows linked to a logged model (rare: they also go to its metrics). */
  linked: LinkedMetric[];
}

/** A double's two 32-bit words, for hashing (F64_BITS views F64's bytes). */
const F64 = new Float64Array(1);
const F64_BITS = new Int32Array(F64.buffer);

/** Mixes the bits of `x` into the 32-bit hash `h` (murmur3's constants). */
function mixDouble(h: number, x: number): number {
  F64[0] = x;
  h = Math.imul(h ^ F64_BITS[0]!, 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593);
  h ^= F64_BITS[1]!;
  return Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
}

/**
 * Open-addressing set of the rows kept by prepareMetrics (row + 1 per slot, 0
 * free), hashed on MLflow's metric identity. One table per process, cleared
 * per batch: prepareMetrics runs to its end without yielding.
 */
let keptRows = new Int32Array(2048);

/**
 * Removes exact duplicates (MLflow's metric identity: key, step, timestamp,
 * value, NaN-ness), picks the latest value per key, and turns the batch into
 * the history statement's columns. Nothing is allocated per metric: the
 * columns are filled in place and the duplicates found through keptRows, so a
 * batch leaves the tracking service's young generation as a few arrays.
 * `batch` is validated (readMetricColumns); `keyIds` holds the key_id of
 * each of its keys (MetricsRepository.keyIds).
 */
export function prepareMetrics(batch: MetricColumnsReader, keyIds: ReadonlyMap<string, number>): PreparedMetrics {
  const n = batch.count;
  const keyIdOf = batch.keyNames.map((key) => keyIds.get(key)!);
  const keyIdColumn = new Array<number>(n);
  const steps = new Array<number>(n);
  const timestamps = new Array<number>(n);
  const values = new Array<number>(n);
  const nans = new Array<boolean>(n);
  const links = batch.hasLinks ? { model_ids: [] as (string | null)[], dataset_names: [] as (string | null)[], dataset_digests: [] as (string | null)[] } : null;
  let slots = keptRows.length;
  while (slots < 2 * n) slots *= 2;
  if (slots !== keptRows.length) keptRows = new Int32Array(slots);
  const table = keptRows;
  table.fill(0);
  const mask = slots - 1;
  // key → row of its latest value so far
  const latestRow = new Map<number, number>();
  const linked: LinkedMetric[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const keyIndex = batch.keyIndexAt(i);
    const keyId = keyIdOf[keyIndex]!;
    const step = batch.stepAt(i);
    const timestamp = batch.timestampAt(i);
    const raw = batch.valueAt(i);
    const isNan = Number.isNaN(raw);
    const value = isNan ? 0 : raw; // MLflow stores NaN as 0 with is_nan
    // -0 + 0 is 0: PostgreSQL's index holds -0 and 0 as equal, so must the hash.
    let slot = mixDouble(mixDouble(mixDouble(mixDouble(keyId, step), timestamp), value + 0), isNan ? 1 : 0) & mask;
    let duplicate = false;
    for (let at = table[slot]!; at !== 0; slot = (slot + 1) & mask, at = table[slot]!) {
      const r = at - 1;
      if (keyIdColumn[r] === keyId && steps[r] === step && timestamps[r] === timestamp && values[r] === value && nans[r] === isNan) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    const row = rows++;
    table[slot] = row + 1;
    keyIdColumn[row] = keyId;
    steps[row] = step;
    timestamps[row] = timestamp;
    values[row] = value;
    nans[row] = isNan;
    if (links) {
      const model_id = batch.linkAt('model_ids', i);
      const dataset_name = batch.linkAt('dataset_names', i);
      const dataset_digest = batch.linkAt('dataset_digests', i);
      links.model_ids.push(model_id);
      links.dataset_names.push(dataset_name);
      links.dataset_digests.push(dataset_digest);
      if (model_id !== null) linked.push({ key: batch.keyNames[keyIndex]!, value, timestamp, step, is_nan: isNan, model_id, dataset_name, dataset_digest });
    }
    const best = latestRow.get(keyId);
    if (best === undefined || isLater(step, timestamp, value, steps[best]!, timestamps[best]!, values[best]!)) latestRow.set(keyId, row);
  }
  for (const column of [keyIdColumn, steps, timestamps, values, nans]) column.length = rows;
  const history = historyColumns({
    key_ids: keyIdColumn,
    steps,
    timestamps,
    values,
    nans,
    model_ids: links?.model_ids ?? null,
    dataset_names: links?.dataset_names ?? null,
    dataset_digests: links?.dataset_digests ?? null,
  });
  const latest: LatestMetric[] = [];
  const keyOf = new Map(batch.keyNames.map((key, index) => [keyIdOf[index]!, key]));
  for (const [keyId, r] of latestRow) latest.push({ key: keyOf.get(keyId)!, value: values[r]!, timestamp: timestamps[r]!, step: steps[r]!, is_nan: nans[r]! });
  // Sorted by key: concurrent writers to one run then lock latest_metrics rows in the same order.
  return { history, latest: latest.sort(byKey), linked };
}

/**
 * Runs a metrics write in `append` mode; when the unique index refuses a row
 * identical to a stored one (a client retrying a request), runs it once more
 * leaving such rows out.
 */
async function appendSkippingStored<T>(write: (mode: MetricsMode) => Promise<T>): Promise<T> {
  try {
    return await write('append');
  } catch (err) {
    if (!isDuplicateMetric(err)) throw err;
    return write('skip-existing');
  }
}

function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Later values of a key win (as MLflow's set_tags resolves repeated keys); sorted by key (lock order). */
function uniqueTags(tags: readonly KeyValue[]): KeyValue[] {
  const values = new Map<string, string>();
  for (const tag of tags) values.set(tag.key, tag.value);
  return [...values].map(([key, value]) => ({ key, value })).sort(byKey);
}

/**
 * The batch's reader, once every column holds one element per metric (a link
 * column: or none) and every metric is valid; a key is checked where the
 * batch first uses it (the first invalid metric is the one reported).
 */
function readMetricColumns(batch: tracking.MetricColumns): MetricColumnsReader {
  let reader: MetricColumnsReader;
  try {
    reader = new MetricColumnsReader(batch);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw CairnError.invalidParameter(`Malformed metric columns: ${err.message}`);
  }
  const checked = new Uint8Array(reader.keyNames.length);
  for (let i = 0; i < reader.count; i++) {
    const index = reader.keyIndexAt(i);
    const key = reader.keyNames[index]!;
    if (checked[index] === 0) {
      validateKey('Metric name', key);
      checked[index] = 1;
    }
    validateMetricNumbers(key, reader.valueAt(i), reader.timestampAt(i), reader.stepAt(i));
  }
  // Names no metric uses are still registered as keys (MetricsRepository.keyIds): valid ones only.
  for (let index = 0; index < reader.keyNames.length; index++) {
    if (checked[index] === 0) validateKey('Metric name', reader.keyNames[index]!);
  }
  return reader;
}

/** A valid param; an over-long value is cut to the limit, as MLflow's server does by default. */
function validParam(param: KeyValue): KeyValue {
  validateKey('Param key', param.key);
  return { key: param.key, value: truncate(param.value, LIMITS.paramValueLength) };
}

/** A valid run tag; an over-long value is cut to the limit, as MLflow's server does by default. */
function validTag(tag: KeyValue): KeyValue {
  validateKey('Tag key', tag.key);
  return { key: tag.key, value: truncate(tag.value, LIMITS.runTagValueLength) };
}

/** Python's repr of a str, as MLflow's messages print them. */
function pyRepr(value: string): string {
  return value.includes("'") && !value.includes('"') ? `"${value}"` : `'${value.replace(/'/g, "\\'")}'`;
}

/** `<artifact_location>/<run_id>/artifacts`, as MLflow's append_to_uri_path. */
export function runArtifactUri(artifactLocation: string, runId: string): string {
  const base = artifactLocation.replace(/\/+$/, '');
  return `${base}/${runId}/artifacts`;
}

const ADJECTIVES = [
  'amazing', 'bald', 'beautiful', 'bemused', 'bold', 'brawny', 'bright', 'calm', 'capable', 'caring',
  'clean', 'clever', 'colorful', 'crawling', 'debonair', 'delicate', 'dapper', 'enchanting', 'fearless', 'gentle',
  'gifted', 'glamorous', 'grandiose', 'handsome', 'honorable', 'hilarious', 'judicious', 'kindly', 'learned', 'loud',
  'luminous', 'magnificent', 'masked', 'merciful', 'mysterious', 'nebulous', 'nimble', 'omniscient', 'orderly', 'painted',
  'polite', 'puzzled', 'redolent', 'rebellious', 'resilient', 'rumbling', 'salty', 'secretive', 'selective', 'serious',
  'shivering', 'silent', 'skillful', 'smiling', 'stately', 'suave', 'sassy', 'thoughtful', 'traveling', 'trusting',
  'unequaled', 'upbeat', 'useful', 'valuable', 'victorious', 'welcoming', 'whimsical', 'wise', 'youthful', 'zealous',
];
const NOUNS = [
  'ant', 'ape', 'asp', 'auk', 'bass', 'bat', 'bear', 'bee', 'bird', 'boar',
  'bug', 'calf', 'carp', 'cat', 'colt', 'cow', 'crab', 'crane', 'cub', 'deer',
  'doe', 'dog', 'dove', 'duck', 'eel', 'elk', 'fawn', 'finch', 'fish', 'foal',
  'fowl', 'fox', 'frog', 'gnat', 'goat', 'grouse', 'gull', 'hare', 'hawk', 'hen',
  'hog', 'horse', 'hound', 'jay', 'kit', 'kite', 'koi', 'lamb', 'lark', 'loon',
  'lynx', 'mare', 'midge', 'mink', 'mole', 'moose', 'moth', 'mouse', 'mule', 'newt',
  'owl', 'ox', 'panda', 'penguin', 'perch', 'pig', 'pug', 'quail', 'ram', 'rat',
  'ray', 'robin', 'roo', 'rook', 'seal', 'shad', 'shark', 'sheep', 'shrew', 'skink',
  'slug', 'smelt', 'snail', 'snake', 'squid', 'stag', 'steed', 'stoat', 'stork', 'swan',
  'tern', 'toad', 'trout', 'turtle', 'vole', 'wasp', 'whale', 'wolf', 'worm', 'wren',
];

/** An MLflow-style run name: adjective-noun-number, at most 20 characters. */
export function generateRunName(): string {
  for (;;) {
    const adjective = ADJECTIVES[randomInt(ADJECTIVES.length)] as string;
    const noun = NOUNS[randomInt(NOUNS.length)] as string;
    const name = `${adjective}-${noun}-${randomInt(1000)}`;
    if (name.length <= 20) return name;
  }
}

/** uuid4 as 32 hex characters (MLflow's run ids). */
export function newRunId(): string {
  return randomUUID().replace(/-/g, '');
}

export function toRunInfo(row: RunRow): tracking.RunInfo {
  return {
    run_id: row.run_uuid,
    run_uuid: row.run_uuid,
    run_name: row.name,
    experiment_id: String(row.experiment_id),
    user_id: row.user_id,
    status: row.status,
    start_time: Number(row.start_time),
    end_time: row.end_time === null ? undefined : Number(row.end_time),
    artifact_uri: row.artifact_uri,
    lifecycle_stage: row.lifecycle_stage,
  };
}

function groupBy<T extends { run_uuid: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.run_uuid);
    if (group) group.push(row);
    else groups.set(row.run_uuid, [row]);
  }
  return groups;
}

/** Assembles Run messages, in the order of `rows`. */
export function toRunMessages(rows: readonly RunRow[], children: RunChildren): tracking.Run[] {
  const metrics = groupBy(children.metrics);
  const params = groupBy(children.params);
  const tags = groupBy(children.tags);
  const datasets = groupBy(children.datasets);
  const modelInputs = groupBy(children.modelInputs);
  const modelOutputs = groupBy(children.modelOutputs);
  return rows.map((row) => {
    const id = row.run_uuid;
    return {
      info: toRunInfo(row),
      data: {
        metrics: (metrics.get(id) ?? []).map((m) => ({
          key: m.key,
          value: readValue(m.value, m.is_nan),
          timestamp: Number(m.timestamp),
          step: Number(m.step),
        })),
        params: (params.get(id) ?? []).map(({ key, value }) => ({ key, value })),
        tags: (tags.get(id) ?? []).map(({ key, value }) => ({ key, value })),
      },
      inputs: {
        dataset_inputs: (datasets.get(id) ?? []).map((d) => ({
          tags: d.tags,
          dataset: {
            name: d.name,
            digest: d.digest,
            source_type: d.source_type,
            source: d.source,
            schema: d.schema ?? undefined,
            profile: d.profile ?? undefined,
          },
        })),
        model_inputs: (modelInputs.get(id) ?? []).map((m) => ({ model_id: m.model_id })),
      },
      outputs: {
        model_outputs: (modelOutputs.get(id) ?? []).map((m) => ({ model_id: m.model_id, step: Number(m.step) })),
      },
    };
  });
}

function eventMetrics(rows: readonly LatestMetricRow[]): EventData<'cairn.tracking.run.finished.v1'>['latest_metrics'] {
  return rows.map((m) => ({
    key: m.key,
    value: m.is_nan || !Number.isFinite(m.value) ? null : m.value,
    step: Number(m.step),
    timestamp: Math.max(0, Number(m.timestamp)),
  }));
}

export function notFound(runId: string): CairnError {
  return CairnError.notFound(`Run with id=${runId} not found`);
}

export function checkActive(run: RunRow): void {
  if (run.lifecycle_stage !== 'active') {
    throw CairnError.invalidParameter(
      `The run ${run.run_uuid} must be in the 'active' state. Current state is ${run.lifecycle_stage}.`,
    );
  }
}

// ------------------------------------------------------------------ service

@Injectable()
export class RunsService {
  /**
   * Admission of metric writes (config.metricWriteConcurrency; none when 0).
   * A 1000-metric append keeps a PostgreSQL core busy for ~3.5 ms: with 8
   * clients all in PostgreSQL at once on a 2-core machine, the 8 shared the
   * cores and the slowest 1% took about twice the median; two at a time, the
   * rest waiting their turn without using a core, gave the same throughput or
   * more and a p99 10–25% lower (bench/README, session 10).
   */
  private readonly metricWrites: Semaphore | undefined;

  constructor(
    private readonly runs: RunsRepository,
    private readonly metrics: MetricsRepository,
    private readonly loggedModels: LoggedModelsRepository,
    private readonly outbox: OutboxWriter,
    @Inject(CAIRN_CONFIG) config: Pick<CairnConfig, 'metricWriteConcurrency'>,
  ) {
    this.metricWrites = config.metricWriteConcurrency > 0 ? new Semaphore(config.metricWriteConcurrency) : undefined;
  }

  async create(request: tracking.CreateRunRequest): Promise<tracking.Run> {
    const experimentId = parseExperimentId(requireValue('experiment_id', request.experiment_id));
    const startTime = request.start_time ?? Date.now();
    validateTimestamp('start_time', startTime);
    const tags = uniqueTags(request.tags.map(validTag));
    const nameTag = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    if (request.run_name && nameTag && request.run_name !== nameTag) {
      throw CairnError.invalidParameter(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values " +
          `(run_name='${request.run_name}', mlflow.runName='${nameTag}').`,
      );
    }
    const name = request.run_name || nameTag || generateRunName();
    if (!nameTag) tags.push({ key: RUN_NAME_TAG, value: name });
    const runId = newRunId();
    return this.runs.transaction(async (m) => {
      const experiment = await this.runs.findExperiment(m, experimentId);
      if (!experiment) throw CairnError.notFound(`No Experiment with id=${experimentId} exists`);
      if (experiment.lifecycle_stage !== 'active') {
        throw CairnError.invalidParameter(
          `The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`,
        );
      }
      const row = await this.runs.insertRun(
        m,
        {
          run_uuid: runId,
          experiment_id: experimentId,
          name,
          user_id: request.user_id,
          start_time: startTime,
          artifact_uri: runArtifactUri(experiment.artifact_location, runId),
        },
        tags,
      );
      await this.outbox.append(m, 'cairn.tracking.run.created.v1', runId, {
        experiment_id: String(experimentId),
        run_id: runId,
        run_name: name,
        user_id: request.user_id,
        start_time: startTime,
      });
      const [run] = toRunMessages([row], {
        metrics: [],
        params: [],
        tags: tags.map((t) => ({ run_uuid: runId, ...t })).sort(byKey),
        datasets: [],
        modelInputs: [],
        modelOutputs: [],
      });
      return run as tracking.Run;
    });
  }

  async get(runId: string): Promise<tracking.Run> {
    validateRunId(runId);
    const [run] = await this.load(this.runs.reader, [runId]);
    if (!run) throw notFound(runId);
    return run;
  }

  /** Full Run messages for these ids, in that order (missing ids skipped). */
  async load(m: EntityManager, runIds: readonly string[]): Promise<tracking.Run[]> {
    if (runIds.length === 0) return [];
    const { rows: found, children } = await this.runs.loadRuns(m, runIds);
    const byId = new Map(found.map((row) => [row.run_uuid, row]));
    const rows = runIds.map((id) => byId.get(id)).filter((row): row is RunRow => row !== undefined);
    return toRunMessages(rows, children);
  }

  async update(request: tracking.UpdateRunRequest): Promise<tracking.RunInfo> {
    const runId = validateRunId(request.run_id);
    const status = request.status || undefined;
    if (status !== undefined && !(RUN_STATUSES as readonly string[]).includes(status)) {
      throw CairnError.invalidParameter(
        `Invalid value "${status}" for parameter 'status' supplied: must be one of ${RUN_STATUSES.join(', ')}`,
      );
    }
    if (request.end_time !== undefined) validateTimestamp('end_time', request.end_time);
    const name = request.run_name || undefined;
    return this.runs.transaction(async (m) => {
      const before = await this.activeRun(m, runId, true);
      const after = await this.runs.updateRun(m, runId, { status, end_time: request.end_time, name });
      if (!after) throw notFound(runId);
      if (TERMINAL_STATUSES.has(after.status) && after.status !== before.status) {
        const latest = await this.runs.latestMetrics(m, runId, EVENT_METRICS_LIMIT);
        await this.outbox.append(m, 'cairn.tracking.run.finished.v1', runId, {
          experiment_id: String(after.experiment_id),
          run_id: runId,
          run_name: after.name,
          user_id: after.user_id,
          status: after.status as 'FINISHED' | 'FAILED' | 'KILLED',
          start_time: Math.max(0, Number(after.start_time)),
          end_time: Math.max(0, Number(after.end_time ?? Date.now())),
          latest_metrics: eventMetrics(latest),
        });
      }
      return toRunInfo(after);
    });
  }

  async delete(runId: string): Promise<void> {
    validateRunId(runId);
    if (!(await this.runs.transaction((m) => this.runs.setLifecycle(m, runId, 'deleted', Date.now())))) {
      throw notFound(runId);
    }
  }

  async restore(runId: string): Promise<void> {
    validateRunId(runId);
    if (!(await this.runs.transaction((m) => this.runs.setLifecycle(m, runId, 'active', null)))) {
      throw notFound(runId);
    }
  }

  async logMetric(request: tracking.LogMetricRequest): Promise<void> {
    const runId = validateRunId(request.run_id);
    const batch = readMetricColumns(toMetricColumns([request]));
    const keyIds = await this.metrics.keyIds(this.runs.reader, batch.keyNames);
    await this.write(runId, prepareMetrics(batch, keyIds), [], [], false);
  }

  async logParam(request: tracking.LogParamRequest): Promise<void> {
    const runId = validateRunId(request.run_id);
    const param = validParam({ key: request.key, value: request.value });
    await this.write(runId, undefined, [param], [], true);
  }

  async setTag(request: tracking.SetTagRequest): Promise<void> {
    const runId = validateRunId(request.run_id);
    const tag = validTag({ key: request.key, value: request.value });
    await this.write(runId, undefined, [], [tag], false);
  }

  async deleteTag(request: tracking.DeleteTagRequest): Promise<void> {
    const runId = validateRunId(request.run_id);
    requireValue('key', request.key);
    await this.runs.transaction(async (m) => {
      await this.activeRun(m, runId);
      if (!(await this.runs.deleteTag(m, runId, request.key))) {
        throw CairnError.notFound(`No tag with name: ${request.key} in run with id ${runId}`);
      }
    });
  }

  async logBatch(request: tracking.LogBatchRequest): Promise<void> {
    const runId = validateRunId(request.run_id);
    const batch = readMetricColumns(request.metrics ?? EMPTY_METRICS);
    const params = request.params.map(validParam);
    const tags = request.tags.map(validTag);
    validateBatchLimits(batch.count, params.length, tags.length);
    const seen = new Set<string>();
    const duplicates: string[] = [];
    for (const param of params) {
      if (seen.has(param.key)) duplicates.push(param.key);
      seen.add(param.key);
    }
    if (duplicates.length > 0) {
      throw CairnError.invalidParameter(
        `Duplicate parameter keys have been submitted: [${duplicates.map(pyRepr).join(', ')}]. ` +
          'Please ensure the request contains only one param value per param key.',
      );
    }
    const prepared = batch.count > 0 ? prepareMetrics(batch, await this.metrics.keyIds(this.runs.reader, batch.keyNames)) : undefined;
    // grpc-js and Nest hold the request until the answer: its metric columns go now (the statement's go on).
    request.metrics = undefined;
    await this.write(runId, prepared, params, tags, false);
  }

  /**
   * The one write path of metrics, params and tags: one transaction, one run
   * lookup, then one statement per kind. A param conflict aborts the whole.
   * Writes with metrics take their turn (metricWrites).
   */
  private write(
    runId: string,
    prepared: PreparedMetrics | undefined,
    params: readonly KeyValue[],
    tags: readonly KeyValue[],
    singleParam: boolean,
  ): Promise<void> {
    return this.inTurn(prepared !== undefined, async () => {
      const uniqueTagList = uniqueTags(tags);
      // Metrics alone (log_metric, log_metrics, autolog's batches): one statement, one round trip.
      if (prepared && params.length === 0 && uniqueTagList.length === 0 && prepared.linked.length === 0) {
        const stored = await appendSkippingStored((mode) =>
          this.metrics.appendToActiveRun(this.runs.reader, runId, prepared.history, prepared.latest, mode),
        );
        // Not stored: the run is unknown or not active; the transaction below says which (or writes, if it became active).
        if (stored) return;
      }
      const write = (mode: MetricsMode) => this.writeOnce(runId, prepared, params, uniqueTagList, singleParam, mode);
      await (prepared ? appendSkippingStored(write) : write('append'));
    });
  }

  /** `work` at once, or in its turn among metric writes (metricWrites) when it writes metrics. */
  private inTurn(writesMetrics: boolean, work: () => Promise<void>): Promise<void> {
    return writesMetrics && this.metricWrites ? this.metricWrites.runExclusive(work) : work();
  }

  private async writeOnce(
    runId: string,
    prepared: PreparedMetrics | undefined,
    params: readonly KeyValue[],
    uniqueTagList: readonly KeyValue[],
    singleParam: boolean,
    metricsMode: MetricsMode,
  ): Promise<void> {
    await this.runs.transaction(async (m) => {
      const run = await this.activeRun(m, runId);
      if (params.length > 0) {
        const conflicts = await this.runs.insertParams(m, runId, [...params].sort(byKey));
        const first = conflicts[0];
        if (first && singleParam) {
          throw CairnError.invalidParameter(
            `Changing param values is not allowed. Param with key='${first.key}' was already logged with value='${first.old_value}' ` +
              `for run ID='${runId}'. Attempted logging new value '${first.new_value}'.`,
          );
        }
        if (first) {
          const listed = conflicts
            .map((c) => `{'key': ${pyRepr(c.key)}, 'old_value': ${pyRepr(c.old_value)}, 'new_value': ${pyRepr(c.new_value)}}`)
            .join(', ');
          throw CairnError.invalidParameter(
            `Changing param values is not allowed. Params were already logged='[${listed}]' for run ID='${runId}'.`,
          );
        }
      }
      if (prepared) {
        await this.metrics.insertHistory(m, run.run_key, prepared.history, metricsMode);
        await this.metrics.upsertLatest(m, runId, prepared.latest);
        const modelRows = prepared.linked.map((row) => ({ ...row, run_id: runId, value: row.is_nan ? Number.NaN : row.value }));
        await this.loggedModels.recordModelMetrics(m, modelRows);
      }
      if (uniqueTagList.length > 0) {
        await this.runs.upsertTags(m, runId, uniqueTagList);
        const name = uniqueTagList.find((t) => t.key === RUN_NAME_TAG)?.value;
        if (name !== undefined) await this.runs.renameRun(m, runId, name);
      }
    });
  }

  async logInputs(request: tracking.LogInputsRequest): Promise<void> {
    const runId = validateRunId(request.run_id);
    request.datasets.forEach(validateDatasetInput);
    // The first input of a (name, digest) wins, as in MLflow.
    const datasets: NewDataset[] = [];
    const links: DatasetLink[] = [];
    const seen = new Set<string>();
    for (const input of request.datasets) {
      const d = input.dataset as tracking.Dataset;
      const identity = `${d.name}\u0000${d.digest}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      datasets.push({
        name: d.name,
        digest: d.digest,
        source_type: d.source_type,
        source: d.source,
        schema: d.schema ?? null,
        profile: d.profile ?? null,
      });
      const tags = input.tags.map(({ key, value }) => ({ key, value }));
      links.push({
        name: d.name,
        digest: d.digest,
        tags,
        context: tags.find((t) => t.key === DATASET_CONTEXT_TAG)?.value ?? null,
      });
    }
    const modelIds = [...new Set(request.models.map((model) => requireValue('model_id', model.model_id)))];
    await this.runs.transaction(async (m) => {
      const run = await this.activeRun(m, runId);
      await this.runs.logDatasetInputs(m, runId, Number(run.experiment_id), datasets, links, newRunId);
      await this.runs.insertModelInputs(m, runId, modelIds);
    });
  }

  async logOutputs(request: tracking.LogOutputsRequest): Promise<void> {
    const runId = validateRunId(request.run_id);
    const outputs = new Map<string, number>();
    for (const model of request.models) {
      requireValue('model_id', model.model_id);
      if (!Number.isSafeInteger(model.step)) throw CairnError.invalidParameter(`Invalid step ${model.step}`);
      outputs.set(model.model_id, model.step);
    }
    await this.runs.transaction(async (m) => {
      await this.activeRun(m, runId);
      await this.runs.upsertModelOutputs(
        m,
        runId,
        [...outputs].map(([model_id, step]) => ({ model_id, step })),
      );
    });
  }

  async search(request: tracking.SearchRunsRequest): Promise<tracking.SearchRunsResponse> {
    const experimentIds = request.experiment_ids.map((id) => {
      if (!/^\d{1,18}$/.test(id)) {
        throw CairnError.invalidParameter(`Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`);
      }
      return Number(id);
    });
    const viewType = (request.run_view_type || 'ACTIVE_ONLY') as ViewType;
    if (!VIEW_TYPES.includes(viewType)) {
      throw CairnError.invalidParameter(
        `Invalid value "${request.run_view_type}" for parameter 'run_view_type' supplied: must be one of ${VIEW_TYPES.join(', ')}`,
      );
    }
    const maxResults = request.max_results || SEARCH_RUNS_DEFAULT_MAX_RESULTS;
    validateMaxResults(maxResults, LIMITS.searchRunsMaxResults);
    const shape = { e: experimentIds, f: request.filter, o: request.order_by, v: viewType };
    const offset = decodePageToken(request.page_token, shape);
    const query = compileRunSearch({
      experimentIds,
      filter: request.filter,
      orderBy: request.order_by,
      runViewType: viewType,
      maxResults,
      offset,
    });
    const reader = this.runs.reader;
    const ids = await this.runs.searchRunIds(reader, query);
    const hasMore = ids.length > maxResults;
    const runs = await this.runs.runsJson(reader, hasMore ? ids.slice(0, maxResults) : ids);
    return { json: jsonPage('runs', runs, hasMore ? encodePageToken(offset + maxResults, shape) : undefined) };
  }

  async artifactRoot(runId: string): Promise<tracking.GetRunArtifactRootResponse> {
    validateRunId(runId);
    const run = await this.runs.findRun(this.runs.reader, runId);
    if (!run) throw notFound(runId);
    return { experiment_id: String(run.experiment_id), artifact_uri: run.artifact_uri };
  }

  /** The run, which must exist and be active (the check of every write). */
  private async activeRun(m: EntityManager, runId: string, forUpdate = false): Promise<RunRow> {
    const run = await this.runs.findRun(m, runId, forUpdate);
    if (!run) throw notFound(runId);
    checkActive(run);
    return run;
  }
}
