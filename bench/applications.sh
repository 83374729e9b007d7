#!/usr/bin/env bash
# Application submission under load against the release binary on SQLite (or PostgreSQL with
# OKNO_BENCH_DATABASE_URL, see bench/engine.sh): throughput and p99 of
# POST /api/v1/applications/{id}/submit (validation against the form, the per-year number, the
# decision date on the production calendar, the event row, the audit record, the notification and,
# for a paid service, the fee event, in one transaction) without an attachment and with a 1 MB PDF
# attached, plus the 1 MB upload itself — against the /healthz baseline measured in the same run.
# People are seeded straight into the database (registration is rate-limited); drafts are made
# through the API before the measured runs. Every request hits a different draft.
# Usage: bench/applications.sh [seconds, default 5]. Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-5}
CONNS=${OKNO_BENCH_CONNECTIONS:-16}
DRAFTS=${OKNO_BENCH_DRAFTS:-5000}
BIN=target/release/okno
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p okno
WORK=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
. bench/engine.sh
port=18933
serve_demo $port
python3 - "$WORK" "$DRAFTS" "$port" <<'PY'
import hashlib, http.client, json, sys, time, uuid
from seed import Seed
work, drafts, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = Seed(work)
now = int(time.time() * 1000)
people = []
for i in range(200):
    aid, secret = f"bench-{i}", f"bench-session-{uuid.uuid4().hex}"
    db.execute("INSERT INTO accounts (id, kind, status, level, display_name, password_hash, password_changed_at, roles, created_at) VALUES (?, 'person', 'active', 'standard', ?, '!', ?, 'citizen', ?)", (aid, f"Нагрузка {i}", now, now))
    db.execute("INSERT INTO web_sessions (id_hash, subject_kind, subject_id, created_at, last_seen_at, idle_timeout_ms, expires_at) VALUES (?, 'account', ?, ?, ?, 3600000, ?)", (hashlib.sha256(secret.encode()).hexdigest(), aid, now, now, now + 3600000))
    people.append(secret)
db.commit()
pdf = b"%PDF-1.7\n" + b"0" * (1024 * 1024 - 9)
open(f"{work}/file.pdf", "wb").write(pdf)
c = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, who, body=None, ctype="application/json"):
    c.request(method, path, body=body, headers={"Authorization": "Bearer " + who, "Content-Type": ctype})
    r = c.getresponse(); data = r.read()
    if r.status >= 300: raise SystemExit(f"{method} {path}: {r.status} {data[:300]}")
    return json.loads(data)
person = {"last_name": "Иванов", "first_name": "Иван", "birth_date": "1980-01-01", "passport": "4510 123456",
          "address": "Тула, ул. Болдина, д. 1", "consent": True}
plain, attached, uploads = [], [], []
for k in range(drafts):
    who = people[k % len(people)]
    a = call("POST", "/api/v1/applications", who, json.dumps({"service": "inn-certificate"}))
    call("PUT", f"/api/v1/applications/{a['id']}/data", who, json.dumps({"data": dict(person, birth_place="г. Тула")}))
    plain.append(f"{who}\t/api/v1/applications/{a['id']}/submit")
for k in range(drafts):
    who = people[k % len(people)]
    a = call("POST", "/api/v1/applications", who, json.dumps({"service": "passport-rf"}))
    call("PUT", f"/api/v1/applications/{a['id']}/data", who, json.dumps({"data": dict(person, reason="age")}))
    call("POST", f"/api/v1/applications/{a['id']}/attachments?field=photo&name=photo.pdf", who, pdf, "application/pdf")
    attached.append(f"{who}\t/api/v1/applications/{a['id']}/submit")
    if k % 2:
        continue
    b = call("POST", "/api/v1/applications", who, json.dumps({"service": "passport-rf"}))
    uploads.append(f"{who}\t/api/v1/applications/{b['id']}/attachments?field=photo&name=photo.pdf")
for name, rows in (("plain", plain), ("attached", attached), ("uploads", uploads)):
    open(f"{work}/{name}.txt", "w").write("\n".join(rows) + "\n")
PY
rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }
non2xx() { awk '/Non-2xx/ {print $5}' | grep . || echo 0; }
total() { awk '/requests in/ {print $1}'; }
run() { OKNO_BENCH_FILE="$WORK/$1.txt" OKNO_BENCH_BODY="${2:-}" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s bench/applications.lua "http://127.0.0.1:$port/"; }
wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$port/healthz" >/dev/null
health=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/healthz")
plain=$(run plain)
attached=$(run attached)
upload=$(run uploads "$WORK/file.pdf")
h=$(echo "$health" | rps)
echo "| run | req/s | p99 | requests | non-2xx | /healthz ratio |"
echo "|---|---|---|---|---|---|"
printf '| /healthz | %s | %s | %s | 0 | 1 |\n' "$h" "$(echo "$health" | p99)" "$(echo "$health" | total)"
for r in "submit (no attachment):plain" "submit (1 MB PDF attached):attached" "upload of a 1 MB PDF:upload"; do
  label=${r%%:*}; var=${r##*:}; out=${!var}
  x=$(echo "$out" | rps)
  printf '| %s | %s | %s | %s | %s | %.3f |\n' "$label" "$x" "$(echo "$out" | p99)" "$(echo "$out" | total)" "$(echo "$out" | non2xx)" "$(echo "$x $h" | awk '{print $1/$2}')"
done
echo "$ENGINE, connections: $CONNS, $DURATION s per run, $DRAFTS drafts per submit run and $((DRAFTS / 2)) for uploads (each request a different draft; non-2xx = drafts ran out), wrk and okno on the same $(nproc)-core machine"
