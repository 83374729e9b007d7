//! SQL of the payments part, on its own tables only, portable across both engines.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};
use serde::{Deserialize, Serialize};

use crate::model::ChargeRow;

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
