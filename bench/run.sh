#!/usr/bin/env bash
# Cairn (distributed) vs MLflow's own server, side by side on this machine and
# on the same local PostgreSQL (deploy/local). One command:
#   bash bench/run.sh
# creates $CAIRN_DB/$MLFLOW_DB, starts both servers, seeds, measures, stops
# both, drops the databases, prints a table and writes bench/results/<ts>.json.
# Knobs (environment): BENCH_PHASES=seed,search,history,ingest  BENCH_RUNS=100000
#   BENCH_HISTORY_POINTS=1000000  BENCH_CLIENTS=8  BENCH_INGEST_SECONDS=20
#   BENCH_WARMUP_SECONDS=5  BENCH_READ_WARMUP=20  BENCH_READ_WARMUP_SECONDS=10  BENCH_SEARCH_REQUESTS=300  BENCH_MLFLOW_WORKERS=4
#   BENCH_DIST=<dir> (reuse a build)  BENCH_KEEP_DBS=1 (do not drop the databases)
#   BENCH_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' (node flags for the Cairn processes)
#   BENCH_DB_PREFIX=<name> (databases <name>_cairn and <name>_mlflow; default bench / bench_reg)
#   BENCH_SUITE=tracking|registry (registry: bench/registry.sh, search_registered_models
#   and search_model_versions with three tag filters, bench/src/registry.ts)
#   MLFLOW_VENV=<venv> (default: test/compat/venv.sh's, created or updated on the way)
set -euo pipefail +m # no job control: `setsid` must not fork, so $! is the process group it creates
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib.sh
source bench/lib.sh

PG_HOST=127.0.0.1 PG_PORT=55432 PG_USER=postgres
MLFLOW_VERSION=3.17.2
BENCH_MLFLOW_WORKERS=${BENCH_MLFLOW_WORKERS:-4} # `mlflow server` default (uvicorn, 4 workers)
TS=$(date -u +%Y%m%dT%H%M%SZ)
SUITE=${BENCH_SUITE:-tracking}
case "$SUITE" in
  tracking) DB_PREFIX=${BENCH_DB_PREFIX:-bench} ENTRY=main.js OUT="$ROOT/bench/results/$TS.json" ;;
  registry) DB_PREFIX=${BENCH_DB_PREFIX:-bench_reg} ENTRY=registry.js OUT="$ROOT/bench/results/registry-$TS.json" ;;
  *) printf 'unknown BENCH_SUITE %s (tracking|registry)\n' "$SUITE" >&2; exit 2 ;;
esac
CAIRN_DB=${DB_PREFIX}_cairn MLFLOW_DB=${DB_PREFIX}_mlflow
WORK=$(mktemp -d "/tmp/cairn-bench-$SUITE.$TS.XXXX")
BUDGET_S=${BENCH_BUDGET_SECONDS:-900}

say() { printf '[run.sh %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[run.sh] ERROR: %s\n' "$*" >&2; exit 1; }
psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# ---- preflight --------------------------------------------------------------
command -v psql >/dev/null || die "psql not found"
psql_admin -c 'SELECT 1' >/dev/null 2>&1 ||
  die "PostgreSQL is not reachable on $PG_HOST:$PG_PORT — start the stack: bash deploy/local/stack.sh up"
bash deploy/local/stack.sh status >/dev/null 2>&1 ||
  die "the local stack is not healthy (Cairn distributed needs PostgreSQL and Kafka): bash deploy/local/stack.sh status"
if [[ -z ${MLFLOW_VENV:-} ]]; then
  MLFLOW_VENV=$(bash test/compat/venv.sh) || die "cannot set up the MLflow venv (test/compat/venv.sh)"
fi
[[ -x $MLFLOW_VENV/bin/mlflow ]] || die "no MLflow venv at $MLFLOW_VENV (pip install mlflow==$MLFLOW_VERSION psycopg2-binary)"
got=$("$MLFLOW_VENV/bin/python" -c 'import mlflow; print(mlflow.__version__)' 2>/dev/null) || die "cannot import mlflow from $MLFLOW_VENV"
[[ $got == "$MLFLOW_VERSION" ]] || die "MLflow in $MLFLOW_VENV is $got, expected $MLFLOW_VERSION"
"$MLFLOW_VENV/bin/python" -c 'import psycopg2' 2>/dev/null ||
  die "psycopg2 missing in $MLFLOW_VENV: $MLFLOW_VENV/bin/pip install psycopg2-binary"

# A private build (dist/.bench/<ts>), so a concurrent `npm run build` cannot change the
# code under the benchmark; BENCH_DIST=<dir> reuses an existing build instead.
if [[ -n ${BENCH_DIST:-} ]]; then
  DIST=$BENCH_DIST
else
  DIST=dist/.bench/$TS
  say "building Cairn into $DIST"
  build_cairn "$DIST" "$WORK/build.log" || { rm -rf "$DIST"; die "building Cairn failed (log: $WORK/build.log)"; }
fi
[[ -f $DIST/services/gateway/src/main.js ]] || die "no Cairn build in $DIST"
npx tsc -p bench/tsconfig.json --outDir "$DIST/bench" >"$WORK/tsc.log" 2>&1 || { cat "$WORK/tsc.log" >&2; die "compiling bench/ failed"; }

# ---- lifecycle --------------------------------------------------------------
declare -A PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for name in "${!PIDS[@]}"; do
    # every server was started with setsid: its pid is its process group (uvicorn workers included)
    kill -TERM -- "-${PIDS[$name]}" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    local alive=0
    for name in "${!PIDS[@]}"; do kill -0 "${PIDS[$name]}" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for name in "${!PIDS[@]}"; do
    if kill -0 "${PIDS[$name]}" 2>/dev/null; then
      say "$name did not stop within 10 s of SIGTERM; SIGKILL"
      kill -KILL -- "-${PIDS[$name]}" 2>/dev/null || true
    fi
  done
  if [[ ${BENCH_KEEP_DBS:-0} != 1 ]]; then
    psql_admin -c "DROP DATABASE IF EXISTS $CAIRN_DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $MLFLOW_DB WITH (FORCE)" 2>/dev/null || true
  fi
  if ((rc != 0)); then
    say "failed (exit $rc); server logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  [[ -z ${BENCH_DIST:-} && -n ${DIST:-} ]] && rm -rf "$DIST"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # name logfile command... — in its own session/process group
  local name=$1 logf=$2
  shift 2
  setsid "$@" >"$logf" 2>&1 </dev/null &
  PIDS[$name]=$!
  disown "$!" # no job-control chatter when cleanup has to SIGKILL it
}

wait_http() { # name url seconds
  local name=$1 url=$2 secs=$3 i
  for ((i = 0; i < secs * 5; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    for p in "${!PIDS[@]}"; do
      kill -0 "${PIDS[$p]}" 2>/dev/null || { tail -40 "$WORK/$p.log" >&2; die "$p exited during start-up (log above)"; }
    done
    sleep 0.2
  done
  for p in "${!PIDS[@]}"; do printf -- '--- %s (last 20 lines) ---\n' "$p" >&2; tail -20 "$WORK/$p.log" >&2; done
  die "$name did not answer $url within ${secs}s"
}

say "fresh databases $CAIRN_DB and $MLFLOW_DB"
psql_admin -c "DROP DATABASE IF EXISTS $CAIRN_DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $MLFLOW_DB WITH (FORCE)" \
  -c "CREATE DATABASE $CAIRN_DB" -c "CREATE DATABASE $MLFLOW_DB" || die "cannot create the bench databases"

# MLflow: the production server (uvicorn) with its defaults; psycopg2 driver named explicitly
# (SQLAlchemy 2.1 would otherwise pick psycopg 3 for postgresql://).
MLFLOW_PORT=$(free_port)
mkdir -p "$WORK/mlflow-cwd" # --serve-artifacts (default) writes ./mlartifacts
start mlflow "$WORK/mlflow.log" env -C "$WORK/mlflow-cwd" "$MLFLOW_VENV/bin/mlflow" server \
  --backend-store-uri "postgresql+psycopg2://$PG_USER@$PG_HOST:$PG_PORT/$MLFLOW_DB" \
  --host 127.0.0.1 --port "$MLFLOW_PORT" --workers "$BENCH_MLFLOW_WORKERS"

# Cairn distributed: five processes, configured by environment only.
set -a
# shellcheck disable=SC1091 # deploy/local/stack.env
source deploy/local/stack.env
set +a
# Authentication off: `mlflow server` without --app-name basic-auth has none either.
export CAIRN_MODE=distributed CAIRN_LOG_LEVEL=warn CAIRN_AUTH=off
export CAIRN_DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$CAIRN_DB"
CAIRN_PORT=$(free_port)
export CAIRN_PORT
declare -A GRPC=()
for svc in tracking artifacts registry serving; do GRPC[$svc]=$(free_port); done
export CAIRN_TRACKING_GRPC_URL=127.0.0.1:${GRPC[tracking]} CAIRN_ARTIFACTS_GRPC_URL=127.0.0.1:${GRPC[artifacts]}
export CAIRN_REGISTRY_GRPC_URL=127.0.0.1:${GRPC[registry]} CAIRN_SERVING_GRPC_URL=127.0.0.1:${GRPC[serving]}
for svc in tracking artifacts registry serving; do
  # shellcheck disable=SC2086 # BENCH_NODE_OPTIONS holds several words (e.g. --cpu-prof --cpu-prof-dir=/tmp/p)
  CAIRN_GRPC_LISTEN=127.0.0.1:${GRPC[$svc]} start "cairn-$svc" "$WORK/cairn-$svc.log" node ${BENCH_NODE_OPTIONS:-} "$DIST/services/$svc/src/main.js"
done
# shellcheck disable=SC2086
start cairn-gateway "$WORK/cairn-gateway.log" node ${BENCH_NODE_OPTIONS:-} "$DIST/services/gateway/src/main.js"

say "waiting for MLflow on :$MLFLOW_PORT (workers: $BENCH_MLFLOW_WORKERS) and Cairn on :$CAIRN_PORT"
wait_http mlflow "http://127.0.0.1:$MLFLOW_PORT/api/2.0/mlflow/experiments/get?experiment_id=0" 120
wait_http cairn "http://127.0.0.1:$CAIRN_PORT/api/2.0/mlflow/experiments/get?experiment_id=0" 90
[ "$SUITE" != registry ] || wait_http cairn-registry "http://127.0.0.1:$CAIRN_PORT/api/2.0/mlflow/registered-models/search?max_results=1" 60
say "both servers are up"

export BENCH_CAIRN_URL="http://127.0.0.1:$CAIRN_PORT" BENCH_MLFLOW_URL="http://127.0.0.1:$MLFLOW_PORT"
export BENCH_CAIRN_DB="postgres://$PG_USER@$PG_HOST:$PG_PORT/$CAIRN_DB"
export BENCH_MLFLOW_DB="postgres://$PG_USER@$PG_HOST:$PG_PORT/$MLFLOW_DB"
export BENCH_OUT="$OUT" BENCH_MLFLOW_WORKERS
BENCH_CAIRN_REV="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+uncommitted')"
export BENCH_CAIRN_REV
timeout --signal=TERM "$BUDGET_S" node "$DIST/bench/$ENTRY" || die "the benchmark failed or exceeded ${BUDGET_S}s (server logs: $WORK)"
for p in "${!PIDS[@]}"; do
  kill -0 "${PIDS[$p]}" 2>/dev/null || say "warning: $p was no longer running at the end (log: $WORK/$p.log)"
done
say "done: $OUT"
