#!/usr/bin/env bash
# Builds helm from the Go module proxy for the Helm chart tests (helm lint, helm template), and
# takes cert-manager's CRDs (Certificate, Issuer) from its module there too, so the API server can
# validate the chart's cert-manager objects; once per version, into a cache outside the
# repository. Prints the directory holding `helm` and `cert-manager-crds/`.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.21.2}"
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
OUT="$CACHE/helm-$HELM_VERSION-cert-manager-$CERT_MANAGER_VERSION"
CRDS="$OUT/cert-manager-crds"

if [[ -x "$OUT/helm" && -f "$CRDS/cert-manager.io_certificates.yaml" && -f "$CRDS/cert-manager.io_issuers.yaml" ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath

# Everything is built or copied aside and renamed into place, so a concurrent or interrupted run
# never leaves a partial file behind.
if [[ ! -x "$OUT/helm" ]]; then
  # Stamped as helm's own release build (its Makefile) does: its version, and the Kubernetes
  # version it assumes without --kube-version, from the client-go it builds with (v0.N → 1.N).
  gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  k8s_minor="$(awk '$1 == "k8s.io/client-go" { split($2, v, "."); print v[2] }' "$gomod")"
  pkg=helm.sh/helm/v3/pkg
  GOBIN="$work" go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X $pkg/lint/rules.k8sVersionMajor=1 -X $pkg/lint/rules.k8sVersionMinor=$k8s_minor \
    -X $pkg/chartutil.k8sVersionMajor=1 -X $pkg/chartutil.k8sVersionMinor=$k8s_minor" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
  mv "$work/helm" "$OUT/.helm.$$"
  mv -f "$OUT/.helm.$$" "$OUT/helm"
fi

module="$(go mod download -json "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" |
  sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
mkdir -p "$work/crds"
cp "$module/deploy/crds/cert-manager.io_certificates.yaml" \
  "$module/deploy/crds/cert-manager.io_issuers.yaml" "$work/crds/"
chmod u+w "$work/crds"/*
rm -rf "$CRDS.$$"
mv "$work/crds" "$CRDS.$$"
rm -rf "$CRDS"
mv "$CRDS.$$" "$CRDS"
echo "$OUT"
