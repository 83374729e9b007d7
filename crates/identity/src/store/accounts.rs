//! `accounts` (who a person or staff member is, their contacts, password and level) and
//! `password_history`. The profile's columns (documents, registry check) are in `profiles.rs`.

use okno_kernel::actor::{Actor, ActorKind, Role};
use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::{Problem, Result};
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};

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

/// The account `id`, or `None`; read in the caller's connection or transaction.
pub(crate) async fn account(c: &mut impl AsConn, id: &str) -> Result<Option<AccountRow>> {
    Ok(q_opt!(
        c,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
        id
    )?)
}

/// The account holding this СНИЛС (its blind index), if any.
pub(crate) async fn account_by_snils(
    c: &mut impl AsConn,
    snils_idx: &str,
) -> Result<Option<AccountRow>> {
    Ok(q_opt!(
        c,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE snils_idx = $1"),
        snils_idx
    )?)
}

/// An account that already holds this phone or e-mail, if any.
pub(crate) async fn account_by_contact(
    c: &mut impl AsConn,
    phone: &str,
    email: &str,
) -> Result<Option<AccountRow>> {
    Ok(q_opt!(
        c,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE phone = $1 OR email = $2"),
        phone,
        email
    )?)
}

/// The account whose confirmed e-mail or confirmed phone this is, if any.
pub(crate) async fn account_by_confirmed_contact(
    c: &mut impl AsConn,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<Option<AccountRow>> {
    Ok(q_opt!(
        c,
        AccountRow,
        &format!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE (email = $1 AND email_confirmed_at IS NOT NULL) \
             OR (phone = $2 AND phone_confirmed_at IS NOT NULL) LIMIT 1"
        ),
        email,
        phone
    )?)
}

/// A person registered online: contacts not yet confirmed, level «registered».
pub(crate) struct RegisteredPerson<'a> {
    pub id: &'a str,
    pub full_name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub now: i64,
    pub consent_version: &'a str,
}

pub(crate) async fn insert_registered_person(tx: &mut Tx, n: &RegisteredPerson<'_>) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO accounts (id, kind, status, level, display_name, phone, email, password_hash, password_changed_at, roles, created_at, consent_version, consent_at)
         VALUES ($1, 'person', 'active', 'registered', $2, $3, $4, $5, $6, 'citizen', $6, $7, $6)",
        n.id,
        n.full_name,
        n.phone,
        n.email,
        n.password_hash,
        n.now,
        n.consent_version
    )?;
    Ok(())
}

/// Does an account already hold this phone or e-mail?
pub(crate) async fn contact_taken(tx: &mut Tx, phone: &str, email: &str) -> Result<bool> {
    Ok(q_scalar!(
        tx,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE phone = $1 OR email = $2",
        phone,
        email
    )? > 0)
}

/// A staff account: its contacts vouched for by the administrator, a temporary password, the
/// second factor always, and its roles (`a,b,…`).
pub(crate) struct NewStaffAccount<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub now: i64,
    pub password_hash: &'a str,
    pub password_expires_at: i64,
    pub roles: &'a str,
}

pub(crate) async fn insert_staff(tx: &mut Tx, n: &NewStaffAccount<'_>) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO accounts (id, kind, status, level, display_name, phone, email, phone_confirmed_at, email_confirmed_at,
            password_hash, password_changed_at, must_change_password, password_expires_at, second_factor, roles, created_at)
         VALUES ($1, 'staff', 'active', 'confirmed', $2, $3, $4, $5, $5, $6, $5, 1, $7, 'always', $8, $5)",
        n.id,
        n.name,
        n.phone,
        n.email,
        n.now,
        n.password_hash,
        n.password_expires_at,
        n.roles
    )?;
    Ok(())
}

/// A person for a test or training installation (`okno admin person create`): at `level`, with
/// no password (the hash `!`) and no contacts; `false` when the id is taken.
pub(crate) async fn insert_seeded_person(
    tx: &mut Tx,
    id: &str,
    level: &str,
    full_name: &str,
    now: i64,
) -> Result<bool> {
    Ok(q_exec!(
        tx,
        "INSERT INTO accounts (id, kind, status, level, display_name, password_hash, password_changed_at, roles, created_at)
         VALUES ($1, 'person', 'active', $2, $3, '!', $4, 'citizen', $4) ON CONFLICT (id) DO NOTHING",
        id,
        level,
        full_name,
        now
    )? != 0)
}

/// The id of the staff account with this e-mail that is not blocked.
pub(crate) async fn staff_by_email(c: &mut impl AsConn, email: &str) -> Result<Option<String>> {
    Ok(q_opt!(
        c,
        (String,),
        "SELECT id FROM accounts WHERE email = $1 AND kind = 'staff' AND status <> 'blocked'",
        email
    )?
    .map(|r| r.0))
}

pub(crate) async fn mark_phone_confirmed(tx: &mut Tx, now: i64, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET phone_confirmed_at = $1 WHERE id = $2",
        now,
        id
    )?;
    Ok(())
}

pub(crate) async fn mark_email_confirmed(tx: &mut Tx, now: i64, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET email_confirmed_at = $1 WHERE id = $2",
        now,
        id
    )?;
    Ok(())
}

pub(crate) async fn set_level(tx: &mut Tx, level: &str, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET level = $1 WHERE id = $2",
        level,
        id
    )?;
    Ok(())
}

/// The hashes of the account's last five passwords, newest first.
pub(crate) async fn recent_password_hashes(
    c: &mut impl AsConn,
    account_id: &str,
) -> Result<Vec<String>> {
    Ok(q_all!(
        c,
        (String,),
        "SELECT password_hash FROM password_history WHERE account_id = $1 ORDER BY created_at DESC LIMIT 5",
        account_id
    )?
    .into_iter()
    .map(|r| r.0)
    .collect())
}

/// A password the person chose: no longer temporary, no expiry.
pub(crate) async fn set_password(tx: &mut Tx, hash: &str, now: i64, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET password_hash = $1, password_changed_at = $2, must_change_password = 0, password_expires_at = NULL WHERE id = $3",
        hash,
        now,
        id
    )?;
    Ok(())
}

/// `must_change_password` of an account whose temporary password the person was given.
pub(crate) const TEMPORARY_PASSWORD_GIVEN: i64 = 1;
/// `must_change_password` of an account whose password nobody knows: the person signs in with a
/// desk's one-time QR code and sets a password without being asked for the current one.
pub(crate) const NO_PASSWORD_KNOWN: i64 = 2;

/// A temporary password set at a desk: to be changed at the first sign-in, accepted until
/// `expires_at`; `given` when the person was handed it (else nobody knows it).
pub(crate) async fn set_temporary_password(
    tx: &mut Tx,
    hash: &str,
    now: i64,
    expires_at: i64,
    id: &str,
    given: bool,
) -> Result<()> {
    let must_change = if given {
        TEMPORARY_PASSWORD_GIVEN
    } else {
        NO_PASSWORD_KNOWN
    };
    q_exec!(
        tx,
        "UPDATE accounts SET password_hash = $1, password_changed_at = $2, must_change_password = $3, password_expires_at = $4 WHERE id = $5",
        hash,
        now,
        must_change,
        expires_at,
        id
    )?;
    Ok(())
}

/// A second factor was added: an account whose second factor was off now gets it at every sign-in.
pub(crate) async fn second_factor_on(tx: &mut Tx, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET second_factor = 'always' WHERE id = $1 AND second_factor = 'off'",
        id
    )?;
    Ok(())
}

/// When the second factor is asked for (`off`, `new_device`, `always`).
pub(crate) async fn set_second_factor(tx: &mut Tx, mode: &str, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET second_factor = $1 WHERE id = $2",
        mode,
        id
    )?;
    Ok(())
}
