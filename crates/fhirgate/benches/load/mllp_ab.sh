#!/usr/bin/env bash
# Alternates builds of `fhirgate` through mllp.sh, one line per run, so builds are compared
# in the same minutes (this benchmark's host drifts by up to 1.5x within minutes).
# Usage: crates/fhirgate/benches/load/mllp_ab.sh ROUNDS MESSAGES_PER_CONNECTION BINARY...
#   e.g. mllp_ab.sh 4 1500 /tmp/old/fhirgate target/release/fhirgate
# Backend: postgres (BACKEND=sqlite to change). Needs mllp_load built (see mllp.sh).
set -euo pipefail
rounds="$1"; messages="$2"; shift 2
here="$(cd "$(dirname "$0")" && pwd)"
for _ in $(seq 1 "$rounds"); do
  for binary in "$@"; do
    out=$(FHIRGATE_BIN="$(realpath "$binary")" "$here/mllp.sh" "${BACKEND:-postgres}" "$messages" 2>&1)
    rate=$(grep -o '= [0-9]* msg/s' <<<"$out" | tr -dc '0-9')
    p50=$(grep -o 'p50 [0-9.]*' <<<"$out" | cut -d' ' -f2)
    p99=$(grep -o 'p99 [0-9.]*' <<<"$out" | cut -d' ' -f2)
    cpu=$(grep -o 'server [0-9]* us, database [0-9]* us' <<<"$out" || true)
    codes=$(grep -o 'ACK codes: .*' <<<"$out" || echo "no summary: $out")
    echo "$(date +%H:%M:%S) $binary ${rate:-?} msg/s p50 ${p50:0:5} ms, p99 ${p99:0:5} ms, CPU per message $cpu, $codes"
  done
done
