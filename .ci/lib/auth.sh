# shellcheck shell=bash
# Access control in CI: an embedded registry started with an access file,
# then the OCI conformance suite signing in as a user (the suite speaks the
# Docker token protocol), and the real clients signing in (.ci/auth-clients.sh).
#
# Sourced by .ci/run, which calls auth_stage and split_auth_stage.

# auth_access_file DIR: writes DIR/access.json and DIR/credentials (sourceable:
# ALICE, ROBOT, CONFORMANCE as name:secret). Passwords are random per run and
# hashed by `portfolio hash-password`, as an operator would.
auth_access_file() {
  local dir="$1" alice_pw conformance_pw robot portfolio
  portfolio=(node "$repo/services/portfolio/dist/main.js")
  alice_pw="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  conformance_pw="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  robot="$("${portfolio[@]}" robot-secret)"
  python3 - "$dir" "$alice_pw" "$conformance_pw" "$robot" \
    "$(printf '%s' "$alice_pw" | "${portfolio[@]}" hash-password)" \
    "$(printf '%s' "$conformance_pw" | "${portfolio[@]}" hash-password)" <<'PY'
import json, sys
dir, alice_pw, conformance_pw, robot, alice_hash, conformance_hash = sys.argv[1:]
robot = json.loads(robot)
access = {
    "users": {
        "alice": {"passwordHash": alice_hash},
        "conformance": {"passwordHash": conformance_hash},
    },
    "robots": {"ci": {"secretSha256": robot["secretSha256"]}},
    "repositories": [
        {"match": "public/**", "grant": {"anonymous": ["pull"], "alice": ["pull", "push", "delete"]}},
        {"match": "team/**", "grant": {"alice": ["pull", "push", "delete"], "ci": ["pull", "push"]}},
        {"match": "conformance/**", "grant": {"conformance": ["pull", "push", "delete"]}},
        {"match": "**", "grant": {"alice": ["pull", "push", "delete"]}},
    ],
}
json.dump(access, open(f"{dir}/access.json", "w"), indent=2)
with open(f"{dir}/credentials", "w") as out:
    out.write(f"ALICE=alice:{alice_pw}\nCONFORMANCE=conformance:{conformance_pw}\n")
    out.write(f"ROBOT=ci:{robot['secret']}\n")
PY
}

AUTH_DIR=""

# auth_stage NAME COMMAND...: registry_stage on a registry with access control.
auth_stage() {
  local name="$1"
  shift
  AUTH_DIR="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-ci-auth.XXXXXX")"
  temp_dirs+=("$AUTH_DIR")
  if ! auth_access_file "$AUTH_DIR"; then
    record "auth $name" FAIL 0
    return 0
  fi
  REGISTRY_SETTINGS=(PORTFOLIO_AUTH_FILE="$AUTH_DIR/access.json")
  registry_stage "auth $name" "$@"
  REGISTRY_SETTINGS=()
}

# split_auth_stage NAME COMMAND...: split_stage with access control in the
# gateway, which must be given its token signing key (replicas share one).
split_auth_stage() {
  local name="$1"
  shift
  AUTH_DIR="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-ci-auth.XXXXXX")"
  temp_dirs+=("$AUTH_DIR")
  if ! auth_access_file "$AUTH_DIR" || ! node -e '
    const { generateKeyPairSync } = require("node:crypto");
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    process.stdout.write(privateKey.export({ type: "pkcs8", format: "pem" }));
  ' >"$AUTH_DIR/token-key.pem"; then
    record "split auth_$name" FAIL 0
    return 0
  fi
  SPLIT_GATEWAY_SETTINGS=(PORTFOLIO_AUTH_FILE="$AUTH_DIR/access.json"
    PORTFOLIO_AUTH_TOKEN_KEY_FILE="$AUTH_DIR/token-key.pem")
  split_stage "auth_$name" "$@"
  SPLIT_GATEWAY_SETTINGS=()
}

run_auth_conformance() {
  say "OCI conformance suite, signed in, against $REGISTRY_ADDR with access control"
  (
    # shellcheck source=/dev/null
    source "$AUTH_DIR/credentials"
    CONFORMANCE_LOGIN="$CONFORMANCE" bash "$repo/.ci/conformance.sh" "$REGISTRY_ADDR" \
      "$work/conformance-auth"
  )
}

run_auth_clients() {
  say "real clients signing in to $REGISTRY_ADDR"
  (
    # shellcheck source=/dev/null
    source "$AUTH_DIR/credentials"
    PORTFOLIO_CI_ALICE="$ALICE" PORTFOLIO_CI_ROBOT="$ROBOT" \
      bash "$repo/.ci/auth-clients.sh" "$REGISTRY_ADDR"
  )
}
