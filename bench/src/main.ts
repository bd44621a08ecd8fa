/**
 * Cairn vs MLflow benchmark: seeds both systems, measures search_runs,
 * get-history-bulk-interval and log-batch ingest through their REST APIs,
 * prints a table and writes a JSON report. Started by bench/run.sh, which
 * owns the servers and databases; configuration comes from BENCH_* variables.
 * No assertions: this reports numbers, it does not pass or fail on them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { request } from 'undici';
import { MlflowApi } from './http';
import { historyBulkInterval, HistoryResponse, ingest, searchRuns, SearchResponse, sequential } from './phases';
import { HISTORY_METRIC_KEY, HISTORY_RUN_ID, seed, SeedShape, vacuumAnalyze } from './seed';

type System = 'cairn' | 'mlflow';
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'mlflow,cairn').split(',') as System[];

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set (bench/run.sh sets it)`);
  return v;
}
const num = (name: string, fallback: number) => Number(env(name, String(fallback)));

const cfg = {
  systems: SYSTEMS,
  urls: { cairn: process.env.BENCH_CAIRN_URL ?? '', mlflow: process.env.BENCH_MLFLOW_URL ?? '' } as Record<System, string>,
  dbs: { cairn: process.env.BENCH_CAIRN_DB ?? '', mlflow: process.env.BENCH_MLFLOW_DB ?? '' } as Record<System, string>,
  out: env('BENCH_OUT'),
  phases: env('BENCH_PHASES', 'seed,search,history,ingest').split(','),
  shape: {
    runs: num('BENCH_RUNS', 100_000),
    params: 20,
    metrics: 20,
    steps: 5,
    historyPoints: num('BENCH_HISTORY_POINTS', 1_000_000),
  } satisfies SeedShape,
  search: {
    filter: process.env.BENCH_SEARCH_FILTER ?? "metrics.m1 > 0.5 and params.p1 = 'v3'",
    orderBy: process.env.BENCH_SEARCH_ORDER_BY ?? 'metrics.m2 DESC',
    maxResults: 100,
    warmup: num('BENCH_READ_WARMUP', 20),
    warmupSeconds: num('BENCH_READ_WARMUP_SECONDS', 10),
    requests: num('BENCH_SEARCH_REQUESTS', 300),
    maxSeconds: num('BENCH_SEARCH_MAX_SECONDS', 120),
  },
  history: {
    maxResults: 2500,
    warmup: num('BENCH_READ_WARMUP', 20),
    warmupSeconds: num('BENCH_READ_WARMUP_SECONDS', 10),
    requests: num('BENCH_HISTORY_REQUESTS', 100),
    maxSeconds: num('BENCH_HISTORY_MAX_SECONDS', 120),
  },
  ingest: {
    clients: num('BENCH_CLIENTS', 8),
    metricsPerRequest: 1000,
    warmupSeconds: num('BENCH_WARMUP_SECONDS', 5),
    seconds: num('BENCH_INGEST_SECONDS', 20),
  },
  mlflowWorkers: env('BENCH_MLFLOW_WORKERS', '4'),
};

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return 'unavailable';
  }
};

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: sh('nproc', []),
    cpu_model: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    free_g: sh('free', ['-g']),
    kernel: `${os.type()} ${os.release()}`,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    /** `top` snapshot: what else was running when the benchmark started. */
    top: sh('top', ['-b', '-n', '1', '-w', '160']).split('\n').slice(0, 17),
  };
}

async function versions(apis: Record<System, MlflowApi>) {
  const text = async (url: string) => {
    try {
      const r = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
      const body = (await r.body.text()).trim();
      return r.statusCode === 200 ? body : `HTTP ${r.statusCode}`;
    } catch (err) {
      return String(err);
    }
  };
  const db = new Client({ connectionString: cfg.dbs[SYSTEMS[0]!] });
  await db.connect();
  const pg = (await db.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
  const pgSettings = (
    await db.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'fsync', 'synchronous_commit', 'max_connections', 'effective_cache_size')`,
    )
  ).rows;
  await db.end();
  return {
    node: process.version,
    mlflow_server: apis.mlflow.base ? await text(`${apis.mlflow.base}/version`) : 'not run',
    mlflow_workers: cfg.mlflowWorkers,
    cairn_version_endpoint: apis.cairn.base ? await text(`${apis.cairn.base}/version`) : 'not run',
    cairn_git: process.env.BENCH_CAIRN_REV ?? 'unknown',
    postgres: pg,
    postgres_settings: Object.fromEntries(pgSettings.map((s) => [s.name, s.setting])),
  };
}

/** Runs one measurement per system; a failure on one side is recorded, not fatal. */
async function perSystem<T>(what: string, fn: (s: System) => Promise<T>): Promise<Record<System, T | { error: string }>> {
  const out = {} as Record<System, T | { error: string }>;
  for (const s of SYSTEMS) {
    log(`${what}: ${s} …`);
    try {
      out[s] = await fn(s);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`${what}: ${s} FAILED: ${message.slice(0, 300)}`);
      out[s] = { error: message.slice(0, 1000) };
    }
  }
  return out;
}

async function main() {
  const startedAt = new Date();
  for (const s of SYSTEMS) {
    if (!cfg.urls[s] || !cfg.dbs[s]) throw new Error(`BENCH_${s.toUpperCase()}_URL and BENCH_${s.toUpperCase()}_DB must be set`);
  }
  // Reads are bounded at 30 s a request; a log-batch at 60 s.
  const readers = { cairn: new MlflowApi('cairn', cfg.urls.cairn, 30_000), mlflow: new MlflowApi('mlflow', cfg.urls.mlflow, 30_000) };
  const apis = { cairn: new MlflowApi('cairn', cfg.urls.cairn), mlflow: new MlflowApi('mlflow', cfg.urls.mlflow) };
  const report: Record<string, unknown> = {
    date: startedAt.toISOString(),
    machine_at_start: machine(),
    note: 'Both systems, PostgreSQL and this load generator share the machine; other processes may have been running (see machine_at_start.top and loadavg).',
    config: cfg,
  };
  report.versions = await versions(apis);

  const exps = {} as Record<System, { search: string; history: string; ingest?: string }>;
  for (const s of SYSTEMS) {
    const tag = startedAt.getTime().toString(36);
    exps[s] = {
      search: await apis[s].createExperiment(`bench-search-${tag}`),
      history: await apis[s].createExperiment(`bench-history-${tag}`),
    };
  }
  report.experiments = exps;

  if (cfg.phases.includes('seed')) {
    log(`seeding both databases in parallel: ${cfg.shape.runs} runs × (${cfg.shape.params} params, ${cfg.shape.metrics} metrics × ${cfg.shape.steps} steps, 5 tags) + a ${cfg.shape.historyPoints}-point series`);
    const results = await Promise.all(
      SYSTEMS.map((s) =>
        seed({ system: s, dbUrl: cfg.dbs[s], searchExperimentId: exps[s].search, historyExperimentId: exps[s].history }, cfg.shape, log),
      ),
    );
    for (const r of results) log(`seeded ${r.system} in ${r.seconds} s: ${JSON.stringify(r.rows)}`);
    // Once both loads have committed (see vacuumAnalyze), one system after the other.
    for (const r of results) {
      const s = r.system as System;
      r.all_visible_pct = await vacuumAnalyze({ system: s, dbUrl: cfg.dbs[s], searchExperimentId: exps[s].search, historyExperimentId: exps[s].history }, log);
    }
    report.seed = results;
  }

  const results: Record<string, unknown> = {};
  report.results = results;

  if (cfg.phases.includes('search')) {
    const c = cfg.search;
    const r = await perSystem('search_runs', (s) =>
      sequential(c, searchRuns(readers[s], exps[s].search, c.filter, c.orderBy, c.maxResults)),
    );
    const ids = (x: unknown) => ((x as { sample?: SearchResponse } | undefined)?.sample?.runs ?? []).map((run) => run.info.run_id);
    const first = (x: unknown) => (x as { sample?: SearchResponse } | undefined)?.sample?.runs?.[0]?.data;
    results.search_runs = {
      request: { filter: c.filter, order_by: [c.orderBy], max_results: c.maxResults, runs_in_experiment: cfg.shape.runs },
      mlflow: strip(r.mlflow),
      cairn: strip(r.cairn),
      returned: { mlflow: ids(r.mlflow).length, cairn: ids(r.cairn).length },
      same_run_ids_in_same_order: SYSTEMS.length === 2 ? JSON.stringify(ids(r.mlflow)) === JSON.stringify(ids(r.cairn)) : null,
      first_run_entries: Object.fromEntries(
        SYSTEMS.map((s) => [s, { metrics: first(r[s])?.metrics?.length, params: first(r[s])?.params?.length, tags: first(r[s])?.tags?.length }]),
      ),
    };
  }

  if (cfg.phases.includes('history')) {
    const c = cfg.history;
    const r = await perSystem('get-history-bulk-interval', (s) =>
      sequential(c, historyBulkInterval(readers[s], HISTORY_RUN_ID, HISTORY_METRIC_KEY, c.maxResults)),
    );
    const steps = (x: unknown) => ((x as { sample?: HistoryResponse } | undefined)?.sample?.metrics ?? []).map((m) => Number(m.step));
    results.history_bulk_interval = {
      request: { run_ids: [HISTORY_RUN_ID], metric_key: HISTORY_METRIC_KEY, max_results: c.maxResults, points_in_series: cfg.shape.historyPoints },
      mlflow: strip(r.mlflow),
      cairn: strip(r.cairn),
      returned: Object.fromEntries(
        SYSTEMS.map((s) => [s, { points: steps(r[s]).length, first_step: steps(r[s])[0], last_step: steps(r[s]).at(-1) }]),
      ),
      same_steps: SYSTEMS.length === 2 ? JSON.stringify(steps(r.mlflow)) === JSON.stringify(steps(r.cairn)) : null,
    };
  }

  if (cfg.phases.includes('ingest')) {
    const r = await perSystem('log-batch ingest', async (s) => {
      const exp = await apis[s].createExperiment(`bench-ingest-${startedAt.getTime().toString(36)}`);
      return ingest(apis[s], { experimentId: exp, ...cfg.ingest });
    });
    results.log_batch_ingest = {
      request: { metrics_per_request: cfg.ingest.metricsPerRequest, clients: cfg.ingest.clients, warmup_s: cfg.ingest.warmupSeconds, measured_s: cfg.ingest.seconds },
      ...r,
    };
  }

  report.machine_at_end = { loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) };
  report.finished = new Date().toISOString();
  mkdirSync(path.dirname(cfg.out), { recursive: true });
  writeFileSync(cfg.out, JSON.stringify(report, null, 2) + '\n');
  printTable(report);
  log(`report written to ${cfg.out}`);
}

function strip(x: unknown): unknown {
  if (x && typeof x === 'object' && 'sample' in x) {
    const { sample: _sample, ...rest } = x as Record<string, unknown>;
    return rest;
  }
  return x;
}

function printTable(report: Record<string, unknown>) {
  const results = report.results as Record<string, Record<string, Record<string, number | string | undefined>>>;
  const rows: string[][] = [['benchmark', 'measure', 'Cairn', 'MLflow', 'Cairn advantage']];
  const fmt = (v: unknown, ms = false) =>
    typeof v === 'number' ? (ms ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')) : 'n/a';
  const ratio = (a: unknown, b: unknown) =>
    typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a';
  const add = (bench: string, measure: string, field: string, higherIsBetter: boolean) => {
    const r = results[bench];
    if (!r) return;
    const c = r.cairn?.[field];
    const m = r.mlflow?.[field];
    const ms = measure.endsWith('ms');
    rows.push([bench, measure, fmt(c, ms), fmt(m, ms), higherIsBetter ? ratio(c, m) : ratio(m, c)]);
  };
  add('log_batch_ingest', 'metrics/s', 'metrics_per_s', true);
  add('log_batch_ingest', 'p50 ms', 'p50_ms', false);
  add('log_batch_ingest', 'p99 ms', 'p99_ms', false);
  add('search_runs', 'p50 ms', 'p50_ms', false);
  add('search_runs', 'p95 ms', 'p95_ms', false);
  add('history_bulk_interval', 'p50 ms', 'p50_ms', false);
  add('history_bulk_interval', 'p95 ms', 'p95_ms', false);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('');
  for (const [n, r] of rows.entries()) {
    console.log(r.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const [bench, r] of Object.entries(results)) {
    for (const s of SYSTEMS) {
      const e = r[s]?.error;
      if (e) console.log(`${bench} on ${s} failed: ${String(e).slice(0, 200)}`);
    }
  }
  const search = results.search_runs as Record<string, unknown> | undefined;
  if (search) console.log(`search_runs: same run ids in the same order on both: ${String(search.same_run_ids_in_same_order)}`);
  const history = results.history_bulk_interval as Record<string, unknown> | undefined;
  if (history) console.log(`history: points returned ${JSON.stringify(history.returned)}; same steps: ${String(history.same_steps)}`);
  const ingestR = results.log_batch_ingest;
  if (ingestR) console.log(`ingest errors: cairn ${fmt(ingestR.cairn?.errors)}, mlflow ${fmt(ingestR.mlflow?.errors)}`);
  console.log('');
}

main().catch((err: unknown) => {
  console.error(`[bench] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
