#!/usr/bin/env bash
# Builds the parts of the image `npm run bench:image` scans, once per recipe version, into a cache
# outside the repository, and prints that directory. Three layers from real published packages:
#   layer-1  a Debian 12 (bookworm) root filesystem: the .debs of a Python + build toolchain image
#            (apt-get download of the dependency closure of ROOTS below, dpkg -x), with the
#            var/lib/dpkg/status dpkg would write for them
#   layer-2  PyPI: published MCP servers and their dependencies (pip install --target) in
#            /usr/local/lib/python3.11/dist-packages
#   layer-3  npm: published MCP servers, each with its node_modules (npm install --prefix), in
#            /app/<server>
# Each layer is written as layer-N.tar (sorted, owner 0, mtime 0) and layer-N.tar.gz. Needs
# apt-get (a Debian bookworm host with its package lists), dpkg-deb, python3 with pip, npm.
set -euo pipefail

RECIPE=1
CACHE="${MCP_WARDEN_CACHE:-$HOME/.cache/mcp-warden}"
OUT="$CACHE/bench-image-$RECIPE"

ROOTS=(
  base-files base-passwd bash coreutils dash debianutils diffutils dpkg apt findutils grep gzip
  hostname login mount passwd perl-base sed tar tzdata util-linux ncurses-base
  python3 python3-pip python3-venv python3-dev build-essential git curl wget ca-certificates
  openssh-client libssl-dev libpq-dev libffi-dev zlib1g-dev libxml2-dev libxslt1-dev
  libsqlite3-dev libjpeg62-turbo-dev libpng-dev imagemagick gnupg procps less vim-tiny
  unzip xz-utils
)
PYPI=(
  mcp-server-fetch==2026.10.24 mcp-server-git==2026.10.19 mcp-server-time==2026.10.19
  duckduckgo-mcp-server==0.7.0
)
NPM=(
  mcp-server-kubernetes@4.1.7 firecrawl-mcp@3.26.0 @notionhq/notion-mcp-server@2.5.2
  exa-mcp-server@3.4.1 tavily-mcp@0.2.22
)

if [[ -f "$OUT/done" ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
log() { echo "bench-image: $*" >&2; }

# A deterministic tar of a directory's contents, and its gzip.
layer() { # n dir
  tar -C "$2" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$OUT/layer-$1.tar.part" .
  mv -f "$OUT/layer-$1.tar.part" "$OUT/layer-$1.tar"
  gzip -n -6 -c "$OUT/layer-$1.tar" >"$OUT/layer-$1.tar.gz.part"
  mv -f "$OUT/layer-$1.tar.gz.part" "$OUT/layer-$1.tar.gz"
}

if [[ ! -f "$OUT/layer-1.tar.gz" ]]; then
  debs="$OUT/debs"
  mkdir -p "$debs"
  # The closure of the roots' Depends and PreDepends (every alternative), real packages only.
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "${ROOTS[@]}" 2>/dev/null |
    grep -v '^ ' | grep -v '^<' | sort -u >"$OUT/debs.txt"
  if [[ ! -f "$debs/.complete" ]]; then
    log "downloading $(wc -l <"$OUT/debs.txt") .debs"
    (cd "$debs" && xargs -a "$OUT/debs.txt" apt-get download -q >&2)
    touch "$debs/.complete"
  fi
  root="$OUT/root-debian"
  rm -rf "$root"
  mkdir -p "$root/var/lib/dpkg"
  status="$root/var/lib/dpkg/status"
  : >"$status"
  for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$root"
    # What dpkg writes on install: the control fields, the status after the package name.
    dpkg-deb -f "$deb" | awk 'NR == 1 { print; print "Status: install ok installed"; next } { print }' >>"$status"
    echo >>"$status"
  done
  cp "$status" "$OUT/dpkg-status"
  layer 1 "$root"
  rm -rf "$root"
fi

if [[ ! -f "$OUT/layer-2.tar.gz" ]]; then
  root="$OUT/root-pypi"
  rm -rf "$root"
  site="$root/usr/local/lib/python3.11/dist-packages"
  mkdir -p "$site"
  log "pip install ${PYPI[*]}"
  python3 -m pip install --quiet --disable-pip-version-check --no-compile --target "$site" "${PYPI[@]}" >&2
  # name<TAB>version of each distribution, for the advisory database the benchmark generates.
  python3 -c '
import email.parser, pathlib, sys
for m in sorted(pathlib.Path(sys.argv[1]).glob("*.dist-info/METADATA")):
    h = email.parser.Parser().parsestr(m.read_text("utf-8", "replace"), headersonly=True)
    print(h["Name"] + "\t" + h["Version"])
' "$site" >"$OUT/pypi.tsv"
  layer 2 "$root"
  rm -rf "$root"
fi

if [[ ! -f "$OUT/layer-3.tar.gz" ]]; then
  root="$OUT/root-npm"
  rm -rf "$root"
  for spec in "${NPM[@]}"; do
    name="${spec%@*}"
    app="$root/app/${name##*/}"
    mkdir -p "$app"
    log "npm install $spec"
    npm install --prefix "$app" --ignore-scripts --no-audit --no-fund --no-save --loglevel=error "$spec" >&2
    rm -f "$app/package.json" "$app/package-lock.json"
  done
  # name<TAB>version of every package.json directly under a node_modules (scoped too).
  find "$root" -name package.json -path '*/node_modules/*' -print0 |
    xargs -0 node -e '
for (const f of process.argv.slice(1)) {
  const parts = f.split("/"), nm = parts.lastIndexOf("node_modules"), rest = parts.slice(nm + 1, -1);
  if (!(rest.length === 1 || (rest.length === 2 && rest[0].startsWith("@")))) continue;
  if (rest[0].startsWith(".")) continue;
  try { const p = JSON.parse(require("fs").readFileSync(f, "utf8")); if (p.name && p.version) console.log(p.name + "\t" + p.version); } catch {}
}' | sort -u >"$OUT/npm.tsv"
  layer 3 "$root"
  rm -rf "$root"
fi
touch "$OUT/done"
echo "$OUT"
