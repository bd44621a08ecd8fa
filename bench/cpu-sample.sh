#!/usr/bin/env bash
# CPU seconds used per process class during a window, from /proc (user + system time),
# so per-request costs can be read off a load run whatever else shares the machine.
#
#   bash bench/cpu-sample.sh <delay-seconds> <window-seconds> [path-fragment]
#
# Classes: Cairn services (by their main.js, optionally only those whose command line
# contains <path-fragment>, e.g. a private build dir), PostgreSQL backends by database,
# and any other process by its command line. Example: start a load run, then
# `bash bench/cpu-sample.sh 5 15 dist/.bench` and divide by the requests of the window.
set -euo pipefail
delay=${1:?delay seconds} window=${2:?window seconds} only=${3:-}
snap() {
  local d st cmd
  for d in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null | cut -c1-200) || continue
    st=$(cat "$d/stat" 2>/dev/null) || continue
    # fields after the ")" of the command name: utime is the 12th, stime the 13th
    read -r -a f <<<"${st##*) }"
    printf '%s\t%s\t%s\n' "${d#/proc/}" "$((f[11] + f[12]))" "$cmd"
  done
}
sleep "$delay"
a=$(mktemp) b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
snap >"$a"
sleep "$window"
snap >"$b"
python3 - "$a" "$b" "$only" <<'PY'
import os, re, sys
hz = os.sysconf('SC_CLK_TCK')
before = {}
for line in open(sys.argv[1]):
    pid, ticks, _ = line.rstrip('\n').split('\t', 2)
    before[pid] = int(ticks)
only = sys.argv[3]
total = {}
for line in open(sys.argv[2]):
    pid, ticks, cmd = line.rstrip('\n').split('\t', 2)
    used = int(ticks) - before.get(pid, 0)
    if used <= 0:
        continue
    svc = re.search(r'services/(\w+)/src/main', cmd)
    if svc and (not only or only in cmd):
        name = 'cairn-' + svc.group(1)
    elif cmd.startswith('postgres: '):
        parts = cmd.split()
        # a backend: "postgres: <user> <database> <host>(<port>) <state>"; anything else is a helper process
        name = 'postgres ' + (parts[2] if len(parts) > 3 and '(' in parts[3] else 'other')
    else:
        name = cmd[:60] or '(kernel)'
    total[name] = total.get(name, 0) + used / hz
for name, secs in sorted(total.items(), key=lambda kv: -kv[1])[:15]:
    print(f'{secs:8.2f} s  {name}')
PY
