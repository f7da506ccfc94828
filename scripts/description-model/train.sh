#!/usr/bin/env bash
# Refits the definition model of CD-03 (policies/evaluation/description-safety/model.json) on the
# tuning split of test/fixtures/descriptions/. Run it after any change to those corpora; the test
# "the model was fitted on the tuning corpora as they are" fails until then.
#
#   scripts/description-model/train.sh              # fit and write model.json
#   scripts/description-model/train.sh --evaluate   # fit without each earlier holdout, report on it
#   scripts/description-model/train.sh --models DIR # the same fits, written as DIR/holdout-N.json
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The virtual environment is cached outside the repository, keyed by the pinned versions.
key="$(sha256sum "$here/requirements.txt" | cut -c1-12)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/mcp-warden/description-model-venv-$key"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
node "$here/features.ts" >"$work/features.jsonl"
earlier="holdout-5 holdout-6 holdout-7 holdout-8 holdout-9 holdout-10 holdout-11 holdout-12 holdout-13 holdout-14 holdout-15 holdout-16 holdout-17 holdout-18 holdout-19 holdout-20 holdout-21 holdout-22 holdout-23 holdout-24 holdout-25 holdout-26"
if [ "${1:-}" = "--evaluate" ]; then
  # shellcheck disable=SC2086 # one argument per holdout
  "$venv/bin/python" "$here/train.py" "$work/features.jsonl" --evaluate $earlier
elif [ "${1:-}" = "--models" ]; then
  mkdir -p "$2"
  # shellcheck disable=SC2086
  "$venv/bin/python" "$here/train.py" "$work/features.jsonl" --models "$2" $earlier
else
  "$venv/bin/python" "$here/train.py" "$work/features.jsonl" "$root/policies/evaluation/description-safety/model.json"
fi
