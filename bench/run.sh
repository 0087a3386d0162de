#!/usr/bin/env bash
# `npm run bench`: blob push/pull throughput of Portfolio against CNCF
# Distribution, side by side in one run, on 127.0.0.1 only.
#
# Starts, each in a process group of its own so that it can be stopped whole:
#   - Postgres and versitygw (S3), through .ci/services/*.sh;
#   - Portfolio's split deployment: `portfolio metadata`, `portfolio blobs`
#     (on S3) and `portfolio gateway`, three processes;
#   - Portfolio's embedded default, `portfolio serve` (PGlite + filesystem);
#   - Debian's docker-registry (Distribution 2.8), filesystem storage, and a
#     second one on the same S3 server as the split deployment.
# Then runs the client (bench/src/main.ts), which prints a table and writes
# bench/results/latest.json. Everything started is stopped on exit, Ctrl-C
# included, and the temporary folders are removed.
#
# Environment: BENCH_ROUNDS (default 5), BENCH_WARMUP_ROUNDS (5, not measured),
# BENCH_SMALL_COUNT (200), BENCH_GLIBC_TUNABLES, BENCH_STREAM_NODE_FLAGS (below),
# BENCH_SMALL_CONCURRENCY (8), BENCH_LARGE_MIB (1024), BENCH_REDIRECT=1 to let
# both registries on S3 answer blob GETs with a redirect to a presigned URL (as
# in production; off by default, so that pulls measure the registries' own
# streaming), BENCH_SKIP_BUILD=1 to
# reuse the existing dist/ folders, BENCH_KEEP_LOGS=1 to keep the temp folder,
# BENCH_SPLIT_NODE_FLAGS (see below), BENCH_NODE_FLAGS (e.g.
# "--cpu-prof --cpu-prof-dir=/tmp/prof") for every
# Portfolio process: they exit through process.exit on SIGTERM, so profiles get written.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
main_js="$repo/services/portfolio/dist/main.js"
read -r -a node_flags <<<"${BENCH_NODE_FLAGS:-}"
# The split roles run as deploy/k8s runs them: with a smaller young generation
# (NODE_OPTIONS there; docs/configuration.md, Memory). BENCH_SPLIT_NODE_FLAGS
# overrides it ("" for Node's defaults).
read -r -a split_flags <<<"${BENCH_SPLIT_NODE_FLAGS---max-semi-space-size=4}"
# The roles that stream blob bytes (gateway, blobs, and the embedded serve)
# also get the floor under V8's old-generation limit that the image gives them
# (docs/configuration.md, Memory); BENCH_STREAM_NODE_FLAGS overrides it.
read -r -a stream_flags <<<"${BENCH_STREAM_NODE_FLAGS---initial-old-space-size=64}"
work="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-bench.XXXXXX")"
chmod 755 "$work" # the postgres user must reach the cluster folder below it
logs="$work/logs"
mkdir -p "$logs"

say() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ------------------------------------------------------------------ cleanup
started_pgids=()
versitygw_pid=""
pg_port=""

stop_group() { # TERM the group, KILL it after 10 s
  local pgid="$1" i
  kill -0 -- "-$pgid" 2>/dev/null || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

cleanup() {
  local pgid
  trap - EXIT INT TERM
  say "stopping everything started"
  for pgid in "${started_pgids[@]}"; do stop_group "$pgid"; done
  if [[ -n $versitygw_pid ]]; then kill "$versitygw_pid" 2>/dev/null || true; fi
  if [[ -n $pg_port ]]; then
    bash "$repo/.ci/services/postgres.sh" stop "$pg_port" "$work/pg" >/dev/null 2>&1 || true
  fi
  if [[ ${BENCH_KEEP_LOGS:-} == 1 ]]; then
    rm -rf "$work/distribution" "$work/embedded" "$work/s3/data"
    say "logs kept in $logs"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_ready URL PID: until URL answers 200, failing if PID dies first.
wait_ready() {
  local url="$1" pid="$2" t0=$SECONDS
  while ((SECONDS - t0 < 120)); do
    kill -0 "$pid" 2>/dev/null || { say "pid $pid died before $url was ready"; return 1; }
    [[ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$url" || true)" == 200 ]] && return 0
    sleep 0.5
  done
  say "$url not ready after 120 s"
  return 1
}

# spawn NAME COMMAND...: runs COMMAND as leader of a new process group
# (setsid execs in place, so $! is both its pid and its pgid).
spawn() {
  local name="$1"
  shift
  setsid "$@" >"$logs/$name.log" 2>&1 </dev/null &
  started_pgids+=("$!")
  SPAWNED=$!
}

# ------------------------------------------------------------------- build
if [[ ${BENCH_SKIP_BUILD:-} != 1 ]]; then
  say "building Portfolio (npm run build)"
  npm run build >&2
fi
say "compiling the bench client"
"$repo/node_modules/.bin/tsc" -p "$repo/bench/tsconfig.json"

if ! command -v docker-registry >/dev/null 2>&1; then
  say "installing Debian's docker-registry"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >&2
fi

# ---------------------------------------------------------------- backends
pg_port="$(free_port)"
pg_url="$(bash "$repo/.ci/services/postgres.sh" start "$pg_port" "$work/pg")"
say "postgres at $pg_url"

bash "$repo/.ci/services/versitygw.sh" build >/dev/null
s3_port="$(free_port)"
mkdir -p "$work/s3"
versitygw_pid="$(setsid bash "$repo/.ci/services/versitygw.sh" start "$s3_port" "$work/s3")"
eval "$(bash "$repo/.ci/services/versitygw.sh" env "$s3_port")"
say "versitygw at $PORTFOLIO_TEST_S3_ENDPOINT, pid $versitygw_pid"

# Logs at warn for all Portfolio processes, as Distribution's access log is off below.
export PORTFOLIO_LOG_LEVEL=warn AWS_EC2_METADATA_DISABLED=true

# glibc's malloc as the image runs Portfolio, read from the Dockerfile
# (docs/configuration.md, Memory); BENCH_GLIBC_TUNABLES overrides it ("" for
# glibc's defaults). Only Portfolio's processes get it: Distribution and
# versitygw are Go, and the bench client is the same for every registry.
image_tunables="$(sed -n 's/^ENV GLIBC_TUNABLES=//p' "$repo/Dockerfile")"
malloc_tunables="${BENCH_GLIBC_TUNABLES-$image_tunables}"

# spawn_portfolio NAME ROLE NODE_FLAGS...: `portfolio ROLE` with those flags,
# BENCH_NODE_FLAGS and the malloc setting above.
spawn_portfolio() {
  local name="$1" role="$2"
  shift 2
  GLIBC_TUNABLES="$malloc_tunables" spawn "$name" node "$@" "${node_flags[@]}" "$main_js" "$role"
}

redirect=false
[[ ${BENCH_REDIRECT:-} == 1 ]] && redirect=true

# ---------------------------------------------------------- split deployment
grpc_port="$(free_port)" health_port="$(free_port)" blobs_port="$(free_port)"
gateway_port="$(free_port)"
PORTFOLIO_DATABASE_URL="$pg_url" PORTFOLIO_METADATA_LISTEN="127.0.0.1:$grpc_port" \
  PORTFOLIO_METADATA_HTTP="127.0.0.1:$health_port" \
  spawn_portfolio metadata metadata "${split_flags[@]}"
metadata_pid=$SPAWNED
PORTFOLIO_STORAGE=s3 PORTFOLIO_S3_ENDPOINT="$PORTFOLIO_TEST_S3_ENDPOINT" \
  PORTFOLIO_S3_BUCKET="$PORTFOLIO_TEST_S3_BUCKET" PORTFOLIO_S3_PREFIX="bench/" \
  PORTFOLIO_S3_ACCESS_KEY_ID="$PORTFOLIO_TEST_S3_ACCESS_KEY" \
  PORTFOLIO_S3_SECRET_ACCESS_KEY="$PORTFOLIO_TEST_S3_SECRET_KEY" \
  PORTFOLIO_BLOBS_LISTEN="127.0.0.1:$blobs_port" \
  spawn_portfolio blobs blobs "${split_flags[@]}" "${stream_flags[@]}"
blobs_pid=$SPAWNED
PORTFOLIO_PORT="$gateway_port" PORTFOLIO_METADATA_ADDRESS="127.0.0.1:$grpc_port" \
  PORTFOLIO_BLOBS_URL="http://127.0.0.1:$blobs_port" \
  PORTFOLIO_BLOB_REDIRECT="$redirect" \
  spawn_portfolio gateway gateway "${split_flags[@]}" "${stream_flags[@]}"
gateway_pid=$SPAWNED
wait_ready "http://127.0.0.1:$gateway_port/readyz" "$gateway_pid"
say "split deployment ready: gateway 127.0.0.1:$gateway_port"

# ------------------------------------------------------------------ embedded
embedded_port="$(free_port)"
PORTFOLIO_PORT="$embedded_port" PORTFOLIO_DATA_DIR="$work/embedded" \
  spawn_portfolio embedded serve "${stream_flags[@]}"
embedded_pid=$SPAWNED
wait_ready "http://127.0.0.1:$embedded_port/v2/" "$embedded_pid"
say "embedded ready: 127.0.0.1:$embedded_port"

# -------------------------------------------------------------- distribution
# distribution_config PORT STORAGE: the minimal parity config of
# research/performance.md §3.1 (no auth, access log off, in-memory descriptor
# cache) over the given storage section, indented under `storage:`.
distribution_config() {
  cat <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
$2
  cache:
    blobdescriptor: inmemory
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$1
YAML
}

# On its filesystem driver (which fsyncs on commit).
distribution_port="$(free_port)"
mkdir -p "$work/distribution"
distribution_config "$distribution_port" "  filesystem:
    rootdirectory: $work/distribution" >"$work/distribution.yml"
spawn distribution docker-registry serve "$work/distribution.yml"
distribution_pid=$SPAWNED
wait_ready "http://127.0.0.1:$distribution_port/v2/" "$distribution_pid"
say "distribution ready: 127.0.0.1:$distribution_port ($(docker-registry --version))"

# On the same S3 server as the split deployment, its like-for-like peer, with
# storage redirects as Portfolio's are in this run.
distribution_s3_port="$(free_port)"
distribution_config "$distribution_s3_port" "  s3:
    accesskey: $PORTFOLIO_TEST_S3_ACCESS_KEY
    secretkey: $PORTFOLIO_TEST_S3_SECRET_KEY
    region: us-east-1
    regionendpoint: $PORTFOLIO_TEST_S3_ENDPOINT
    bucket: $PORTFOLIO_TEST_S3_BUCKET
    rootdirectory: /distribution
    secure: false
    v4auth: true
  redirect:
    disable: $([[ $redirect == true ]] && echo false || echo true)" >"$work/distribution-s3.yml"
# aws-sdk-go v1 refuses to start when AWS_CA_BUNDLE is set and its transport is
# Distribution's own (LoadCustomCABundleError); this S3 server is plain HTTP anyway.
spawn distribution-s3 env -u AWS_CA_BUNDLE docker-registry serve "$work/distribution-s3.yml"
distribution_s3_pid=$SPAWNED
wait_ready "http://127.0.0.1:$distribution_s3_port/v2/" "$distribution_s3_pid"
say "distribution on S3 ready: 127.0.0.1:$distribution_s3_port"

# -------------------------------------------------------------------- client
postmaster_pid="$(head -n 1 "$work/pg/pgdata/postmaster.pid")"
cat >"$work/targets.json" <<JSON
{
  "distributionVersion": "$(docker-registry --version)",
  "registries": [
    { "name": "portfolio-split", "url": "http://127.0.0.1:$gateway_port",
      "processes": { "gateway": $gateway_pid, "blobs": $blobs_pid, "metadata": $metadata_pid,
                     "versitygw": $versitygw_pid },
      "postgres": $postmaster_pid, "peer": "distribution-s3" },
    { "name": "distribution-s3", "url": "http://127.0.0.1:$distribution_s3_port",
      "processes": { "registry": $distribution_s3_pid, "versitygw": $versitygw_pid } },
    { "name": "distribution", "url": "http://127.0.0.1:$distribution_port",
      "processes": { "registry": $distribution_pid } },
    { "name": "portfolio-embedded", "url": "http://127.0.0.1:$embedded_port",
      "processes": { "serve": $embedded_pid } }
  ]
}
JSON

mkdir -p "$repo/bench/results"
node "$repo/bench/dist/main.js" "$work/targets.json" "$repo/bench/results/latest.json"
# In the repository's own JSON style, so that `npm run lint` stays clean.
"$repo/node_modules/.bin/biome" format --write "$repo/bench/results/latest.json" >/dev/null
