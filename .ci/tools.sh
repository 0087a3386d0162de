#!/usr/bin/env bash
# Installs the external tools the CI needs on a Debian 12 machine that already
# has Go, Node, Java and Python:
#   - apt packages (skopeo) when the command is missing;
#   - Go tools (OCI conformance suite, oras, crane, regctl) built with
#     `go install <pkg>@<version>` through the Go module proxy into
#     $PORTFOLIO_CI_CACHE (default $HOME/.cache/portfolio-ci), reused when present.
# Versions are pinned in .ci/versions.sh. The binaries end up in
# $PORTFOLIO_CI_BIN (symlinks); .ci/run puts that directory on PATH.
set -euo pipefail

ci_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$ci_dir/versions.sh"

log() { printf '[tools] %s\n' "$*"; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

install_apt_tools() {
  local entry cmd pkg missing=()
  for entry in "${PORTFOLIO_CI_APT_TOOLS[@]}"; do
    IFS='|' read -r cmd pkg <<<"$entry"
    if command -v "$cmd" >/dev/null 2>&1; then
      log "$cmd present ($(command -v "$cmd"))"
    else
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by hand"
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Try with the current package lists first; refresh them only when needed.
  if ! as_root apt-get install -y --no-install-recommends "${missing[@]}"; then
    log "apt-get install failed; running apt-get update and retrying"
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# Directory holding the binary for one tool at one version.
tool_dir() { printf '%s/tools/%s/%s' "$PORTFOLIO_CI_CACHE" "$1" "$2"; }

install_go_tool() {
  local name="$1" pkg="$2" version="$3"
  local dir
  dir="$(tool_dir "$name" "$version")"
  if [[ -x "$dir/$name" ]]; then
    log "$name $version cached"
  else
    command -v go >/dev/null 2>&1 || die "go not found on PATH"
    local ldflags=""
    if [[ $name == conformance ]]; then
      # The suite reports main.Version as its commit; a pseudo-version ends in it.
      ldflags="-X main.Version=${version##*-}"
    fi
    log "go install $pkg@$version"
    local started=$SECONDS tmp="$dir.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # GOFLAGS is cleared so a developer's -mod=vendor etc. cannot break
    # `go install pkg@version`; GOTOOLCHAIN=local never downloads a toolchain.
    if ! env GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GOBIN="$tmp" \
      go install -trimpath -ldflags="$ldflags" "$pkg@$version"; then
      rm -rf "$tmp"
      die "go install $pkg@$version failed"
    fi
    [[ -x "$tmp/$name" ]] || die "go install $pkg@$version did not produce $name"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    log "$name $version built in $((SECONDS - started))s"
  fi
  mkdir -p "$PORTFOLIO_CI_BIN"
  ln -sfn "$dir/$name" "$PORTFOLIO_CI_BIN/$name"
}

# The module version embedded in a Go binary (what was really built).
built_version() {
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

main() {
  local started=$SECONDS entry name pkg version
  install_apt_tools
  for entry in "${PORTFOLIO_CI_GO_TOOLS[@]}"; do
    IFS='|' read -r name pkg version <<<"$entry"
    install_go_tool "$name" "$pkg" "$version"
  done

  log "installed (bin dir $PORTFOLIO_CI_BIN):"
  for entry in "${PORTFOLIO_CI_GO_TOOLS[@]}"; do
    IFS='|' read -r name pkg version <<<"$entry"
    printf '  %-12s %-55s %s  (binary says %s)\n' "$name" "$pkg" "$version" "$(built_version "$PORTFOLIO_CI_BIN/$name" || true)"
  done
  for entry in "${PORTFOLIO_CI_APT_TOOLS[@]}"; do
    IFS='|' read -r name pkg <<<"$entry"
    printf '  %-12s %-55s %s\n' "$name" "apt:$pkg" "$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo '?')"
  done
  log "done in $((SECONDS - started))s"
}

main "$@"
