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
cargo build --release -q -p hl7v2 --example compare_throughput
# The machine is shared: run the parsers interleaved, several rounds, and compare rounds.
for round in 1 2 3; do
  echo "round $round"
  target/release/examples/compare_throughput "$seconds"
  node "$here/medplum.mjs" "$work/corpus.json" "$seconds"
  "$work/venv/bin/python" "$here/python_parsers.py" "$work/corpus.json" "$seconds"
done
echo "criterion reference: cargo bench -p hl7v2 --bench parse"
