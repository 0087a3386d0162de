# shellcheck shell=bash
# Pinned versions of every external tool the CI uses. Sourced by .ci/tools.sh
# and .ci/run; change versions here and nowhere else.
#
# Go tools are built with `go install <package>@<version>` through the Go
# module proxy (checksums verified against sum.golang.org), one binary per
# tool, into a cache under $HOME keyed by version.

# name|package|version
PORTFOLIO_CI_GO_TOOLS=(
  "conformance|github.com/opencontainers/distribution-spec/conformance|v0.0.0-20260831232431-97274622c111"
  "oras|oras.land/oras/cmd/oras|v1.3.6"
  "crane|github.com/google/go-containerregistry/cmd/crane|v0.22.1"
  "regctl|github.com/regclient/regclient/cmd/regctl|v0.11.5"
)

# Debian 12 packages installed with apt-get when the command is missing.
# command|package
PORTFOLIO_CI_APT_TOOLS=(
  "skopeo|skopeo"
)

PORTFOLIO_CI_CACHE="${PORTFOLIO_CI_CACHE:-$HOME/.cache/portfolio-ci}"
PORTFOLIO_CI_BIN="$PORTFOLIO_CI_CACHE/bin"
