#!/usr/bin/env bash
# HL7 v2 over MLLP end to end: 8 connections send ADT^A08 messages (each a new patient) to
# `fhirgate serve`; every message is logged, translated, validated and committed before its ACK.
# Usage: crates/fhirgate/benches/load/mllp.sh sqlite|postgres [MESSAGES_PER_CONNECTION] [CONNECTIONS]
# PATIENTS=N: messages cycle over N patients (N <= 800 are all created by the warm-up), so
# the measured stream updates existing patients, as a real A08 stream does.
# Needs: cargo build --release -p fhirgate && cargo build --release -p mllp --example mllp_load
set -euo pipefail
backend="${1:-postgres}"
messages="${2:-2000}"
connections="${3:-8}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
source "$here/common.sh"
patients=()
if [ -n "${PATIENTS:-}" ]; then patients=(--patients "$PATIENTS"); fi
start_server "$backend"
# Warm-up: opens the database pool's connections so the measurement excludes their start.
"$root/target/release/examples/mllp_load" --addr "127.0.0.1:$mllp_port" \
  --connections "$connections" --messages 100 "${patients[@]}" >/dev/null
# No ANALYZE: the batch statements look every key up by index even on a new, empty,
# never-analysed database (store/src/log_batch_sql.rs), so this measures a new deployment.
# BENCH_NICE=-10: on a machine shared with other work, give the server, its database
# backends and the load generator priority, to approach what a dedicated host measures.
launch=()
if [ -n "${BENCH_NICE:-}" ]; then
  renice -n "$BENCH_NICE" -p "$server" $(pgrep -f "postgres: .*fhirgate_bench") >/dev/null
  launch=(nice -n "$BENCH_NICE")
fi
echo "== $backend MLLP: $connections connections x $messages ADT^A08${PATIENTS:+ about $PATIENTS patients}"
server_before=$(cpu_of /proc/$server/stat)
db_before=$(cpu_of $(database_pids))
out=$("${launch[@]}" "$root/target/release/examples/mllp_load" --addr "127.0.0.1:$mllp_port" \
  --connections "$connections" --messages "$messages" "${patients[@]}")
server_after=$(cpu_of /proc/$server/stat)
db_after=$(cpu_of $(database_pids))
echo "$out"
report_cpu "$((connections * messages))" "$((server_after - server_before))" "$((db_after - db_before))"
