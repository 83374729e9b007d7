#!/usr/bin/env bash
# Sign-in benchmark against the release binary (SQLite):
#   - the raw Argon2id verify rate with the platform's parameters on W threads (no HTTP, no DB),
#     before and after the flood, averaged;
#   - sign-ins per second over HTTP with W hash workers, and their ratio to that raw rate;
#   - the p99 latency of a cheap authenticated GET (one every 10 ms, bench/paced_get.py) alone and
#     during a flood of sign-ins.
# Usage: bench/signin.sh [seconds per run, default 10] [hash workers W, default: cores]. Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
WORKERS=${2:-$(nproc)}
PORT=18902
BIN=target/release/okno
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --release -q
cargo build --release -q -p okno-identity --example argon2_rate
WORK=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

p99() { awk '/ 99%/ {print $2}'; }
rps() { awk '/Requests\/sec/ {print $2}'; }
non2xx() { awk '/Non-2xx/ {print $5}'; }

${OKNO_BENCH_ENV:-} "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$WORK/data" --log warn --sign-in-rate 0 \
  --hash-workers "$WORKERS" >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.05; done
export OKNO_BENCH_LOGIN=bench@example.ru OKNO_BENCH_PASSWORD='Лиса-На-Крыше7'
REGISTERED=$(curl -sf -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/api/v1/identity/register" \
  -d "{\"full_name\":\"Нагрузочный Тест\",\"phone\":\"+79160009999\",\"email\":\"$OKNO_BENCH_LOGIN\",\"password\":\"$OKNO_BENCH_PASSWORD\",\"consent\":true}")
SESSION=$(echo "$REGISTERED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"])')
# The person signs in again and again from the device they registered on, as a browser would.
export OKNO_BENCH_DEVICE=$(echo "$REGISTERED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')

# The raw rate is measured right before and right after the sign-in flood and averaged, so a drift
# of the machine's speed (a shared host) during the run does not land on one side of the ratio.
raw_rate() { cargo run --release -q -p okno-identity --example argon2_rate -- "$WORKERS" "$DURATION"; }
raw=$(raw_rate)
flood=$(wrk -t1 -c32 -d"${DURATION}s" --latency -s bench/signin.lua "http://127.0.0.1:$PORT/")
raw_after=$(raw_rate)
raw_rate=$(printf '%s\n%s\n' "$raw" "$raw_after" | awk '{s += $(NF-1)} END {printf "%.1f", s / NR}')

quiet=$(python3 bench/paced_get.py $PORT /api/v1/identity/me "$SESSION" "$DURATION")
wrk -t1 -c32 -d"$((DURATION + 2))s" -s bench/signin.lua "http://127.0.0.1:$PORT/" >/dev/null &
FLOOD=$!
sleep 1
busy=$(python3 bench/paced_get.py $PORT /api/v1/identity/me "$SESSION" "$DURATION")
wait $FLOOD

signin_rate=$(echo "$flood" | rps)
field() { tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
echo "$raw"
echo "$raw_after"
echo "| hash workers | raw verify/s | sign-in/s | sign-in ÷ raw | sign-in p99 | sign-in non-2xx | GET /me p99 alone | GET /me p99 in the flood | GET /me non-200 in the flood |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '| %s | %s | %s | %.2f | %s | %s | %s ms | %s ms | %s |\n' "$WORKERS" "$raw_rate" "$signin_rate" \
  "$(echo "$signin_rate $raw_rate" | awk '{print $1/$2}')" "$(echo "$flood" | p99)" \
  "$(echo "$flood" | non2xx | grep . || echo 0)" "$(echo "$quiet" | field p99_ms)" "$(echo "$busy" | field p99_ms)" "$(echo "$busy" | field non200)"
echo "wrk (32 connections of sign-ins), a paced GET every 10 ms, okno and SQLite on the same $(nproc)-core machine; $DURATION s per run"
