#!/usr/bin/env bash
# Compatibility suite: the official `mlflow` Python client against Cairn, in
# embedded mode and in distributed mode (each mode started by conftest.py).
#
#   test/compat/run.sh [pytest args...]      e.g. --junitxml=test-results/compat.xml
#
# Needs: the repo built (dist/), the local stack up (deploy/local/stack.sh up)
# for distributed mode. CAIRN_COMPAT_MODES=embedded (or distributed) runs one
# mode only. The venv with the client: test/compat/venv.sh (in
# ${CAIRN_STACK_CACHE:-~/.cache/cairn-stack}/venv-mlflow, reinstalled when requirements.txt changes).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$(bash "$here/venv.sh")" || exit 1

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
