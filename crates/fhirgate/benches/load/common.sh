# Shared by the load scripts: start `target/release/fhirgate serve` on a fresh database and
# account the CPU it (and the PostgreSQL backends serving it) used. Sourced, not run.
# Sets: work, server, port, mllp_port, url. Expects: backend, root.
start_server() {
  local binary="${FHIRGATE_BIN:-$root/target/release/fhirgate}"
  work="$(mktemp -d)"
  case "$1" in
    sqlite) url="sqlite://$work/bench.db" ;;
    postgres)
      psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS fhirgate_bench" \
        -c "CREATE DATABASE fhirgate_bench" 2>&1 | grep -v NOTICE || true
      # Loopback: no TLS unless PGSSLMODE asks for it.
      url="postgres://postgres@127.0.0.1:5432/fhirgate_bench?sslmode=${PGSSLMODE:-disable}" ;;
    *) echo "backend must be sqlite or postgres" >&2; exit 2 ;;
  esac
  port=18181
  mllp_port=18575
  # FHIRGATE_BENCH_CONFIG: an optional TOML file (pool size, workers…) to compare settings.
  RUST_LOG="${RUST_LOG:-info}" "$binary" serve --http-addr "127.0.0.1:$port" --mllp-addr "127.0.0.1:$mllp_port" \
    --database-url "$url" ${FHIRGATE_BENCH_CONFIG:+--config "$FHIRGATE_BENCH_CONFIG"} 2>"$work/server.log" &
  server=$!
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; [ -n "${KEEP_SERVER_LOG:-}" ] && cp "$work/server.log" "$KEEP_SERVER_LOG"; rm -rf "$work"' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
}

# CPU seconds (user+system, in clock ticks) used so far by the given /proc/PID/stat files.
cpu_of() { awk '{ s += $14 + $15 } END { printf "%d", s }' "$@" 2>/dev/null || echo 0; }

# The PostgreSQL backends connected to the benchmark database (none for SQLite).
database_pids() {
  if [ "$backend" = postgres ]; then pgrep -f "postgres: .*fhirgate_bench" | sed 's|.*|/proc/&/stat|'; fi
}

# report_cpu REQUESTS SERVER_TICKS DATABASE_TICKS
report_cpu() {
  awk -v r="$1" -v s="$2" -v d="$3" -v t="$(getconf CLK_TCK)" \
    'BEGIN { if (r > 0) printf "  CPU per request: server %.0f us, database %.0f us\n", s / t / r * 1e6, d / t / r * 1e6 }'
}
