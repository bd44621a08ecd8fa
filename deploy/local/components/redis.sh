# shellcheck shell=bash disable=SC2034 # <C>_* settings are read by lib.sh
# Redis from Debian's redis-server package; our own instance, no persistence.
# (The package's system service is never started by us: apt_install blocks
# init scripts, and it would listen on 6379 anyway.)

REDIS_PORT=56379
REDIS_READY_TIMEOUT=20
REDIS_DIR="$CAIRN_STACK_RUN/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"

redis_apt_needs() {
  have redis-server || echo redis-server
  have redis-cli || echo redis-tools
}

rcli() { timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

redis_install() { have redis-server || die "redis: redis-server missing"; }

redis_start() {
  mkdir -p "$REDIS_DIR"
  local logfile
  logfile=$(rotate_log redis)
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save '' --appendonly no --dir "$REDIS_DIR" --pidfile "$REDIS_PIDFILE" \
    --logfile "$logfile" --maxclients 1000 9>&-
}

redis_pid() { pidfile_pid "$REDIS_PIDFILE"; }
redis_running() { pid_alive "$(redis_pid)" redis-server; }
redis_healthy() { [[ $(rcli ping 2>/dev/null) == PONG ]]; }

redis_stop() {
  redis_running || return 0
  [[ ${1:-} == quiet ]] || log "redis: stopping"
  local pid; pid=$(redis_pid)
  rcli shutdown nosave >/dev/null 2>&1 || true
  stop_pid "$pid" redis 10
}

redis_smoke() {
  local key="cairn-smoke-$$" out
  rcli set "$key" ok EX 60 >/dev/null && out=$(rcli get "$key") && [[ $out == ok ]] &&
    echo "redis: PING=$(rcli ping), SET/GET round trip ok"
}

redis_info() { echo "redis://127.0.0.1:$REDIS_PORT"; }
