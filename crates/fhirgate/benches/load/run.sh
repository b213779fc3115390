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
    url="postgres://postgres@127.0.0.1:5432/fhirgate_bench?sslmode=${PGSSLMODE:-disable}" ;;
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
# CPU seconds (user+system) used so far by the server and by the database
# processes serving it: per-request CPU is comparable even on a busy machine.
cpu_of() { awk '{ s += $14 + $15 } END { printf "%d", s }' "$@" 2>/dev/null || echo 0; }
database_pids() {
  if [ "$backend" = postgres ]; then pgrep -f "postgres: .*fhirgate_bench" | sed 's|.*|/proc/&/stat|'; fi
}
ticks=$(getconf CLK_TCK)
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
  awk -v r="$requests" -v s=$((server_after - server_before)) -v d=$((db_after - db_before)) -v t="$ticks" \
    'BEGIN { if (r > 0) printf "  CPU per request: server %.0f us, database %.0f us\n", s / t / r * 1e6, d / t / r * 1e6 }'
done
