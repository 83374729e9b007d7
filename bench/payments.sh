#!/usr/bin/env bash
# Card payments under load against the release binary with its demo sandbox bank, on SQLite (or
# PostgreSQL with OKNO_BENCH_DATABASE_URL, see bench/engine.sh): captured payments per second and
# p99 of the whole payment, against the audited write measured by the same client in the same run
# (bench/payments.py); then `okno payments ledger check` over the ledger the run wrote.
# Usage: bench/payments.sh [payments per run, default 2000] [client threads, default 16].
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
THREADS=${2:-16}
BIN=target/release/okno
[ -x "$BIN" ] || cargo build --release -p okno
WORK=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
. bench/engine.sh
port=18934
serve_demo $port
token=$(awk '/администратор:/ {print $2}' "$WORK/out")
echo "| run | per second | p99 | errors | ratio to the audited write |"
echo "|---|---|---|---|---|"
python3 bench/payments.py "$WORK" "$port" "$token" "$N" "$THREADS"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
start=$(date +%s.%N)
"$BIN" payments ledger check --data-dir "$WORK/data" "${DB_ARGS[@]}"
echo "ledger check: $(echo "$(date +%s.%N) - $start" | bc) s"
echo "$ENGINE, $N payments, $THREADS client threads; okno, its sandbox bank and the client on the same $(nproc)-core machine"
