//! The identity part's SQL: what other parts may ask through its functions (`pub`, never its
//! tables; read in the caller's connection or transaction so that the answer agrees with what the
//! caller writes), and the statements of its own use cases (`pub(crate)`). Use cases still moving
//! their SQL here are listed in docs/architecture.md, "Known debt".

use okno_kernel::actor::{Actor, ActorKind, Role};
use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::{Problem, Result};
use okno_kernel::{q_all, q_exec, q_one, q_opt, q_scalar};

use crate::model::Level;
use crate::registry::PersonData;

/// The level of an account (`registered`, `simplified`, `standard`, `confirmed`), or `None`
/// when there is no such account.
pub async fn account_level(c: &mut impl AsConn, id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(c, (String,), "SELECT level FROM accounts WHERE id = $1", id)?.map(|r| r.0))
}

/// The name of a person's account that is not blocked.
pub async fn person_name(c: &mut impl AsConn, id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(
        c,
        (String,),
        "SELECT display_name FROM accounts WHERE id = $1 AND kind = 'person' AND status <> 'blocked'",
        id
    )?
    .map(|r| r.0))
}

/// The kind of an organisation (`legal_entity`, `sole_proprietor`).
pub async fn organisation_kind(
    c: &mut impl AsConn,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(
        c,
        (String,),
        "SELECT kind FROM organisations WHERE id = $1",
        id
    )?
    .map(|r| r.0))
}

pub(crate) const ACCOUNT_COLS: &str = "id, kind, status, level, display_name, phone, email, phone_confirmed_at, \
    email_confirmed_at, password_hash, must_change_password, password_expires_at, second_factor, roles, created_at";

#[derive(Debug, Clone, serde::Deserialize, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub level: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub phone_confirmed_at: Option<i64>,
    pub email_confirmed_at: Option<i64>,
    pub password_hash: String,
    pub must_change_password: i64,
    pub password_expires_at: Option<i64>,
    pub second_factor: String,
    pub roles: String,
    pub created_at: i64,
}

impl AccountRow {
    pub(crate) fn level(&self) -> Level {
        Level::parse(&self.level).unwrap_or(Level::Registered)
    }

    pub(crate) fn roles(&self) -> Vec<Role> {
        self.roles.split(',').filter_map(Role::parse).collect()
    }

    /// The account as an actor. Until a temporary password is replaced, it holds none of its
    /// roles: changing the password is all it can do.
    pub(crate) fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::Account,
            id: Some(self.id.clone()),
            name: self.display_name.clone(),
            roles: if self.must_change_password != 0 {
                Vec::new()
            } else {
                self.roles()
            },
            on_behalf_of: None,
            device: None,
        }
    }

    pub(crate) fn is_staff(&self) -> bool {
        self.kind == "staff"
    }
}

/// The account `id`, read in the caller's transaction; 404 when there is none.
pub(crate) async fn load(tx: &mut Tx, id: &str) -> Result<AccountRow> {
    q_opt!(
        tx,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
        id
    )?
    .ok_or_else(|| Problem::not_found("Учётная запись не найдена.").into())
}

/// Accounts a login may name: by e-mail, by phone, or by the blind index of a СНИЛС or ИНН.
pub(crate) async fn accounts_by_login(
    c: &mut impl AsConn,
    email: Option<&str>,
    phone: Option<&str>,
    snils_idx: Option<&str>,
    inn_idx: Option<&str>,
) -> Result<Vec<AccountRow>> {
    Ok(q_all!(
        c,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE email = $1 OR phone = $2 OR snils_idx = $3 OR inn_idx = $4"),
        email,
        phone,
        snils_idx,
        inn_idx
    )?)
}

/// A fresh hash of the same password (the hashing parameters were raised).
pub(crate) async fn set_password_hash(tx: &mut Tx, id: &str, hash: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET password_hash = $1 WHERE id = $2",
        hash,
        id
    )?;
    Ok(())
}

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

/// Has the account signed in from this device (its blind index) before?
pub(crate) async fn device_known(tx: &mut Tx, account_id: &str, device_hash: &str) -> Result<bool> {
    Ok(q_scalar!(
        tx,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM known_devices WHERE account_id = $1 AND device_hash = $2",
        account_id,
        device_hash
    )? > 0)
}

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

/// Keeps a password's hash in the account's history (a new password may not repeat recent ones).
pub(crate) async fn remember_password(
    tx: &mut Tx,
    account_id: &str,
    hash: &str,
    now: i64,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO password_history (account_id, password_hash, created_at) VALUES ($1, $2, $3)",
        account_id,
        hash,
        now
    )?;
    Ok(())
}

/// Does an account already hold this СНИЛС, passport (their blind indexes) or phone?
pub(crate) async fn identity_taken(
    tx: &mut Tx,
    snils_idx: &str,
    passport_idx: &str,
    phone: &str,
) -> Result<bool> {
    Ok(q_scalar!(
        tx,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE snils_idx = $1 OR passport_idx = $2 OR phone = $3",
        snils_idx,
        passport_idx,
        phone
    )? > 0)
}

/// A person registered at a desk: seen with their passport, so confirmed at once, with a temporary
/// password that must be changed at the first sign-in.
pub(crate) struct PersonSeenAtDesk<'a> {
    pub id: &'a str,
    pub full_name: &'a str,
    pub phone: &'a str,
    pub password_hash: &'a str,
    pub now: i64,
    pub password_expires_at: i64,
    pub consent_version: &'a str,
    pub person: &'a PersonData,
    pub passport_enc: String,
    pub passport_idx: &'a str,
    pub snils_enc: String,
    pub snils_idx: &'a str,
    pub inn_enc: Option<String>,
    pub inn_idx: Option<&'a str>,
}

pub(crate) async fn insert_person_seen_at_desk(
    tx: &mut Tx,
    n: &PersonSeenAtDesk<'_>,
) -> Result<()> {
    let p = n.person;
    q_exec!(
        tx,
        "INSERT INTO accounts (id, kind, status, level, display_name, phone, password_hash, password_changed_at,
            must_change_password, password_expires_at, roles, created_at, consent_version, consent_at,
            last_name, first_name, middle_name, birth_date, sex, passport_enc, passport_idx, snils_enc, snils_idx,
            inn_enc, inn_idx, registry_check, registry_checked_at)
         VALUES ($1, 'person', 'active', 'confirmed', $2, $3, $4, $5, 1, $6, 'citizen', $5, $7, $5,
            $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'match', $5)",
        n.id,
        n.full_name,
        n.phone,
        n.password_hash,
        n.now,
        n.password_expires_at,
        n.consent_version,
        &p.last_name,
        &p.first_name,
        Some(p.middle_name.as_str()).filter(|s| !s.is_empty()),
        &p.birth_date,
        &p.sex,
        &n.passport_enc,
        n.passport_idx,
        &n.snils_enc,
        n.snils_idx,
        n.inn_enc.as_deref(),
        n.inn_idx
    )?;
    Ok(())
}
