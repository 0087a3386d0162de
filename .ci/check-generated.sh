#!/usr/bin/env bash
# Fails when the committed TypeScript under packages/proto is not what the protos generate:
# lints the protos, regenerates them (buf and ts-proto from node_modules, offline) and
# compares with git. Run from anywhere after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

npx --no-install buf lint
npm run --silent generate:proto

if ! git diff --exit-code -- packages/proto/src/generated; then
  echo "packages/proto/src/generated is stale: run 'npm run generate:proto' and commit" >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- packages/proto/src/generated)
if [ -n "$untracked" ]; then
  echo "generated files not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
echo "generated code is up to date"
