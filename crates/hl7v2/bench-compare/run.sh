#!/usr/bin/env bash
# Dev-only: runs the comparison parsers over the same corpus as the criterion bench.
# Needs node + npm, python3, and ../shared/data/v2 beside the workspace. Not run in CI.
# Usage: crates/hl7v2/bench-compare/run.sh [seconds-per-parser]
set -euo pipefail
seconds="${1:-5}"
here="$(cd "$(dirname "$0")" && pwd)"
work="${TMPDIR:-/tmp}/hl7v2-bench-compare"
mkdir -p "$work"
cd "$here/../../.."
cargo run --release -q -p hl7v2 --example bench_corpus > "$work/corpus.json"
(cd "$here" && npm install --no-audit --no-fund --silent)
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q hl7 hl7apy
fi
node "$here/medplum.mjs" "$work/corpus.json" "$seconds"
"$work/venv/bin/python" "$here/python_parsers.py" "$work/corpus.json" "$seconds"
echo "hl7v2 (this crate): cargo bench -p hl7v2 --bench parse"
