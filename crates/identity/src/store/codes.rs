//! `one_time_codes`: the codes sent by SMS or e-mail, kept as keyed hashes.

use okno_kernel::db::Tx;
use okno_kernel::error::Result;
use okno_kernel::{q_exec, q_opt, q_scalar};

/// When the account was last sent a code for `purpose`.
pub(crate) async fn last_code_at(
    tx: &mut Tx,
    account_id: &str,
    purpose: &str,
) -> Result<Option<i64>> {
    Ok(q_scalar!(
        tx,
        Option<i64>,
        "SELECT MAX(created_at) FROM one_time_codes WHERE account_id = $1 AND purpose = $2",
        account_id,
        purpose
    )?)
}

/// How many codes for `purpose` the account was sent after `since`.
pub(crate) async fn codes_since(
    tx: &mut Tx,
    account_id: &str,
    purpose: &str,
    since: i64,
) -> Result<i64> {
    Ok(q_scalar!(
        tx,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM one_time_codes WHERE account_id = $1 AND purpose = $2 AND created_at > $3",
        account_id,
        purpose,
        since
    )?)
}

/// Earlier unused codes of `purpose` stop working.
pub(crate) async fn supersede_codes(
    tx: &mut Tx,
    now: i64,
    account_id: &str,
    purpose: &str,
) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE one_time_codes SET superseded_at = $1 WHERE account_id = $2 AND purpose = $3 AND used_at IS NULL AND superseded_at IS NULL",
        now,
        account_id,
        purpose
    )?;
    Ok(())
}

/// A code issued: only its keyed hash is kept.
pub(crate) struct NewCode<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub purpose: &'a str,
    pub target: &'a str,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub(crate) async fn insert_code(tx: &mut Tx, n: &NewCode<'_>) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO one_time_codes (id, account_id, purpose, target, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        n.id,
        n.account_id,
        n.purpose,
        n.target,
        &n.code_hash,
        n.created_at,
        n.expires_at
    )?;
    Ok(())
}

#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct CodeRow {
    pub id: String,
    pub code_hash: String,
    pub expires_at: i64,
    pub attempts: i64,
}

/// The newest code of `purpose` neither used nor superseded.
pub(crate) async fn live_code(
    tx: &mut Tx,
    account_id: &str,
    purpose: &str,
) -> Result<Option<CodeRow>> {
    Ok(q_opt!(
        tx,
        CodeRow,
        "SELECT id, code_hash, expires_at, attempts FROM one_time_codes
          WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL AND superseded_at IS NULL
          ORDER BY created_at DESC LIMIT 1",
        account_id,
        purpose
    )?)
}

pub(crate) async fn mark_code_used(tx: &mut Tx, now: i64, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE one_time_codes SET used_at = $1 WHERE id = $2",
        now,
        id
    )?;
    Ok(())
}

/// One wrong try at the code.
pub(crate) async fn count_code_attempt(tx: &mut Tx, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = $1",
        id
    )?;
    Ok(())
}
