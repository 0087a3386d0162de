# shellcheck shell=bash
# The split deployment for CI: `portfolio metadata` (gRPC, on Postgres),
# `portfolio blobs` (HTTP, on S3) and `portfolio gateway`, three processes on
# a fresh database and S3 prefix. Each service can be started again alone,
# with the same environment, after it was killed (see faults.sh).
#
# Sourced by .ci/run and .ci/faults.sh, which provide: $repo, $logs, say,
# free_port, the array started_pgids, $PG_URL, $READY_TIMEOUT and the
# PORTFOLIO_TEST_S3_* variables (versitygw.sh env).

SPLIT_NAME="" SPLIT_DATABASE="" SPLIT_PREFIX=""
SPLIT_GRPC_PORT="" SPLIT_HTTP_PORT="" SPLIT_BLOBS_PORT="" SPLIT_GATEWAY_PORT=""
declare -A SPLIT_PIDS=()
# Extra VAR=value settings for the gateway (access control, for one).
SPLIT_GATEWAY_SETTINGS=()

# A fresh database on the CI Postgres, for one run of the split deployment.
fresh_database() {
  local name="portfolio_$1_$RANDOM"
  psql -q "$PG_URL" -c "CREATE DATABASE $name" >/dev/null || return 1
  echo "${PG_URL%/*}/$name"
}

split_log() { echo "$logs/split-$SPLIT_NAME-$1.log"; }

# Each service gets its own process group (setsid), so that it can be stopped
# or killed as a whole; its log is appended to across restarts.
split_start_metadata() {
  PORTFOLIO_DATABASE_URL="$SPLIT_DATABASE" PORTFOLIO_METADATA_LISTEN="127.0.0.1:$SPLIT_GRPC_PORT" \
    PORTFOLIO_METADATA_HTTP="127.0.0.1:$SPLIT_HTTP_PORT" \
    PORTFOLIO_KAFKA_BROKERS="${PORTFOLIO_TEST_KAFKA_BROKERS:-}" \
    PORTFOLIO_KAFKA_TOPIC="portfolio.events.$SPLIT_NAME" \
    setsid node "$repo/services/portfolio/dist/main.js" metadata \
    >>"$(split_log metadata)" 2>&1 </dev/null &
  SPLIT_PIDS[metadata]=$!
  started_pgids+=("$!")
}

split_start_blobs() {
  PORTFOLIO_STORAGE=s3 PORTFOLIO_S3_ENDPOINT="$PORTFOLIO_TEST_S3_ENDPOINT" \
    PORTFOLIO_S3_BUCKET="$PORTFOLIO_TEST_S3_BUCKET" PORTFOLIO_S3_PREFIX="$SPLIT_PREFIX" \
    PORTFOLIO_S3_ACCESS_KEY_ID="$PORTFOLIO_TEST_S3_ACCESS_KEY" \
    PORTFOLIO_S3_SECRET_ACCESS_KEY="$PORTFOLIO_TEST_S3_SECRET_KEY" \
    PORTFOLIO_BLOBS_LISTEN="127.0.0.1:$SPLIT_BLOBS_PORT" \
    setsid node "$repo/services/portfolio/dist/main.js" blobs \
    >>"$(split_log blobs)" 2>&1 </dev/null &
  SPLIT_PIDS[blobs]=$!
  started_pgids+=("$!")
}

split_start_gateway() {
  env PORTFOLIO_PORT="$SPLIT_GATEWAY_PORT" PORTFOLIO_METADATA_ADDRESS="127.0.0.1:$SPLIT_GRPC_PORT" \
    PORTFOLIO_BLOBS_URL="http://127.0.0.1:$SPLIT_BLOBS_PORT" "${SPLIT_GATEWAY_SETTINGS[@]}" \
    setsid node "$repo/services/portfolio/dist/main.js" gateway \
    >>"$(split_log gateway)" 2>&1 </dev/null &
  SPLIT_PIDS[gateway]=$!
  started_pgids+=("$!")
}

# split_kill ROLE: SIGKILL the service's process group, as a crash would, and reap it.
split_kill() {
  local pid="${SPLIT_PIDS[$1]}"
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# split_wait_ready [SECONDS]: until the gateway's /readyz answers 200.
split_wait_ready() {
  local timeout="${1:-$READY_TIMEOUT}" t0=$SECONDS code=""
  while ((SECONDS - t0 < timeout)); do
    code="$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$REGISTRY_ADDR/readyz" || true)"
    [[ $code == 200 ]] && return 0
    sleep 0.5
  done
  say "split deployment ($SPLIT_NAME) not ready after ${timeout}s (last /readyz: ${code:-none})"
  return 1
}

# start_split NAME: the three services on a fresh database and S3 prefix; waits
# for the gateway's /readyz. Sets REGISTRY_ADDR and REGISTRY_LOG.
start_split() {
  local t0=$SECONDS
  SPLIT_NAME="$1" SPLIT_PREFIX="$1-$RANDOM/" SPLIT_PIDS=()
  SPLIT_DATABASE="$(fresh_database "$1")" || return 1
  SPLIT_GRPC_PORT="$(free_port)" SPLIT_HTTP_PORT="$(free_port)"
  SPLIT_BLOBS_PORT="$(free_port)" SPLIT_GATEWAY_PORT="$(free_port)"
  REGISTRY_ADDR="127.0.0.1:$SPLIT_GATEWAY_PORT"
  REGISTRY_LOG="$(split_log gateway)"
  say "starting split deployment ($1): gateway $REGISTRY_ADDR, database $SPLIT_DATABASE"

  split_start_metadata
  split_start_blobs
  split_start_gateway
  if split_wait_ready; then
    say "split deployment ($1) ready after $((SECONDS - t0))s"
    return 0
  fi
  tail -n 20 "$logs/split-$1-"*.log || true
  return 1
}
