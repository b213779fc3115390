#!/usr/bin/env bash
# HTTP load benchmark: create, read and update with 32 concurrent clients (wrk, from Debian).
# Usage: crates/fhirgate/benches/load/run.sh sqlite|postgres [SECONDS]
# Needs: cargo build --release -p fhirgate; apt-get install wrk; for postgres the local server.
set -euo pipefail
backend="${1:-sqlite}"
seconds="${2:-15}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
binary="$root/target/release/fhirgate"
work="$(mktemp -d)"
case "$backend" in
  sqlite) url="sqlite://$work/bench.db" ;;
  postgres)
    psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS fhirgate_bench" -c "CREATE DATABASE fhirgate_bench"
    url="postgres://postgres@127.0.0.1:5432/fhirgate_bench" ;;
  *) echo "backend must be sqlite or postgres" >&2; exit 2 ;;
esac
port=18181
"$binary" serve --http-addr "127.0.0.1:$port" --mllp-addr 127.0.0.1:0 --database-url "$url" 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
for i in $(seq 1 1000); do
  printf '{"resourceType":"Patient","id":"bench-%d","name":[{"family":"Seed"}]}' "$i" |
    curl -sf -o /dev/null -X PUT -H 'Content-Type: application/fhir+json' --data-binary @- \
      "http://127.0.0.1:$port/fhir/Patient/bench-$i"
done
for scenario in read create update; do
  echo "== $backend $scenario: wrk -t2 -c32 -d${seconds}s"
  wrk -t2 -c32 -d"${seconds}s" --latency -s "$here/$scenario.lua" "http://127.0.0.1:$port" |
    grep -E "Requests/sec|Non-2xx|Socket errors|^ +(50|99)%"
done
