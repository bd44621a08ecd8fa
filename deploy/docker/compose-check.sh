#!/usr/bin/env bash
# Validates docker-compose.yml without a Docker engine.
# With the `docker compose` plugin present: `docker compose config -q`.
# Otherwise: a small program built once (into the stack cache) on
# compose-go, the loader docker compose itself uses, which interpolates the
# file and checks it against the Compose Specification schema and the
# service references (depends_on, volumes, ...). Exits non-zero if invalid.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE="${CAIRN_STACK_CACHE:-$HOME/.cache/cairn-stack}"
COMPOSE_GO_VERSION="v2.16.2"
FILE="${1:-$ROOT/docker-compose.yml}"
# The file requires these (no defaults for secrets); any value does for a syntax check.
export CAIRN_ADMIN_PASSWORD="${CAIRN_ADMIN_PASSWORD:-compose-check-only}"
export CAIRN_SECRET_KEY="${CAIRN_SECRET_KEY:-compose-check-only-not-a-real-key}"

if docker compose version >/dev/null 2>&1; then
  docker compose -f "$FILE" config -q
  echo "compose-check: $FILE is valid (docker compose config)"
  exit 0
fi

tool="$CACHE/compose-check-$COMPOSE_GO_VERSION/compose-check"
if [[ ! -x "$tool" ]]; then
  command -v go >/dev/null 2>&1 || { echo "compose-check: needs go or docker compose" >&2; exit 1; }
  src=$(mktemp -d)
  trap 'rm -rf "$src"' EXIT
  cat >"$src/main.go" <<'GO'
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	opts, err := cli.NewProjectOptions(os.Args[1:], cli.WithOsEnv, cli.WithDotEnv, cli.WithInterpolation(true))
	if err == nil {
		_, err = opts.LoadProject(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
GO
  (
    cd "$src"
    go mod init cairn/compose-check >/dev/null 2>&1
    go get "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" >/dev/null 2>&1
    go mod tidy >/dev/null 2>&1
    mkdir -p "$(dirname "$tool")"
    go build -o "$tool" .
  )
fi
"$tool" "$FILE"
echo "compose-check: $FILE is valid (compose-go $COMPOSE_GO_VERSION, no docker compose here)"
