#!/usr/bin/env bash
# Slot booking under load against the release binary on SQLite (or PostgreSQL with
# OKNO_BENCH_DATABASE_URL, see bench/engine.sh): throughput and p99 of
# POST /api/v1/appointments (conditional UPDATE of the slot + booking + reminders + notification +
# audit record in one transaction), against the /healthz baseline measured in the same run.
# People and slots are seeded straight into the database (registration is rate-limited).
# Usage: bench/booking.sh [seconds, default 10]. Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNS=${OKNO_BENCH_CONNECTIONS:-32}
BIN=target/release/okno
PEOPLE=${OKNO_BENCH_PEOPLE:-2000}
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p okno
WORK=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
. bench/engine.sh
port=18931
serve_demo $port
python3 - "$WORK" "$PEOPLE" <<'PY'
import hashlib, sys, time, uuid
from seed import Seed
work, people = sys.argv[1], int(sys.argv[2])
db = Seed(work)
now = int(time.time() * 1000)
sessions, slots = [], []
for i in range(people):
    aid, secret = f"bench-{i}", f"bench-session-{uuid.uuid4().hex}"
    db.execute("INSERT INTO accounts (id, kind, status, level, display_name, password_hash, password_changed_at, roles, created_at) VALUES (?, 'person', 'active', 'registered', ?, '!', ?, 'citizen', ?)", (aid, f"Нагрузка {i}", now, now))
    db.execute("INSERT INTO web_sessions (id_hash, subject_kind, subject_id, created_at, last_seen_at, idle_timeout_ms, expires_at) VALUES (?, 'account', ?, ?, ?, 3600000, ?)", (hashlib.sha256(secret.encode()).hexdigest(), aid, now, now, now + 3600000))
    sessions.append(secret)
for t in range(2):
    for k in range(1000):
        sid = str(uuid.uuid4())
        start = now + 86400000 * 3 + (t * 1000 + k) * 60000
        db.execute("INSERT INTO appointment_slots (id, office_code, service_code, local_date, local_time, starts_at, duration_min, capacity, booked, created_at) VALUES (?, 'mfc-ekb', 'passport-rf', '2099-01-01', '10:00', ?, 15, 1000000, 0, ?)", (sid, start, now))
        slots.append(sid)
db.commit()
open(f"{work}/sessions.txt", "w").write("\n".join(sessions) + "\n")
open(f"{work}/slots.txt", "w").write("\n".join(slots) + "\n")
PY
rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }
non2xx() { awk '/Non-2xx/ {print $5}'; }
wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$port/healthz" >/dev/null
health=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/healthz")
book=$(OKNO_BENCH_DIR=$WORK wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s bench/booking.lua "http://127.0.0.1:$port/")
h=$(echo "$health" | rps); b=$(echo "$book" | rps)
echo "| engine | /healthz req/s | /healthz p99 | bookings/s | booking p99 | non-2xx | booking/healthz |"
echo "|---|---|---|---|---|---|---|"
printf '| %s | %s | %s | %s | %s | %s | %.3f |\n' "$ENGINE" "$h" "$(echo "$health" | p99)" "$b" "$(echo "$book" | p99)" \
  "$(echo "$book" | non2xx | grep . || echo 0)" "$(echo "$b $h" | awk '{print $1/$2}')"
echo "connections: $CONNS, $DURATION s per run, $PEOPLE people, wrk and okno on the same $(nproc)-core machine"
