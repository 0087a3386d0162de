# shellcheck shell=bash
# Event consumers end to end, on a split deployment whose metadata service
# relays its outbox to Kafka (start_split in split.sh, topic
# portfolio.events.$SPLIT_NAME): the referrers indexer and the garbage-
# collection feed run as their own processes, an image is pushed and its
# manifest deleted with crane, and then
#   - the outside example (examples/event-consumer) sees manifest.pushed,
#   - the gc feed has queued the deleted manifest's blobs for review,
#   - the gc feed recorded the deletion event as applied (it is then
#     skipped if Kafka delivers it again).
# Sourced by .ci/run; uses its say, free_port, started_pgids, logs and repo.

consumers_check() { # consumers_check WHAT COMMAND...
  local what="$1"
  shift
  if "$@"; then
    echo "ok - $what"
    consumers_passed=$((consumers_passed + 1))
  else
    echo "not ok - $what"
    consumers_failed=$((consumers_failed + 1))
  fi
}

start_consumer() { # start_consumer NAME: portfolio consumer NAME on this deployment
  local name="$1" port
  port="$(free_port)"
  PORTFOLIO_DATABASE_URL="$SPLIT_DATABASE" PORTFOLIO_KAFKA_BROKERS="$PORTFOLIO_TEST_KAFKA_BROKERS" \
    PORTFOLIO_KAFKA_TOPIC="portfolio.events.$SPLIT_NAME" PORTFOLIO_CONSUMER_HTTP="127.0.0.1:$port" \
    PORTFOLIO_GC_REVIEW_DELAY_HOURS=1 \
    setsid node "$repo/services/portfolio/dist/main.js" consumer "$name" \
    >"$logs/split-$SPLIT_NAME-consumer-$name.log" 2>&1 </dev/null &
  started_pgids+=("$!")
}

sql_value() { psql -qtA "$SPLIT_DATABASE" -c "$1"; }

gc_queued_blobs() { # the deleted manifest's layer is queued as a blob-link candidate
  local want="$1" i
  for ((i = 0; i < 60; i++)); do
    [[ $(sql_value "SELECT count(*) FROM gc_candidate WHERE kind = 'blob-link'
      AND repository = 'ci/events' AND digest = '$want'") == 1 ]] && return 0
    sleep 1
  done
  return 1
}

# Waits, as gc_queued_blobs does: the layer's blob.uploaded event queues the
# same candidate, so that one may be there before the deletion is applied.
deletion_recorded() { # the gc feed recorded the manifest.deleted event as applied
  local i
  for ((i = 0; i < 60; i++)); do
    [[ $(sql_value "SELECT count(*) FROM processed_event p
      JOIN outbox_event e ON e.id = p.event_id
      WHERE e.repository = 'ci/events' AND e.type = 'io.portfolio.manifest.deleted.v1'
        AND p.consumer = 'gc-feed'") == 1 ]] && return 0
    sleep 1
  done
  return 1
}

run_consumers() {
  consumers_passed=0 consumers_failed=0
  local work layer digest
  work="$(mktemp -d)"
  start_consumer referrers
  start_consumer gc-feed

  head -c 4096 /dev/urandom >"$work/file" && tar -C "$work" -cf "$work/layer.tar" file
  crane append --oci-empty-base -f "$work/layer.tar" -t "$REGISTRY_ADDR/ci/events:v1" >/dev/null
  digest="$(crane digest "$REGISTRY_ADDR/ci/events:v1")"
  layer="$(crane manifest "$REGISTRY_ADDR/ci/events:v1" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')"

  consumers_check "the outside example receives manifest.pushed for ci/events" \
    timeout 120 env KAFKA_BROKERS="$PORTFOLIO_TEST_KAFKA_BROKERS" \
    KAFKA_TOPIC="portfolio.events.$SPLIT_NAME" \
    EXPECT_REPOSITORY=ci/events TIMEOUT_SECONDS=60 \
    node "$repo/examples/event-consumer/consume.mjs"
  crane delete "$REGISTRY_ADDR/ci/events@$digest"
  consumers_check "the gc feed queues the deleted manifest's layer for review" \
    gc_queued_blobs "$layer"
  consumers_check "the gc feed recorded the deletion as applied" deletion_recorded
  rm -rf "$work"
  echo "consumers: $consumers_passed passed, $consumers_failed failed"
  ((consumers_failed == 0))
}
