import { Injectable } from '@nestjs/common';
import { CairnError, jsonDouble, jsonPage, tracking } from '@cairn/contracts';
import { HistoryCursor, HistoryRow, MetricsRepository, StepRange } from '../repositories/metrics.repository';
import { RunsRepository } from '../repositories/runs.repository';
import { LIMITS, requireValue, validateRunId } from './validation';
import { readValue } from './runs.service';

/** MLflow's bulk history ceiling (results and run ids per request). */
export const BULK_MAX_RESULTS = 25_000;
const BULK_MAX_RUN_IDS = 100;

// ------------------------------------------------------------ page tokens

/**
 * Keyset page token of a metric history: base64url JSON of the last row's
 * (step, timestamp) and how many rows of that (step, timestamp) were
 * returned, bound to the run and key.
 */
export function encodeHistoryToken(runId: string, key: string, cursor: HistoryCursor): string {
  const payload = { r: runId, k: key, s: cursor.step, t: cursor.timestamp, n: cursor.skip };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeHistoryToken(token: string, runId: string, key: string): HistoryCursor | null {
  if (token === '') return null;
  const invalid = CairnError.invalidParameter('Invalid page token');
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const p = parsed as Record<string, unknown> | null;
  if (
    typeof p !== 'object' ||
    p === null ||
    p.r !== runId ||
    p.k !== key ||
    !Number.isSafeInteger(p.s) ||
    !Number.isSafeInteger(p.t) ||
    !Number.isSafeInteger(p.n) ||
    (p.n as number) < 1
  ) {
    throw invalid;
  }
  return { step: p.s as number, timestamp: p.t as number, skip: p.n as number };
}

/** The cursor after `rows` (the fetched rows, skipped ones included, up to the last one returned). */
export function cursorAfter(rows: readonly HistoryRow[]): HistoryCursor | null {
  const last = rows[rows.length - 1];
  if (!last) return null;
  let skip = 0;
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i] as HistoryRow;
    if (Number(row.step) !== Number(last.step) || Number(row.timestamp) !== Number(last.timestamp)) break;
    skip++;
  }
  return { step: Number(last.step), timestamp: Number(last.timestamp), skip };
}

// ---------------------------------------------------------------- sampling

/**
 * `count` target steps evenly spaced over [min, max], first and last
 * included, without repeats (fewer when the range holds fewer integers).
 */
export function sampleSteps(min: number, max: number, count: number): number[] {
  if (max <= min || count <= 1) return [min];
  const span = max - min;
  if (span + 1 <= count) return Array.from({ length: span + 1 }, (_, i) => min + i);
  const steps: number[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const step = min + Math.round((i * span) / (count - 1));
    if (step !== previous) steps.push(step);
    previous = step;
  }
  return steps;
}

function rowIdentity(row: HistoryRow): string {
  return `${row.step}\u0000${row.timestamp}\u0000${row.value}\u0000${row.is_nan}`;
}

function compareRows(a: HistoryRow, b: HistoryRow): number {
  return (
    Number(a.step) - Number(b.step) ||
    Number(a.timestamp) - Number(b.timestamp) ||
    (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) ||
    Number(a.is_nan) - Number(b.is_nan)
  );
}

/** Rows per string of metricsJson: each a few tens of KB, well under V8's large-object size. */
const METRICS_PER_CHUNK = 256;

/**
 * History rows of metric `key` as MLflow's JSON objects (Metric, or
 * MetricWithRunId when `runIdOf` gives each row's run), comma-joined in
 * strings of up to METRICS_PER_CHUNK rows: the elements of a response's
 * `metrics` array (see jsonBody). History responses are rendered once, here,
 * and leave the gateway as these bytes (no message per point on either side).
 */
export function metricsJson(key: string, rows: readonly HistoryRow[], runIdOf?: (row: HistoryRow) => string): string[] {
  const head = `{"key":${JSON.stringify(key)},"value":`;
  const chunks: string[] = [];
  let out = '';
  // Rows come grouped by run: its run_id field is written once per run, not per row.
  let runId: string | undefined;
  let tail = '}';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as HistoryRow;
    const id = runIdOf?.(row);
    if (id !== runId) {
      runId = id;
      tail = `,"run_id":${JSON.stringify(id)}}`;
    }
    if (i % METRICS_PER_CHUNK !== 0) out += ',';
    out += `${head}${JSON.stringify(jsonDouble(readValue(row.value, row.is_nan)))},"timestamp":${Number(row.timestamp)},"step":${Number(row.step)}${tail}`;
    if ((i + 1) % METRICS_PER_CHUNK === 0 || i === rows.length - 1) {
      chunks.push(out);
      out = '';
    }
  }
  return chunks;
}

@Injectable()
export class MetricsService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly metrics: MetricsRepository,
  ) {}

  /**
   * One page of a metric's history, in (step, timestamp) order, with a
   * keyset token; no max_results means the whole series (as MLflow). An
   * unknown run has an empty history (as MLflow).
   */
  async history(request: tracking.GetMetricHistoryRequest): Promise<tracking.GetMetricHistoryResponse> {
    const runId = validateRunId(request.run_id);
    const key = requireValue('metric_key', request.metric_key);
    const limit = request.max_results > 0 ? request.max_results : null;
    if (request.max_results < 0) {
      throw CairnError.invalidParameter(
        `Invalid value ${request.max_results} for parameter 'max_results' supplied. It must be a positive integer.`,
      );
    }
    const after = decodeHistoryToken(request.page_token, runId, key);
    const m = this.runs.reader;
    const run = await this.runs.findRun(m, runId);
    if (!run) return { json: jsonPage('metrics', []) };
    const skip = after?.skip ?? 0;
    const fetched = await this.metrics.history(m, run.run_key, key, after, limit === null ? null : skip + limit + 1);
    const end = limit === null ? fetched.length : Math.min(fetched.length, skip + limit);
    const page = fetched.slice(skip, end);
    const hasMore = fetched.length > end;
    const cursor = hasMore ? cursorAfter(fetched.slice(0, end)) : null;
    return { json: jsonPage('metrics', metricsJson(key, page), cursor ? encodeHistoryToken(runId, key, cursor) : '') };
  }

  /** Histories of several runs (sorted by run id), at most max_results rows in all. */
  async bulk(request: tracking.GetMetricHistoryBulkRequest): Promise<tracking.GetMetricHistoryBulkResponse> {
    const runIds = [...new Set(request.run_ids)];
    if (runIds.length === 0) {
      throw CairnError.invalidParameter('GetMetricHistoryBulk request must specify at least one run_id.');
    }
    if (runIds.length > BULK_MAX_RUN_IDS) {
      throw CairnError.invalidParameter(
        `GetMetricHistoryBulk request cannot specify more than ${BULK_MAX_RUN_IDS} run_ids. Received ${runIds.length} run_ids.`,
      );
    }
    runIds.forEach(validateRunId);
    const key = request.metric_key;
    if (!key) throw CairnError.invalidParameter('GetMetricHistoryBulk request must specify a metric_key.');
    const maxResults = Math.min(request.max_results > 0 ? request.max_results : BULK_MAX_RESULTS, BULK_MAX_RESULTS);
    const m = this.runs.reader;
    const runs = (await this.runs.findRuns(m, runIds)).sort((a, b) => (a.run_uuid < b.run_uuid ? -1 : 1));
    const idByKey = new Map(runs.map((r) => [Number(r.run_key), r.run_uuid]));
    const rows = await this.metrics.bulkHistory(
      m,
      runs.map((r) => r.run_key),
      key,
      maxResults,
    );
    return { json: jsonPage('metrics', metricsJson(key, rows, (row) => idByKey.get(Number(row.run_key)) ?? '')) };
  }

  /**
   * Up to max_results points per run, sampled at evenly spaced steps between
   * the first and last step of the range (both kept): a series with at most
   * max_results rows in range comes back whole; a longer one costs one index
   * probe per sampled step, whatever its length.
   */
  async bulkInterval(
    request: tracking.GetMetricHistoryBulkIntervalRequest,
  ): Promise<tracking.GetMetricHistoryBulkIntervalResponse> {
    const runIds = [...new Set(request.run_ids)];
    if (runIds.length === 0) throw CairnError.invalidParameter("Missing value for required parameter 'run_ids'.");
    if (runIds.length > LIMITS.bulkIntervalRunIds) {
      throw CairnError.invalidParameter(
        `GetMetricHistoryBulkInterval request must specify at most ${LIMITS.bulkIntervalRunIds} run_ids. Received ${runIds.length} run_ids.`,
      );
    }
    runIds.forEach(validateRunId);
    const key = requireValue('metric_key', request.metric_key);
    const maxResults = request.max_results === 0 ? LIMITS.bulkIntervalMaxResults : request.max_results;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > LIMITS.bulkIntervalMaxResults) {
      throw CairnError.invalidParameter(`max_results must be between 1 and ${LIMITS.bulkIntervalMaxResults}.`);
    }
    const range: StepRange = { start: request.start_step ?? null, end: request.end_step ?? null };
    if ((range.start === null) !== (range.end === null)) {
      throw CairnError.invalidParameter('If either start step or end step are specified, both must be specified.');
    }
    if (range.start !== null && range.end !== null && range.start > range.end) {
      throw CairnError.invalidParameter(
        `end_step must be greater than start_step. Found start_step=${range.start} and end_step=${range.end}.`,
      );
    }

    const m = this.runs.reader;
    const found = await this.runs.findRuns(m, runIds);
    const byId = new Map(found.map((r) => [r.run_uuid, Number(r.run_key)]));
    const runKeys = runIds.map((id) => byId.get(id)).filter((k): k is number => k !== undefined);
    if (runKeys.length === 0) return { json: jsonPage('metrics', []) };

    const bounds = await this.metrics.bounds(m, runKeys, key, range, maxResults);
    const small: number[] = [];
    const probeRuns: number[] = [];
    const probeTargets: number[] = [];
    const probeMax: number[] = [];
    for (const b of bounds) {
      if (b.min_step === null || b.max_step === null) continue;
      if (b.n <= maxResults) {
        small.push(Number(b.run_key));
        continue;
      }
      // max_results = 1 keeps the last point only (as MLflow).
      const targets = maxResults === 1 ? [] : sampleSteps(Number(b.min_step), Number(b.max_step), maxResults);
      for (const target of targets) {
        probeRuns.push(Number(b.run_key));
        probeTargets.push(target);
        probeMax.push(Number(b.max_step));
      }
      if (targets.length === 0) {
        // No target: the probe query still adds the run's last point.
        probeRuns.push(Number(b.run_key));
        probeTargets.push(Number(b.max_step) + 1);
        probeMax.push(Number(b.max_step));
      }
    }
    const rows = [
      ...(await this.metrics.rangeRows(m, small, key, range, maxResults)),
      ...(await this.metrics.probe(m, key, probeRuns, probeTargets, probeMax)),
    ];

    const perRun = new Map<number, Map<string, HistoryRow>>();
    for (const row of rows) {
      const runKey = Number(row.run_key);
      let unique = perRun.get(runKey);
      if (!unique) perRun.set(runKey, (unique = new Map<string, HistoryRow>()));
      unique.set(rowIdentity(row), row);
    }
    const parts: string[] = [];
    for (const runId of runIds) {
      const runKey = byId.get(runId);
      const unique = runKey === undefined ? undefined : perRun.get(runKey);
      if (!unique) continue;
      const sorted = [...unique.values()].sort(compareRows);
      // Keep the last point when sampling landed on more than max_results distinct rows.
      const kept = sorted.length > maxResults ? [...sorted.slice(0, maxResults - 1), sorted[sorted.length - 1] as HistoryRow] : sorted;
      parts.push(...metricsJson(key, kept, () => runId));
    }
    return { json: jsonPage('metrics', parts) };
  }
}
