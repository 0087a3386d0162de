# shellcheck shell=bash
# Offline validation of the deployment files: the Kubernetes manifests under
# deploy/k8s (every resource file, and the output of kustomize for each
# overlay and for the migrate Job) in strict mode against the Kubernetes
# schemas that kubernetes-validate bundles, and docker-compose.yml against the
# Compose Specification schema that check-jsonschema vendors. Nothing here
# talks to a cluster or a Docker engine.
#
# Sourced by .ci/run, which calls run_deploy_validation; it can also be run
# alone: bash .ci/lib/deploy.sh. Needs python3 (venv) and go.

DEPLOY_K8S_VERSION="${DEPLOY_K8S_VERSION:-1.33}"
DEPLOY_KUBERNETES_VALIDATE_VERSION=1.37.0
DEPLOY_CHECK_JSONSCHEMA_VERSION=0.39.0
# v5.8.x needs Go 1.27; v5.7.1 builds on Go 1.26.
DEPLOY_KUSTOMIZE_VERSION=v5.7.1

# deploy_tools: the venv and kustomize under the CI cache, reused when their
# versions match; prints nothing on success but what the installers say.
deploy_tools() (
  set -euo pipefail
  local cache="${PORTFOLIO_CI_CACHE:-$HOME/.cache/portfolio-ci}"
  local venv="$cache/venv" bin="$cache/bin"
  mkdir -p "$bin"
  local want="kubernetes-validate==$DEPLOY_KUBERNETES_VALIDATE_VERSION check-jsonschema==$DEPLOY_CHECK_JSONSCHEMA_VERSION"
  if [[ ! -x $venv/bin/python ]]; then python3 -m venv "$venv"; fi
  if [[ "$(cat "$venv/.portfolio-deploy" 2>/dev/null)" != "$want" ]]; then
    # shellcheck disable=SC2086 # $want is two requirement words
    "$venv/bin/pip" install --quiet --disable-pip-version-check $want
    echo "$want" >"$venv/.portfolio-deploy"
  fi
  local kustomize="$bin/kustomize-$DEPLOY_KUSTOMIZE_VERSION"
  if [[ ! -x $kustomize ]]; then
    local gobin
    gobin="$(mktemp -d)"
    GOBIN="$gobin" GOTOOLCHAIN=local go install "sigs.k8s.io/kustomize/kustomize/v5@$DEPLOY_KUSTOMIZE_VERSION"
    mv "$gobin/kustomize" "$kustomize"
    rmdir "$gobin"
  fi
)

run_deploy_validation() (
  set -euo pipefail
  local root="${repo:-$(git rev-parse --show-toplevel)}"
  local cache="${PORTFOLIO_CI_CACHE:-$HOME/.cache/portfolio-ci}"
  local kv="$cache/venv/bin/kubernetes-validate" cj="$cache/venv/bin/check-jsonschema"
  local kustomize="$cache/bin/kustomize-$DEPLOY_KUSTOMIZE_VERSION"
  local out pass=0 fail=0 f name
  deploy_tools
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT

  check() { # check NAME COMMAND...: run it, count it, show its output on failure
    local name="$1" log="$out/check.log"
    shift
    if "$@" >"$log" 2>&1; then
      pass=$((pass + 1))
      echo "PASS $name"
    else
      fail=$((fail + 1))
      echo "FAIL $name"
      sed 's/^/    /' "$log"
    fi
  }
  validate() { "$kv" --strict --quiet -k "$DEPLOY_K8S_VERSION" "$@"; }

  # Each whole resource file on its own. kustomization.yaml files are not
  # Kubernetes resources, and overlay patches are partial; both are checked
  # through the rendered output below.
  while IFS= read -r f; do
    check "k8s $f" validate "$root/$f"
  done < <(cd "$root" && find deploy/k8s -name '*.yaml' ! -name kustomization.yaml ! -path '*/overlays/*' | sort)

  # The rendered overlays and the migrate Job, as they would be applied.
  for name in overlays/dev overlays/production migrate; do
    local rendered="$out/${name//\//-}.yaml"
    if check "kustomize build deploy/k8s/$name" "$kustomize" build "$root/deploy/k8s/$name" -o "$rendered"; then
      check "k8s rendered deploy/k8s/$name" validate "$rendered"
    fi
  done

  # The validator must reject what it should: an unknown field in strict mode.
  cat >"$out/bad.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: { name: bad }
spec:
  ports: [{ port: 80 }]
  notAField: true
YAML
  check "strict mode rejects an unknown field" bash -c '! "$0" --strict --quiet -k "$1" "$2"' "$kv" "$DEPLOY_K8S_VERSION" "$out/bad.yaml"

  check "docker-compose.yml (compose-spec)" "$cj" --builtin-schema vendor.compose-spec "$root/docker-compose.yml"

  echo "deploy validation: $pass passed, $fail failed"
  ((fail == 0))
)

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  run_deploy_validation
fi
