#!/usr/bin/env bash
# Regenerates test/fixtures/lockfiles/ with the real package managers. Needs the npm registry,
# PyPI and the Go module proxy; nothing else. Usage: scripts/make-lockfile-fixtures.sh [case...]
# (no argument: every case). Versions of the tools are pinned so reruns give the same formats.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/test/fixtures/lockfiles"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# Record `resolved` as a default npm configuration does.
export npm_config_omit_lockfile_registry_resolved=false

UV_VERSION=0.9.7
POETRY_VERSION=2.2.1
PNPM_VERSION=9.15.9
YARN_CLASSIC_VERSION=1.22.22
YARN_BERRY_VERSION=4.10.3

want() { [ "${#CASES[@]}" -eq 0 ] || [[ " ${CASES[*]} " == *" $1 "* ]]; }
CASES=("$@")

# project DIR JSON-DEPS [JSON-DEV-DEPS]: a package.json with exact versions.
project() {
  mkdir -p "$1"
  printf '{\n  "name": "fixture",\n  "version": "1.0.0",\n  "private": true,\n  "dependencies": %s,\n  "devDependencies": %s\n}\n' \
    "$2" "${3:-"{}"}" >"$1/package.json"
}

copy() { # copy CASE FILE...: from $WORK/CASE into the fixtures
  mkdir -p "$OUT/$1"
  for f in "${@:2}"; do cp "$WORK/$1/$f" "$OUT/$1/$f"; done
}

npm_case() { # npm_case CASE JSON-DEPS [JSON-DEV-DEPS]
  want "$1" || return 0
  project "$WORK/$1" "$2" "${3:-"{}"}"
  (cd "$WORK/$1" && npx npm install --package-lock-only --ignore-scripts --save-exact >/dev/null)
  copy "$1" package.json package-lock.json
}

npm_case npm-filesystem-2025.3.28 '{"@modelcontextprotocol/server-filesystem": "2025.3.28"}'
npm_case npm-filesystem-2025.7.1 '{"@modelcontextprotocol/server-filesystem": "2025.7.1"}'
npm_case npm-mcp-remote-0.1.15 '{"mcp-remote": "0.1.15"}'
npm_case npm-sdk-1.23.0 '{"@modelcontextprotocol/sdk": "1.23.0"}' '{"typescript": "5.9.3"}'
# An alias, a linked local package and a local tarball: entries the parser must resolve or record
# (git and URL dependencies are made from this one in the tests, as GitHub is out of reach here).
if want npm-odd; then
  mkdir -p "$WORK/npm-odd/local-tool" "$WORK/npm-odd/vendor"
  printf '{"name": "local-tool", "version": "0.0.1"}\n' >"$WORK/npm-odd/local-tool/package.json"
  (cd "$WORK/npm-odd/vendor" && npx npm pack is-number@7.0.0 >/dev/null)
fi
npm_case npm-odd '{"@modelcontextprotocol/sdk": "1.23.0", "zod-v3": "npm:zod@3.25.76", "local-tool": "file:local-tool", "is-number": "file:vendor/is-number-7.0.0.tgz"}' '{"typescript": "5.9.3"}'
# Big enough for the parse benchmark (at least 2,000 packages).
npm_case npm-large '{"jest": "30.2.0", "webpack": "5.102.1", "@angular/cli": "20.3.8", "eslint": "9.38.0", "react-scripts": "5.0.1", "@babel/core": "7.28.5", "gatsby": "5.14.6"}'
if want npm-large; then rm -f "$OUT/npm-large/package.json"; fi

DEPS='{"@modelcontextprotocol/sdk": "1.23.0", "semver": "7.7.3"}'
DEV='{"typescript": "5.9.3"}'

if want pnpm-sdk; then
  project "$WORK/pnpm-sdk" "$DEPS" "$DEV"
  (cd "$WORK/pnpm-sdk" && npx -y "pnpm@$PNPM_VERSION" install --lockfile-only --ignore-scripts >/dev/null)
  copy pnpm-sdk package.json pnpm-lock.yaml
fi

if want yarn-classic-sdk; then
  project "$WORK/yarn-classic-sdk" "$DEPS" "$DEV"
  (cd "$WORK/yarn-classic-sdk" && npx -y "yarn@$YARN_CLASSIC_VERSION" install --ignore-scripts --frozen-lockfile=false --mode=update-lockfile >/dev/null 2>&1 ||
    npx -y "yarn@$YARN_CLASSIC_VERSION" install --ignore-scripts >/dev/null)
  copy yarn-classic-sdk package.json yarn.lock
fi

if want yarn-berry-sdk; then
  project "$WORK/yarn-berry-sdk" "$DEPS" "$DEV"
  # The dist package carries the whole berry CLI, so nothing is fetched from GitHub.
  (cd "$WORK/yarn-berry-sdk" && touch yarn.lock &&
    YARN_ENABLE_IMMUTABLE_INSTALLS=0 YARN_ENABLE_TELEMETRY=0 YARN_NODE_LINKER=node-modules \
      npx -y -p "@yarnpkg/cli-dist@$YARN_BERRY_VERSION" yarn install --mode=update-lockfile >/dev/null)
  copy yarn-berry-sdk package.json yarn.lock
fi

PY="$WORK/venv"
python_tools() {
  [ -x "$PY/bin/uv" ] && return 0
  python3 -m venv "$PY"
  "$PY/bin/pip" install -q "uv==$UV_VERSION" "poetry==$POETRY_VERSION"
}

pyproject() { # pyproject DIR DEP...: a PEP 621 project (a mixed-case name, to see normalisation)
  mkdir -p "$1"
  {
    printf '[project]\nname = "Fixture_Server"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = [\n'
    for d in "${@:2}"; do printf '  "%s",\n' "$d"; done
    printf ']\n'
  } >"$1/pyproject.toml"
}

if want uv-mcp-1.22.0; then
  python_tools
  pyproject "$WORK/uv-mcp-1.22.0" "mcp==1.22.0"
  printf '\n[dependency-groups]\ndev = ["pytest==8.4.2"]\n' >>"$WORK/uv-mcp-1.22.0/pyproject.toml"
  (cd "$WORK/uv-mcp-1.22.0" && "$PY/bin/uv" lock -q --python 3.11 --exclude-newer 2025-12-01T00:00:00Z)
  copy uv-mcp-1.22.0 pyproject.toml uv.lock
fi

if want uv-mcp-1.23.0; then
  python_tools
  pyproject "$WORK/uv-mcp-1.23.0" "mcp==1.23.0"
  printf '\n[dependency-groups]\ndev = ["pytest==8.4.2"]\n' >>"$WORK/uv-mcp-1.23.0/pyproject.toml"
  (cd "$WORK/uv-mcp-1.23.0" && "$PY/bin/uv" lock -q --python 3.11 --exclude-newer 2025-12-20T00:00:00Z)
  copy uv-mcp-1.23.0 pyproject.toml uv.lock
fi

if want poetry-mcp; then
  python_tools
  pyproject "$WORK/poetry-mcp" "mcp==1.22.0" "PyYAML==6.0.3"
  # Poetry reads PyPI's JSON API, which is out of reach here; the simple index is the same data.
  printf '\n[tool.poetry.group.dev.dependencies]\npytest = "8.4.2"\n\n[[tool.poetry.source]]\nname = "pypi-simple"\nurl = "https://pypi.org/simple/"\npriority = "primary"\n' \
    >>"$WORK/poetry-mcp/pyproject.toml"
  (cd "$WORK/poetry-mcp" && "$PY/bin/poetry" lock -q)
  copy poetry-mcp pyproject.toml poetry.lock
fi

if want requirements-hashed; then
  python_tools
  mkdir -p "$WORK/requirements-hashed"
  printf 'mcp==1.22.0\nPyYAML==6.0.3\n' >"$WORK/requirements-hashed/requirements.in"
  (cd "$WORK/requirements-hashed" && "$PY/bin/uv" pip compile -q --generate-hashes --python-version 3.11 \
    --exclude-newer 2025-12-01T00:00:00Z requirements.in -o requirements.txt)
  copy requirements-hashed requirements.in requirements.txt
fi
# requirements-unpinned/requirements.txt is written by hand: it is the negative case.

if want go-module; then
  mkdir -p "$WORK/go-module"
  (cd "$WORK/go-module" && go mod init example.com/fixture >/dev/null 2>&1 &&
    printf 'package main\n\nimport (\n\t_ "github.com/modelcontextprotocol/go-sdk/mcp"\n\t_ "golang.org/x/text/language"\n)\n\nfunc main() {}\n' >main.go &&
    GOFLAGS=-mod=mod go get github.com/modelcontextprotocol/go-sdk@v1.1.0 golang.org/x/text@v0.30.0 >/dev/null 2>&1 &&
    go mod tidy >/dev/null 2>&1)
  copy go-module go.mod go.sum main.go
  # The same module with golang.org/x/text's hashes removed from go.sum.
  mkdir -p "$OUT/go-module-missing-sum"
  cp "$OUT/go-module/go.mod" "$OUT/go-module/main.go" "$OUT/go-module-missing-sum/"
  grep -v '^golang.org/x/text ' "$OUT/go-module/go.sum" >"$OUT/go-module-missing-sum/go.sum"
fi
