#!/usr/bin/env bash
# Builds cosign (v3 and v2), crane, and a registry with the OCI referrers API (go-containerregistry's
# registry, scripts/referrers-registry) from the Go module proxy for the signature tests, once per
# version, into a cache outside the repository. Prints the directory holding the binaries.
set -euo pipefail

COSIGN3_VERSION="${COSIGN3_VERSION:-v3.1.3}"
COSIGN2_VERSION="${COSIGN2_VERSION:-v2.6.5}"
CRANE_VERSION="${CRANE_VERSION:-v0.22.1}"
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
OUT="$CACHE/cosign-$COSIGN3_VERSION-$COSIGN2_VERSION-crane-$CRANE_VERSION"

if [[ -x "$OUT/cosign" && -x "$OUT/cosign-v2" && -x "$OUT/crane" && -x "$OUT/referrers-registry" ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath
build() { # module@version binary-name
  local gobin
  gobin="$(mktemp -d)"
  GOBIN="$gobin" go install -ldflags "-s -w" "$1" >&2
  mv "$gobin"/* "$OUT/$2"
  rm -rf "$gobin"
}
[[ -x "$OUT/cosign" ]] || build "github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN3_VERSION" cosign
[[ -x "$OUT/cosign-v2" ]] || build "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN2_VERSION" cosign-v2
[[ -x "$OUT/crane" ]] || build "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION" crane

# A wrapper module around go-containerregistry's registry, with the referrers API switched on.
if [[ ! -x "$OUT/referrers-registry" ]]; then
  work="$(mktemp -d)"
  cp "$(dirname "$0")/referrers-registry/main.go" "$work/"
  (
    cd "$work"
    go mod init mcp-warden.test/referrers-registry >/dev/null 2>&1
    go mod edit -require="github.com/google/go-containerregistry@$CRANE_VERSION"
    GOFLAGS=-mod=mod go mod tidy >&2
    go build -ldflags "-s -w" -o "$OUT/referrers-registry" . >&2
  )
  rm -rf "$work"
fi
echo "$OUT"
