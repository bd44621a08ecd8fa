#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Cairn local test stack: PostgreSQL, Redis, Kafka (KRaft) and an S3 server
# on fixed 127.0.0.1 ports, without Docker. See README.md beside this file.
#
#   stack.sh up     [postgres|redis|kafka|s3 ...]   install if missing, start, wait until ready
#   stack.sh down   [...]                           stop and delete runtime data (caches kept)
#   stack.sh status [...]                           exit 0 only if all named are healthy
#   stack.sh smoke  [...]                           real round trip against each
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_components

usage() {
  sed -n '3,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

(($# >= 1)) || usage
cmd=$1
shift
comps=("$@")
((${#comps[@]})) || comps=("${ALL_COMPONENTS[@]}")
for c in "${comps[@]}"; do
  [[ " ${ALL_COMPONENTS[*]} " == *" $c "* ]] || { log "unknown component: $c"; usage; }
done

take_lock() {
  ensure_dirs
  exec 9>"$CAIRN_STACK_RUN/.stack.lock" # fd 9: closed by every process left running
  flock -w 1800 9 || die "another stack.sh holds $CAIRN_STACK_RUN/.stack.lock"
}

show_failure() {
  local c=$1 f
  for f in "$CAIRN_STACK_LOGS/$c.setup.log" "$CAIRN_STACK_LOGS/$c.log"; do
    [[ -s $f ]] || continue
    printf '\n----- %s: last 40 lines of %s -----\n' "$c" "$f" >&2
    tail -n 40 "$f" >&2
  done
  printf '\n' >&2
}

cmd_up() {
  take_lock
  local c pkgs=() started=$SECONDS
  for c in "${comps[@]}"; do
    mapfile -t -O "${#pkgs[@]}" pkgs < <("${c}_apt_needs")
  done
  if ((${#pkgs[@]})); then
    mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
    apt_install "${pkgs[@]}" || die "apt-get install failed"
  fi

  declare -A job_of=()
  local pid
  for c in "${comps[@]}"; do
    (component_up "$c") >"$CAIRN_STACK_LOGS/$c.setup.log" 2>&1 &
    job_of[$!]=$c
  done
  log "starting ${comps[*]} (progress: $CAIRN_STACK_LOGS/<name>.setup.log)"

  # Report each component as it finishes. Not `wait -n -p`: bash 5.2 can
  # return from it with the status and pid of the wrong job (a component
  # reported FAILED while it was still starting). A finished child is reaped
  # by bash, so `kill -0` stops seeing it and `wait PID` returns its own status.
  local failed=()
  while ((${#job_of[@]})); do
    for pid in "${!job_of[@]}"; do
      kill -0 "$pid" 2>/dev/null && continue
      local rc=0
      wait "$pid" || rc=$?
      c=${job_of[$pid]}
      unset "job_of[$pid]"
      if ((rc == 0)); then
        tail -n 1 "$CAIRN_STACK_LOGS/$c.setup.log" >&2
      else
        log "$c: FAILED (exit $rc)"
        show_failure "$c"
        failed+=("$c")
      fi
    done
    if ((${#job_of[@]})); then sleep 0.2; fi
  done
  if ((${#failed[@]})); then
    die "failed to start: ${failed[*]} (logs in $CAIRN_STACK_LOGS)"
  fi
  log "stack up in $((SECONDS - started))s: ${comps[*]}; env: $CAIRN_STACK_DIR/stack.env; logs: $CAIRN_STACK_LOGS"
}

cmd_down() {
  take_lock
  local i
  for ((i = ${#comps[@]} - 1; i >= 0; i--)); do
    component_down "${comps[i]}"
  done
  log "stopped: ${comps[*]} (runtime data removed; caches kept in $CAIRN_STACK_CACHE)"
}

cmd_status() {
  local c rc=0
  for c in "${comps[@]}"; do component_status "$c" || rc=1; done
  return "$rc"
}

cmd_smoke() {
  local c rc=0
  for c in "${comps[@]}"; do
    "${c}_smoke" || { log "$c: smoke test FAILED"; rc=1; }
  done
  return "$rc"
}

case $cmd in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  smoke) cmd_smoke ;;
  *) usage ;;
esac
