#!/usr/bin/env bash
# The whole test suite: brings up the real stack (deploy/local), builds, runs
# unit and integration tests (jest) and the compatibility tests (pytest with
# the real mlflow client), then prints one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
rm -f test-results/*.json test-results/*.xml

bash deploy/local/stack.sh up || { echo "0 passed, 1 failed"; exit 1; }
npm run build --silent || { echo "0 passed, 1 failed"; exit 1; }

export NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning"
status=0
npx jest --ci --selectProjects unit --json --outputFile=test-results/unit.json || status=1
npx jest --ci --selectProjects integration --runInBand --json --outputFile=test-results/integration.json || status=1
if [ -d test/compat ]; then
  bash test/compat/run.sh --junitxml=test-results/compat.xml || status=1
fi

node scripts/test-summary.cjs test-results || status=1
exit $status
