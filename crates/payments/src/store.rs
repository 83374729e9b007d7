//! SQL of the payments part, on its own tables only, portable across both engines.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};
use serde::{Deserialize, Serialize};

use crate::model::{ChargeRow, PaymentRow};

/// Who receives the money of an agency: its bank requisites and the budget codes a charge takes
/// when it names none.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Payee {
    pub agency_code: String,
    /// «УФК по Тульской области (УМВД России по Тульской области)».
    pub name: String,
    pub inn: String,
    pub kpp: String,
    pub bik: String,
    pub bank_name: String,
    /// The treasury (or settlement) account.
    pub account: String,
    /// The bank's correspondent account (for a treasury body, the single treasury account).
    pub corr_account: String,
    pub kbk: String,
    pub oktmo: String,
    /// The eight digits that begin the УИН the platform issues for this agency.
    pub uin_prefix: String,
    #[serde(default)]
    pub updated_by: String,
    #[serde(default)]
    pub updated_at: i64,
}

pub async fn payee(c: &mut impl AsConn, agency: &str) -> Result<Option<Payee>, sqlx::Error> {
    q_opt!(
        c,
        Payee,
        "SELECT * FROM payment_payees WHERE agency_code = $1",
        agency
    )
}

pub async fn payees(c: &mut impl AsConn) -> Result<Vec<Payee>, sqlx::Error> {
    q_all!(
        c,
        Payee,
        "SELECT * FROM payment_payees ORDER BY agency_code"
    )
}

/// Inserts or replaces the agency's payee.
pub async fn put_payee(tx: &mut Tx, p: &Payee) -> Result<(), sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO payment_payees (agency_code, name, inn, kpp, bik, bank_name, account, corr_account, kbk, oktmo, uin_prefix, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (agency_code) DO UPDATE SET name = excluded.name, inn = excluded.inn, kpp = excluded.kpp,
             bik = excluded.bik, bank_name = excluded.bank_name, account = excluded.account,
             corr_account = excluded.corr_account, kbk = excluded.kbk, oktmo = excluded.oktmo,
             uin_prefix = excluded.uin_prefix, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        &p.agency_code, &p.name, &p.inn, &p.kpp, &p.bik, &p.bank_name, &p.account, &p.corr_account,
        &p.kbk, &p.oktmo, &p.uin_prefix, &p.updated_by, p.updated_at
    )?;
    Ok(())
}

/// The next number under a УИН prefix: one conditional statement on the prefix's own row, so
/// two writers never get the same number and agencies never wait for each other.
pub async fn next_uin_number(tx: &mut Tx, prefix: &str) -> Result<i64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO uin_counters (prefix, last) VALUES ($1, 0) ON CONFLICT (prefix) DO NOTHING",
        prefix
    )?;
    q_scalar!(
        tx,
        i64,
        "UPDATE uin_counters SET last = last + 1 WHERE prefix = $1 RETURNING last",
        prefix
    )
}

const COLUMNS: &str = "id, uin, agency_code, kind, source, application_id, application_number, payee_name, payee_inn,
    payee_kpp, payee_bik, payee_bank, payee_account, payee_corr_account, kbk, oktmo, purpose, amount_kopecks,
    discount_percent, discount_days, ruling_date, issued_on, due_date, payer_kind, payer_idx, payer_enc,
    payer_name_enc, account_id, status, paid_kopecks, revision, reason, created_by, created_at, updated_at";

/// Inserts a charge; false when its УИН (or its application's fee) is there already.
pub async fn insert_charge(tx: &mut Tx, c: &ChargeRow) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        &format!(
            "INSERT INTO charges ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
             $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)
             ON CONFLICT DO NOTHING"
        ),
        &c.id, &c.uin, &c.agency_code, &c.kind, &c.source, &c.application_id, &c.application_number,
        &c.payee_name, &c.payee_inn, &c.payee_kpp, &c.payee_bik, &c.payee_bank, &c.payee_account,
        &c.payee_corr_account, &c.kbk, &c.oktmo, &c.purpose, c.amount_kopecks, c.discount_percent,
        c.discount_days, &c.ruling_date, &c.issued_on, &c.due_date, &c.payer_kind, &c.payer_idx,
        &c.payer_enc, &c.payer_name_enc, &c.account_id, &c.status, c.paid_kopecks, c.revision,
        &c.reason, &c.created_by, c.created_at, c.updated_at
    )?;
    Ok(n == 1)
}

/// Which of these УИН are taken already (one indexed lookup each: a file holds a few thousand).
pub async fn taken_uins(tx: &mut Tx, uins: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let mut taken = Vec::new();
    for u in uins {
        if q_opt!(tx, (String,), "SELECT uin FROM charges WHERE uin = $1", u)?.is_some() {
            taken.push(u.clone());
        }
    }
    Ok(taken)
}

pub async fn charge_by_uin(
    c: &mut impl AsConn,
    uin: &str,
) -> Result<Option<ChargeRow>, sqlx::Error> {
    q_opt!(
        c,
        ChargeRow,
        &format!("SELECT {COLUMNS} FROM charges WHERE uin = $1"),
        uin
    )
}

pub async fn charge_of_application(
    c: &mut impl AsConn,
    application_id: &str,
) -> Result<Option<ChargeRow>, sqlx::Error> {
    q_opt!(
        c,
        ChargeRow,
        &format!("SELECT {COLUMNS} FROM charges WHERE application_id = $1"),
        application_id
    )
}

/// A person's charges: those of their account and those for their documents (blind indexes),
/// newest first.
pub async fn charges_of(
    c: &mut impl AsConn,
    account_id: &str,
    idx: &[String],
    limit: i64,
) -> Result<Vec<ChargeRow>, sqlx::Error> {
    let first = idx.first().map(String::as_str).unwrap_or("");
    let second = idx.get(1).map(String::as_str).unwrap_or("");
    q_all!(
        c,
        ChargeRow,
        &format!(
            "SELECT {COLUMNS} FROM charges WHERE account_id = $1 OR payer_idx IN ($2, $3)
             ORDER BY created_at DESC, id LIMIT $4"
        ),
        account_id,
        first,
        second,
        limit
    )
}

/// An agency's charges, newest first.
pub async fn charges_of_agency(
    c: &mut impl AsConn,
    agency: &str,
    limit: i64,
) -> Result<Vec<ChargeRow>, sqlx::Error> {
    q_all!(
        c,
        ChargeRow,
        &format!(
            "SELECT {COLUMNS} FROM charges WHERE agency_code = $1 ORDER BY created_at DESC, id LIMIT $2"
        ),
        agency,
        limit
    )
}

/// Writes what the agency changed, if the charge is still at the revision that was read.
pub async fn update_charge(tx: &mut Tx, c: &ChargeRow, revision: i64) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "UPDATE charges SET purpose = $1, amount_kopecks = $2, due_date = $3, status = $4, reason = $5,
             revision = $6, updated_at = $7 WHERE id = $8 AND revision = $9",
        &c.purpose,
        c.amount_kopecks,
        &c.due_date,
        &c.status,
        &c.reason,
        c.revision,
        c.updated_at,
        &c.id,
        revision
    )?;
    Ok(n == 1)
}

// --- payments ------------------------------------------------------------------------------

const PAYMENT_COLUMNS: &str = "id, charge_id, uin, account_id, method, amount_kopecks, commission_kopecks, status,
    open_charge_id, acquirer, acquirer_payment_id, payment_url, failure_code, failure_message, card_pan,
    card_exp, rrn, created_at, updated_at, captured_at";

/// Inserts a payment; false when its charge has an open payment already (`open_charge_id`).
pub async fn insert_payment(tx: &mut Tx, p: &PaymentRow) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        &format!(
            "INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
             $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT DO NOTHING"
        ),
        &p.id, &p.charge_id, &p.uin, &p.account_id, &p.method, p.amount_kopecks, p.commission_kopecks,
        &p.status, &p.open_charge_id, &p.acquirer, &p.acquirer_payment_id, &p.payment_url,
        &p.failure_code, &p.failure_message, &p.card_pan, &p.card_exp, &p.rrn, p.created_at,
        p.updated_at, p.captured_at
    )?;
    Ok(n == 1)
}

pub async fn payment(c: &mut impl AsConn, id: &str) -> Result<Option<PaymentRow>, sqlx::Error> {
    q_opt!(
        c,
        PaymentRow,
        &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"),
        id
    )
}

pub async fn open_payment_of(
    c: &mut impl AsConn,
    charge_id: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    q_opt!(
        c,
        PaymentRow,
        &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE open_charge_id = $1"),
        charge_id
    )
}

/// Open payments not changed since `before`, oldest first: the reconciliation's work.
pub async fn open_payments(
    c: &mut impl AsConn,
    before: i64,
    limit: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    q_all!(
        c,
        PaymentRow,
        &format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE status IN ('created', 'pending', 'authorised')
             AND updated_at < $1 ORDER BY updated_at, id LIMIT $2"
        ),
        before,
        limit
    )
}

/// Claims an idempotency key for a payment: one conditional statement, so of concurrent
/// requests with one key exactly one claims it. False when it was claimed before.
pub async fn claim_key(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    request_hash: &str,
    payment_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO payment_idempotency (scope, idem_key, request_hash, payment_id, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, idem_key) DO NOTHING",
        scope,
        key,
        request_hash,
        payment_id,
        now
    )?;
    Ok(n == 1)
}

/// The request hash and payment a key was claimed for.
pub async fn key_of(
    c: &mut impl AsConn,
    scope: &str,
    key: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    q_opt!(
        c,
        (String, String),
        "SELECT request_hash, payment_id FROM payment_idempotency WHERE scope = $1 AND idem_key = $2",
        scope,
        key
    )
}

/// Points a claimed key at another payment (the charge's open one).
pub async fn repoint_key(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    payment_id: &str,
) -> Result<(), sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE payment_idempotency SET payment_id = $1 WHERE scope = $2 AND idem_key = $3",
        payment_id,
        scope,
        key
    )?;
    Ok(())
}

/// Writes a payment's new state if it is still in `from`; false when another node (or a
/// notification) changed it first.
pub async fn update_payment(tx: &mut Tx, p: &PaymentRow, from: &str) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "UPDATE payments SET status = $1, open_charge_id = $2, acquirer_payment_id = $3, payment_url = $4,
             failure_code = $5, failure_message = $6, card_pan = $7, card_exp = $8, rrn = $9,
             updated_at = $10, captured_at = $11 WHERE id = $12 AND status = $13",
        &p.status,
        &p.open_charge_id,
        &p.acquirer_payment_id,
        &p.payment_url,
        &p.failure_code,
        &p.failure_message,
        &p.card_pan,
        &p.card_exp,
        &p.rrn,
        p.updated_at,
        p.captured_at,
        &p.id,
        from
    )?;
    Ok(n == 1)
}

pub async fn charge_by_id(c: &mut impl AsConn, id: &str) -> Result<Option<ChargeRow>, sqlx::Error> {
    q_opt!(
        c,
        ChargeRow,
        &format!("SELECT {COLUMNS} FROM charges WHERE id = $1"),
        id
    )
}

/// Adds a captured payment to its charge, and sets the charge's status.
pub async fn add_paid(
    tx: &mut Tx,
    charge_id: &str,
    amount: i64,
    status: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE charges SET paid_kopecks = paid_kopecks + $1, status = $2, updated_at = $3 WHERE id = $4",
        amount,
        status,
        now,
        charge_id
    )?;
    Ok(())
}

// --- the ledger ------------------------------------------------------------------------------

/// Writes a transaction and its postings.
pub async fn post(
    tx: &mut Tx,
    id: &str,
    kind: &str,
    payment_id: &str,
    charge_id: &str,
    postings: &[(String, i64)],
    now: i64,
) -> Result<(), sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO ledger_transactions (id, kind, payment_id, charge_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        id,
        kind,
        payment_id,
        charge_id,
        now
    )?;
    for (account, amount) in postings {
        q_exec!(
            tx,
            "INSERT INTO ledger_postings (id, transaction_id, account, amount_kopecks, created_at)
             VALUES ($1, $2, $3, $4, $5)",
            okno_kernel::clock::new_id(),
            id,
            account,
            *amount,
            now
        )?;
    }
    Ok(())
}

/// Transactions whose postings do not sum to zero: (transaction, sum).
pub async fn unbalanced(c: &mut impl AsConn) -> Result<Vec<(String, i64)>, sqlx::Error> {
    q_all!(
        c,
        (String, i64),
        "SELECT transaction_id, CAST(SUM(amount_kopecks) AS BIGINT) FROM ledger_postings
         GROUP BY transaction_id HAVING SUM(amount_kopecks) <> 0 ORDER BY transaction_id"
    )
}

/// Charges whose paid amount differs from what the ledger credited their payee: (УИН, paid,
/// credited).
pub async fn paid_against_ledger(
    c: &mut impl AsConn,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    q_all!(
        c,
        (String, i64, i64),
        "SELECT c.uin, c.paid_kopecks, CAST(COALESCE(l.credited, 0) AS BIGINT) FROM charges c
         LEFT JOIN (SELECT t.charge_id, -SUM(p.amount_kopecks) AS credited FROM ledger_transactions t
                    JOIN ledger_postings p ON p.transaction_id = t.id AND p.account LIKE 'payee:%'
                    GROUP BY t.charge_id) l ON l.charge_id = c.id
         WHERE c.paid_kopecks <> COALESCE(l.credited, 0) ORDER BY c.uin"
    )
}

/// How many postings the ledger holds.
pub async fn postings_count(c: &mut impl AsConn) -> Result<i64, sqlx::Error> {
    q_scalar!(
        c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_postings"
    )
}
