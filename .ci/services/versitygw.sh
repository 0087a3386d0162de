#!/usr/bin/env bash
# The S3-compatible server the tests and CI run against: versitygw (Apache-2.0)
# with its posix backend, built from source through the Go module proxy.
#
#   versitygw.sh build
#       Builds the pinned version into $PORTFOLIO_CI_CACHE/tools/versitygw/<version>
#       (reused when present) and links it as $PORTFOLIO_CI_BIN/versitygw.
#       Prints the binary's path.
#
#   versitygw.sh start PORT DIR
#       Builds if needed, then runs the gateway in the background on
#       127.0.0.1:PORT, keeping objects in DIR/data and metadata in DIR/meta
#       (a sidecar folder, so the filesystem needs no user xattrs). Signatures
#       are checked against S3_ACCESS_KEY / S3_SECRET_KEY (defaults below).
#       Creates the bucket S3_BUCKET (default "portfolio") as a folder, waits
#       until the gateway answers, and prints its pid; the caller kills it.
#       The gateway's log goes to DIR/versitygw.log.
#
#   versitygw.sh env PORT
#       Prints the PORTFOLIO_TEST_S3_* variables for the test suite, one
#       `export` line each, for `eval "$(versitygw.sh env PORT)"`.
set -euo pipefail

VERSITYGW_MODULE="github.com/versity/versitygw"
# The one version the module proxy here serves; its go.mod asks for go 1.25.
VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"
PORTFOLIO_CI_CACHE="${PORTFOLIO_CI_CACHE:-$HOME/.cache/portfolio-ci}"
PORTFOLIO_CI_BIN="${PORTFOLIO_CI_BIN:-$PORTFOLIO_CI_CACHE/bin}"
S3_ACCESS_KEY="${S3_ACCESS_KEY:-portfolio-test}"
S3_SECRET_KEY="${S3_SECRET_KEY:-portfolio-test-secret}"
S3_BUCKET="${S3_BUCKET:-portfolio}"

log() { printf '[versitygw] %s\n' "$*" >&2; }
die() { printf '[versitygw] ERROR: %s\n' "$*" >&2; exit 1; }

build() {
  local dir="$PORTFOLIO_CI_CACHE/tools/versitygw/$VERSITYGW_VERSION"
  if [[ ! -x "$dir/versitygw" ]]; then
    command -v go >/dev/null 2>&1 || die "go not found on PATH"
    local tmp="$dir.tmp.$$" started=$SECONDS
    rm -rf "$tmp"
    mkdir -p "$tmp"
    log "go install $VERSITYGW_MODULE/cmd/versitygw@$VERSITYGW_VERSION"
    # GOTOOLCHAIN=local never downloads a toolchain; GOFLAGS is cleared so a
    # developer's -mod=vendor cannot break `go install pkg@version`.
    if ! env GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GOBIN="$tmp" \
      go install -trimpath "$VERSITYGW_MODULE/cmd/versitygw@$VERSITYGW_VERSION" >&2; then
      rm -rf "$tmp"
      die "go install failed"
    fi
    rm -rf "$dir"
    mv "$tmp" "$dir"
    log "built in $((SECONDS - started))s"
  fi
  mkdir -p "$PORTFOLIO_CI_BIN"
  ln -sfn "$dir/versitygw" "$PORTFOLIO_CI_BIN/versitygw"
  printf '%s\n' "$dir/versitygw"
}

# True once the gateway answers an unauthenticated request on its health path.
answers() {
  local port="$1"
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local status
  read -r -t 2 status <&3 || true
  exec 3<&- 3>&-
  [[ $status == HTTP/1.?\ 200* ]]
}

start() {
  local port="${1:?usage: versitygw.sh start PORT DIR}" dir="${2:?usage: versitygw.sh start PORT DIR}"
  local binary
  binary="$(build)"
  mkdir -p "$dir/data/$S3_BUCKET" "$dir/meta"
  dir="$(cd "$dir" && pwd)"

  # --keep-alive: versitygw otherwise answers every request with
  # "Connection: close", which S3 itself never does; every client would pay a
  # TCP connect per request, and the bench would measure that instead.
  ROOT_ACCESS_KEY="$S3_ACCESS_KEY" ROOT_SECRET_KEY="$S3_SECRET_KEY" VGW_HEALTH=/healthz \
    nohup "$binary" --port "127.0.0.1:$port" --quiet --keep-alive \
    posix --sidecar "$dir/meta" "$dir/data" >"$dir/versitygw.log" 2>&1 </dev/null &
  local pid=$!

  local waited=0
  until answers "$port"; do
    kill -0 "$pid" 2>/dev/null || die "exited at start; see $dir/versitygw.log"
    ((waited++ < 100)) || { kill "$pid"; die "no answer on 127.0.0.1:$port after 10s"; }
    sleep 0.1
  done
  log "listening on 127.0.0.1:$port, bucket $S3_BUCKET, pid $pid"
  printf '%s\n' "$pid"
}

print_env() {
  local port="${1:?usage: versitygw.sh env PORT}"
  printf 'export PORTFOLIO_TEST_S3_ENDPOINT=%q\n' "http://127.0.0.1:$port"
  printf 'export PORTFOLIO_TEST_S3_BUCKET=%q\n' "$S3_BUCKET"
  printf 'export PORTFOLIO_TEST_S3_ACCESS_KEY=%q\n' "$S3_ACCESS_KEY"
  printf 'export PORTFOLIO_TEST_S3_SECRET_KEY=%q\n' "$S3_SECRET_KEY"
}

case "${1:-}" in
  build) build ;;
  start) shift; start "$@" ;;
  env) shift; print_env "$@" ;;
  *) die "usage: versitygw.sh build | start PORT DIR | env PORT" ;;
esac
