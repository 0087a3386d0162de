# shellcheck shell=bash
# Garbage collection end to end, on a split deployment (start_split in
# split.sh) whose metadata service relays its outbox to Kafka: `portfolio
# consumer gc-feed` fills the review queue and `portfolio collector` (same
# database, the split's blob service) reviews it, both with a review delay of
# GC_DELAY_SECONDS. Two images sharing a layer are pushed with crane and one
# is deleted; then
#   - the layer only it used answers 404 and its bytes are gone from storage,
#   - the shared layer is still served, byte for byte,
#   - the collector's metrics count what it reclaimed,
# and the OCI conformance suite and the real clients pass against the
# deployment while the collector keeps running. Without Kafka the collector
# still finds the garbage by reconciling every GC_DELAY_SECONDS.
# Sourced by .ci/run; uses its say, free_port, started_pgids, logs, work and repo.

GC_DELAY_SECONDS="${GC_DELAY_SECONDS:-20}"
GC_COLLECTOR_PORT=""

gc_check() { # gc_check WHAT COMMAND...
  local what="$1"
  shift
  if "$@"; then
    echo "ok - $what"
    gc_passed=$((gc_passed + 1))
  else
    echo "not ok - $what"
    gc_failed=$((gc_failed + 1))
  fi
}

gc_start_roles() {
  local feed_port reconcile_hours
  feed_port="$(free_port)" GC_COLLECTOR_PORT="$(free_port)"
  reconcile_hours="$(python3 -c "print($GC_DELAY_SECONDS / 3600)")"
  if [[ -n ${PORTFOLIO_TEST_KAFKA_BROKERS:-} ]]; then
    PORTFOLIO_DATABASE_URL="$SPLIT_DATABASE" PORTFOLIO_KAFKA_BROKERS="$PORTFOLIO_TEST_KAFKA_BROKERS" \
      PORTFOLIO_KAFKA_TOPIC="portfolio.events.$SPLIT_NAME" \
      PORTFOLIO_CONSUMER_HTTP="127.0.0.1:$feed_port" \
      PORTFOLIO_GC_REVIEW_DELAY_SECONDS="$GC_DELAY_SECONDS" \
      setsid node "$repo/services/portfolio/dist/main.js" consumer gc-feed \
      >"$logs/split-$SPLIT_NAME-consumer-gc-feed.log" 2>&1 </dev/null &
    started_pgids+=("$!")
  fi
  PORTFOLIO_DATABASE_URL="$SPLIT_DATABASE" PORTFOLIO_BLOBS_URL="http://127.0.0.1:$SPLIT_BLOBS_PORT" \
    PORTFOLIO_GC_REVIEW_DELAY_SECONDS="$GC_DELAY_SECONDS" PORTFOLIO_GC_POLL_SECONDS=1 \
    PORTFOLIO_GC_INTERVAL_HOURS="$reconcile_hours" \
    PORTFOLIO_COLLECTOR_HTTP="127.0.0.1:$GC_COLLECTOR_PORT" \
    setsid node "$repo/services/portfolio/dist/main.js" collector \
    >"$logs/split-$SPLIT_NAME-collector.log" 2>&1 </dev/null &
  started_pgids+=("$!")
}

gc_sql() { psql -qtA "$SPLIT_DATABASE" -c "$1"; }

gc_status() { # gc_status URL: the HTTP status of a GET
  curl -s -o /dev/null -m 10 -w '%{http_code}' "$1" || true
}

gc_layer_freed() { # gc_layer_freed DIGEST KEY: 404 from the registry and from storage
  local digest="$1" key="$2" i limit=$((GC_DELAY_SECONDS * 4 + 60))
  for ((i = 0; i < limit; i++)); do
    if [[ $(gc_status "http://$REGISTRY_ADDR/v2/ci/gc/blobs/$digest") == 404 &&
      $(gc_status "http://127.0.0.1:$SPLIT_BLOBS_PORT/blobs/$key") == 404 ]]; then
      echo "# layer $digest freed after ${i}s"
      return 0
    fi
    sleep 1
  done
  return 1
}

gc_layer_served() { # gc_layer_served DIGEST: the registry serves exactly its bytes
  [[ "sha256:$(crane blob "$REGISTRY_ADDR/ci/gc@$1" | sha256sum | cut -d' ' -f1)" == "$1" ]]
}

gc_metrics_count() {
  curl -s "http://127.0.0.1:$GC_COLLECTOR_PORT/metrics" |
    grep -E '^portfolio_gc_reclaimed_objects_total\{kind="blob"\} [1-9]'
}

# grpc_calls_counted: the gateway counts its calls to the metadata service, and
# the metadata service counts them too (FindBlob answered OK, at least once).
grpc_calls_counted() {
  curl -s "http://$REGISTRY_ADDR/metrics" |
    grep -E '^portfolio_grpc_client_handled_total\{.*method="FindBlob".*code="OK".*\} [1-9]'
  curl -s "http://127.0.0.1:$SPLIT_HTTP_PORT/metrics" |
    grep -E '^portfolio_grpc_server_handled_total\{.*method="FindBlob".*code="OK".*\} [1-9]'
}

# blobs_read_directly: the gateway read pulled blobs straight from S3, and
# never had to fall back to the blob service.
blobs_read_directly() {
  local metrics counter='^portfolio_blob_direct_reads_total'
  metrics="$(curl -s "http://$REGISTRY_ADDR/metrics")"
  grep -E "$counter"'\{outcome="direct"\} [1-9]' <<<"$metrics" &&
    ! grep -E "$counter"'\{outcome="(status|range|unreachable)"\}' <<<"$metrics"
}

gc_layer_of() { # gc_layer_of REFERENCE INDEX: the digest of the image's INDEXth layer
  crane manifest "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['layers'][$2]['digest'])"
}

run_gc() {
  gc_passed=0 gc_failed=0
  local tmp shared unique key deleted
  tmp="$(mktemp -d)"
  gc_start_roles

  head -c 8192 /dev/urandom >"$tmp/shared" && tar -C "$tmp" -cf "$tmp/shared.tar" shared
  head -c 8192 /dev/urandom >"$tmp/unique" && tar -C "$tmp" -cf "$tmp/unique.tar" unique
  crane append --oci-empty-base -f "$tmp/shared.tar" -t "$REGISTRY_ADDR/ci/gc:kept" >/dev/null
  crane append -b "$REGISTRY_ADDR/ci/gc:kept" -f "$tmp/unique.tar" \
    -t "$REGISTRY_ADDR/ci/gc:deleted" >/dev/null
  shared="$(gc_layer_of "$REGISTRY_ADDR/ci/gc:kept" 0)"
  unique="$(gc_layer_of "$REGISTRY_ADDR/ci/gc:deleted" 1)"
  key="$(gc_sql "SELECT storage_key FROM blob WHERE digest = '$unique'")"
  deleted="$(crane digest "$REGISTRY_ADDR/ci/gc:deleted")"
  say "gc: deleting ci/gc@$deleted; its own layer $unique (storage key $key) should go"
  crane delete "$REGISTRY_ADDR/ci/gc@$deleted"

  gc_check "the layer only the deleted image used is gone from the registry and storage" \
    gc_layer_freed "$unique" "$key"
  gc_check "the shared layer is still served" gc_layer_served "$shared"
  gc_check "the kept image still pulls" crane pull "$REGISTRY_ADDR/ci/gc:kept" "$tmp/kept.tar"
  gc_check "the collector's metrics count reclaimed blobs" gc_metrics_count
  gc_check "the conformance suite passes with the collector running" \
    bash "$repo/.ci/conformance.sh" "$REGISTRY_ADDR" "$work/conformance-gc"
  gc_check "real clients pass with the collector running" bash "$repo/.ci/clients.sh" "$REGISTRY_ADDR"
  gc_check "the collector is still running" kill -0 "${started_pgids[-1]}"
  gc_check "gRPC calls are counted by the gateway and the metadata service" grpc_calls_counted
  gc_check "the gateway read pulled blobs straight from S3" blobs_read_directly
  rm -rf "$tmp"
  echo "gc: $gc_passed passed, $gc_failed failed"
  ((gc_failed == 0))
}
