#!/usr/bin/env bash
# Where PostgreSQL's CPU goes when Cairn stores a 1000-metric log-batch (10 keys × 100 steps, the
# ingest benchmark's request). On a fresh database migrated by `cairn migrate`, one connection runs
# BENCH_PG_INGEST_STATEMENTS statements per variant and reads its backend's CPU time from /proc:
#   parse     the binary column arrays received and unnested, nothing stored;
#   heap      + rows inserted into a copy of tracking.metrics without its index;
#   indexed   + the copy with tracking.metrics' indexes (the unique metrics_identity, over key ids);
#   text-key  the same with the metric key's text in the table and its unique index instead of a key
#             id (Cairn's schema before migration MetricKeys1765400000000);
#   chunked   the same rows stored as one row per key and batch (arrays of steps, timestamps, values,
#             NaN flags; indexed on run, key, first step): what a chunked series store would cost
#             (not Cairn's schema);
#   hot-path  MetricsRepository.appendToActiveRun itself (history + latest_metrics upsert + run check),
#             parsed and planned per statement;
#   hot-named the same as the named statement the services run (parsed once, generic plan).
#   bash bench/pg-ingest-cost.sh        (needs the local stack's PostgreSQL: bash deploy/local/stack.sh up)
# Knobs: BENCH_PG_URL (server, default the stack's), BENCH_PG_INGEST_STATEMENTS=400, BENCH_DIST=<build>
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib.sh
source bench/lib.sh
WORK=$(mktemp -d /tmp/cairn-pg-ingest.XXXX)
SERVER=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:55432}
DB=cairn_pg_ingest_cost
OWN_DIST=
trap 'rm -rf "$WORK" $OWN_DIST; psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
if [[ -n ${BENCH_DIST:-} ]]; then
  DIST=$(cd "$BENCH_DIST" && pwd)
else
  # Inside the repository (dist/.bench, like bench/run.sh), so the build resolves node_modules and proto/.
  OWN_DIST=$ROOT/dist/.bench/pg-ingest-cost-$$
  DIST=$OWN_DIST
  build_cairn "$DIST" "$WORK/build.log"
fi
psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
# `cairn migrate` reads the whole distributed configuration (the stack's settings), then only migrates.
(
  set -a
  # shellcheck disable=SC1091 # deploy/local/stack.env
  source deploy/local/stack.env
  CAIRN_MODE=distributed CAIRN_AUTH=off CAIRN_DATABASE_URL="$SERVER/$DB" CAIRN_LOG_LEVEL=warn node "$DIST/services/cli/src/main.js" migrate >"$WORK/migrate.log"
)
cat >"$WORK/cost.js" <<JS
const fs = require('node:fs');
const { Client } = require('pg');
const { MetricsRepository, historyColumns } = require('$DIST/services/tracking/src/repositories/metrics.repository');
const { pgBoolArray, pgFloat8Array, pgInt8Array, pgTextArray } = require('$DIST/libs/persistence/src/pg-array');
const n = Number(process.env.BENCH_PG_INGEST_STATEMENTS || 400);
(async () => {
  const c = new Client({ connectionString: '$SERVER/$DB' });
  await c.connect();
  const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
  const cpuMs = () => {
    const f = fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  };
  await c.query("INSERT INTO tracking.experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (424242, 'ingest-cost', 'x', 'active', 0, 0)");
  await c.query('CREATE TABLE public.heap (LIKE tracking.metrics INCLUDING DEFAULTS)');
  await c.query('CREATE TABLE public.indexed (LIKE tracking.metrics INCLUDING ALL)');
  await c.query('CREATE TABLE public.text_key (run_key bigint NOT NULL, key text NOT NULL, step bigint NOT NULL, timestamp bigint NOT NULL, value float8 NOT NULL, is_nan bool NOT NULL)');
  await c.query('CREATE UNIQUE INDEX ON public.text_key (run_key, key, step, timestamp, value, is_nan)');
  await c.query('CREATE TABLE public.chunks (run_key bigint NOT NULL, key_id bigint NOT NULL, first_step bigint NOT NULL, last_step bigint NOT NULL, n int NOT NULL, steps bigint[] NOT NULL, timestamps bigint[] NOT NULL, vals float8[] NOT NULL, nans bool[] NOT NULL)');
  await c.query('CREATE INDEX ON public.chunks (run_key, key_id, first_step)');
  const repo = new MetricsRepository();
  const keyIds = await repo.keyIds({ query: (sql, params) => c.query(sql, params).then((r) => r.rows) }, Array.from({ length: 10 }, (_, k) => 'm' + k));
  let batch = 0;
  const rows = () => {
    const ts = Date.now();
    const out = [];
    for (let j = 0; j < 1000; j++) {
      const step = batch * 100 + Math.floor(j / 10);
      out.push({ key: 'm' + (j % 10), value: Math.sin(step + j), timestamp: ts, step, is_nan: false, model_id: null, dataset_name: null, dataset_digest: null });
    }
    batch++;
    return out;
  };
  // The binary arrays the hot path sends (libs/persistence pg-array).
  const literals = (ms) => [
    pgInt8Array(ms.map((m) => keyIds.get(m.key))),
    pgInt8Array(ms.map((m) => m.step)),
    pgInt8Array(ms.map((m) => m.timestamp)),
    pgFloat8Array(ms.map((m) => m.value)),
    pgBoolArray(ms.map((m) => m.is_nan)),
  ];
  const unnest = 'unnest(\$2::bigint[], \$3::bigint[], \$4::bigint[], \$5::float8[], \$6::bool[]) AS u(key_id, step, ts, value, is_nan)';
  const into = (table) => 'INSERT INTO ' + table + ' (run_key, key_id, step, timestamp, value, is_nan) SELECT \$1, u.key_id, u.step, u.ts, u.value, u.is_nan FROM ' + unnest;
  const runId = (await c.query("INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri) SELECT md5(random()::text), experiment_id, 'r', 'u', 'RUNNING', 0, 'active', 'x' FROM tracking.experiments WHERE name = 'ingest-cost' RETURNING run_uuid")).rows[0].run_uuid;
  const manager = { query: (sql, params) => c.query(sql, params).then((r) => r.rows) };
  const named = { query: (sql, params) => c.query({ name: 'hot_named', text: sql, values: params }).then((r) => r.rows) };
  const hot = async (m, ms) => {
    const latest = ms.slice(-10).map(({ key, value, timestamp, step, is_nan }) => ({ key, value, timestamp, step, is_nan }));
    const rows = {
      key_ids: ms.map((x) => keyIds.get(x.key)),
      steps: ms.map((x) => x.step),
      timestamps: ms.map((x) => x.timestamp),
      values: ms.map((x) => x.value),
      nans: ms.map((x) => x.is_nan),
      model_ids: null,
      dataset_names: null,
      dataset_digests: null,
    };
    if (!(await repo.appendToActiveRun(m, runId, historyColumns(rows), latest, 'append'))) throw new Error('run not active');
  };
  const variants = {
    parse: (ms) => c.query('SELECT count(*) FROM ' + unnest + ' WHERE \$1::bigint IS NOT NULL', [1, ...literals(ms)]),
    heap: (ms) => c.query(into('public.heap'), [1, ...literals(ms)]),
    indexed: (ms) => c.query(into('public.indexed'), [1, ...literals(ms)]),
    'text-key': (ms) => {
      const [, ...rest] = literals(ms);
      return c.query(
        'INSERT INTO public.text_key (run_key, key, step, timestamp, value, is_nan) SELECT \$1, u.key, u.step, u.ts, u.value, u.is_nan' +
          ' FROM unnest(\$2::text[], \$3::bigint[], \$4::bigint[], \$5::float8[], \$6::bool[]) AS u(key, step, ts, value, is_nan)',
        [1, pgTextArray(ms.map((m) => m.key)), ...rest],
      );
    },
    chunked: (ms) =>
      c.query(
        'INSERT INTO public.chunks (run_key, key_id, first_step, last_step, n, steps, timestamps, vals, nans)' +
          ' SELECT \$1, u.key_id, min(u.step), max(u.step), count(*), array_agg(u.step ORDER BY u.step, u.ts), array_agg(u.ts ORDER BY u.step, u.ts),' +
          ' array_agg(u.value ORDER BY u.step, u.ts), array_agg(u.is_nan ORDER BY u.step, u.ts) FROM ' + unnest + ' GROUP BY u.key_id',
        [1, ...literals(ms)],
      ),
    'hot-path': (ms) => hot(manager, ms),
    'hot-named': (ms) => hot(named, ms),
  };
  for (const [name, run] of Object.entries(variants)) {
    const batches = Array.from({ length: n + 50 }, rows);
    for (const ms of batches.slice(0, 50)) await run(ms);
    const c0 = cpuMs();
    const t0 = performance.now();
    for (const ms of batches.slice(50)) await run(ms);
    console.log(name.padEnd(9) + ' backend CPU ' + ((cpuMs() - c0) / n).toFixed(2) + ' ms/statement, wall ' + ((performance.now() - t0) / n).toFixed(2) + ' ms');
  }
  await c.end();
})().catch((e) => { console.error(e); process.exit(1); });
JS
NODE_PATH="$ROOT/node_modules" node "$WORK/cost.js"
