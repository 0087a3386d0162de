#!/usr/bin/env bash
# Real clients signing in to a registry with access control on (plain HTTP):
#
#   PORTFOLIO_CI_ALICE=alice:<password> PORTFOLIO_CI_ROBOT=ci:<secret> \
#     .ci/auth-clients.sh <host:port>
#
# The registry's access file must give alice pull, push and delete everywhere,
# the robot `ci` pull and push on team/**, and the anonymous pull on public/**
# (.ci/lib/auth.sh writes such a file). Each client takes the Docker token
# protocol's way in: a 401 with a Bearer challenge, a token from the realm
# with the credentials, the request again with the token.
#
#   skopeo  --dest-creds/--creds; refused without them and with a wrong password
#   oras    login, push, pull byte-identical, repo ls, logout, then refused
#   crane   auth login as the robot: push where granted, delete refused,
#           catalog limited to what it may pull; anonymous pull of public/**
#   regctl  registry login, tag ls, tag delete
#   curl    repeated wrong passwords end in 429 TOOMANYREQUESTS with Retry-After
#
# Ends with "N passed, N failed, N skipped"; exits non-zero if any step failed.
set -euo pipefail

if (($# != 1)) || [[ -z ${PORTFOLIO_CI_ALICE:-} || -z ${PORTFOLIO_CI_ROBOT:-} ]]; then
  echo "usage: PORTFOLIO_CI_ALICE=alice:pw PORTFOLIO_CI_ROBOT=ci:secret $0 <host:port>" >&2
  exit 2
fi
R="$1"
ALICE_PASSWORD="${PORTFOLIO_CI_ALICE#alice:}"
ROBOT_SECRET="${PORTFOLIO_CI_ROBOT#ci:}"

ci_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$ci_dir/versions.sh"
# shellcheck source=lib/steps.sh
source "$ci_dir/lib/steps.sh"

# fails STEP-DESCRIPTION CMD...: the command must fail (and is echoed like x).
fails() {
  if x "${@:2}"; then
    echo "expected to be refused: $1"
    return 1
  fi
  echo "refused, as it should be: $1"
}

s_challenge() {
  x curl -sS -D "$W/challenge.headers" -o /dev/null "http://$R/v2/"
  cat "$W/challenge.headers"
  grep -qE '^HTTP/1.1 401' "$W/challenge.headers"
  grep -qiE '^www-authenticate: Bearer realm="http://[^"]+/auth/token",service="portfolio"' \
    "$W/challenge.headers"
}

# ------------------------------------------------------------------ skopeo
s_skopeo_push() {
  x ocitool make-layout "$W/layout" v1 >"$W/layout-digest"
  x skopeo --insecure-policy copy --dest-tls-verify=false --dest-creds "alice:$ALICE_PASSWORD" \
    "oci:$W/layout:v1" "docker://$R/team/img:v1"
}
s_skopeo_inspect() {
  x skopeo inspect --raw --tls-verify=false --creds "alice:$ALICE_PASSWORD" \
    "docker://$R/team/img:v1" >"$W/manifest.json"
  [[ "$(ocitool sha256 "$W/manifest.json")" == "$(cat "$W/layout-digest")" ]]
}
s_skopeo_refused() {
  fails "skopeo without credentials" \
    skopeo inspect --raw --tls-verify=false "docker://$R/team/img:v1"
  fails "skopeo with a wrong password" \
    skopeo inspect --raw --tls-verify=false --creds "alice:wrong" "docker://$R/team/img:v1"
}

# -------------------------------------------------------------------- oras
s_oras_login() {
  printf '%s' "$ALICE_PASSWORD" | x oras login --plain-http -u alice --password-stdin "$R"
}
s_oras_push_pull() {
  mkdir -p "$W/oras" && cd "$W/oras"
  head -c 100000 /dev/urandom >payload.bin
  x oras push --plain-http --artifact-type application/vnd.example.thing "$R/team/art:v1" \
    payload.bin:application/octet-stream
  x oras pull --plain-http -o "$W/oras-out" "$R/team/art:v1"
  x cmp payload.bin "$W/oras-out/payload.bin"
}
s_oras_repo_ls() {
  # oras sends its credentials only when challenged: the catalog must challenge it.
  x oras repo ls --plain-http "$R" | tee "$W/oras-repos.txt"
  x ocitool lines-contain "$W/oras-repos.txt" team/img team/art private/secret public/img
}
s_oras_logout() {
  x oras logout "$R"
  fails "oras pull after logout" oras pull --plain-http -o "$W/oras-anon" "$R/team/art:v1"
}

# ------------------------------------------------------------------- crane
s_crane_robot() {
  x crane auth login "$R" -u ci -p "$ROBOT_SECRET"
  head -c 50000 /dev/urandom >"$W/robot.bin"
  tar -C "$W" -cf "$W/robot.tar" robot.bin
  x crane append --insecure --oci-empty-base -f "$W/robot.tar" -t "$R/team/robot:v1"
  x crane digest --insecure "$R/team/robot:v1" >"$W/robot-digest"
}
s_crane_robot_denied() {
  fails "the robot deleting (it has pull and push only)" \
    crane delete --insecure "$R/team/robot@$(cat "$W/robot-digest")"
  fails "the robot pushing outside team/**" \
    crane append --insecure --oci-empty-base -f "$W/robot.tar" -t "$R/private/robot:v1"
}
s_crane_catalog() {
  x crane catalog --insecure "$R" | tee "$W/catalog.txt"
  x ocitool lines-contain "$W/catalog.txt" team/img team/art team/robot public/img
  x ocitool lines-lack "$W/catalog.txt" private/secret
}
s_anonymous() {
  x crane auth logout "$R"
  x crane manifest --insecure "$R/public/img:v1" >/dev/null
  fails "anonymous pull of a private repository" crane manifest --insecure "$R/private/secret:v1"
  fails "anonymous push to public/**" \
    crane append --insecure --oci-empty-base -f "$W/robot.tar" -t "$R/public/anon:v1"
}

# ------------------------------------------------------------------ regctl
s_regctl() {
  x regctl registry set --tls disabled "$R"
  printf '%s' "$ALICE_PASSWORD" | x regctl registry login -u alice --pass-stdin "$R"
  x regctl tag ls "$R/team/img" | tee "$W/regctl-tags.txt"
  x ocitool lines-contain "$W/regctl-tags.txt" v1
  x regctl image copy "$R/team/img:v1" "$R/team/img:v2"
  x regctl tag delete "$R/team/img:v2"
  x regctl tag ls "$R/team/img" | tee "$W/regctl-tags2.txt"
  x ocitool lines-lack "$W/regctl-tags2.txt" v2
}

# The setup of the anonymous scenario: alice pushes public/img and private/secret.
s_seed() {
  head -c 1000 /dev/urandom >"$W/seed.bin"
  tar -C "$W" -cf "$W/seed.tar" seed.bin
  x crane auth login "$R" -u alice -p "$ALICE_PASSWORD"
  x crane append --insecure --oci-empty-base -f "$W/seed.tar" -t "$R/public/img:v1"
  x crane append --insecure --oci-empty-base -f "$W/seed.tar" -t "$R/private/secret:v1"
  x crane auth logout "$R"
}

s_lockout() {
  local i code
  for i in $(seq 1 12); do
    code="$(curl -s -o /dev/null -w '%{http_code}' -u "alice:guess-$i" "http://$R/v2/")"
    echo "wrong password $i -> $code"
  done
  x curl -sS -D "$W/limited.headers" -o "$W/limited.json" -u "alice:$ALICE_PASSWORD" "http://$R/v2/"
  cat "$W/limited.headers" "$W/limited.json"
  echo
  grep -qE '^HTTP/1.1 429' "$W/limited.headers"
  grep -qiE '^retry-after: [0-9]+' "$W/limited.headers"
  grep -q '"TOOMANYREQUESTS"' "$W/limited.json"
}

main() {
  local started=$SECONDS
  echo "[clients] registry http://$R with access control, work dir $W"

  scenario "the challenge"
  step "GET /v2/ without credentials: 401 with a Bearer challenge" s_challenge
  step "alice seeds public/img and private/secret" s_seed

  scenario "skopeo with credentials"
  step "skopeo copy --dest-creds: OCI layout -> team/img:v1" s_skopeo_push
  step "skopeo inspect --creds: the same manifest digest" s_skopeo_inspect
  step -k "skopeo refused without credentials and with a wrong password" s_skopeo_refused

  scenario "oras login"
  step "oras login --password-stdin" s_oras_login
  step "oras push and pull byte-identical" s_oras_push_pull
  step -k "oras repo ls lists what alice may pull, private/** included" s_oras_repo_ls
  step "oras logout, then pull refused" s_oras_logout

  scenario "crane as a robot, and anonymous"
  step "crane auth login as the robot; append to team/robot" s_crane_robot
  step -k "the robot may not delete, nor push outside team/**" s_crane_robot_denied
  step -k "crane catalog as the robot lists what it may pull, not private/**" s_crane_catalog
  step -k "anonymous: pull public/**, refused private/** and pushes" s_anonymous

  scenario "regctl login"
  step "regctl registry login; tag ls, copy, tag delete" s_regctl

  scenario "rate limit"
  step "12 wrong passwords, then 429 TOOMANYREQUESTS with Retry-After" s_lockout

  finish "$started"
}

main
