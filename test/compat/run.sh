#!/usr/bin/env bash
# Compatibility suite: the official `mlflow` Python client against Cairn, in
# embedded mode and in distributed mode (each mode started by conftest.py).
#
#   test/compat/run.sh [pytest args...]      e.g. --junitxml=test-results/compat.xml
#
# Needs: the repo built (dist/), the local stack up (deploy/local/stack.sh up)
# for distributed mode. CAIRN_COMPAT_MODES=embedded (or distributed) runs one
# mode only. The venv lives in ${CAIRN_STACK_CACHE:-~/.cache/cairn-stack}/venv-mlflow
# and is reinstalled only when requirements.txt changes.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${CAIRN_STACK_CACHE:-$HOME/.cache/cairn-stack}"
venv="$cache/venv-mlflow"
req="$here/requirements.txt"
stamp="$venv/.cairn-compat-requirements.sha256"

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  mkdir -p "$cache"
  exec 8>"$cache/.venv-mlflow.lock"
  flock -w 1800 8 || { echo "compat: another process holds $cache/.venv-mlflow.lock" >&2; exit 1; }
  if [[ ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    started=$SECONDS
    echo "compat: installing $req into $venv" >&2
    if [[ ! -x $venv/bin/python ]]; then
      "${PYTHON:-python3}" -m venv "$venv" || { echo "compat: cannot create $venv" >&2; exit 1; }
    fi
    rm -f "$stamp"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" ||
      { echo "compat: pip install failed" >&2; exit 1; }
    echo "$want" >"$stamp"
    echo "compat: venv ready in $((SECONDS - started)) s" >&2
  fi
  exec 8>&-
fi

[[ -f $repo/dist/services/gateway/src/main.js ]] || { echo "compat: dist/ is missing: run \`npm run build\` first" >&2; exit 1; }

cd "$repo" || exit 1
export PYTHONDONTWRITEBYTECODE=1
# The whole suite unless the arguments name test files or ids themselves.
targets=("$here")
for arg in "$@"; do
  if [[ $arg != -* && -e ${arg%%::*} ]]; then targets=(); break; fi
done
"$venv/bin/python" -m pytest -c "$here/pytest.ini" --rootdir "$here" "${targets[@]}" "$@"
rc=$?
if ((rc == 5)); then
  echo "compat: pytest collected no tests" >&2
fi
exit "$rc"
