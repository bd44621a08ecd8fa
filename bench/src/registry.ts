/**
 * Model-registry search benchmark: search_registered_models and
 * search_model_versions with three tag filters, Cairn vs MLflow, same data in
 * both (seeded by direct SQL into each system's own schema), same REST query.
 * Started by bench/registry.sh (servers, databases); configured by BENCH_* variables.
 * Reports numbers; fails only if the two systems disagree on a result set.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { MlflowApi } from './http';
import { warmUp } from './phases';
import { vacuumUntilVisible } from './seed';
import { LatencySummary, summarize } from './stats';

type System = 'cairn' | 'mlflow';
const SYSTEMS: System[] = ['mlflow', 'cairn'];
function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set (bench/registry.sh sets it)`);
  return v;
}
const num = (name: string, fallback: number) => Number(env(name, String(fallback)));

const MODELS = num('BENCH_REG_MODELS', 10_000);
const VERSIONS = num('BENCH_REG_VERSIONS', 10);
const WARMUP = num('BENCH_REG_WARMUP', 200);
const WARMUP_SECONDS = num('BENCH_REG_WARMUP_SECONDS', 10);
const REQUESTS = num('BENCH_REG_REQUESTS', 1000);
const ROUNDS = Math.max(1, num('BENCH_REG_ROUNDS', 10));
const BLOCK_WARMUP = num('BENCH_REG_BLOCK_WARMUP', 20);
const BLOCK_WARMUP_SECONDS = num('BENCH_REG_BLOCK_WARMUP_SECONDS', 3);
const MAX_SECONDS = num('BENCH_REG_MAX_SECONDS', 420);
const T0 = 1_700_000_000_000;

/** 32 pseudo-random bits from md5 of a text expression (deterministic, same in every database). */
const h = (expr: string) => `(('x' || substr(md5(${expr}), 1, 8))::bit(32)::bigint)`;
/** Five tags per model over the staging column i; ~1/200 of models match team/domain/tier together. */
const MODEL_TAGS = `(VALUES ('team', 'team-' || (${h(`'t' || i`)} % 10)), ('domain', 'domain-' || (${h(`'d' || i`)} % 5)),
  ('tier', 'tier-' || (${h(`'r' || i`)} % 4)), ('owner', 'user-' || (${h(`'o' || i`)} % 50)), ('env', 'env-' || (i % 3)))`;
/** Five tags per version over (i, v); ~1/2000 of versions match framework/dataset/quality together. */
const VERSION_TAGS = `(VALUES ('framework', 'fw-' || (${h(`'f' || i || '.' || v`)} % 10)),
  ('dataset', 'ds-' || (${h(`'s' || i || '.' || v`)} % 20)), ('quality', 'q-' || (${h(`'q' || i || '.' || v`)} % 10)),
  ('commit', substr(md5('c' || i || '.' || v), 1, 12)), ('validated', CASE WHEN v % 2 = 0 THEN 'true' ELSE 'false' END))`;
const MODEL_FILTER = process.env.BENCH_REG_MODEL_FILTER ?? "tags.team = 'team-3' and tags.domain = 'domain-2' and tags.tier = 'tier-1'";
const VERSION_FILTER =
  process.env.BENCH_REG_VERSION_FILTER ?? "tags.framework = 'fw-3' and tags.dataset = 'ds-7' and tags.quality = 'q-2'";

const staging = [
  `CREATE TEMP TABLE m_src AS SELECT i, 'model-' || lpad(i::text, 5, '0') AS name, ${T0}::bigint + i::bigint * 1000 AS t
     FROM generate_series(0, ${MODELS - 1}) AS i`,
  `CREATE TEMP TABLE v_src AS SELECT i, name, v, t + v::bigint AS t FROM m_src, generate_series(1, ${VERSIONS}) AS v`,
];
const source = `'s3://bench-models/' || name || '/' || v`;

function mlflowSql(): string[] {
  return [
    ...staging,
    `INSERT INTO registered_models (name, creation_time, last_updated_time, description)
       SELECT name, t, t + ${VERSIONS}, 'bench model ' || i FROM m_src ORDER BY i`,
    `INSERT INTO registered_model_tags (key, value, name) SELECT tg.k, tg.val, name FROM m_src, LATERAL ${MODEL_TAGS} AS tg(k, val)`,
    `INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage,
                                 source, run_id, run_link, status, status_message, storage_location)
       SELECT name, v, t, t, NULL, 'bench', 'None', ${source}, NULL, NULL, 'READY', NULL, ${source} FROM v_src ORDER BY i, v`,
    `INSERT INTO model_version_tags (key, value, name, version)
       SELECT tg.k, tg.val, name, v FROM v_src, LATERAL ${VERSION_TAGS} AS tg(k, val)`,
  ];
}

function cairnSql(): string[] {
  return [
    ...staging,
    `INSERT INTO registry.registered_models (name, description, user_id, creation_time, last_updated_time, last_version)
       SELECT name, 'bench model ' || i, 'bench', t, t + ${VERSIONS}, ${VERSIONS} FROM m_src ORDER BY i`,
    `CREATE TEMP TABLE keys AS SELECT s.i, m.model_key FROM m_src s JOIN registry.registered_models m USING (name)`,
    // value_prefix is GENERATED ALWAYS ... STORED: PostgreSQL fills it from value; the owners'
    // tag_index (the GIN-indexed tag set) and the search elements are filled by statement triggers.
    `INSERT INTO registry.registered_model_tags (model_key, key, value)
       SELECT model_key, tg.k, tg.val FROM m_src JOIN keys USING (i), LATERAL ${MODEL_TAGS} AS tg(k, val)`,
    `INSERT INTO registry.model_versions (model_key, version, creation_time, last_updated_time, description, user_id,
              current_stage, source, storage_location, run_id, run_link, model_id, status, status_message)
       SELECT model_key, v, t, t, NULL, 'bench', 'None', ${source}, ${source}, NULL, NULL, NULL, 'READY', NULL
       FROM v_src JOIN keys USING (i) ORDER BY i, v`,
    `INSERT INTO registry.model_version_tags (model_key, version, key, value)
       SELECT model_key, v, tg.k, tg.val FROM v_src JOIN keys USING (i), LATERAL ${VERSION_TAGS} AS tg(k, val)`,
  ];
}

/** The tables each system's seed loads. */
const REGISTRY_TABLES: Record<System, string[]> = {
  mlflow: ['registered_models', 'registered_model_tags', 'model_versions', 'model_version_tags'],
  // The element tables: filled by the other tables' triggers (see the search-elements migration).
  cairn: [
    'registry.registered_models',
    'registry.registered_model_tags',
    'registry.model_versions',
    'registry.model_version_tags',
    'registry.registered_model_elements',
    'registry.model_version_elements',
  ],
};

const log = (msg: string) => console.log(`[registry ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function seed(system: System, dbUrl: string): Promise<number> {
  const started = performance.now();
  const c = new Client({ connectionString: dbUrl, statement_timeout: 600_000 });
  await c.connect();
  try {
    for (const sql of system === 'mlflow' ? mlflowSql() : cairnSql()) await c.query(sql);
  } finally {
    await c.end();
  }
  return (performance.now() - started) / 1000;
}

interface ModelsResponse {
  registered_models?: { name: string }[];
  next_page_token?: string;
}
interface VersionsResponse {
  model_versions?: { name: string; version: string | number }[];
  next_page_token?: string;
}
interface Query {
  id: string;
  path: string;
  filter: string;
  keys: (body: unknown) => string[];
}
const QUERIES: Query[] = [
  {
    id: 'search_registered_models',
    path: 'registered-models/search',
    filter: MODEL_FILTER,
    keys: (b) => ((b as ModelsResponse).registered_models ?? []).map((m) => m.name),
  },
  {
    id: 'search_model_versions',
    path: 'model-versions/search',
    filter: VERSION_FILTER,
    keys: (b) => ((b as VersionsResponse).model_versions ?? []).map((v) => `${v.name}/${v.version}`),
  },
];

interface Measured {
  summary: LatencySummary;
  samples: number[];
  keys: string[];
  truncated: boolean;
}

/**
 * Both systems on one query: each warmed up in turn (WARMUP requests, at least
 * WARMUP_SECONDS), then their REQUESTS timed requests in ROUNDS alternating
 * blocks (MLflow's block, Cairn's block, ...), each block after at least
 * BLOCK_WARMUP untimed requests and BLOCK_WARMUP_SECONDS of them: a process
 * that idled through the other system's block answers its next few hundred
 * requests up to ~1.5× slower (measured on Cairn after 12 s idle: ~1 s to
 * recover), and the timed requests are meant to be a server in use. This VM's speed
 * drifts by 20–100 % over minutes; alternating spreads both systems' samples
 * over the same span, so the ratio is not set by the phase one system's
 * window happened to fall in. ROUNDS=1 measures one system after the other.
 * MAX_SECONDS bounds each system's time per query, warm-ups included.
 */
async function measureQuery(apis: Record<System, MlflowApi>, q: Query): Promise<Record<System, Measured>> {
  const query = { filter: q.filter, max_results: 100 };
  const call = (s: System) => apis[s].get<unknown>(q.path, query);
  const budget = MAX_SECONDS * 1000;
  const state = {} as Record<System, { keys: string[]; truncated: boolean; samples: number[]; spent: number }>;
  for (const s of SYSTEMS) {
    log(`${q.id} on ${s}: ${WARMUP} warm-up (at least ${WARMUP_SECONDS} s) (filter: ${q.filter})`);
    const started = performance.now();
    const { value } = await warmUp(WARMUP, WARMUP_SECONDS, started + budget, () => call(s));
    const truncated = Boolean((value as { next_page_token?: string }).next_page_token);
    state[s] = { keys: q.keys(value).sort(), truncated, samples: [], spent: performance.now() - started };
  }
  log(`${q.id}: ${REQUESTS} timed per system in ${ROUNDS} alternating blocks (each after ${BLOCK_WARMUP} untimed, at least ${BLOCK_WARMUP_SECONDS} s)`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of SYSTEMS) {
      const st = state[s];
      const started = performance.now();
      const deadline = started + budget - st.spent;
      if (started >= deadline) continue;
      await warmUp(BLOCK_WARMUP, BLOCK_WARMUP_SECONDS, deadline, () => call(s));
      const target = Math.round((REQUESTS * round) / ROUNDS);
      while (st.samples.length < target && performance.now() < deadline) st.samples.push((await call(s)).ms);
      st.spent += performance.now() - started;
    }
  }
  const out = {} as Record<System, Measured>;
  for (const s of SYSTEMS) {
    const { keys, truncated, samples } = state[s];
    out[s] = { summary: summarize(samples), samples, keys, truncated };
  }
  return out;
}

async function main(): Promise<void> {
  const urls: Record<System, string> = { cairn: env('BENCH_CAIRN_URL'), mlflow: env('BENCH_MLFLOW_URL') };
  const apis: Record<System, MlflowApi> = { cairn: new MlflowApi('cairn', urls.cairn), mlflow: new MlflowApi('mlflow', urls.mlflow) };
  const dbs: Record<System, string> = { cairn: env('BENCH_CAIRN_DB'), mlflow: env('BENCH_MLFLOW_DB') };
  const seedSeconds: Partial<Record<System, number>> = {};
  for (const s of SYSTEMS) {
    log(`seeding ${s}: ${MODELS} models × ${VERSIONS} versions × 5 tags (models and versions)`);
    seedSeconds[s] = Math.round((await seed(s, dbs[s])) * 10) / 10;
    log(`seeded ${s} in ${seedSeconds[s]} s`);
  }
  // Once both are loaded (see vacuumUntilVisible); the ANALYZE also builds Cairn's extended statistics.
  const allVisible: Partial<Record<System, Record<string, number>>> = {};
  for (const s of SYSTEMS) {
    const c = new Client({ connectionString: dbs[s] });
    await c.connect();
    try {
      allVisible[s] = await vacuumUntilVisible(c, REGISTRY_TABLES[s]);
    } finally {
      await c.end();
    }
    log(`${s}: VACUUM ANALYZE; pages all-visible (%): ${JSON.stringify(allVisible[s])}`);
  }
  const results: Record<
    string,
    Record<System, { summary: LatencySummary; matched: number; truncated: boolean; samples_ms: number[] }>
  > = {};
  let mismatch = false;
  for (const q of QUERIES) {
    const per = await measureQuery(apis, q);
    const same = JSON.stringify(per.cairn.keys) === JSON.stringify(per.mlflow.keys);
    if (!same) {
      mismatch = true;
      const only = (a: string[], b: string[]) => a.filter((k) => !b.includes(k)).slice(0, 5);
      log(`MISMATCH ${q.id}: cairn ${per.cairn.keys.length}, mlflow ${per.mlflow.keys.length}; only cairn ${only(per.cairn.keys, per.mlflow.keys).join(',')}; only mlflow ${only(per.mlflow.keys, per.cairn.keys).join(',')}`);
    }
    // samples_ms: the timed requests in the order they ran (diagnostics: warm-up trends, spikes).
    const rounded = (xs: number[]) => xs.map((x) => Math.round(x * 100) / 100);
    results[q.id] = {
      mlflow: { summary: per.mlflow.summary, matched: per.mlflow.keys.length, truncated: per.mlflow.truncated, samples_ms: rounded(per.mlflow.samples) },
      cairn: { summary: per.cairn.summary, matched: per.cairn.keys.length, truncated: per.cairn.truncated, samples_ms: rounded(per.cairn.samples) },
    };
  }
  const rows = Object.entries(results).map(([id, r]) => ({
    query: id,
    matched: r.cairn.matched,
    'mlflow p50': r.mlflow.summary.p50_ms,
    'mlflow p95': r.mlflow.summary.p95_ms,
    'cairn p50': r.cairn.summary.p50_ms,
    'cairn p95': r.cairn.summary.p95_ms,
    'ratio p50': Math.round((r.mlflow.summary.p50_ms / r.cairn.summary.p50_ms) * 10) / 10,
    'ratio p95': Math.round((r.mlflow.summary.p95_ms / r.cairn.summary.p95_ms) * 10) / 10,
  }));
  console.table(rows);
  const report = {
    benchmark: 'registry-search',
    date: new Date().toISOString(),
    machine: { nproc: os.cpus().length, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), platform: `${os.type()} ${os.release()}` },
    cairn_rev: process.env.BENCH_CAIRN_REV ?? 'unknown',
    mlflow: { version: '3.17.2', workers: Number(env('BENCH_MLFLOW_WORKERS', '4')) },
    data: { models: MODELS, versions_per_model: VERSIONS, tags_per_model: 5, tags_per_version: 5 },
    filters: { search_registered_models: MODEL_FILTER, search_model_versions: VERSION_FILTER },
    method: `${WARMUP} warm-up requests (at least ${WARMUP_SECONDS} s of them), then ${REQUESTS} sequential timed GETs per query and system in ${ROUNDS} alternating blocks (MLflow's, Cairn's, ...) each after ${BLOCK_WARMUP} untimed ones and at least ${BLOCK_WARMUP_SECONDS} s of them, max_results=100, keep-alive undici request`,
    seed_seconds: seedSeconds,
    all_visible_pct: allVisible,
    same_results: !mismatch,
    results,
    table: rows,
  };
  const out = env('BENCH_OUT');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${out}`);
  if (mismatch) throw new Error('the two systems returned different result sets (see MISMATCH above)');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
