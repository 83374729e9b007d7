//! `recovery_tickets`: the first step of access recovery online, the same whether the login exists
//! or not.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_exec, q_opt};

/// A ticket; `account_id` is `None` for a login no account has.
pub(crate) async fn insert_recovery_ticket(
    tx: &mut Tx,
    id_hash: &str,
    account_id: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO recovery_tickets (id_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        id_hash,
        account_id,
        now,
        expires_at
    )?;
    Ok(())
}

#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct TicketRow {
    pub account_id: Option<String>,
    pub expires_at: i64,
    pub attempts: i64,
    pub used_at: Option<i64>,
}

pub(crate) async fn recovery_ticket(
    c: &mut impl AsConn,
    id_hash: &str,
) -> Result<Option<TicketRow>> {
    Ok(q_opt!(
        c,
        TicketRow,
        "SELECT account_id, expires_at, attempts, used_at FROM recovery_tickets WHERE id_hash = $1",
        id_hash
    )?)
}

/// One wrong try with the ticket.
pub(crate) async fn count_ticket_attempt(tx: &mut Tx, id_hash: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE recovery_tickets SET attempts = attempts + 1 WHERE id_hash = $1",
        id_hash
    )?;
    Ok(())
}

pub(crate) async fn use_recovery_ticket(tx: &mut Tx, now: i64, id_hash: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE recovery_tickets SET used_at = $1 WHERE id_hash = $2",
        now,
        id_hash
    )?;
    Ok(())
}
