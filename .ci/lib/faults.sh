# shellcheck shell=bash
# Fault checks against the split deployment (lib/split.sh), with real
# processes, Postgres and S3 (versitygw):
#
#   blobs-kill     SIGKILL the blob service mid chunked upload (64 MiB in 8 MiB
#                  chunks); restart it; resume from the Range the gateway reports
#   postgres-down  Postgres stopped: 503 UNAVAILABLE and /readyz 503, then
#                  recovery once it is back, no Portfolio process restarted
#   metadata-kill  SIGKILL the metadata service under 20 parallel manifest
#                  pushers; every tag is then whole (blobs present) or unknown
#
# run_faults expects the deployment already started (start_split), plus
# $PG_PORT and $PG_DIR of the CI Postgres. Prints "N passed, N failed";
# returns non-zero when any check failed.

FAULTS_PASSED=0 FAULTS_FAILED=0 FAULTS_TMP=""

check() { # check DESCRIPTION COMMAND...: one assertion
  if "${@:2}"; then
    FAULTS_PASSED=$((FAULTS_PASSED + 1))
    printf '  ok    %s\n' "$1"
  else
    FAULTS_FAILED=$((FAULTS_FAILED + 1))
    printf '  FAIL  %s\n' "$1"
  fi
}

gw() { echo "http://$REGISTRY_ADDR$1"; }

# status METHOD PATH [curl args...]: the HTTP status, or 000 when none came.
status() {
  local method=(-X "$1")
  [[ $1 == HEAD ]] && method=(--head)
  curl -s -o /dev/null -m 60 -w '%{http_code}' "${method[@]}" "$(gw "$2")" "${@:3}" || true
}

# unavailable PATH: GET answers 503, Retry-After, and the spec's UNAVAILABLE error body.
unavailable() {
  local headers="$FAULTS_TMP/headers" body="$FAULTS_TMP/body" code
  code="$(curl -s -m 60 -D "$headers" -o "$body" -w '%{http_code}' "$(gw "$1")" || true)"
  [[ $code == 503 ]] && grep -qi '^retry-after: [0-9]' "$headers" &&
    grep -q '"errors":\[{"code":"UNAVAILABLE"' "$body"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# push_blob REPO FILE: monolithic upload; succeeds on 201.
push_blob() {
  [[ $(status POST "/v2/$1/blobs/uploads/?digest=sha256:$(sha256_of "$2")" \
    -H 'content-type: application/octet-stream' --data-binary "@$2") == 201 ]]
}

# patch_chunk LOCATION FILE OFFSET LENGTH [curl args...]: one chunk; prints the status.
patch_chunk() {
  local location="$1" file="$2" offset="$3" length="$4" slice="$FAULTS_TMP/chunk-$3"
  dd if="$file" of="$slice" bs=1M iflag=skip_bytes,count_bytes skip="$offset" count="$length" \
    status=none
  curl -s -o /dev/null -m 300 -w '%{http_code}' -X PATCH -T "$slice" "$(gw "$location")" \
    -H 'content-type: application/octet-stream' \
    -H "content-range: $offset-$((offset + length - 1))" "${@:5}" || true
  rm -f "$slice"
}

# upload_offset LOCATION: the next offset of an upload, from the Range of GET.
upload_offset() {
  local range
  range="$(curl -s -m 30 -o /dev/null -D - "$(gw "$1")" | tr -d '\r' |
    sed -n 's/^[Rr]ange: 0-\([0-9]*\)$/\1/p')"
  if [[ -n $range ]]; then echo $((range + 1)); fi
}

fault_blobs_kill() {
  say "fault: SIGKILL the blob service mid chunked upload"
  local image=faults/big file="$FAULTS_TMP/big" chunk=$((8 * 1024 * 1024)) size
  local location offset code digest pulled
  size=$((8 * chunk))
  head -c "$size" /dev/urandom >"$file"
  digest="sha256:$(sha256_of "$file")"
  location="$(curl -s -m 30 -X POST -D - -o /dev/null "$(gw "/v2/$image/blobs/uploads/")" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')"
  check "upload started" test -n "$location"
  for offset in 0 "$chunk" $((2 * chunk)); do
    code="$(patch_chunk "$location" "$file" "$offset" "$chunk")"
    check "chunk at $offset accepted ($code)" test "$code" = 202
  done

  # The fourth chunk trickles in at 2 MiB/s; the service dies while it streams.
  patch_chunk "$location" "$file" $((3 * chunk)) "$chunk" --limit-rate 2M >"$FAULTS_TMP/cut" &
  local client=$!
  sleep 2
  split_kill blobs
  wait "$client" || true
  code="$(cat "$FAULTS_TMP/cut")"
  check "chunk cut by the crash answered 503 or a dropped connection ($code)" \
    grep -Eq '^(503|000)$' "$FAULTS_TMP/cut"
  check "upload status while blobs is down: 503 UNAVAILABLE" unavailable "$location"
  check "/readyz 503 while blobs is down" test "$(status GET /readyz)" = 503
  check "blob unknown before completion" test "$(status HEAD "/v2/$image/blobs/$digest")" = 404

  split_start_blobs
  check "ready again after the blob service restarted" split_wait_ready 60
  offset="$(upload_offset "$location")"
  check "upload status answers the stored range (next offset ${offset:-none})" \
    test -n "$offset" -a "${offset:-0}" -ge $((3 * chunk)) -a "${offset:-0}" -le $((4 * chunk))
  check "blob still unknown before completion" \
    test "$(status HEAD "/v2/$image/blobs/$digest")" = 404
  [[ -n $offset ]] || return 0

  while ((offset < size)); do
    local length=$((size - offset < chunk ? size - offset : chunk))
    code="$(patch_chunk "$location" "$file" "$offset" "$length")"
    check "resumed chunk at $offset accepted ($code)" test "$code" = 202
    [[ $code == 202 ]] || return 0
    offset=$((offset + length))
  done
  code="$(status PUT "$location?digest=$digest" -H 'content-length: 0')"
  check "upload completed ($code)" test "$code" = 201
  pulled="$(curl -s -m 120 "$(gw "/v2/$image/blobs/$digest")" | sha256sum | cut -d' ' -f1 || true)"
  check "pulled blob has the pushed digest" test "sha256:$pulled" = "$digest"
  rm -f "$file"
}

fault_postgres_down() {
  say "fault: Postgres stopped, then started again"
  local image=faults/pg config="$FAULTS_TMP/pg-config" manifest="$FAULTS_TMP/pg-manifest"
  printf '{"postgres":"down"}' >"$config"
  check "config blob pushed" push_blob "$image" "$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[]}' \
    "$(sha256_of "$config")" "$(stat -c %s "$config")" >"$manifest"
  check "manifest v1 pushed" test "$(put_manifest "$image" v1 "$manifest")" = 201

  bash "$repo/.ci/services/postgres.sh" halt "$PG_PORT" "$PG_DIR"
  check "manifest GET while Postgres is down: 503 UNAVAILABLE" \
    unavailable "/v2/$image/manifests/v1"
  check "/readyz 503 while Postgres is down" test "$(status GET /readyz)" = 503
  check "manifest PUT while Postgres is down: 503" \
    test "$(put_manifest "$image" v2 "$manifest")" = 503

  bash "$repo/.ci/services/postgres.sh" resume "$PG_PORT" "$PG_DIR"
  check "ready again once Postgres is back" split_wait_ready 60
  check "manifest GET succeeds again" test "$(status GET "/v2/$image/manifests/v1" \
    -H 'accept: application/vnd.oci.image.manifest.v1+json')" = 200
  check "the PUT refused during the outage left no tag" \
    test "$(status GET "/v2/$image/manifests/v2")" = 404
  check "manifest PUT succeeds again" test "$(put_manifest "$image" v2 "$manifest")" = 201
}

put_manifest() { # put_manifest REPO REFERENCE FILE: prints the status
  status PUT "/v2/$1/manifests/$2" --data-binary "@$3" \
    -H 'content-type: application/vnd.oci.image.manifest.v1+json'
}

# One pusher: its own config and layer, then TAGS manifests under w<N>-<i>,
# each answer recorded as "<tag> <status> <digest>".
pusher() {
  local n="$1" tags="$2" image=faults/meta dir="$FAULTS_TMP/pusher-$1" i code
  mkdir -p "$dir"
  printf '{"pusher":%d}' "$n" >"$dir/config"
  head -c 4096 /dev/urandom >"$dir/layer"
  push_blob "$image" "$dir/config" && push_blob "$image" "$dir/layer" || return 1
  touch "$dir/ready"
  while [[ ! -e $FAULTS_TMP/go ]]; do sleep 0.01; done
  for ((i = 0; i < tags; i++)); do
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":4096}],"annotations":{"n":"%d-%d"}}' \
      "$(sha256_of "$dir/config")" "$(stat -c %s "$dir/config")" "$(sha256_of "$dir/layer")" \
      "$n" "$i" >"$dir/m$i"
    code="$(put_manifest "$image" "w$n-$i" "$dir/m$i")"
    echo "w$n-$i $code sha256:$(sha256_of "$dir/m$i") $dir/m$i" >>"$dir/answers"
  done
}

# tag_whole_or_unknown TAG DIGEST CODE: after the crash, the tag is absent, or
# resolves to exactly the pushed manifest whose blobs are all present; a push
# acknowledged with 201 must be there.
tag_whole_or_unknown() {
  local tag="$1" digest="$2" code="$3" file="$4" image=faults/meta got blob
  got="$(status GET "/v2/$image/manifests/$tag" -H 'accept: application/vnd.oci.image.manifest.v1+json')"
  if [[ $got == 404 ]]; then
    [[ $code != 201 ]]
    return
  fi
  [[ $got == 200 ]] || return 1
  [[ $(curl -s -m 30 -H 'accept: application/vnd.oci.image.manifest.v1+json' \
    "$(gw "/v2/$image/manifests/$tag")" | sha256sum | cut -d' ' -f1) == "${digest#sha256:}" ]] ||
    return 1
  for blob in $(grep -o 'sha256:[0-9a-f]\{64\}' "$file"); do
    [[ $(status HEAD "/v2/$image/blobs/$blob") == 200 ]] || return 1
  done
}

fault_metadata_kill() {
  say "fault: SIGKILL the metadata service under 20 parallel manifest pushes"
  local n pids=() waited=0 line tag code digest file outcomes
  rm -f "$FAULTS_TMP/go"
  for n in $(seq 1 20); do
    pusher "$n" 10 &
    pids+=("$!")
  done
  while (($(ls "$FAULTS_TMP"/pusher-*/ready 2>/dev/null | wc -l) < 20 && waited++ < 600)); do
    sleep 0.1
  done
  touch "$FAULTS_TMP/go"
  # The kill lands once a tenth of the pushes have answered, so some succeed and some do not.
  waited=0
  while (($(cat "$FAULTS_TMP"/pusher-*/answers 2>/dev/null | wc -l) < 20 && waited++ < 600)); do
    sleep 0.01
  done
  split_kill metadata
  for n in "${pids[@]}"; do wait "$n" || true; done
  split_start_metadata
  check "ready again after the metadata service restarted" split_wait_ready 60

  outcomes="$(cat "$FAULTS_TMP"/pusher-*/answers | cut -d' ' -f2 | sort | uniq -c | tr '\n' ' ')"
  say "push answers (count status): $outcomes"
  check "200 pushes answered" test "$(cat "$FAULTS_TMP"/pusher-*/answers | wc -l)" = 200
  check "some pushes failed with 503 (the kill landed mid-run)" \
    grep -q ' 503 ' "$FAULTS_TMP"/pusher-*/answers
  local broken=0
  while read -r tag code digest file; do
    tag_whole_or_unknown "$tag" "$digest" "$code" "$file" || {
      broken=$((broken + 1))
      say "tag $tag (push answered $code) is neither whole nor unknown"
    }
  done < <(cat "$FAULTS_TMP"/pusher-*/answers)
  check "every tag is whole or unknown, every acknowledged push kept ($broken broken)" \
    test "$broken" = 0
}

run_faults() {
  FAULTS_PASSED=0 FAULTS_FAILED=0
  FAULTS_TMP="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-faults.XXXXXX")"
  fault_blobs_kill
  fault_postgres_down
  fault_metadata_kill
  rm -rf "$FAULTS_TMP"
  printf 'faults: %d passed, %d failed\n' "$FAULTS_PASSED" "$FAULTS_FAILED"
  ((FAULTS_FAILED == 0))
}
