#!/usr/bin/env bash
# Black-box conformance suites against a running `fhirgate serve` (started by conftest.py).
# Uses target/debug/fhirgate (built by the test command) unless FHIRGATE_BIN is set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
[ -x target/debug/fhirgate ] || [ -n "${FHIRGATE_BIN:-}" ] || cargo build -p fhirgate
if [ ! -x "$here/.venv/bin/pytest" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi
"$here/.venv/bin/pytest" -q "$here" -p no:cacheprovider
