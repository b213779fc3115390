#!/usr/bin/env bash
# HTTP load benchmark: create, read and update with 32 concurrent clients (wrk, from Debian).
# Usage: crates/fhirgate/benches/load/run.sh sqlite|postgres [SECONDS]
# Needs: cargo build --release -p fhirgate; apt-get install wrk; for postgres the local server.
set -euo pipefail
backend="${1:-sqlite}"
seconds="${2:-15}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
source "$here/common.sh"
start_server "$backend"
for i in $(seq 1 1000); do
  printf '{"resourceType":"Patient","id":"bench-%d","name":[{"family":"Seed"}]}' "$i" |
    curl -sf -o /dev/null -X PUT -H 'Content-Type: application/fhir+json' --data-binary @- \
      "http://127.0.0.1:$port/fhir/Patient/bench-$i"
done
scenarios="${SCENARIOS:-read create update}"
for scenario in $scenarios; do
  echo "== $backend $scenario: wrk -t2 -c32 -d${seconds}s"
  server_before=$(cpu_of /proc/$server/stat)
  db_before=$(cpu_of $(database_pids))
  out=$(wrk -t2 -c32 -d"${seconds}s" --latency -s "$here/$scenario.lua" "http://127.0.0.1:$port")
  server_after=$(cpu_of /proc/$server/stat)
  db_after=$(cpu_of $(database_pids))
  echo "$out" | grep -E "Requests/sec|Non-2xx|Socket errors|^ +(50|99)%"
  requests=$(echo "$out" | awk '/requests in/ { print $1 }')
  report_cpu "$requests" "$((server_after - server_before))" "$((db_after - db_before))"
done
