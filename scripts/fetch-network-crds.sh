#!/usr/bin/env bash
# Fetches the CRDs of the FQDN egress policies mcp-warden judges — Cilium's CiliumNetworkPolicy and
# CiliumClusterwideNetworkPolicy (cilium.io/v2) and the network-policy-api's ClusterNetworkPolicy
# (policy.networking.k8s.io/v1alpha2, experimental channel: the one with domainNames) — from the Go
# module proxy, once per version, into a cache outside the repository. The tests apply them to a
# real kube-apiserver and read their schemas to validate inputs. Prints the directory.
set -euo pipefail

CILIUM_VERSION="${CILIUM_VERSION:-v1.20.2}"
NPA_VERSION="${NETWORK_POLICY_API_VERSION:-v0.2.0}"
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
OUT="$CACHE/network-crds-cilium-$CILIUM_VERSION-npa-$NPA_VERSION"
FILES=(
  cilium.io_ciliumnetworkpolicies.yaml
  cilium.io_ciliumclusterwidenetworkpolicies.yaml
  policy.networking.k8s.io_clusternetworkpolicies.yaml
)

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
cilium="$(download github.com/cilium/cilium "$CILIUM_VERSION")"
npa="$(download sigs.k8s.io/network-policy-api "$NPA_VERSION")"
mkdir -p "$OUT.tmp"
crds="$cilium/pkg/k8s/apis/cilium.io/client/crds/v2"
cp "$crds/ciliumnetworkpolicies.yaml" "$OUT.tmp/cilium.io_ciliumnetworkpolicies.yaml"
cp "$crds/ciliumclusterwidenetworkpolicies.yaml" \
  "$OUT.tmp/cilium.io_ciliumclusterwidenetworkpolicies.yaml"
cp "$npa/config/crd/experimental/policy.networking.k8s.io_clusternetworkpolicies.yaml" "$OUT.tmp/"
chmod -R u+w "$OUT.tmp"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
