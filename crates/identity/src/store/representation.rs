//! `powers_of_attorney`: a person's power for another to act for them on some topics until a date.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_all, q_exec, q_opt};

/// A power of attorney with both names.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct PowerRow {
    pub id: String,
    pub principal_id: String,
    pub principal_name: String,
    pub representative_id: String,
    pub representative_name: String,
    /// Topics, `a,b,…`.
    pub scope: String,
    pub valid_until: String,
    pub revoked_at: Option<i64>,
}

const POWER_SELECT: &str = "SELECT p.id, p.principal_id, a.display_name AS principal_name, p.representative_id,
    r.display_name AS representative_name, p.scope, p.valid_until, p.revoked_at
    FROM powers_of_attorney p JOIN accounts a ON a.id = p.principal_id JOIN accounts r ON r.id = p.representative_id";

/// The powers the person granted, newest first.
pub(crate) async fn powers_granted_by(c: &mut impl AsConn, id: &str) -> Result<Vec<PowerRow>> {
    Ok(q_all!(
        c,
        PowerRow,
        &format!("{POWER_SELECT} WHERE p.principal_id = $1 ORDER BY p.created_at DESC"),
        id
    )?)
}

/// The powers the person received, newest first.
pub(crate) async fn powers_received_by(c: &mut impl AsConn, id: &str) -> Result<Vec<PowerRow>> {
    Ok(q_all!(
        c,
        PowerRow,
        &format!("{POWER_SELECT} WHERE p.representative_id = $1 ORDER BY p.created_at DESC"),
        id
    )?)
}

pub(crate) async fn power(tx: &mut Tx, id: &str) -> Result<Option<PowerRow>> {
    Ok(q_opt!(
        tx,
        PowerRow,
        &format!("{POWER_SELECT} WHERE p.id = $1"),
        id
    )?)
}

/// The powers from `principal_id` to `representative_id` neither revoked nor ended before `today`
/// (`YYYY-MM-DD`).
pub(crate) async fn live_powers(
    c: &mut impl AsConn,
    principal_id: &str,
    representative_id: &str,
    today: &str,
) -> Result<Vec<PowerRow>> {
    Ok(q_all!(
        c,
        PowerRow,
        &format!("{POWER_SELECT} WHERE p.principal_id = $1 AND p.representative_id = $2 AND p.revoked_at IS NULL AND p.valid_until >= $3"),
        principal_id,
        representative_id,
        today
    )?)
}

pub(crate) struct NewPower<'a> {
    pub id: &'a str,
    pub principal_id: &'a str,
    pub representative_id: &'a str,
    pub scope: &'a str,
    pub valid_until: &'a str,
    pub created_at: i64,
}

pub(crate) async fn insert_power(tx: &mut Tx, n: &NewPower<'_>) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO powers_of_attorney (id, principal_id, representative_id, scope, valid_until, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        n.id,
        n.principal_id,
        n.representative_id,
        n.scope,
        n.valid_until,
        n.created_at
    )?;
    Ok(())
}

pub(crate) async fn revoke_power(tx: &mut Tx, now: i64, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE powers_of_attorney SET revoked_at = $1 WHERE id = $2",
        now,
        id
    )?;
    Ok(())
}
