#!/usr/bin/env bash
# Real-client scenarios against a registry on plain HTTP:
#
#   .ci/clients.sh <host:port>
#
#   skopeo  OCI layout (written here, not from the registry) -> registry ->
#           second OCI layout; same manifest digest, byte-identical blobs.
#   oras    push an artifact, attach a referrer, discover it through the
#           referrers API, pull both back byte-identical.
#   crane   push with crane, list tags and catalog, delete by digest.
#   regctl  list tags, delete a tag, the manifest stays.
#
# Every command is echoed. A failing step stops its scenario (the rest of it is
# counted as skipped, except independent checks); the other scenarios still run. Ends with a line
# "N passed, N failed, N skipped" and exits non-zero if any step failed.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 <host:port>" >&2
  exit 2
fi
R="$1"

ci_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$ci_dir/versions.sh"
PATH="$PORTFOLIO_CI_BIN:$PATH"
# shellcheck source=lib/steps.sh
source "$ci_dir/lib/steps.sh"

# ---------------------------------------------------------------- registry
s_ping() {
  local code
  code="$(x curl -sS -o /dev/null -w '%{http_code}' "http://$R/v2/")"
  echo "GET /v2/ -> $code"
  [[ $code == 200 ]]
}

# ------------------------------------------------------------------ skopeo
s_layout() {
  local d
  d="$(x ocitool make-layout "$W/layout-src" v1)"
  echo "source layout manifest: $d"
  put src_digest "$d"
  x ls -l "$W/layout-src/blobs/sha256"
}
s_skopeo_push() {
  x skopeo --insecure-policy copy --preserve-digests --dest-tls-verify=false \
    "oci:$W/layout-src:v1" "docker://$R/demo/img:v1"
}
s_skopeo_inspect() {
  x skopeo inspect --raw --tls-verify=false "docker://$R/demo/img:v1" >"$W/remote-manifest.json"
  local got want
  got="$(ocitool sha256 "$W/remote-manifest.json")"
  want="$(get src_digest)"
  echo "registry manifest digest $got, layout manifest digest $want"
  [[ $got == "$want" ]]
  cmp "$W/remote-manifest.json" "$W/layout-src/blobs/sha256/${want#sha256:}"
  x skopeo inspect --tls-verify=false "docker://$R/demo/img:v1" | sed -n 1,20p
}
s_crane_validate() {
  local d
  d="$(x crane digest "$R/demo/img:v1")"
  echo "crane digest: $d"
  [[ $d == "$(get src_digest)" ]]
  x crane validate --remote "$R/demo/img:v1"
}
s_skopeo_pull() {
  x skopeo --insecure-policy copy --preserve-digests --src-tls-verify=false \
    "docker://$R/demo/img:v1" "oci:$W/layout-back:v1"
}
s_compare_layouts() {
  x ocitool compare-layouts "$W/layout-src" "$W/layout-back" v1
}
s_skopeo_tags() {
  x skopeo list-tags --tls-verify=false "docker://$R/demo/img" | tee "$W/skopeo-tags.json"
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["Tags"]; assert "v1" in t, t' "$W/skopeo-tags.json"
}

# -------------------------------------------------------------------- oras
s_oras_push() {
  mkdir -p "$W/oras-in" && cd "$W/oras-in"
  head -c 200000 /dev/urandom >payload.bin
  printf 'portfolio ci artifact\n' >note.txt
  x oras push --plain-http --artifact-type application/vnd.example.thing --format json \
    "$R/demo/art:v1" payload.bin:application/octet-stream note.txt:text/plain | tee "$W/oras-push.json"
  local d
  d="$(ocitool json-get "$W/oras-push.json" digest)"
  put art_digest "$d"
}
s_oras_attach() {
  cd "$W/oras-in"
  printf '{"sbom":"portfolio-ci","n":%d}\n' "$RANDOM" >sbom.json
  x oras attach --plain-http --artifact-type application/vnd.example.sbom --format json \
    "$R/demo/art:v1" sbom.json:application/json | tee "$W/oras-attach.json"
  local d
  d="$(ocitool json-get "$W/oras-attach.json" digest)"
  put sbom_digest "$d"
}
s_oras_discover() {
  x oras discover --plain-http --format json --distribution-spec v1.1-referrers-api \
    "$R/demo/art:v1" | tee "$W/oras-discover.json"
  x ocitool discover-has "$W/oras-discover.json" "$(get sbom_digest)" application/vnd.example.sbom
}
s_referrers_api() {
  local url
  url="http://$R/v2/demo/art/referrers/$(get art_digest)"
  x curl -sS -D "$W/referrers.headers" -o "$W/referrers.json" "$url"
  cat "$W/referrers.headers" "$W/referrers.json"
  echo
  grep -qiE '^content-type: application/vnd.oci.image.index.v1\+json' "$W/referrers.headers"
  python3 - "$W/referrers.json" "$(get sbom_digest)" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc.get("schemaVersion") == 2, doc
assert doc.get("mediaType") == "application/vnd.oci.image.index.v1+json", doc
hits = [m for m in doc.get("manifests", []) if m.get("digest") == sys.argv[2]]
assert len(hits) == 1, f"referrer {sys.argv[2]} listed {len(hits)} times"
assert hits[0].get("artifactType") == "application/vnd.example.sbom", hits[0]
print("referrers index lists", sys.argv[2])
PY
}
s_oras_pull() {
  x oras pull --plain-http -o "$W/oras-out" "$R/demo/art:v1"
  x cmp "$W/oras-in/payload.bin" "$W/oras-out/payload.bin"
  x cmp "$W/oras-in/note.txt" "$W/oras-out/note.txt"
  x oras pull --plain-http -o "$W/oras-out-sbom" "$R/demo/art@$(get sbom_digest)"
  x cmp "$W/oras-in/sbom.json" "$W/oras-out-sbom/sbom.json"
}

# ------------------------------------------------------------ crane/regctl
make_tar() { # make_tar OUT: a layer tarball with random files
  local dir
  dir="$(mktemp -d "$W/tar.XXXXXX")"
  mkdir -p "$dir/data"
  head -c 100000 /dev/urandom >"$dir/data/random.bin"
  date -u +%s%N >"$dir/data/stamp"
  tar -C "$dir" -cf "$1" data
}
s_crane_push() {
  make_tar "$W/l1.tar"
  make_tar "$W/l2.tar"
  make_tar "$W/l3.tar"
  x crane append --oci-empty-base -f "$W/l1.tar" -t "$R/demo/crane:v1"
  x crane append -b "$R/demo/crane:v1" -f "$W/l2.tar" -t "$R/demo/crane:v1"
  x crane tag "$R/demo/crane:v1" v2
  x crane append --oci-empty-base -f "$W/l3.tar" -t "$R/demo/crane-del:gone"
  local d n
  d="$(x crane digest "$R/demo/crane:v1")"
  put crane_v1 "$d"
  d="$(x crane digest "$R/demo/crane-del:gone")"
  put crane_del "$d"
  n="$(x crane manifest "$R/demo/crane:v1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))')"
  echo "demo/crane:v1 has $n layers"
  [[ $n == 2 ]]
}
s_crane_ls() {
  x crane ls "$R/demo/crane" | tee "$W/crane-ls.txt"
  x ocitool lines-contain "$W/crane-ls.txt" v1 v2
}
s_crane_catalog() {
  x crane catalog "$R" | tee "$W/catalog.txt"
  x ocitool lines-contain "$W/catalog.txt" demo/crane demo/crane-del demo/img demo/art
}
s_crane_delete() {
  local d
  d="$(get crane_del)"
  x crane delete "$R/demo/crane-del@$d"
  if x crane manifest "$R/demo/crane-del@$d"; then
    echo "manifest $d still served after delete"
    return 1
  fi
  echo "crane manifest by digest fails after delete, as it should"
  if x crane manifest "$R/demo/crane-del:gone"; then
    echo "tag 'gone' still resolves after its manifest was deleted"
    return 1
  fi
  echo "tag of the deleted manifest is gone too"
}
s_regctl_set() {
  x regctl registry set --tls disabled "$R"
}
s_regctl_tags() {
  x regctl tag ls "$R/demo/crane" | tee "$W/regctl-tags.txt"
  x ocitool lines-contain "$W/regctl-tags.txt" v1 v2
}
s_regctl_delete() {
  x regctl tag delete "$R/demo/crane:v2"
  x regctl tag ls "$R/demo/crane" | tee "$W/regctl-tags2.txt"
  x ocitool lines-lack "$W/regctl-tags2.txt" v2
  x ocitool lines-contain "$W/regctl-tags2.txt" v1
  local d
  d="$(x crane digest "$R/demo/crane:v1")"
  echo "v1 still resolves to $d"
  [[ $d == "$(get crane_v1)" ]]
  x regctl manifest head "$R/demo/crane@$d"
}

main() {
  local started=$SECONDS
  echo "[clients] registry http://$R, work dir $W"
  echo "[clients] $(skopeo --version); oras $(oras version | awk '/^Version/ {print $2}'); crane $(crane version); regctl $(regctl version --format '{{.VCSTag}}')"

  scenario "registry answers"
  step "GET /v2/ answers 200" s_ping

  scenario "skopeo: OCI layout -> registry -> OCI layout"
  step "write a two-layer OCI image layout (not from the registry)" s_layout
  step "skopeo copy oci: layout -> docker://$R/demo/img:v1" s_skopeo_push
  step "skopeo inspect --raw: registry serves the same manifest bytes" s_skopeo_inspect
  step "crane digest + crane validate --remote on the pushed image" s_crane_validate
  step "skopeo copy docker://$R/demo/img:v1 -> second OCI layout" s_skopeo_pull
  step "both layouts hold the same manifest and byte-identical blobs" s_compare_layouts
  step "skopeo list-tags shows v1" s_skopeo_tags

  scenario "oras: artifact, referrer, discover, pull"
  step "oras push an artifact with --artifact-type" s_oras_push
  step "oras attach an SBOM referrer" s_oras_attach
  step "oras pull artifact and referrer, bytes identical" s_oras_pull
  step -k "oras discover (referrers API) lists the SBOM" s_oras_discover
  step -k "GET /v2/demo/art/referrers/<digest> is an OCI index listing the SBOM" s_referrers_api

  scenario "crane + regctl: tags, catalog, deletes"
  step "crane append (two layers) + crane tag; a second image to delete" s_crane_push
  step "crane ls lists v1 and v2" s_crane_ls
  step "crane catalog lists the repositories" s_crane_catalog
  step "crane delete by digest; crane manifest then fails" s_crane_delete
  step "regctl registry set --tls disabled" s_regctl_set
  step "regctl tag ls lists v1 and v2" s_regctl_tags
  step "regctl tag delete v2; v2 gone, v1 and its manifest stay" s_regctl_delete

  finish "$started"
}

main
