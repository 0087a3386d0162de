#!/usr/bin/env bash
# Step framework for the client scenario scripts (.ci/clients.sh,
# .ci/auth-clients.sh), sourced after $ci_dir is set and versions.sh is read:
# checks the clients are there, makes the work dir $W (removed on exit), with
# a private HOME so the clients never see the caller's credentials or configs.

PATH="$PORTFOLIO_CI_BIN:$PATH"
ocitool() { python3 "$ci_dir/lib/ocitool.py" "$@"; }

for tool in skopeo oras crane regctl python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "[clients] ERROR: $tool not found; run .ci/tools.sh first" >&2
    exit 2
  }
done

W="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-clients.XXXXXX")"
trap 'rm -rf "$W"' EXIT
export HOME="$W/home" XDG_CONFIG_HOME="$W/home/.config" XDG_RUNTIME_DIR="$W/run"
export DOCKER_CONFIG="$W/home/.docker" REGCTL_CONFIG="$W/home/.regctl/config.json"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR" "$DOCKER_CONFIG" "$W/state"
chmod 700 "$XDG_RUNTIME_DIR"

passed=0 failed=0 skipped=0 step_no=0
failures=()
scenario_ok=1

# x CMD...: echo a command (to stderr, so $(x ...) captures only its output),
# then run it.
x() {
  printf '+ %s\n' "$(printf '%q ' "$@")" >&2
  "$@"
}
# put/get: values shared between steps (steps run in subshells).
put() { printf '%s' "$2" >"$W/state/$1"; }
get() { cat "$W/state/$1"; }

scenario() {
  scenario_ok=1
  printf '\n=== %s\n' "$*"
}

# step [-k] "description" function: runs the function in a subshell with
# errexit. -k: an independent check; it runs even after an earlier failure in
# its scenario and its own failure does not stop the scenario.
step() {
  local independent=0 desc fn rc
  if [[ $1 == -k ]]; then
    independent=1
    shift
  fi
  desc="$1" fn="$2"
  step_no=$((step_no + 1))
  if ((!scenario_ok && !independent)); then
    printf -- '--- [%d] SKIP %s (an earlier step of this scenario failed)\n' "$step_no" "$desc"
    skipped=$((skipped + 1))
    return 0
  fi
  printf -- '--- [%d] %s\n' "$step_no" "$desc"
  set +e
  (
    set -euo pipefail
    "$fn"
  )
  rc=$?
  set -e
  if ((rc == 0)); then
    printf -- '--- [%d] PASS %s\n' "$step_no" "$desc"
    passed=$((passed + 1))
  else
    printf -- '--- [%d] FAIL %s (exit %d)\n' "$step_no" "$desc" "$rc"
    failed=$((failed + 1))
    failures+=("[$step_no] $desc")
    ((independent)) || scenario_ok=0
  fi
}

# finish STARTED_SECONDS: prints the failed steps and the "N passed, N failed,
# N skipped" line; fails if any step failed.
finish() {
  printf '\n[clients] finished in %ds\n' "$((SECONDS - $1))"
  if ((${#failures[@]})); then
    echo "[clients] failed steps:"
    printf '  %s\n' "${failures[@]}"
  fi
  echo "$passed passed, $failed failed, $skipped skipped"
  ((failed == 0))
}
