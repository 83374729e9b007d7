//! All the SQL of the desk, on the offices part's own tables: `office_devices`,
//! `office_operators` and `desk_receipts`.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_opt};
use serde::Deserialize;

use super::model::DeviceView;

/// A terminal as the desk's rule reads it.
#[derive(Deserialize, sqlx::FromRow)]
pub(super) struct DeviceRow {
    pub id: String,
    pub office_code: String,
    pub kind: String,
    pub name: String,
    pub revoked_at: Option<i64>,
}

/// An operator's binding to an office.
#[derive(Deserialize, sqlx::FromRow)]
pub(super) struct OperatorRow {
    pub account_id: String,
    pub role: String,
    pub created_at: i64,
}

#[derive(Deserialize, sqlx::FromRow)]
pub(super) struct Membership {
    pub role: String,
}

/// A kept справка, encrypted.
#[derive(Deserialize, sqlx::FromRow)]
pub(super) struct ReceiptRow {
    pub operator_id: String,
    pub pdf_enc: String,
    pub expires_at: i64,
}

pub(super) async fn insert_device(
    tx: &mut Tx,
    device: &DeviceView,
    credential_hash: String,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO office_devices (id, office_code, kind, name, credential_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &device.id,
        &device.office_code,
        &device.kind,
        &device.name,
        credential_hash,
        device.created_at
    )
}

/// Revokes an unrevoked device of the office; gives the number of rows changed.
pub(super) async fn revoke_device(
    tx: &mut Tx,
    now: i64,
    id: &str,
    office_code: &str,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE office_devices SET revoked_at = $1 WHERE id = $2 AND office_code = $3 AND revoked_at IS NULL",
        now,
        id,
        office_code
    )
}

pub(super) async fn devices(
    tx: &mut Tx,
    office_code: &str,
) -> Result<Vec<DeviceView>, sqlx::Error> {
    q_all!(
        tx,
        DeviceView,
        "SELECT id, office_code, kind, name, created_at, revoked_at FROM office_devices WHERE office_code = $1 ORDER BY created_at",
        office_code
    )
}

/// The device whose credential hashes to `credential_hash`.
pub(super) async fn device_by_credential(
    c: &mut impl AsConn,
    credential_hash: String,
) -> Result<Option<DeviceRow>, sqlx::Error> {
    q_opt!(
        c,
        DeviceRow,
        "SELECT id, office_code, kind, name, revoked_at FROM office_devices WHERE credential_hash = $1",
        credential_hash
    )
}

/// Binds an operator to an office with a role, or changes the role of one bound.
pub(super) async fn assign_operator(
    tx: &mut Tx,
    account_id: &str,
    office_code: &str,
    role: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO office_operators (account_id, office_code, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id, office_code) DO UPDATE SET role = $3",
        account_id,
        office_code,
        role,
        now
    )
}

pub(super) async fn operators(
    tx: &mut Tx,
    office_code: &str,
) -> Result<Vec<OperatorRow>, sqlx::Error> {
    q_all!(
        tx,
        OperatorRow,
        "SELECT account_id, role, created_at FROM office_operators WHERE office_code = $1 ORDER BY created_at",
        office_code
    )
}

/// The operator's role at the office, if they are bound to it.
pub(super) async fn membership(
    c: &mut impl AsConn,
    account_id: &str,
    office_code: &str,
) -> Result<Option<Membership>, sqlx::Error> {
    q_opt!(
        c,
        Membership,
        "SELECT role FROM office_operators WHERE account_id = $1 AND office_code = $2",
        account_id,
        office_code
    )
}

/// Unbinds an operator from an office; gives the number of rows removed.
pub(super) async fn remove_operator(
    tx: &mut Tx,
    account_id: &str,
    office_code: &str,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "DELETE FROM office_operators WHERE account_id = $1 AND office_code = $2",
        account_id,
        office_code
    )
}

/// Forgets the справки past their time.
pub(super) async fn delete_expired_receipts(tx: &mut Tx, now: i64) -> Result<u64, sqlx::Error> {
    q_exec!(tx, "DELETE FROM desk_receipts WHERE expires_at <= $1", now)
}

pub(super) struct NewReceipt<'a> {
    pub id: &'a str,
    pub operator_id: &'a str,
    pub account_id: &'a str,
    pub pdf_enc: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub(super) async fn insert_receipt(tx: &mut Tx, r: NewReceipt<'_>) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO desk_receipts (id, operator_id, account_id, pdf_enc, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        r.id,
        r.operator_id,
        r.account_id,
        r.pdf_enc,
        r.created_at,
        r.expires_at
    )
}

pub(super) async fn receipt(
    c: &mut impl AsConn,
    id: &str,
) -> Result<Option<ReceiptRow>, sqlx::Error> {
    q_opt!(
        c,
        ReceiptRow,
        "SELECT operator_id, pdf_enc, expires_at FROM desk_receipts WHERE id = $1",
        id
    )
}
