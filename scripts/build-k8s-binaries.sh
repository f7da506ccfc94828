#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy for the end-to-end tests, once per
# version, into a cache outside the repository (reused by later runs on the same machine).
# Prints the directory holding the binaries.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
OUT="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/etcd" ]]; then
  echo "$OUT"
  exit 0
fi

mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A release whose modules need a newer Go than the installed one builds with
# K8S_GOTOOLCHAIN=go1.27.3 (fetched through the module proxy); the default is the local Go.
export GOFLAGS=-mod=mod GOTOOLCHAIN="${K8S_GOTOOLCHAIN:-local}" CGO_ENABLED=0

# kube-apiserver: k8s.io/kubernetes replaces its staging modules with local paths, so a wrapper
# module requires it and points every k8s.io/<staging> module at its published v0.x release.
staging_version="v0.${K8S_VERSION#v1.}"
mkdir -p "$work/apiserver"
cd "$work/apiserver"
go mod init mcp-warden.test/apiserver >/dev/null 2>&1
gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
for m in $(grep -E '^[[:space:]]*k8s\.io/[a-z0-9-]+ v0\.0\.0([[:space:]]|$)' "$gomod" | awk '{print $1}' | sort -u); do
  go mod edit -replace="$m=$m@$staging_version"
done
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
go mod tidy >&2
go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION" \
  -o "$OUT/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
mv "$OUT/kube-apiserver.tmp" "$OUT/kube-apiserver"

# etcd does not depend on the Kubernetes version: reuse a build of the same etcd version made
# for another Kubernetes release (a copy, so each directory stays self-contained).
for other in "$CACHE"/k8s-*-etcd-"$ETCD_VERSION"/etcd; do
  if [[ -x "$other" && "$other" != "$OUT/etcd" ]]; then
    cp "$other" "$OUT/etcd.tmp"
    mv "$OUT/etcd.tmp" "$OUT/etcd"
    echo "$OUT"
    exit 0
  fi
done

# etcd: the server module builds as it is.
mkdir -p "$work/etcd"
cd "$work/etcd"
go mod init mcp-warden.test/etcd >/dev/null 2>&1
go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
go mod tidy >&2
go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
mv "$OUT/etcd.tmp" "$OUT/etcd"

echo "$OUT"
