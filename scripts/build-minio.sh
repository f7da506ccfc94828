#!/usr/bin/env bash
# Builds MinIO (single-drive mode serves S3 Object Lock) from the Go module proxy for the audit
# sink tests, once per version, into a cache outside the repository, with its own GOPATH there so
# the module download is kept with the binary. Prints the directory holding `minio`.
set -euo pipefail

# MinIO publishes no semver tags on the module proxy; its releases are pseudo-versions.
MINIO_VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
OUT="$CACHE/minio-$MINIO_VERSION"

if [[ -x "$OUT/minio" ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The module asks for go >= 1.24; the machine's Go is newer, so no toolchain download is needed.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath GOPATH="$OUT/gopath"
GOBIN="$work" go install -ldflags "-s -w" "github.com/minio/minio@$MINIO_VERSION" >&2
# Built aside and renamed into place, so an interrupted run never leaves a partial binary.
mv "$work/minio" "$OUT/.minio.$$"
mv -f "$OUT/.minio.$$" "$OUT/minio"
# The module cache is read-only by design; make it removable, then drop it: only the binary is kept.
chmod -R u+w "$OUT/gopath" && rm -rf "$OUT/gopath"
echo "$OUT"
