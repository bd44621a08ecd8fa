#!/usr/bin/env bash
# How much of a query's result survives V8's young-generation collections (scavenges):
# pg's own promise mode vs libs/persistence's CallbackModeClient, which every service
# DataSource uses (see libs/persistence/src/pg-client.ts). The same 100-row query (text,
# numbers, a JSON column), BENCH_PG_GC_QUERIES times in sequence on one connection, under
# `node --trace-gc-nvp`; prints per phase: scavenges, mean pause, bytes promoted per scavenge.
#   bash bench/pg-gc.sh        (needs the local stack's PostgreSQL: bash deploy/local/stack.sh up)
# Knobs: BENCH_PG_URL (default the stack's postgres database), BENCH_PG_GC_QUERIES=3000, BENCH_DIST=<build>,
#   BENCH_PG_GC_NODE_OPTIONS (V8 flags, e.g. --max-semi-space-size=16)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib.sh
source bench/lib.sh
WORK=$(mktemp -d /tmp/cairn-pg-gc.XXXX)
trap 'rm -rf "$WORK"' EXIT
if [[ -n ${BENCH_DIST:-} ]]; then
  DIST=$BENCH_DIST
else
  DIST=$WORK/dist
  build_cairn "$DIST" "$WORK/build.log"
fi
cat >"$WORK/pg-gc.js" <<JS
const { Client } = require('pg');
const { CallbackModeClient } = require('$(cd "$DIST" && pwd)/libs/persistence/src/pg-client');
const url = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:55432/postgres';
const n = Number(process.env.BENCH_PG_GC_QUERIES || 3000);
const sql = "SELECT g AS n, repeat('x', 200) AS s, json_build_array(g, 'a', json_build_object('k', g)) AS j FROM generate_series(1, 100) g";
async function phase(name, client) {
  await client.connect();
  for (let i = 0; i < 200; i++) await client.query(sql);
  console.log('#phase ' + name);
  const t = performance.now();
  for (let i = 0; i < n; i++) await client.query(sql);
  console.log('#end ' + name + ' ' + n + ' queries in ' + Math.round(performance.now() - t) + ' ms');
  await client.end();
}
(async () => {
  if (process.argv[2] === 'promise') await phase('pg-promise-mode', new Client({ connectionString: url }));
  else await phase('CallbackModeClient', new CallbackModeClient({ connectionString: url }));
})().catch((e) => { console.error(e); process.exit(1); });
JS
# One process per mode: V8's allocation-site pretenuring remembers which sites' objects
# survived, so a mode measured after the other in the same process inherits its promotions.
for mode in promise callback; do
  # shellcheck disable=SC2086 # BENCH_PG_GC_NODE_OPTIONS may hold several flags
  NODE_PATH="$ROOT/node_modules" node ${BENCH_PG_GC_NODE_OPTIONS:-} --trace-gc-nvp "$WORK/pg-gc.js" "$mode" >>"$WORK/out.log"
done
awk '
  /^#phase / { name = $2; inside = 1; next }
  /^#end / { inside = 0; printf "%-20s %s queries in %s ms: %d scavenges, mean pause %.2f ms, promoted %.0f KB per scavenge\n", $2, $3, $6, n[name], pause[name] / (n[name] ? n[name] : 1), promoted[name] / 1024 / (n[name] ? n[name] : 1); next }
  inside && / gc=s / {
    n[name]++
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "pause") pause[name] += kv[2]; if (kv[1] == "promoted") promoted[name] += kv[2] }
  }' "$WORK/out.log"
