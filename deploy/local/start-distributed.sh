#!/usr/bin/env bash
# Distributed mode on this machine: the real stack (stack.sh up), then each
# of the five services as its own process, configured only by environment
# variables (deploy/local/stack.env plus the gRPC addresses below).
# Logs: ${CAIRN_STACK_RUN:-/tmp/cairn-stack}/logs/cairn-<service>.log. Ctrl-C stops them all.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
LOGS="${CAIRN_STACK_RUN:-/tmp/cairn-stack}/logs"

bash deploy/local/stack.sh up
[ -f dist/services/gateway/src/main.js ] || npm run build

set -a
# shellcheck source=stack.env
source deploy/local/stack.env
CAIRN_MODE=distributed
CAIRN_PORT=${CAIRN_PORT:-5000}
CAIRN_TRACKING_GRPC_URL=127.0.0.1:50051
CAIRN_ARTIFACTS_GRPC_URL=127.0.0.1:50052
CAIRN_REGISTRY_GRPC_URL=127.0.0.1:50053
CAIRN_SERVING_GRPC_URL=127.0.0.1:50054
# Authentication is on in distributed mode. Without an admin given, make a
# one-off random password for this run (never a default one) and print it.
CAIRN_ADMIN_USERNAME=${CAIRN_ADMIN_USERNAME:-admin}
if [ -z "${CAIRN_ADMIN_PASSWORD:-}" ] && [ -z "${CAIRN_ADMIN_PASSWORD_FILE:-}" ]; then
  CAIRN_ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  echo "admin password for this run (user $CAIRN_ADMIN_USERNAME): $CAIRN_ADMIN_PASSWORD"
fi
# Webhook secrets are encrypted with this key: keep one per local stack so restarts can read them.
key_file="${CAIRN_STACK_RUN:-/tmp/cairn-stack}/cairn-secret-key"
[ -s "$key_file" ] || (umask 077 && head -c 32 /dev/urandom | base64 > "$key_file")
CAIRN_SECRET_KEY=${CAIRN_SECRET_KEY:-$(cat "$key_file")}
set +a

pids=()
all_running() { # one by one: `kill -0 a b` succeeds when any of them exists
  local pid
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
}
stop() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

declare -A port=([tracking]=50051 [artifacts]=50052 [registry]=50053 [serving]=50054)
for svc in tracking artifacts registry serving; do
  CAIRN_GRPC_LISTEN="127.0.0.1:${port[$svc]}" node "dist/services/$svc/src/main.js" >"$LOGS/cairn-$svc.log" 2>&1 &
  pids+=($!)
done
node dist/services/gateway/src/main.js >"$LOGS/cairn-gateway.log" 2>&1 &
pids+=($!)

# Ready once the gateway answers an authenticated call that reaches tracking.
admin_password=${CAIRN_ADMIN_PASSWORD:-$(cat "${CAIRN_ADMIN_PASSWORD_FILE:-/dev/null}")}
for _ in $(seq 1 150); do
  if curl -fsS -u "$CAIRN_ADMIN_USERNAME:$admin_password" "http://127.0.0.1:$CAIRN_PORT/api/2.0/mlflow/experiments/get?experiment_id=0" >/dev/null 2>&1; then
    echo "Cairn (distributed) is listening on http://127.0.0.1:$CAIRN_PORT — logs in $LOGS/cairn-*.log"
    # Not `wait -n`: bash 5.2 can return from it while every job still runs.
    while all_running; do sleep 1; done
    echo "a service exited; stopping the others" >&2
    exit 1
  fi
  sleep 0.2
done
echo "Cairn did not come up; see $LOGS/cairn-*.log" >&2
exit 1
