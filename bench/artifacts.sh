#!/usr/bin/env bash
# Artifact proxy benchmark: one large file up and down through Cairn's gateway
# (distributed mode: gateway and artifacts service as separate processes,
# S3 backend = the local stack's S3 server), side by side with a direct PUT/GET
# to the same S3 server (presigned URLs, curl both ways), in one run.
#
#   bash bench/artifacts.sh            # 2 GiB (2048 MiB) file
#   ARTIFACTS_BENCH_MB=512 bash bench/artifacts.sh
#   ARTIFACTS_BENCH_RUNS=3 bash bench/artifacts.sh   # medians of 3 back-to-back runs
#
# Reports throughput of each transfer, the gateway/direct ratio (target ≥ 0.70)
# and the RSS growth of the gateway and artifacts processes (target ≤ 100 MB
# each), sampled from /proc/<pid>/status (VmRSS every 100 ms, and VmHWM).
# Uploads cross two Node processes (gateway → artifacts service → S3);
# downloads from S3 cross one: the artifacts service resolves and checks the
# file and hands the gateway a presigned GET, which the gateway reads into
# reused 4 MiB buffers and writes straight on. For scale it also times a bare
# one-hop Node proxy (http.request piped to a presigned S3 URL, nothing else)
# on the same machine (ARTIFACTS_BENCH_CEILING=0 skips it). The CPU seconds
# each Cairn process spends per GiB moved (from /proc/<pid>/stat) are printed
# too: unlike throughput, they hold up when other work shares the machine.
# The load average before and after is printed: on a shared machine, compare
# runs taken back to back.
# Needs: `npm run build` (dist/), the local stack up (deploy/local/stack.sh up).
# CAIRN_BENCH_ROOT points at another build (a tree with dist/, proto/, node_modules/).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${CAIRN_BENCH_ROOT:-$REPO}
MB=${ARTIFACTS_BENCH_MB:-2048}
RSS_LIMIT_MB=${ARTIFACTS_BENCH_RSS_LIMIT_MB:-100}
RATIO_TARGET=${ARTIFACTS_BENCH_RATIO:-0.70}
RUNS=${ARTIFACTS_BENCH_RUNS:-1}

[[ -f $ROOT/dist/services/gateway/src/main.js ]] || { echo "artifacts bench: $ROOT/dist is missing: npm run build" >&2; exit 1; }

set -a
# shellcheck source=../deploy/local/stack.env
source "$REPO/deploy/local/stack.env"
set +a
curl -fsS "$CAIRN_S3_ENDPOINT/health" >/dev/null 2>&1 || curl -sS -o /dev/null "$CAIRN_S3_ENDPOINT/" ||
  { echo "artifacts bench: no S3 server at $CAIRN_S3_ENDPOINT (bash deploy/local/stack.sh up)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-artifacts-bench-XXXXXX")
HTTP_PORT=$(free_port)
GRPC_PORT=$(free_port)
BASE="http://127.0.0.1:$HTTP_PORT"
RUN_KEY="bench/artifacts-$(date +%s)-$$"
pids=()

cleanup() {
  set +e
  curl -s -o /dev/null -X DELETE "$BASE/api/2.0/mlflow-artifacts/artifacts/$RUN_KEY"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# A database of its own (the gateway keeps its schema there), created once and kept; authentication off:
# this measures bytes, not permissions.
BENCH_DB=cairn_artifacts_bench
(cd "$ROOT" && node -e '
  const { Client } = require("pg");
  const c = new Client({ connectionString: process.env.CAIRN_DATABASE_URL });
  c.connect().then(() => c.query("SELECT 1 FROM pg_database WHERE datname = $1", [process.argv[1]]))
    .then((r) => r.rowCount ? null : c.query(`CREATE DATABASE ${process.argv[1]}`)).finally(() => c.end());
' "$BENCH_DB")
export CAIRN_DATABASE_URL="${CAIRN_DATABASE_URL%/*}/$BENCH_DB"
export CAIRN_MODE=distributed CAIRN_AUTH=off CAIRN_LOG_LEVEL=warn CAIRN_PORT=$HTTP_PORT CAIRN_ARTIFACTS_GRPC_URL=127.0.0.1:$GRPC_PORT
CAIRN_GRPC_LISTEN=127.0.0.1:$GRPC_PORT node "$ROOT/dist/services/artifacts/src/main.js" >"$WORK/artifacts.log" 2>&1 &
ARTIFACTS_PID=$!
pids+=("$ARTIFACTS_PID")
node "$ROOT/dist/services/gateway/src/main.js" >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
pids+=("$GATEWAY_PID")

for _ in $(seq 1 150); do
  if curl -fs -o /dev/null "$BASE/api/2.0/mlflow-artifacts/artifacts?path=bench" 2>/dev/null; then break; fi
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/api/2.0/mlflow-artifacts/artifacts?path=bench" ||
  { echo "artifacts bench: Cairn did not come up"; cat "$WORK"/*.log; exit 1; } >&2

echo "artifacts bench: ${MB} MiB file, gateway $BASE (pid $GATEWAY_PID), artifacts service (pid $ARTIFACTS_PID), S3 $CAIRN_S3_ENDPOINT"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
FILE="$WORK/payload.bin"
head -c "$((MB * 1024 * 1024))" /dev/urandom >"$FILE"
SUM=$(sha256sum "$FILE" | cut -d' ' -f1)

# Warm both paths (connections, JIT) with a small file before the baseline RSS.
head -c $((4 * 1024 * 1024)) /dev/urandom >"$WORK/warm.bin"
curl -fsS -o /dev/null -T "$WORK/warm.bin" "$BASE/api/2.0/mlflow-artifacts/artifacts/$RUN_KEY/warm.bin"
curl -fsS -o /dev/null "$BASE/api/2.0/mlflow-artifacts/artifacts/$RUN_KEY/warm.bin"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
GW_BASE=$(rss_kb "$GATEWAY_PID")
AR_BASE=$(rss_kb "$ARTIFACTS_PID")
GW_HWM0=$(hwm_kb "$GATEWAY_PID")
AR_HWM0=$(hwm_kb "$ARTIFACTS_PID")
(
  gw=0; ar=0
  while kill -0 "$GATEWAY_PID" 2>/dev/null && [[ ! -f $WORK/stop-sampling ]]; do
    g=$(rss_kb "$GATEWAY_PID"); a=$(rss_kb "$ARTIFACTS_PID")
    ((g > gw)) && gw=$g; ((a > ar)) && ar=$a
    echo "$gw $ar" >"$WORK/rss-peak"
    sleep 0.1
  done
) &
SAMPLER=$!

presign() { # method key -> URL on the S3 server
  (cd "$ROOT" && node -e '
    const { Client } = require("minio");
    const u = new URL(process.env.CAIRN_S3_ENDPOINT);
    const c = new Client({ endPoint: u.hostname, port: Number(u.port) || undefined, useSSL: u.protocol === "https:",
      accessKey: process.env.CAIRN_S3_ACCESS_KEY, secretKey: process.env.CAIRN_S3_SECRET_KEY,
      region: process.env.CAIRN_S3_REGION, pathStyle: true });
    c.presignedUrl(process.argv[1], process.env.CAIRN_S3_BUCKET, process.argv[2], 3600).then((url) => console.log(url));
  ' "$1" "$2")
}

# curl writes: seconds, bytes/s. Each PUT starts after `sync`, so no transfer pays for the previous one's writeback.
timed_put() { sync; curl -fsS -o /dev/null -w '%{time_total} %{speed_upload}\n' -T "$FILE" "$1"; }
timed_get() { curl -fsS -o /dev/null -w '%{time_total} %{speed_download}\n' "$1"; }
# CPU time a process has used so far, in clock ticks (utime + stime, fields 14 and 15 of /proc/<pid>/stat).
cpu_ticks() { local f; read -r -a f <<<"$(cut -d')' -f2- "/proc/$1/stat")"; echo $((f[11] + f[12])); }

# Each run times the four transfers back to back; with ARTIFACTS_BENCH_RUNS > 1 the report takes the
# median of each, and of the per-run gateway/direct ratios (the machine is shared: one run is noisy).
: >"$WORK/runs"
for _ in $(seq 1 "$RUNS"); do
  read -r d_put_s d_put_bps < <(timed_put "$(presign PUT "$RUN_KEY/direct.bin")")
  read -r d_get_s d_get_bps < <(timed_get "$(presign GET "$RUN_KEY/direct.bin")")
  c0="$(cpu_ticks "$GATEWAY_PID") $(cpu_ticks "$ARTIFACTS_PID")"
  read -r g_put_s g_put_bps < <(timed_put "$BASE/api/2.0/mlflow-artifacts/artifacts/$RUN_KEY/gateway.bin")
  c1="$(cpu_ticks "$GATEWAY_PID") $(cpu_ticks "$ARTIFACTS_PID")"
  read -r g_get_s g_get_bps < <(timed_get "$BASE/api/2.0/mlflow-artifacts/artifacts/$RUN_KEY/gateway.bin")
  c2="$(cpu_ticks "$GATEWAY_PID") $(cpu_ticks "$ARTIFACTS_PID")"
  echo "$d_put_s $d_put_bps $d_get_s $d_get_bps $g_put_s $g_put_bps $g_get_s $g_get_bps $c0 $c1 $c2" >>"$WORK/runs"
done

p_put_s=0 p_put_bps=0 p_get_s=0 p_get_bps=0
if [[ ${ARTIFACTS_BENCH_CEILING:-1} != 0 ]]; then
  PIPE_PORT=$(free_port)
  (cd "$ROOT" && exec node -e '
    const http = require("http"); const { Client } = require("minio");
    const u = new URL(process.env.CAIRN_S3_ENDPOINT);
    const c = new Client({ endPoint: u.hostname, port: Number(u.port) || undefined, useSSL: u.protocol === "https:",
      accessKey: process.env.CAIRN_S3_ACCESS_KEY, secretKey: process.env.CAIRN_S3_SECRET_KEY,
      region: process.env.CAIRN_S3_REGION, pathStyle: true });
    const agent = new http.Agent({ keepAlive: true });
    http.createServer(async (req, res) => {
      const url = await c.presignedUrl(req.method, process.env.CAIRN_S3_BUCKET, req.url.slice(1), 3600);
      const up = http.request(url, { method: req.method, agent,
        headers: req.method === "PUT" ? { "content-length": req.headers["content-length"] } : {} }, (r) => {
        res.writeHead(r.statusCode, { "content-length": r.headers["content-length"] }); r.pipe(res); });
      if (req.method === "PUT") req.pipe(up); else up.end();
    }).listen(Number(process.argv[1]), "127.0.0.1");
  ' "$PIPE_PORT") &
  pids+=($!)
  for _ in $(seq 1 50); do (echo >"/dev/tcp/127.0.0.1/$PIPE_PORT") 2>/dev/null && break; sleep 0.1; done
  read -r p_put_s p_put_bps < <(timed_put "http://127.0.0.1:$PIPE_PORT/$RUN_KEY/pipe.bin")
  read -r p_get_s p_get_bps < <(timed_get "http://127.0.0.1:$PIPE_PORT/$RUN_KEY/pipe.bin")
fi

touch "$WORK/stop-sampling"
wait "$SAMPLER" 2>/dev/null || true
read -r GW_PEAK AR_PEAK <"$WORK/rss-peak"
GW_HWM=$(hwm_kb "$GATEWAY_PID")
AR_HWM=$(hwm_kb "$ARTIFACTS_PID")

GOT=$(curl -fsS "$BASE/api/2.0/mlflow-artifacts/artifacts/$RUN_KEY/gateway.bin" | sha256sum | cut -d' ' -f1)
RANGE_LEN=$(curl -fsS -H 'Range: bytes=1000-1999' -o /dev/null -w '%{size_download}' "$BASE/api/2.0/mlflow-artifacts/artifacts/$RUN_KEY/gateway.bin")

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$MB" "$WORK/runs" "$p_put_s" "$p_put_bps" "$p_get_s" "$p_get_bps" \
  "$GW_BASE" "$GW_PEAK" "$GW_HWM0" "$GW_HWM" "$AR_BASE" "$AR_PEAK" "$AR_HWM0" "$AR_HWM" \
  "$SUM" "$GOT" "$RANGE_LEN" "$RSS_LIMIT_MB" "$RATIO_TARGET" <<'EOF'
import os, statistics, sys
a = sys.argv[1:]
mb = int(a[0])
runs = [list(map(float, line.split())) for line in open(a[1]) if line.strip()]
pps, ppb, pgs, pgb = map(float, a[2:6])
gw_base, gw_peak, gw_hwm0, gw_hwm, ar_base, ar_peak, ar_hwm0, ar_hwm = map(int, a[6:14])
want, got, range_len, rss_limit, ratio_target = a[14], a[15], int(a[16]), float(a[17]), float(a[18])
med = lambda i: statistics.median(r[i] for r in runs)
dps, dpb, dgs, dgb, gps, gpb, ggs, ggb = (med(i) for i in range(8))
mib = lambda bps: bps / 1024 / 1024
label = f" (median of {len(runs)} runs)" if len(runs) > 1 else ""
print(f"\n{'transfer':<22}{'seconds':>9}{'MiB/s':>9}{label}")
rows = [("direct S3 PUT", dps, dpb), ("direct S3 GET", dgs, dgb), ("gateway PUT", gps, gpb), ("gateway GET", ggs, ggb)]
if ppb > 0:
    rows += [("bare Node proxy PUT", pps, ppb), ("bare Node proxy GET", pgs, pgb)]
for name, s, b in rows:
    print(f"{name:<22}{s:>9.2f}{mib(b):>9.1f}")
up = statistics.median(r[5] / r[1] for r in runs)
down = statistics.median(r[7] / r[3] for r in runs)
if len(runs) > 1:
    for i, r in enumerate(runs, 1):
        print(f"  run {i}: upload {r[5] / r[1]:.2f} ({mib(r[5]):.0f}/{mib(r[1]):.0f} MiB/s), download {r[7] / r[3]:.2f} ({mib(r[7]):.0f}/{mib(r[3]):.0f} MiB/s)")
print(f"\nthroughput gateway/direct: upload {up:.2f}, download {down:.2f} (target >= {ratio_target:.2f})")
# CPU seconds per GiB moved: columns 8-13 are gateway/artifacts ticks before the PUT, after it, after the GET.
hz, gib = os.sysconf('SC_CLK_TCK'), mb / 1024
cpu = lambda proc, start, end: statistics.median((r[end + proc] - r[start + proc]) / hz / gib for r in runs)
print(f"CPU s per GiB{label}: upload gateway {cpu(0, 8, 10):.2f}, artifacts {cpu(1, 8, 10):.2f}; "
      f"download gateway {cpu(0, 10, 12):.2f}, artifacts {cpu(1, 10, 12):.2f}")
if ppb > 0:
    print(f"bare one-hop Node proxy/direct: upload {ppb / dpb:.2f}, download {pgb / dgb:.2f} (one plain http.request().pipe() hop, for scale)")
growth = lambda base, peak: (peak - base) / 1024
print(f"{'process':<12}{'base MB':>9}{'peak MB':>9}{'growth MB':>11}{'VmHWM before→after MB':>24}")
for name, base, peak, h0, h1 in [("gateway", gw_base, gw_peak, gw_hwm0, gw_hwm), ("artifacts", ar_base, ar_peak, ar_hwm0, ar_hwm)]:
    print(f"{name:<12}{base/1024:>9.1f}{peak/1024:>9.1f}{growth(base, peak):>11.1f}{f'{h0/1024:.1f} → {h1/1024:.1f}':>24}")
ok_sum = want == got
print(f"\nchecksum after download: {'ok' if ok_sum else f'MISMATCH {got} != {want}'}; Range 1000-1999 served {range_len} bytes")
ok = ok_sum and range_len == 1000 and min(up, down) >= ratio_target and max(growth(gw_base, gw_peak), growth(ar_base, ar_peak)) <= rss_limit
print(f"result: {'PASS' if ok else 'FAIL'} ({mb} MiB)")
sys.exit(0 if ok else 1)
EOF
