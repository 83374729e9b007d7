#!/usr/bin/env bash
# Load benchmarks against the release binary, on SQLite and (when reachable) PostgreSQL:
#   - GET /healthz: the baseline (HTTP stack only), measured in the same run;
#   - POST /api/v1/agencies: the audited write path (row + outbox event + hash-chained audit
#     record in one transaction, dispatcher running);
#   - readiness time on an existing database and idle resident memory.
# Usage: bench/run.sh [seconds per run, default 10]. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNS=${OKNO_BENCH_CONNECTIONS:-32}
BIN=target/release/okno
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release
OUT=bench-results
mkdir -p "$OUT"
WORK=$(mktemp -d)
PGDB="okno_bench_$$"
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }
non2xx() { awk '/Non-2xx/ {print $5}'; }

bench_engine() {
  local name=$1; shift
  local port=18900
  local data="$WORK/$name"
  "$BIN" serve --demo --listen 127.0.0.1:$port --data-dir "$data" --log warn "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PID=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
  local token
  token=$(awk '/администратор:/ {print $2}' "$WORK/$name.out")
  wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$port/healthz" >/dev/null   # warm-up
  local health write
  health=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/healthz")
  write=$(OKNO_BENCH_TOKEN=$token OKNO_BENCH_RUN=$RANDOM wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s bench/write.lua "http://127.0.0.1:$port/")
  local verify
  verify=$("$BIN" audit verify --data-dir "$data" "$@" | head -1)
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  local h_rps w_rps
  h_rps=$(echo "$health" | rps); w_rps=$(echo "$write" | rps)
  printf '| %s | %s | %s | %s | %s | %s | %.3f | %s |\n' "$name" "$h_rps" "$(echo "$health" | p99)" \
    "$w_rps" "$(echo "$write" | p99)" "$(echo "$write" | non2xx | grep . || echo 0)" \
    "$(echo "$w_rps $h_rps" | awk '{print $1/$2}')" "$verify" | tee -a "$OUT/summary.md"
  # Ready time on the existing database, and idle memory.
  printf '| %s | %s |\n' "$name" "$(python3 bench/ready.py "$BIN" $port -- --data-dir "$data" --log warn "$@")" | tee -a "$OUT/startup.md"
}

: >"$OUT/summary.md"; : >"$OUT/startup.md"
echo "| engine | /healthz req/s | /healthz p99 | audited write tx/s | write p99 | non-2xx | write/healthz | journal after the run |" | tee -a "$OUT/summary.md"
echo "|---|---|---|---|---|---|---|---|" | tee -a "$OUT/summary.md"
bench_engine sqlite
if psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $PGDB" >/dev/null 2>&1; then
  bench_engine postgres --database-url "postgres://postgres@127.0.0.1:5432/$PGDB"
else
  echo "*** PostgreSQL unreachable: its row is SKIPPED ***" | tee -a "$OUT/summary.md"
fi
echo
printf '| engine | startup on an existing database |\n|---|---|\n' | tee "$OUT/startup.md.tmp"
cat "$OUT/startup.md" >>"$OUT/startup.md.tmp"; mv "$OUT/startup.md.tmp" "$OUT/startup.md"
echo "connections: $CONNS, $DURATION s per run, wrk and okno on the same $(nproc)-core machine" | tee -a "$OUT/summary.md"
