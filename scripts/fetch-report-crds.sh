#!/usr/bin/env bash
# Fetches the PolicyReport (wgpolicyk8s.io/v1alpha2) and Report (openreports.io/v1alpha1) CRDs
# from the Go module proxy, once per version, into a cache outside the repository, for the tests
# of `check --cluster --apply-reports`. Prints the directory holding the CRD files.
#
# The openreports.io vanity path is not served here; its module was published before as
# github.com/openreports/reports-api, with the same CRDs.
set -euo pipefail

WG_VERSION="${WG_POLICY_VERSION:-v0.0.0-20210823142600-b09c9bb01d4c}"
OPENREPORTS_VERSION="${OPENREPORTS_VERSION:-v0.2.1}"
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
OUT="$CACHE/report-crds-wg-$WG_VERSION-openreports-$OPENREPORTS_VERSION"
FILES=(wgpolicyk8s.io_policyreports.yaml openreports.io_reports.yaml)

present() {
  for f in "${FILES[@]}"; do [[ -s "$OUT/$f" ]] || return 1; done
}
if present; then
  echo "$OUT"
  exit 0
fi

work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
# The module zip, as `go mod download` verifies it against the checksum database.
download() { # module version -> path of the extracted module directory
  GOFLAGS=-mod=mod GOMODCACHE="$work/mod" GOPROXY="${GOPROXY_URL:-https://proxy.golang.org}" \
    go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
wg="$(download sigs.k8s.io/wg-policy-prototypes "$WG_VERSION")"
reports="$(download github.com/openreports/reports-api "$OPENREPORTS_VERSION")"
mkdir -p "$OUT.tmp"
cp "$wg/policy-report/crd/v1alpha2/wgpolicyk8s.io_policyreports.yaml" "$OUT.tmp/"
cp "$reports/config/crd/openreports.io_reports.yaml" "$OUT.tmp/"
chmod -R u+w "$OUT.tmp"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
