# shellcheck shell=bash
# Shared helpers for the Cairn local test stack. Sourced by stack.sh,
# install-helm.sh, kafka-cli.sh and components/*.sh; not meant to be run.

CAIRN_STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CAIRN_STACK_CACHE="${CAIRN_STACK_CACHE:-$HOME/.cache/cairn-stack}"
CAIRN_STACK_RUN="${CAIRN_STACK_RUN:-/tmp/cairn-stack}"
CAIRN_STACK_LOGS="$CAIRN_STACK_RUN/logs"
export CAIRN_STACK_CACHE CAIRN_STACK_RUN

# Go lives in /usr/local/go on our machines; cached binaries in the cache.
export PATH="$CAIRN_STACK_CACHE/bin:$PATH:/usr/local/go/bin"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[cairn-stack %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

ensure_dirs() {
  mkdir -p "$CAIRN_STACK_CACHE/bin" "$CAIRN_STACK_LOGS"
  chmod 755 "$CAIRN_STACK_RUN" "$CAIRN_STACK_LOGS"
}

# ---- apt ---------------------------------------------------------------
_APT_UPDATED=0
# apt_install PKG...: install the given Debian packages (once, non-interactive)
# without letting their init scripts start system services.
apt_install() {
  (($#)) || return 0
  [[ $EUID -eq 0 ]] || die "need root to apt-get install: $*"
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  local rc=0
  {
    if ((_APT_UPDATED == 0)); then
      log "apt-get update"
      apt-get update -qq && _APT_UPDATED=1
    fi
    log "apt-get install $*"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  } || rc=$?
  ((made_policy)) && rm -f "$policy"
  return "$rc"
}

# ---- processes and ports ------------------------------------------------
# pid_alive PID [COMM]: the process exists and is not a zombie (and its name
# is COMM, so that a stale pid file never makes us signal another process).
pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]] || return 1
  [[ -z ${2:-} || $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]]
}
pidfile_pid() { [[ -s $1 ]] && head -n1 "$1" | tr -dc '0-9'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# detach PIDFILE LOGFILE CMD...: start CMD in its own session, in the
# background, stdout/stderr appended to LOGFILE, its pid written to PIDFILE.
# Every process left running closes fd 9, stack.sh's lock.
detach() {
  local pidfile=$1 logfile=$2; shift 2
  rm -f "$pidfile" # a stale one would pass for the new process below
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  local i
  for i in $(seq 50); do [[ -s $pidfile ]] && break; sleep 0.1; done
  [[ -s $pidfile ]] || die "could not start $1"
  # The pid file is written before the exec: wait until the process is CMD (or
  # gone), so a <c>_running that checks the command name does not see "bash".
  local pid
  pid=$(pidfile_pid "$pidfile")
  for i in $(seq 100); do
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) != bash ]] && return 0
    sleep 0.05
  done
}

# stop_pid PID NAME [TIMEOUT]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 timeout=${3:-30} i
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIGTERM for ${timeout}s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

# rotate_log NAME: keep the previous run's log as NAME.log.1; echo the path.
rotate_log() {
  local f="$CAIRN_STACK_LOGS/$1.log"
  [[ -e $f ]] && mv -f "$f" "$f.1"
  : >"$f"
  echo "$f"
}

# ---- toolchains --------------------------------------------------------
require_go() {
  have go || die "Go >= 1.21 is required (Debian 12's is too old); install it to /usr/local/go"
}

# cache_locked NAME CMD...: run CMD holding the cache's install lock NAME
# (stacks with different CAIRN_STACK_RUN may share one cache).
cache_locked() {
  local name=$1; shift
  mkdir -p "$CAIRN_STACK_CACHE"
  (
    flock -w 1800 8 || die "timed out waiting for $CAIRN_STACK_CACHE/.lock-$name"
    "$@"
  ) 8>"$CAIRN_STACK_CACHE/.lock-$name"
}

# go_install_cached NAME PKG VERSION...: go install PKG at the first VERSION
# that resolves ("latest" allowed) into $CAIRN_STACK_CACHE/go/NAME-<version>,
# link it as $CAIRN_STACK_CACHE/bin/NAME and echo that path. What the first
# VERSION resolved to is remembered (go/NAME@VERSION), so later calls touch
# neither the network nor Go, and a new pinned version is installed anew.
go_install_cached() {
  local name=$1 pkg=$2 v; shift 2
  local link="$CAIRN_STACK_CACHE/bin/$name" resolved="$CAIRN_STACK_CACHE/go/$name@$1"
  mkdir -p "$CAIRN_STACK_CACHE/go" "$CAIRN_STACK_CACHE/bin"
  if [[ -x $resolved/$name ]]; then
    [[ $(readlink -f "$link") == "$(readlink -f "$resolved/$name")" ]] ||
      ln -sfn "$(readlink -f "$resolved/$name")" "$link"
    echo "$link"
    return 0
  fi
  require_go
  local stage real
  for v in "$@"; do
    stage="$CAIRN_STACK_CACHE/go/.stage-$name-$$"
    rm -rf "$stage" && mkdir -p "$stage"
    log "go install $pkg@$v (first time: downloads modules and builds, takes minutes)"
    if GOBIN="$stage" GOFLAGS="-buildvcs=false" go install "$pkg@$v" >&2; then
      real=$(go version -m "$stage/$name" | awk '$1 == "mod" { print $3; exit }')
      [[ -n $real ]] || real=$v
      rm -rf "$CAIRN_STACK_CACHE/go/$name-$real"
      mv "$stage" "$CAIRN_STACK_CACHE/go/$name-$real"
      ln -sfn "$name-$real" "$resolved"
      ln -sfn "$CAIRN_STACK_CACHE/go/$name-$real/$name" "$link"
      log "installed $name $real"
      echo "$link"
      return 0
    fi
    log "go install $pkg@$v failed; trying the next version"
    rm -rf "$stage"
  done
  die "could not go install $pkg (tried: $*)"
}

# ---- generic component lifecycle ----------------------------------------
# Each components/<c>.sh defines: <c>_apt_needs (echo missing packages),
# <c>_install, <c>_start, <c>_running (our process exists), <c>_healthy
# (answers its protocol), <c>_stop, <c>_smoke (a real round trip), <c>_info and
# optionally <c>_ready (first readiness; defaults to <c>_healthy),
# <c>_post_start, and the variables <C>_PORT and <C>_READY_TIMEOUT.
ALL_COMPONENTS=(postgres redis kafka s3)

load_components() {
  local c
  for c in "${ALL_COMPONENTS[@]}"; do
    # shellcheck source=/dev/null
    source "$CAIRN_STACK_DIR/components/$c.sh"
  done
}

has_fn() { declare -F "$1" >/dev/null; }

component_up() {
  local c=$1 start=$SECONDS
  if [[ ${CAIRN_STACK_FRESH:-0} == 1 ]]; then
    log "$c: CAIRN_STACK_FRESH=1, wiping its data"
    component_down "$c"
  elif "${c}_healthy"; then
    log "$c: already running and healthy; left as is"
    return 0
  fi
  cache_locked "$c" "${c}_install"
  "${c}_stop" quiet # a stale or half-started leftover of ours
  local port_var="${c^^}_PORT" timeout_var="${c^^}_READY_TIMEOUT"
  local port=${!port_var}
  if port_open "$port"; then
    die "$c: port $port is taken by a process that is not a healthy $c of this stack"
  fi
  "${c}_start"
  local ready="${c}_ready" deadline=$((SECONDS + ${!timeout_var:-60}))
  has_fn "$ready" || ready="${c}_healthy"
  until "$ready"; do
    if ! "${c}_running"; then
      die "$c: process exited during start-up (log: $CAIRN_STACK_LOGS/$c.log)"
    fi
    ((SECONDS < deadline)) || die "$c: not ready after ${!timeout_var:-60}s (log: $CAIRN_STACK_LOGS/$c.log)"
    sleep 0.5
  done
  if has_fn "${c}_post_start"; then "${c}_post_start"; fi
  log "$c: ready on 127.0.0.1:$port after $((SECONDS - start))s"
}

component_down() {
  local c=$1
  "${c}_stop"
  rm -rf "${CAIRN_STACK_RUN:?}/$c"
}

component_status() {
  local c=$1 state
  if "${c}_healthy"; then state=up; elif "${c}_running"; then state=unhealthy; else state=down; fi
  local pid=""
  if "${c}_running"; then pid=" (pid $("${c}_pid"))"; fi
  printf '%-9s %-10s %s%s\n' "$c" "$state" "$("${c}_info")" "$pid"
  [[ $state == up ]]
}
