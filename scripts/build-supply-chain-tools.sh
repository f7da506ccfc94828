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
SRC="$(cd "$(dirname "$0")" && pwd)/referrers-registry"

# The referrers registry is built from this repository's sources, not a released version: its key
# is a hash of them (main.go, and go.mod/go.sum if present) and of the recipe below, kept next to
# the binary, so that a cache built from older sources is rebuilt rather than reused.
registry_key() {
  {
    echo "recipe 1 go-containerregistry $CRANE_VERSION"
    for f in main.go go.mod go.sum; do
      if [[ -f "$SRC/$f" ]]; then echo "$f" && sha256sum <"$SRC/$f"; fi
    done
  } | sha256sum | cut -d' ' -f1
}
REGISTRY_KEY="$(registry_key)"
registry_current() {
  [[ -x "$OUT/referrers-registry" && "$(cat "$OUT/referrers-registry.key" 2>/dev/null)" == "$REGISTRY_KEY" ]]
}

if [[ -x "$OUT/cosign" && -x "$OUT/cosign-v2" && -x "$OUT/crane" ]] && registry_current; then
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
# Built aside and renamed into place, the key written last: an interrupted or concurrent build
# leaves either the old pair or the new one.
if ! registry_current; then
  work="$(mktemp -d)"
  cp "$SRC/main.go" "$work/"
  for f in go.mod go.sum; do
    if [[ -f "$SRC/$f" ]]; then cp "$SRC/$f" "$work/"; fi
  done
  (
    cd "$work"
    if [[ ! -f go.mod ]]; then go mod init mcp-warden.test/referrers-registry >/dev/null 2>&1; fi
    go mod edit -require="github.com/google/go-containerregistry@$CRANE_VERSION"
    GOFLAGS=-mod=mod go mod tidy >&2
    go build -ldflags "-s -w" -o "$OUT/.referrers-registry.$$" . >&2
  )
  rm -rf "$work"
  mv -f "$OUT/.referrers-registry.$$" "$OUT/referrers-registry"
  echo "$REGISTRY_KEY" >"$OUT/.referrers-registry.key.$$"
  mv -f "$OUT/.referrers-registry.key.$$" "$OUT/referrers-registry.key"
fi
echo "$OUT"
