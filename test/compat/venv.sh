#!/usr/bin/env bash
# The Python venv with the official `mlflow` client (and what the compatibility
# suite needs, test/compat/requirements.txt): created on first use, reinstalled
# only when requirements.txt changes; prints its path. Used by test/compat/run.sh
# and bench/run.sh (MLflow's own server for the side-by-side benchmarks).
#   venv=$(bash test/compat/venv.sh)
# Lives in ${CAIRN_STACK_CACHE:-~/.cache/cairn-stack}/venv-mlflow.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${CAIRN_STACK_CACHE:-$HOME/.cache/cairn-stack}"
venv="$cache/venv-mlflow"
req="$here/requirements.txt"
stamp="$venv/.cairn-compat-requirements.sha256"

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  mkdir -p "$cache"
  exec 8>"$cache/.venv-mlflow.lock"
  flock -w 1800 8 || { echo "mlflow venv: another process holds $cache/.venv-mlflow.lock" >&2; exit 1; }
  if [[ ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    started=$SECONDS
    echo "mlflow venv: installing $req into $venv" >&2
    if [[ ! -x $venv/bin/python ]]; then
      "${PYTHON:-python3}" -m venv "$venv" || { echo "mlflow venv: cannot create $venv" >&2; exit 1; }
    fi
    rm -f "$stamp"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" ||
      { echo "mlflow venv: pip install failed" >&2; exit 1; }
    echo "$want" >"$stamp"
    echo "mlflow venv: ready in $((SECONDS - started)) s" >&2
  fi
  exec 8>&-
fi

echo "$venv"
