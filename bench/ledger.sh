#!/usr/bin/env bash
# `okno payments ledger check` over a large ledger on SQLite: N charges, each paid by one captured
# payment whose ledger transaction has two postings (2N postings; default N = 500000, a million
# postings), written straight into a fresh database; then the check is timed, after a baseline of
# `SELECT COUNT(*)` over the postings measured on the same database.
# Usage: bench/ledger.sh [charges, default 500000]. Needs sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-500000}
BIN=target/release/okno
[ -x "$BIN" ] || cargo build --release -p okno
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN" migrate --data-dir "$WORK/data" --log warn >/dev/null
sqlite3 "$WORK/data/okno.db" <<SQL
BEGIN;
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $N)
INSERT INTO charges (id, uin, agency_code, kind, source, payee_name, payee_inn, payee_kpp, payee_bik, payee_bank,
  payee_account, payee_corr_account, kbk, oktmo, purpose, amount_kopecks, issued_on, due_date, payer_kind,
  payer_name_enc, status, paid_kopecks, revision, created_by, created_at, updated_at)
SELECT 'c' || k, 'u' || k, 'gibdd', 'fine', 'api', 'УФК', '7107036186', '710701001', '017003983', 'Банк',
  '03100643000000016600', '40102810445370000059', '18811601123010001140', '70701000', 'Штраф', 50000,
  '2026-12-01', '2026-12-31', 'driver_licence', 'x', 'paid', 50000, 0, 'bench', 0, 0 FROM n;
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $N)
INSERT INTO ledger_transactions (id, kind, payment_id, charge_id, created_at) SELECT 't' || k, 'payment', 'p' || k, 'c' || k, 0 FROM n;
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $N)
INSERT INTO ledger_postings (id, transaction_id, account, amount_kopecks, created_at)
SELECT 'a' || k, 't' || k, 'acquirer:tbank', 50000, 0 FROM n
UNION ALL SELECT 'b' || k, 't' || k, 'payee:18811601123010001140:70701000', -50000, 0 FROM n;
COMMIT;
SQL
t0=$(date +%s.%N)
sqlite3 "$WORK/data/okno.db" "SELECT COUNT(*) FROM ledger_postings" >/dev/null
t1=$(date +%s.%N)
"$BIN" payments ledger check --data-dir "$WORK/data"
t2=$(date +%s.%N)
echo "| postings | COUNT(*) baseline | ledger check | ratio |"
echo "|---|---|---|---|"
awk -v n=$((2 * N)) -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "| %d | %.2f s | %.2f s | %.1f |\n", n, b - a, c - b, (c - b) / (b - a) }'
