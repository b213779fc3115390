#!/usr/bin/env bash
# Black-box conformance suites against a running `fhirgate serve` (started by conftest.py).
# Uses target/debug/fhirgate (built by the test command) unless FHIRGATE_BIN is set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
[ -x target/debug/fhirgate ] || [ -n "${FHIRGATE_BIN:-}" ] || cargo build -p fhirgate
[ -x "$here/.venv/bin/pip" ] || python3 -m venv "$here/.venv"
# Cheap when everything is installed; picks up new pins after a pull.
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$here/.venv/bin/pytest" -q "$here" -p no:cacheprovider
