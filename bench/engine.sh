# Sourced by the benchmarks: the engine under test. SQLite by default; PostgreSQL when
# OKNO_BENCH_DATABASE_URL=postgres://user@host:port/name is set (that database is dropped and
# created afresh, so point it at a scratch name such as okno_bench). Then `serve_demo PORT` starts
# the release binary ($BIN) with the demo data on that engine, its data directory in $WORK, as
# $PID, and waits until it answers /readyz.
ENGINE=sqlite
DB_ARGS=()
if [ -n "${OKNO_BENCH_DATABASE_URL:-}" ]; then
  command -v psql >/dev/null || { echo "a PostgreSQL benchmark needs psql" >&2; exit 1; }
  ENGINE=postgres
  DB_ARGS=(--database-url "$OKNO_BENCH_DATABASE_URL")
  bench_db=${OKNO_BENCH_DATABASE_URL##*/}
  psql -q "${OKNO_BENCH_DATABASE_URL%/*}/postgres" -c "DROP DATABASE IF EXISTS $bench_db" -c "CREATE DATABASE $bench_db"
fi
export PYTHONPATH="$PWD/bench${PYTHONPATH:+:$PYTHONPATH}"

serve_demo() {
  "$BIN" serve --demo "${DB_ARGS[@]}" --listen "127.0.0.1:$1" --data-dir "$WORK/data" --log warn >"$WORK/out" 2>"$WORK/err" &
  PID=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && break; sleep 0.05; done
}
