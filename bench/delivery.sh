#!/usr/bin/env bash
# Delivery throughput from the outbox to a local SMS gateway (answering in 50 ms) and a local SMTP
# sink, on SQLite and (when reachable) PostgreSQL, against the release binary; and the time from a
# one-time code's commit to the gateway while the queue drains (see bench/delivery.py).
# Usage: bench/delivery.sh [messages, default 5000]. Needs aiosmtpd (./test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
LATENCY=${OKNO_BENCH_GATEWAY_MS:-50}
CONC=${OKNO_BENCH_CONCURRENCY:-64}
BIN=target/release/okno
[ -x "$BIN" ] || cargo build --release
OUT=bench-results
mkdir -p "$OUT"
WORK=$(mktemp -d)
PGDB="okno_bench_delivery_$$"
cleanup() {
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
{
  echo "| engine | queued | gateway latency | concurrency | baseline: plain client req/s | okno SMS/s | okno/baseline | e-mails/s | codes timed | code p50 ms | code p99 ms | code max ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$OUT/delivery.md"
mkdir -p "$WORK/sqlite"
python3 bench/delivery.py "$BIN" "$WORK/sqlite" --messages "$N" --latency-ms "$LATENCY" --concurrency "$CONC" | tee -a "$OUT/delivery.md"
if psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $PGDB" >/dev/null 2>&1; then
  mkdir -p "$WORK/postgres"
  python3 bench/delivery.py "$BIN" "$WORK/postgres" --messages "$N" --latency-ms "$LATENCY" --concurrency "$CONC" \
    -- --database-url "postgres://postgres@127.0.0.1:5432/$PGDB" | tee -a "$OUT/delivery.md"
else
  echo "*** PostgreSQL not reachable on 127.0.0.1:5432: its row is SKIPPED ***"
fi
