import { HttpError, MlflowApi } from './http';
import { LatencySummary, summarize } from './stats';

export interface IngestOptions {
  experimentId: string;
  clients: number;
  metricsPerRequest: number;
  warmupSeconds: number;
  seconds: number;
}

export interface IngestResult extends LatencySummary {
  metrics_per_s: number;
  requests_per_s: number;
  measured_seconds: number;
  errors: number;
  first_error?: string;
}

/**
 * Metric values of the ingest bodies: full-precision doubles (17 significant
 * digits, as training metrics are), formatted once. The load generator shares
 * the machine's cores with the server it measures, so it formats no number it
 * can reuse: a body costs it ~0.03 ms instead of ~0.14 ms, the same bytes.
 */
const VALUE_TEXTS = Array.from({ length: 65536 }, (_, i) => String(Math.sin(i * 1.37 + 0.5)));

/**
 * log-batch ingest: `clients` closed-loop clients, each logging to its own
 * run, `metricsPerRequest` metrics per request (10 keys × 100 new steps, one
 * timestamp per request as the mlflow client sends them).
 * Requests that complete inside the measured window count; the window
 * starts after the warm-up.
 */
export async function ingest(api: MlflowApi, o: IngestOptions): Promise<IngestResult> {
  const runIds: string[] = [];
  for (let c = 0; c < o.clients; c++) runIds.push(await api.createRun(o.experimentId, `ingest-${c}`));
  const keys = 10;
  const perKey = Math.ceil(o.metricsPerRequest / keys);
  const keyPrefixes = Array.from({ length: keys }, (_, k) => `{"key":"m${k}","value":`);
  const start = performance.now();
  const windowStart = start + o.warmupSeconds * 1000;
  const windowEnd = windowStart + o.seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;

  const client = async (runId: string, c: number) => {
    let batch = 0;
    while (performance.now() < windowEnd) {
      const rest = `,"timestamp":${Date.now()},"step":`;
      let body = `{"run_id":"${runId}","metrics":[`;
      for (let j = 0; j < o.metricsPerRequest; j++) {
        const step = batch * perKey + Math.floor(j / keys);
        const value = VALUE_TEXTS[(c * 7919 + batch * o.metricsPerRequest + j) & 65535]!;
        body += `${j > 0 ? ',' : ''}${keyPrefixes[j % keys]!}${value}${rest}${step}}`;
      }
      body += ']}';
      batch++;
      const t0 = performance.now();
      try {
        await api.post('runs/log-batch', body);
        const t1 = performance.now();
        if (t1 >= windowStart && t1 <= windowEnd) latencies.push(t1 - t0);
      } catch (err) {
        errors++;
        firstError ??= String(err);
        if (err instanceof HttpError && err.status === 501) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await Promise.all(runIds.map((runId, c) => client(runId, c)));
  const s = summarize(latencies);
  return {
    ...s,
    metrics_per_s: Math.round((s.count * o.metricsPerRequest) / o.seconds),
    requests_per_s: Math.round((s.count / o.seconds) * 10) / 10,
    measured_seconds: o.seconds,
    errors,
    ...(firstError ? { first_error: firstError.slice(0, 300) } : {}),
  };
}

export interface SequentialOptions {
  /** Warm-up: at least this many requests and at least warmupSeconds of them (see bench/README.md, Method). */
  warmup: number;
  warmupSeconds: number;
  requests: number;
  maxSeconds: number;
}

/** Calls `call` until both `requests` calls and `seconds` have gone by (or the deadline passes); returns the last value. */
export async function warmUp<T>(requests: number, seconds: number, deadline: number, call: () => Promise<T>): Promise<T> {
  const until = performance.now() + seconds * 1000;
  let value = await call();
  for (let i = 1; (i < requests || performance.now() < until) && performance.now() < deadline; i++) value = await call();
  return value;
}

export interface SequentialResult<T> extends LatencySummary {
  stopped_by_time_limit: boolean;
  /** The timed latencies in the order they ran (diagnostics: warm-up trends, spikes). */
  samples_ms: number[];
  sample: T;
}

/**
 * One client, one request at a time: `warmup` untimed requests, then up to
 * `requests` timed ones, all within `maxSeconds` (at least 3 timed requests
 * are made whenever the warm-up succeeded, so a slow system still gets a number).
 */
export async function sequential<T>(
  o: SequentialOptions,
  call: () => Promise<{ ms: number; value: T }>,
): Promise<SequentialResult<T>> {
  const deadline = performance.now() + o.maxSeconds * 1000;
  const sample = (await warmUp(o.warmup, o.warmupSeconds, deadline, call)).value;
  const latencies: number[] = [];
  let stopped = false;
  for (let i = 0; i < o.requests; i++) {
    if (performance.now() > deadline && latencies.length >= 3) {
      stopped = true;
      break;
    }
    latencies.push((await call()).ms);
  }
  const samples_ms = latencies.map((x) => Math.round(x * 100) / 100);
  return { ...summarize(latencies), stopped_by_time_limit: stopped, samples_ms, sample };
}

export interface SearchResponse {
  runs?: { info: { run_id: string }; data?: { metrics?: unknown[]; params?: unknown[]; tags?: unknown[] } }[];
  next_page_token?: string;
}

export function searchRuns(api: MlflowApi, experimentId: string, filter: string, orderBy: string, maxResults: number) {
  return () =>
    api.post<SearchResponse>('runs/search', {
      experiment_ids: [experimentId],
      filter,
      order_by: [orderBy],
      max_results: maxResults,
    });
}

export interface HistoryResponse {
  metrics?: { key: string; value: number; step: number | string; timestamp: number | string; run_id: string }[];
}

export function historyBulkInterval(api: MlflowApi, runId: string, key: string, maxResults: number) {
  return () =>
    api.get<HistoryResponse>('metrics/get-history-bulk-interval', {
      run_ids: runId,
      metric_key: key,
      max_results: maxResults,
    });
}
