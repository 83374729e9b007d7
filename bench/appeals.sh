#!/usr/bin/env bash
# Appeals under load against the release binary on SQLite: throughput and p99 of filing
# (POST /api/v1/appeals: checks, the per-year number, the appeal and its first event, the audit
# record, the outbox event and the person's notification, in one transaction), and of the public
# figures per body (JSON and the Russian page, computed over every appeal that reached a body)
# after 2 000 appeals were filed and routed: as served (from the node's cache, the default
# --figures-cache-seconds) and computed for every request (a second node on the same database
# with --figures-cache-seconds 0) — against the /healthz baseline of the same run.
# People are seeded straight into the database (registration is rate-limited).
# Usage: bench/appeals.sh [seconds, default 5]. Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-5}
CONNS=${OKNO_BENCH_CONNECTIONS:-16}
ROUTED=${OKNO_BENCH_ROUTED:-2000}
BIN=target/release/okno
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p okno
WORK=$(mktemp -d)
cleanup() {
  for p in ${PID:-} ${PID2:-}; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
port=18934
"$BIN" serve --demo --listen 127.0.0.1:$port --data-dir "$WORK/data" --log warn >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
MODERATOR=$("$BIN" admin token create --data-dir "$WORK/data" --name "Нагрузка: модератор" --role moderator | tail -1)
python3 - "$WORK" "$ROUTED" "$port" "$MODERATOR" <<'PY'
import hashlib, http.client, json, random, sqlite3, sys, time, uuid
work, routed, port, moderator = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
db = sqlite3.connect(f"{work}/data/okno.db", timeout=30)
now = int(time.time() * 1000)
people = []
for i in range(200):
    aid, secret = f"bench-{i}", f"bench-session-{uuid.uuid4().hex}"
    db.execute("INSERT INTO accounts (id, kind, status, level, display_name, password_hash, password_changed_at, roles, created_at) VALUES (?, 'person', 'active', 'standard', ?, '!', ?, 'citizen', ?)", (aid, f"Нагрузка {i}", now, now))
    db.execute("INSERT INTO web_sessions (id_hash, subject_kind, subject_id, created_at, last_seen_at, idle_timeout_ms, expires_at) VALUES (?, 'account', ?, ?, ?, 3600000, ?)", (hashlib.sha256(secret.encode()).hexdigest(), aid, now, now, now + 3600000))
    people.append(secret)
db.commit()
open(f"{work}/people.txt", "w").write("\n".join(people) + "\n")
c = http.client.HTTPConnection("127.0.0.1", port)
def call(path, who, body):
    c.request("POST", path, body=json.dumps(body), headers={"Authorization": "Bearer " + who, "Content-Type": "application/json"})
    r = c.getresponse(); data = r.read()
    if r.status >= 300: raise SystemExit(f"POST {path}: {r.status} {data[:300]}")
    return json.loads(data)
subs = ["pothole", "lights", "heating", "water", "bus-schedule", "playground", "snow"]
places = ["tula", "novomoskovsk", "aleksin", "shchekino"]
for k in range(routed):
    a = call("/api/v1/appeals", people[k % len(people)], {"kind": random.choice(["message", "complaint", "appeal"]),
             "category": random.choice(subs), "text": f"Обращение для нагрузки № {k}.", "municipality": random.choice(places)})
    call(f"/api/v1/moderation/appeals/{a['id']}", moderator, {"verdict": "accept"})
PY
# The second node computes the figures for every request: the cost the cache saves.
port2=$((port + 1))
"$BIN" serve --listen 127.0.0.1:$port2 --data-dir "$WORK/data" --no-workers --figures-cache-seconds 0 --log warn >"$WORK/out2" 2>"$WORK/err2" &
PID2=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port2/readyz" >/dev/null && break; sleep 0.05; done
rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }
non2xx() { awk '/Non-2xx/ {print $5}' | grep . || echo 0; }
total() { awk '/requests in/ {print $1}'; }
BODY='{"kind":"message","category":"pothole","text":"Яма на дороге у дома 5, объезжают по встречной.","address":"Тула, ул. Советская, 5","lat":54.1931,"lon":37.6173,"municipality":"tula","publish":true}'
wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$port/healthz" >/dev/null
health=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/healthz")
filing=$(OKNO_BENCH_FILE="$WORK/people.txt" OKNO_BENCH_JSON="$BODY" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s bench/appeals.lua "http://127.0.0.1:$port/")
figures=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/api/v1/public/figures")
page=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/appeals/figures")
uncached=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port2/api/v1/public/figures")
uncached_page=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port2/appeals/figures")
h=$(echo "$health" | rps)
echo "| run | req/s | p99 | requests | non-2xx | /healthz ratio |"
echo "|---|---|---|---|---|---|"
printf '| /healthz | %s | %s | %s | 0 | 1 |\n' "$h" "$(echo "$health" | p99)" "$(echo "$health" | total)"
for r in "filing an appeal:filing" "figures per body (JSON, cached):figures" "figures page (HTML, cached):page" \
  "figures per body (JSON, computed per request):uncached" "figures page (HTML, computed per request):uncached_page"; do
  label=${r%%:*}; var=${r##*:}; out=${!var}
  x=$(echo "$out" | rps)
  printf '| %s | %s | %s | %s | %s | %.3f |\n' "$label" "$x" "$(echo "$out" | p99)" "$(echo "$out" | total)" "$(echo "$out" | non2xx)" "$(echo "$x $h" | awk '{print $1/$2}')"
done
echo "sqlite, connections: $CONNS, $DURATION s per run, figures over $ROUTED routed appeals plus those filed in the run, wrk and okno on the same $(nproc)-core machine"
