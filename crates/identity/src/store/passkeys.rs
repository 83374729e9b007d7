//! `passkeys` (each a `webauthn-rs` passkey as JSON) and `passkey_ceremonies` (a registration's
//! state, kept on the server so any node can finish it).

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};

#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct PasskeyRow {
    pub id: String,
    pub name: String,
    pub passkey: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The account's passkeys, oldest first.
pub(crate) async fn passkeys_of(c: &mut impl AsConn, account_id: &str) -> Result<Vec<PasskeyRow>> {
    Ok(q_all!(
        c,
        PasskeyRow,
        "SELECT id, name, passkey, created_at, last_used_at FROM passkeys WHERE account_id = $1 ORDER BY created_at",
        account_id
    )?)
}

pub(crate) async fn passkey(tx: &mut Tx, id: &str, account_id: &str) -> Result<Option<PasskeyRow>> {
    Ok(q_opt!(
        tx,
        PasskeyRow,
        "SELECT id, name, passkey, created_at, last_used_at FROM passkeys WHERE id = $1 AND account_id = $2",
        id,
        account_id
    )?)
}

pub(crate) async fn passkey_by_credential(
    tx: &mut Tx,
    account_id: &str,
    credential_id: &str,
) -> Result<Option<PasskeyRow>> {
    Ok(q_opt!(
        tx,
        PasskeyRow,
        "SELECT id, name, passkey, created_at, last_used_at FROM passkeys WHERE account_id = $1 AND credential_id = $2",
        account_id,
        credential_id
    )?)
}

/// Does the account of the sign-in challenge (its hash) hold a passkey?
pub(crate) async fn challenge_has_passkey(
    c: &mut impl AsConn,
    challenge_hash: &str,
) -> Result<bool> {
    Ok(q_scalar!(
        c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM passkeys k JOIN sign_in_challenges c ON c.account_id = k.account_id WHERE c.id_hash = $1",
        challenge_hash
    )? > 0)
}

pub(crate) struct NewPasskey<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub credential_id: String,
    pub name: &'a str,
    pub passkey: String,
    pub created_at: i64,
}

/// `false` when a passkey with this credential is already registered.
pub(crate) async fn insert_passkey(tx: &mut Tx, n: &NewPasskey<'_>) -> Result<bool> {
    Ok(q_exec!(
        tx,
        "INSERT INTO passkeys (id, account_id, credential_id, name, passkey, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING",
        n.id,
        n.account_id,
        &n.credential_id,
        n.name,
        &n.passkey,
        n.created_at
    )? != 0)
}

pub(crate) async fn delete_passkey(tx: &mut Tx, id: &str, account_id: &str) -> Result<()> {
    q_exec!(
        tx,
        "DELETE FROM passkeys WHERE id = $1 AND account_id = $2",
        id,
        account_id
    )?;
    Ok(())
}

/// The passkey after a sign-in (its counter moved on).
pub(crate) async fn passkey_used(tx: &mut Tx, passkey: &str, now: i64, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3",
        passkey,
        now,
        id
    )?;
    Ok(())
}

pub(crate) async fn drop_expired_ceremonies(tx: &mut Tx, account_id: &str, now: i64) -> Result<()> {
    q_exec!(
        tx,
        "DELETE FROM passkey_ceremonies WHERE account_id = $1 AND expires_at <= $2",
        account_id,
        now
    )?;
    Ok(())
}

pub(crate) async fn insert_ceremony(
    tx: &mut Tx,
    id_hash: &str,
    account_id: &str,
    state: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO passkey_ceremonies (id_hash, account_id, state, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        id_hash,
        account_id,
        state,
        now,
        expires_at
    )?;
    Ok(())
}

#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct Ceremony {
    pub account_id: String,
    pub state: String,
    pub expires_at: i64,
}

pub(crate) async fn ceremony(tx: &mut Tx, id_hash: &str) -> Result<Option<Ceremony>> {
    Ok(q_opt!(
        tx,
        Ceremony,
        "SELECT account_id, state, expires_at FROM passkey_ceremonies WHERE id_hash = $1",
        id_hash
    )?)
}

pub(crate) async fn drop_ceremony(tx: &mut Tx, id_hash: &str) -> Result<()> {
    q_exec!(
        tx,
        "DELETE FROM passkey_ceremonies WHERE id_hash = $1",
        id_hash
    )?;
    Ok(())
}
