//! The account as its owner sees it.

use okno_kernel::actor::{Actor, Role};
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};
use serde::Serialize;

use crate::model::{own_account, Level, SecondFactor};
use crate::store;

/// The account as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub full_name: String,
    pub level: Level,
    pub level_title: &'static str,
    pub level_allows: &'static str,
    pub next_step: Option<&'static str>,
    pub phone: Option<String>,
    pub phone_confirmed: bool,
    pub email: Option<String>,
    pub email_confirmed: bool,
    pub second_factor: SecondFactor,
    pub totp_enabled: bool,
    pub recovery_codes_left: i64,
    pub must_change_password: bool,
    /// The person knows the current password (false after a sign-in by a desk's QR code, when
    /// the new one is set without it).
    pub password_known: bool,
    pub roles: Vec<Role>,
}

pub async fn account(db: &Db, actor: &Actor) -> Result<AccountView> {
    let id = own_account(actor)?;
    let mut c = db.read().await?;
    let a = store::account(&mut c, id)
        .await?
        .ok_or_else(|| Problem::not_found("Учётная запись не найдена."))?;
    let totp_enabled = store::totp_enabled(&mut c, id).await?;
    let recovery_codes_left = store::recovery_codes_left(&mut c, id).await?;
    let level = a.level();
    Ok(AccountView {
        id: a.id.clone(),
        full_name: a.display_name.clone(),
        level,
        level_title: level.title(),
        level_allows: level.allows(),
        next_step: level.next_step(),
        phone: a.phone.clone(),
        phone_confirmed: a.phone_confirmed_at.is_some(),
        email: a.email.clone(),
        email_confirmed: a.email_confirmed_at.is_some(),
        second_factor: SecondFactor::parse(&a.second_factor).unwrap_or(SecondFactor::Off),
        totp_enabled,
        recovery_codes_left,
        must_change_password: a.must_change_password != 0,
        password_known: a.must_change_password != crate::store::NO_PASSWORD_KNOWN,
        roles: a.roles(),
    })
}
