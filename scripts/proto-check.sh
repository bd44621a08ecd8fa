#!/usr/bin/env bash
# Fails when libs/contracts/src/generated differs from what the protos generate, or when the protos break buf lint.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf lint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#out: libs/contracts/src/generated#out: $tmp/generated#" buf.gen.yaml > "$tmp/buf.gen.yaml"
npx buf generate --template "$tmp/buf.gen.yaml"
if ! diff -ru libs/contracts/src/generated "$tmp/generated"; then
  echo "proto drift: run 'npm run proto:gen' and commit libs/contracts/src/generated" >&2
  exit 1
fi
echo "protos: lint clean, generated code up to date"
