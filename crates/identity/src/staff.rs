//! Staff accounts: operators, officials, moderators, merchant administrators, administrators and
//! auditors. Created by an administrator (or the server's CLI) with a temporary password valid 24
//! hours; the first sign-in needs the second factor and forces a new password, and until then the
//! account holds none of its roles.

use okno_kernel::actor::{Actor, ActorKind, Permission, Role};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, FieldError, Problem, Result};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::model::field;
use crate::model::normalise_email;
use crate::settings::Identity;
use crate::store::{self, NewStaffAccount};

/// How long a temporary password is accepted.
pub const TEMPORARY_PASSWORD_MS: i64 = 24 * 3_600_000;

/// A new staff member.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub full_name: String,
    /// Mobile phone: the second factor (SMS) until an authenticator app is added.
    pub phone: String,
    pub email: String,
    pub roles: Vec<Role>,
}

/// The created account and its temporary password, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub account_id: String,
    pub temporary_password: String,
    /// Milliseconds since the epoch, UTC.
    pub expires_at: i64,
}

/// A random password that passes the policy: letters of both cases, digits and a special
/// character, in groups easy to read out and type.
pub fn temporary_password(identity: &Identity) -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    let mut rng = rand::rngs::OsRng;
    loop {
        let mut pick = |set: &[u8], n: usize| -> String {
            (0..n)
                .map(|_| set[rng.gen_range(0..set.len())] as char)
                .collect()
        };
        let p = format!(
            "{}{}-{}{}-{}!",
            pick(UPPER, 2),
            pick(LOWER, 3),
            pick(LOWER, 2),
            pick(UPPER, 3),
            pick(DIGIT, 4)
        );
        if crate::password::check(&identity.policy, &p, &[]).is_empty() {
            return p;
        }
    }
}

/// Creates a staff account. Least privilege: nobody but the platform itself (the server's CLI)
/// grants a role they do not hold.
pub async fn create(db: &Db, identity: &Identity, actor: &Actor, s: NewStaff) -> Result<Created> {
    actor.require(Permission::StaffManage)?;
    let (name, phone, email) = checked_staff(actor, &s)?;
    let password = temporary_password(identity);
    let hash = identity
        .hasher
        .hash(&password)
        .await
        .map_err(Error::internal)?;
    let now = now_ms();
    let id = new_id();
    let roles = s
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut tx = db.begin().await?;
    if store::contact_taken(&mut tx, phone.as_str(), &email).await? {
        return Err(Problem::conflict(
            "staff.contact_taken",
            "Этот телефон или почта уже принадлежат учётной записи.",
        )
        .into());
    }
    // The administrator vouches for the person and their contacts.
    store::insert_staff(
        &mut tx,
        &NewStaffAccount {
            id: &id,
            name: &name,
            phone: phone.as_str(),
            email: &email,
            now,
            password_hash: &hash,
            password_expires_at: now + TEMPORARY_PASSWORD_MS,
            roles: &roles,
        },
    )
    .await?;
    store::remember_password(&mut tx, &id, &hash, now).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.staff.created",
            subject_type: "account",
            subject_id: &id,
            details: serde_json::json!({ "roles": roles, "name": name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Created {
        account_id: id,
        temporary_password: password,
        expires_at: now + TEMPORARY_PASSWORD_MS,
    })
}

/// The form checked field by field, every problem at once; refused outright when it grants a
/// role the actor does not hold (only the platform itself may). The name, phone and e-mail.
fn checked_staff(actor: &Actor, s: &NewStaff) -> Result<(String, okno_rules::Phone, String)> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = s.full_name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() < 2 || !name.chars().any(char::is_alphabetic) {
        errors.push(field(
            "full_name",
            "account.full_name_invalid",
            "Укажите фамилию, имя и отчество.",
        ));
    }
    let phone = okno_rules::Phone::parse(&s.phone)
        .map_err(|e| errors.push(field("phone", e.code(), e.to_string())))
        .ok();
    let email = normalise_email(&s.email);
    if email.is_none() {
        errors.push(field(
            "email",
            "account.email_invalid",
            "Укажите адрес электронной почты вида name@example.ru.",
        ));
    }
    if s.roles.is_empty() || s.roles.contains(&Role::Citizen) {
        errors.push(field(
            "roles",
            "staff.roles",
            "Укажите хотя бы одну роль сотрудника.",
        ));
    }
    if s.roles.contains(&Role::Bank) {
        errors.push(field(
            "roles",
            "staff.role_for_tokens",
            "Роль «Банк-партнёр» выдаётся только токену интеграции банка, не сотруднику.",
        ));
    }
    if actor.kind != ActorKind::System {
        if let Some(r) = s.roles.iter().find(|r| !actor.roles.contains(r)) {
            return Err(
                Problem::new(403, "staff.role_not_held", "Недостаточно прав")
                    .with_detail(format!(
                        "Нельзя выдать роль «{}», которой у вас нет.",
                        r.title()
                    ))
                    .into(),
            );
        }
    }
    let (Some(phone), Some(email)) = (phone, email) else {
        return Err(Problem::invalid_fields(errors).into());
    };
    if !errors.is_empty() {
        return Err(Problem::invalid_fields(errors).into());
    }
    Ok((name, phone, email))
}

/// A staff account found by its e-mail, as an actor (no roles until its temporary password is
/// replaced); none for an unknown e-mail, a person's account or a blocked one. For the pages that
/// bind staff to an office or an agency, where the administrator knows the e-mail, not the id.
pub async fn by_email(db: &Db, email: &str) -> Result<Option<Actor>> {
    let Some(email) = normalise_email(email) else {
        return Ok(None);
    };
    let id = {
        let mut c = db.read().await?;
        store::staff_by_email(&mut c, &email).await?
    };
    match id {
        Some(id) => crate::sessions::session_actor(db, &id).await,
        None => Ok(None),
    }
}
