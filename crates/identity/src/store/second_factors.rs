//! `totp_factors` (the authenticator app, its secret encrypted) and `recovery_codes` (single-use,
//! keyed hashes).

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_exec, q_one, q_opt, q_scalar};

/// How many confirmed authenticator apps and passkeys an account has.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct SecondFactors {
    pub totp: i64,
    pub passkeys: i64,
}

/// The second factors an account has set up, read in one statement on the sign-in path.
pub(crate) async fn second_factors(tx: &mut Tx, account_id: &str) -> Result<SecondFactors> {
    Ok(q_one!(
        tx,
        SecondFactors,
        "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NOT NULL) AS totp,
                (SELECT CAST(COUNT(*) AS BIGINT) FROM passkeys WHERE account_id = $1) AS passkeys",
        account_id
    )?)
}

#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct TotpRow {
    pub secret_enc: String,
    pub last_step: i64,
}

/// The account's confirmed authenticator app.
pub(crate) async fn confirmed_totp(tx: &mut Tx, account_id: &str) -> Result<Option<TotpRow>> {
    Ok(q_opt!(
        tx,
        TotpRow,
        "SELECT secret_enc, last_step FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NOT NULL",
        account_id
    )?)
}

/// The authenticator app being added, not yet confirmed.
pub(crate) async fn pending_totp(tx: &mut Tx, account_id: &str) -> Result<Option<TotpRow>> {
    Ok(q_opt!(
        tx,
        TotpRow,
        "SELECT secret_enc, last_step FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NULL",
        account_id
    )?)
}

/// The last time step accepted: a code is never accepted twice.
pub(crate) async fn set_totp_step(tx: &mut Tx, step: i64, account_id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE totp_factors SET last_step = $1 WHERE account_id = $2",
        step,
        account_id
    )?;
    Ok(())
}

pub(crate) async fn drop_pending_totp(tx: &mut Tx, account_id: &str) -> Result<()> {
    q_exec!(
        tx,
        "DELETE FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NULL",
        account_id
    )?;
    Ok(())
}

/// A new secret, not yet confirmed; `false` when the account already has an app.
pub(crate) async fn insert_totp(
    tx: &mut Tx,
    account_id: &str,
    secret_enc: &str,
    now: i64,
) -> Result<bool> {
    Ok(q_exec!(
        tx,
        "INSERT INTO totp_factors (account_id, secret_enc, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING",
        account_id,
        secret_enc,
        now
    )? != 0)
}

pub(crate) async fn confirm_totp(tx: &mut Tx, now: i64, step: i64, account_id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE totp_factors SET confirmed_at = $1, last_step = $2 WHERE account_id = $3",
        now,
        step,
        account_id
    )?;
    Ok(())
}

pub(crate) async fn totp_enabled(c: &mut impl AsConn, account_id: &str) -> Result<bool> {
    Ok(q_scalar!(
        c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NOT NULL",
        account_id
    )? > 0)
}

/// Uses the recovery code with this keyed hash: whether it was there, unused.
pub(crate) async fn use_recovery_code(
    tx: &mut Tx,
    now: i64,
    account_id: &str,
    code_hash: &str,
) -> Result<bool> {
    Ok(q_exec!(
        tx,
        "UPDATE recovery_codes SET used_at = $1 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL",
        now,
        account_id,
        code_hash
    )? != 0)
}

pub(crate) async fn drop_recovery_codes(tx: &mut Tx, account_id: &str) -> Result<()> {
    q_exec!(
        tx,
        "DELETE FROM recovery_codes WHERE account_id = $1",
        account_id
    )?;
    Ok(())
}

pub(crate) async fn insert_recovery_code(
    tx: &mut Tx,
    account_id: &str,
    code_hash: &str,
    now: i64,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)",
        account_id,
        code_hash,
        now
    )?;
    Ok(())
}

pub(crate) async fn recovery_codes_left(c: &mut impl AsConn, account_id: &str) -> Result<i64> {
    Ok(q_scalar!(
        c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
        account_id
    )?)
}
