//! SQL of the identity part that other parts may ask through its functions (never its tables):
//! what they need to know of an account or an organisation, read in the caller's connection or
//! transaction so that the answer agrees with what the caller writes.

use okno_kernel::actor::{Actor, ActorKind, Role};
use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::{Problem, Result};
use okno_kernel::q_opt;

use crate::model::Level;

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
