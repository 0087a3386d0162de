#!/usr/bin/env bash
# Runs the OCI distribution-spec conformance suite (new suite, see
# .ci/versions.sh) against a fresh, empty registry on plain HTTP.
#
#   .ci/conformance.sh <host:port> <results-dir>
#
# Scope: pull, push, content discovery (tag listing + referrers) and content
# management (deletes), cross-repository mount, upload cancel, and the
# Docker-Content-Digest header checks. Copies results.yaml, junit.xml,
# report.html and the full suite output into <results-dir>, prints the suite's
# summary, then a line "N passed, N failed, N skipped", and exits non-zero on
# any FAIL or Error (or when the suite produced no verdict).
#
# Env: CONFORMANCE_TIMEOUT (seconds, default 900), CONFORMANCE_BIN (binary,
# default `conformance` on PATH or in the CI tool cache), CONFORMANCE_LOGIN
# (user:password, for a registry with access control).
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 <host:port> <results-dir>" >&2
  exit 2
fi
registry="$1"
results_dir="$2"

ci_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$ci_dir/versions.sh"
PATH="$PORTFOLIO_CI_BIN:$PATH"

log() { printf '[conformance] %s\n' "$*"; }

bin="${CONFORMANCE_BIN:-$(command -v conformance || true)}"
if [[ -z $bin || ! -x $bin ]]; then
  log "ERROR: conformance binary not found; run .ci/tools.sh first"
  exit 2
fi

mkdir -p "$results_dir"
results_dir="$(cd "$results_dir" && pwd)"
rm -f "$results_dir"/{results.yaml,junit.xml,report.html,output.txt,suite.log}
out="$results_dir/output.txt"

# The suite writes into OCI_RESULTS_DIR; use a private temp dir so a stale
# results.yaml can never be mistaken for this run's verdict.
work="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-conformance.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Settings. OCI_CONFIGURATION points at an empty file so that no
# ./oci-conformance.yaml in the working directory can change the scope.
: >"$work/oci-conformance.yaml"
suite_env=(
  OCI_CONFIGURATION="$work/oci-conformance.yaml"
  OCI_REGISTRY="$registry"
  OCI_TLS=disabled
  OCI_VERSION=1.1
  OCI_REPO1=conformance/repo1
  OCI_REPO2=conformance/repo2
  OCI_RESULTS_DIR="$work/results"
  OCI_LOG=info
  OCI_API_PULL=true
  OCI_API_PUSH=true
  OCI_API_TAGS_LIST=true
  OCI_API_REFERRER=true
  OCI_API_BLOBS_DELETE=true
  OCI_API_MANIFESTS_DELETE=true
  OCI_API_TAGS_DELETE=true
  OCI_API_BLOBS_MOUNT_ANONYMOUS=true
  OCI_API_BLOBS_UPLOAD_CANCEL=true
  OCI_API_BLOBS_DIGEST_HEADER=true
  OCI_API_MANIFESTS_DIGEST_HEADER=true
)

if [[ -n ${CONFORMANCE_LOGIN:-} ]]; then
  suite_env+=(OCI_USERNAME="${CONFORMANCE_LOGIN%%:*}" OCI_PASSWORD="${CONFORMANCE_LOGIN#*:}")
fi

# The suite expects an empty registry (it reuses tag names across data sets).
catalog="$(curl -s -m 10 "http://$registry/v2/_catalog" 2>/dev/null || true)"
if [[ $catalog == *'"repositories"'* && $catalog != *'"repositories":[]'* && $catalog != *'"repositories": []'* ]]; then
  log "WARNING: the registry is not empty (GET /v2/_catalog: ${catalog:0:200}); results may differ from a fresh one"
fi

log "suite: $bin ($(go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'))"
log "registry: http://$registry  results: $results_dir"
printf '  %s\n' "${suite_env[@]}" | sed 's/^\(  OCI_PASSWORD=\).*/\1(hidden)/'

# The suite's HTTP client has no timeouts of its own.
rc=0
(cd "$work" && env "${suite_env[@]}" timeout --kill-after=30 "${CONFORMANCE_TIMEOUT:-900}" "$bin") \
  >"$out" 2>"$results_dir/suite.log" || rc=$?
log "suite exit code: $rc$( ((rc == 124 || rc == 137)) && echo ' (timed out)')"

for f in results.yaml junit.xml report.html; do
  [[ -f $work/results/$f ]] && cp "$work/results/$f" "$results_dir/$f"
done

if [[ ! -s $results_dir/results.yaml ]]; then
  log "ERROR: the suite wrote no results.yaml, so there is no verdict. Its stderr (tail):"
  tail -n 40 "$results_dir/suite.log" >&2 || true
  tail -n 40 "$out" || true
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# Failing nodes of the result tree, with their error lines (an error can
# span several lines; continuation lines are not indented by the suite).
max_lines="${CONFORMANCE_MAX_FAIL_LINES:-400}"
if grep -qE ': (FAIL|Error)$' "$out"; then
  log "failing checks (full tree: $out):"
  awk '
    /^Configuration:/ { exit }
    /^Test results$/ { next }
    /^ *OCI Conformance Test[^:]*: (Pass|Skip|Disabled|FAIL|Error|Unknown)$/ {
      keep = ($0 ~ /: (FAIL|Error)$/)
      if (keep) print
      next
    }
    keep && NF { if ($0 ~ /^ *- /) print; else print "         " $0 }
  ' "$out" >"$work/failing.txt"
  head -n "$max_lines" "$work/failing.txt"
  total_lines=$(wc -l <"$work/failing.txt")
  if ((total_lines > max_lines)); then
    log "... $((total_lines - max_lines)) more lines in $out"
  fi
  echo
fi

# The suite's own summary: overall result, counts, API and data tables.
log "suite summary:"
sed -n '/^OCI Conformance Result:/,$p' "$out"

count() { # count <status>: from the suite's "  <Status>.....:   N" lines
  awk -v s="$1" '
    /^OCI Conformance Result:/ { on = 1; next }
    on && $1 ~ ("^" s "\\.*:$") { print $2; found = 1; exit }
    END { if (!found) print "" }
  ' "$out"
}
n_pass="$(count Pass)"
n_fail="$(count FAIL)"
n_error="$(count Error)"
n_skip="$(count Skip)"
n_disabled="$(count Disabled)"
overall="$(sed -n 's/^OCI Conformance Result: //p' "$out")"

status=0
if [[ -z $n_pass || -z $n_fail || -z $n_error || -z $n_skip || -z $n_disabled || -z $overall ]]; then
  log "ERROR: could not read the counts from the suite's output"
  n_pass=${n_pass:-0} n_fail=${n_fail:-0} n_error=${n_error:-0} n_skip=${n_skip:-0} n_disabled=${n_disabled:-0}
  status=1
fi
# Cross-check against results.yaml: any API or data set in FAIL/Error fails.
yaml_bad="$(grep -cE ':[[:space:]]+(FAIL|Error)[[:space:]]*$' "$results_dir/results.yaml" || true)"

failed=$((n_fail + n_error))
skipped=$((n_skip + n_disabled))
log "overall: ${overall:-unknown}; FAIL=$n_fail Error=$n_error Skip=$n_skip Disabled=$n_disabled; results.yaml entries in FAIL/Error: $yaml_bad"
if ((failed > 0 || yaml_bad > 0 || rc != 0)) || [[ $overall != Pass ]]; then
  status=1
fi
if ((status != 0 && failed == 0)); then
  failed=1 # never print "0 failed" for a failing run
fi
echo "$n_pass passed, $failed failed, $skipped skipped"
exit "$status"
