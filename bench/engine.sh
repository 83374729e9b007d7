# Sourced by the benchmarks: the engine under test. SQLite by default; PostgreSQL when
# OKNO_BENCH_DATABASE_URL=postgres://user@host:port/name is set (that database is dropped and
# created afresh, so point it at a scratch name such as okno_bench).
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
