#!/usr/bin/env bash
# Builds osv-scanner (v2, for `npm run bench:image`) from the Go module proxy, once per version, into
# a cache outside the repository. Prints the path of the binary. osv-scanner v2.6 needs Go 1.27: the
# toolchain is fetched through the module proxy when the local Go is older (GOTOOLCHAIN).
set -euo pipefail

OSV_SCANNER_VERSION="${OSV_SCANNER_VERSION:-v2.6.0}"
OSV_SCANNER_GOTOOLCHAIN="${OSV_SCANNER_GOTOOLCHAIN:-go1.27.3}"
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
OUT="$CACHE/osv-scanner-$OSV_SCANNER_VERSION"

if [[ -x "$OUT/osv-scanner" ]]; then
  echo "$OUT/osv-scanner"
  exit 0
fi
mkdir -p "$OUT"
gobin="$(mktemp -d)"
GOTOOLCHAIN="$OSV_SCANNER_GOTOOLCHAIN" CGO_ENABLED=0 GOFLAGS=-trimpath GOBIN="$gobin" \
  go install -ldflags "-s -w" "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_SCANNER_VERSION" >&2
# Renamed into place: an interrupted build leaves no binary behind.
mv -f "$gobin/osv-scanner" "$OUT/.osv-scanner.$$"
mv -f "$OUT/.osv-scanner.$$" "$OUT/osv-scanner"
rm -rf "$gobin"
echo "$OUT/osv-scanner"
