#!/usr/bin/env bash
# Fault checks on their own: `bash .ci/faults.sh` builds Portfolio, starts a
# throwaway Postgres and versitygw, the split deployment over them (see
# lib/split.sh), runs lib/faults.sh's run_faults and tears everything down.
# .ci/run runs the same checks inside its own stages, over its backends.
#
# Logs go to .ci-work/logs/ (split-faults-*.log). Prints "N passed, N failed";
# exits non-zero when any check failed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=versions.sh
source "$repo/.ci/versions.sh"
export PATH="$PORTFOLIO_CI_BIN:$PATH"
logs="$repo/.ci-work/logs"
mkdir -p "$logs"
READY_TIMEOUT="${READY_TIMEOUT:-120}"

say() { printf '\n[faults %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

started_pgids=() s3_pid="" PG_PORT="" PG_DIR="" S3_DIR=""
cleanup() {
  local pgid
  for pgid in "${started_pgids[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
  [[ -n $s3_pid ]] && kill "$s3_pid" 2>/dev/null || true
  [[ -n $PG_PORT ]] && bash "$repo/.ci/services/postgres.sh" stop "$PG_PORT" "$PG_DIR" || true
  rm -rf "$PG_DIR" "$S3_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=lib/split.sh
source "$repo/.ci/lib/split.sh"
# shellcheck source=lib/faults.sh
source "$repo/.ci/lib/faults.sh"

say "npm run build"
npm run build >"$logs/faults-build.log" 2>&1 || { tail -n 40 "$logs/faults-build.log"; exit 1; }

PG_PORT="$(free_port)"
PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-faults-pg.XXXXXX")"
chmod 755 "$PG_DIR"
PG_URL="$(bash "$repo/.ci/services/postgres.sh" start "$PG_PORT" "$PG_DIR")"
S3_DIR="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-faults-s3.XXXXXX")"
s3_port="$(free_port)"
s3_pid="$(setsid bash "$repo/.ci/services/versitygw.sh" start "$s3_port" "$S3_DIR")"
eval "$(bash "$repo/.ci/services/versitygw.sh" env "$s3_port")"
export AWS_EC2_METADATA_DISABLED=true

start_split faults
run_faults
