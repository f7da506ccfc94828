#!/usr/bin/env bash
# Builds the self-contained `mcp-warden bridge` executable: cli/bridge-main.ts bundled by esbuild
# into one CommonJS script, turned into a Node single executable application (a preparation blob
# from `node --experimental-sea-config`, injected into a copy of the project's Node 24 binary with
# postject). Cached outside the repository under the package version and a hash of the bundle and
# the Node binary, so a change to the bridge's sources builds a new one. Prints the file's path.
#
# The result needs what the official Node binary needs: Linux x86-64, glibc >= 2.28, libstdc++
# and libgcc_s (Debian 10+, Ubuntu 20.04+, UBI 8+, distroless/cc); not musl (Alpine),
# distroless/static or distroless/base, which lacks libstdc++ (docs/gateway.md, "Bridge").
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/node_modules/.bin"
node="$(readlink -f "$root/node_modules/node/bin/node")"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$root/package.json")"
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bin/esbuild" "$root/cli/bridge-main.ts" --bundle --platform=node --target=node24 --format=cjs \
  --log-level=error --legal-comments=none --outfile="$work/bridge.cjs" >&2
hash="$(cat "$work/bridge.cjs" <("$node" --version) | sha256sum | cut -c1-12)"
OUT="$CACHE/bridge-$version-$hash"
if [[ -x "$OUT/bridge" ]]; then
  echo "$OUT/bridge"
  exit 0
fi

cat >"$work/sea-config.json" <<JSON
{ "main": "$work/bridge.cjs", "output": "$work/bridge.blob", "disableExperimentalSEAWarning": true }
JSON
"$node" --experimental-sea-config "$work/sea-config.json" >&2
cp "$node" "$work/bridge"
chmod u+w "$work/bridge"
# Debug information is a quarter of the binary and nothing in a pod reads it.
if command -v strip >/dev/null; then strip --strip-debug "$work/bridge"; fi
"$bin/postject" "$work/bridge" NODE_SEA_BLOB "$work/bridge.blob" \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 >&2

# Renamed into place, so a concurrent or interrupted build never leaves a partial file behind.
mkdir -p "$OUT"
mv "$work/bridge" "$OUT/.bridge.$$"
mv -f "$OUT/.bridge.$$" "$OUT/bridge"
echo "$OUT/bridge"
