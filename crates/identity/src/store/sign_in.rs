//! Signing in: `sign_in_challenges` (a sign-in waiting for its second factor), `sign_in_links`
//! (one-time links and QR codes) and `sign_in_throttle` (failures counted per login, and the lock).

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_exec, q_opt, q_scalar};

/// A sign-in waiting for its second factor.
pub(crate) struct NewChallenge<'a> {
    /// The hash of the challenge token the browser holds.
    pub id_hash: &'a str,
    pub account_id: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
    pub remember: bool,
    pub terminal: bool,
    pub device: &'a str,
}

pub(crate) async fn insert_sign_in_challenge(tx: &mut Tx, c: &NewChallenge<'_>) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO sign_in_challenges (id_hash, account_id, created_at, expires_at, remember, terminal, device) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        c.id_hash,
        c.account_id,
        c.created_at,
        c.expires_at,
        c.remember as i64,
        c.terminal as i64,
        c.device
    )?;
    Ok(())
}

/// A sign-in challenge as the second step reads it.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct Challenge {
    pub account_id: String,
    pub expires_at: i64,
    pub attempts: i64,
    pub used_at: Option<i64>,
    pub remember: i64,
    pub terminal: i64,
}

pub(crate) async fn challenge(tx: &mut Tx, id_hash: &str) -> Result<Option<Challenge>> {
    Ok(q_opt!(
        tx,
        Challenge,
        "SELECT account_id, expires_at, attempts, used_at, remember, terminal FROM sign_in_challenges WHERE id_hash = $1",
        id_hash
    )?)
}

/// A sign-in challenge as asking a passkey for it reads it.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct PendingChallenge {
    pub account_id: String,
    pub expires_at: i64,
    pub attempts: i64,
    pub used_at: Option<i64>,
}

pub(crate) async fn pending_challenge(
    tx: &mut Tx,
    id_hash: &str,
) -> Result<Option<PendingChallenge>> {
    Ok(q_opt!(
        tx,
        PendingChallenge,
        "SELECT account_id, expires_at, attempts, used_at FROM sign_in_challenges WHERE id_hash = $1",
        id_hash
    )?)
}

/// One wrong second factor for the challenge.
pub(crate) async fn count_challenge_attempt(tx: &mut Tx, id_hash: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE sign_in_challenges SET attempts = attempts + 1 WHERE id_hash = $1",
        id_hash
    )?;
    Ok(())
}

pub(crate) async fn mark_challenge_used(tx: &mut Tx, now: i64, id_hash: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE sign_in_challenges SET used_at = $1 WHERE id_hash = $2",
        now,
        id_hash
    )?;
    Ok(())
}

/// Keeps the state of a passkey assertion with the challenge, for the next attempt.
pub(crate) async fn keep_passkey_state(tx: &mut Tx, state: &str, id_hash: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE sign_in_challenges SET passkey_state = $1 WHERE id_hash = $2",
        state,
        id_hash
    )?;
    Ok(())
}

/// The passkey state kept with the challenge (the challenge must exist).
/// The passkey state kept with a challenge; `None` without one, or when the challenge is gone (the
/// aggregate answers one row either way).
pub(crate) async fn passkey_state(tx: &mut Tx, id_hash: &str) -> Result<Option<String>> {
    Ok(q_scalar!(
        tx,
        Option<String>,
        "SELECT MAX(passkey_state) FROM sign_in_challenges WHERE id_hash = $1",
        id_hash
    )?)
}

pub(crate) async fn forget_passkey_state(tx: &mut Tx, id_hash: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE sign_in_challenges SET passkey_state = NULL WHERE id_hash = $1",
        id_hash
    )?;
    Ok(())
}

/// A one-time sign-in link (or the QR code the desk prints).
pub(crate) async fn insert_sign_in_link(
    tx: &mut Tx,
    id_hash: &str,
    account_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO sign_in_links (id_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        id_hash,
        account_id,
        now,
        expires_at
    )?;
    Ok(())
}

#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct SignInLink {
    pub account_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub(crate) async fn sign_in_link(tx: &mut Tx, id_hash: &str) -> Result<Option<SignInLink>> {
    Ok(q_opt!(
        tx,
        SignInLink,
        "SELECT account_id, expires_at, used_at FROM sign_in_links WHERE id_hash = $1",
        id_hash
    )?)
}

/// Uses the link once: whether this very call did (a concurrent one may have).
pub(crate) async fn use_sign_in_link(tx: &mut Tx, now: i64, id_hash: &str) -> Result<bool> {
    Ok(q_exec!(
        tx,
        "UPDATE sign_in_links SET used_at = $1 WHERE id_hash = $2 AND used_at IS NULL",
        now,
        id_hash
    )? == 1)
}

#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct Throttle {
    pub failures: i64,
    pub lockouts: i64,
    pub locked_until: Option<i64>,
}

/// Counts a failure for `subject` unless it is locked at `now`: the row as counted, or `None`
/// when locked (nothing changed). One conditional upsert, which leaves the row locked to the
/// transaction.
pub(crate) async fn count_throttle_failure(
    tx: &mut Tx,
    subject: &str,
    now: i64,
) -> Result<Option<Throttle>> {
    Ok(q_opt!(
        tx,
        Throttle,
        "INSERT INTO sign_in_throttle (subject, failures, lockouts, locked_until) VALUES ($1, 1, 0, NULL)
         ON CONFLICT (subject) DO UPDATE SET failures = sign_in_throttle.failures + 1
         WHERE sign_in_throttle.locked_until IS NULL OR sign_in_throttle.locked_until <= $2
         RETURNING failures, lockouts, locked_until",
        subject,
        now
    )?)
}

/// Locks `subject` until `until`, starting the count again.
pub(crate) async fn lock_throttle(tx: &mut Tx, until: i64, subject: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE sign_in_throttle SET failures = 0, lockouts = lockouts + 1, locked_until = $1 WHERE subject = $2",
        until,
        subject
    )?;
    Ok(())
}

/// `subject`'s throttle row when it is locked at `now`.
pub(crate) async fn locked_throttle(
    c: &mut impl AsConn,
    subject: &str,
    now: i64,
) -> Result<Option<Throttle>> {
    Ok(q_opt!(
        c,
        Throttle,
        "SELECT failures, lockouts, locked_until FROM sign_in_throttle WHERE subject = $1 AND locked_until > $2",
        subject,
        now
    )?)
}

/// Forgets `subject`'s failures unless it is locked at `now`.
pub(crate) async fn clear_unlocked_throttle(tx: &mut Tx, subject: &str, now: i64) -> Result<()> {
    q_exec!(
        tx,
        "DELETE FROM sign_in_throttle WHERE subject = $1 AND (locked_until IS NULL OR locked_until <= $2)",
        subject,
        now
    )?;
    Ok(())
}

/// Forgets `subject`'s failures and lifts its lock (access was restored).
pub(crate) async fn lift_throttle(tx: &mut Tx, subject: &str) -> Result<()> {
    q_exec!(
        tx,
        "DELETE FROM sign_in_throttle WHERE subject = $1",
        subject
    )?;
    Ok(())
}
