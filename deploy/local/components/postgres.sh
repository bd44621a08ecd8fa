# shellcheck shell=bash disable=SC2034 # <C>_* settings are read by lib.sh
# PostgreSQL 15 from Debian's packages: trust auth, fsync off (test stack only).

POSTGRES_PORT=55432
POSTGRES_READY_TIMEOUT=60
POSTGRES_DATABASES=(cairn mlflow)
PG_BIN="${CAIRN_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DIR="$CAIRN_STACK_RUN/postgres"
PG_DATA="$PG_DIR/data"

postgres_apt_needs() {
  [[ -x $PG_BIN/initdb ]] || echo postgresql-15
  [[ -x $PG_BIN/psql ]] || echo postgresql-client-15
}

# initdb and pg_ctl refuse to run as root.
as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_psql() { PGCONNECT_TIMEOUT=3 timeout 20 "$PG_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }

postgres_install() {
  [[ -x $PG_BIN/initdb ]] || die "postgres: $PG_BIN/initdb missing"
  if [[ -s $PG_DATA/PG_VERSION ]]; then return 0; fi
  mkdir -p "$PG_DIR" && chmod 755 "$PG_DIR"
  [[ $EUID -eq 0 ]] && chown postgres:postgres "$PG_DIR"
  as_pg test -w "$PG_DIR" || die "postgres: user postgres cannot write $PG_DIR (is CAIRN_STACK_RUN under a private folder?)"
  rm -rf "$PG_DATA"
  log "postgres: initdb $PG_DATA"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- cairn local test stack (never use these settings in production) ---
listen_addresses = '127.0.0.1'
port = $POSTGRES_PORT
unix_socket_directories = '/tmp'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

postgres_start() {
  local logfile
  logfile=$(rotate_log postgres)
  [[ $EUID -eq 0 ]] && chown postgres:postgres "$logfile"
  # Not running (postgres_stop ran first) and the port is free, so lock files
  # left by a killed server or a restored machine are stale; PostgreSQL would
  # refuse to start if the pid in them now belongs to any other process.
  rm -f "$PG_DATA/postmaster.pid" "/tmp/.s.PGSQL.$POSTGRES_PORT" "/tmp/.s.PGSQL.$POSTGRES_PORT.lock"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$logfile" -s start 9>&-
}

postgres_pid() { [[ -s $PG_DATA/postmaster.pid ]] && pidfile_pid "$PG_DATA/postmaster.pid"; }
postgres_running() { pid_alive "$(postgres_pid)" postgres; }
postgres_healthy() { [[ $(pg_psql -tAc 'select 1' 2>/dev/null) == 1 ]]; }

postgres_post_start() {
  local db
  for db in "${POSTGRES_DATABASES[@]}"; do
    if [[ -z $(pg_psql -tAc "select 1 from pg_database where datname = '$db'") ]]; then
      pg_psql -c "create database \"$db\""
      log "postgres: created database $db"
    fi
  done
}

postgres_stop() {
  postgres_running || return 0
  [[ ${1:-} == quiet ]] || log "postgres: stopping"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -s -m fast -w -t 30 stop ||
    stop_pid "$(postgres_pid)" postgres 10
}

postgres_smoke() {
  local out
  out=$(pg_psql -d cairn -tAc "create temp table smoke(x int); insert into smoke values (41); select x + 1 from smoke") &&
    [[ $out == 42 ]] && echo "postgres: query on database cairn returned $out"
}

postgres_info() { echo "postgres://postgres@127.0.0.1:$POSTGRES_PORT/cairn (and /mlflow)"; }
