//! Confirming the phone and the e-mail with their codes (and sending a code again).

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};
use okno_kernel::pii::Secrets;

use crate::codes::{self, Checked, Purpose};
use crate::model::{own_account, Level};
use crate::settings::Identity;
use crate::store::{self, load};

/// Which contact a code confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    Phone,
    Email,
}

impl Contact {
    fn purpose(self) -> Purpose {
        match self {
            Contact::Phone => Purpose::ConfirmPhone,
            Contact::Email => Purpose::ConfirmEmail,
        }
    }
}

/// Sends a new confirmation code to the person's phone or e-mail.
pub async fn resend_code(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    contact: Contact,
) -> Result<()> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, id).await?;
    let (target, confirmed) = match contact {
        Contact::Phone => (a.phone.clone(), a.phone_confirmed_at),
        Contact::Email => (a.email.clone(), a.email_confirmed_at),
    };
    let Some(target) = target else {
        return Err(Problem::conflict("account.no_contact", "Этот контакт не указан.").into());
    };
    if confirmed.is_some() {
        return Err(Problem::conflict(
            "account.already_confirmed",
            "Этот контакт уже подтверждён.",
        )
        .into());
    }
    codes::issue(
        &mut tx,
        secrets,
        &idn.settings,
        id,
        contact.purpose(),
        &target,
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.code.sent",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "purpose": contact.purpose().as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Confirms the phone or e-mail with its code; when both are confirmed the account reaches
/// «упрощённая». Returns the level after.
pub async fn confirm_contact(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    contact: Contact,
    code: &str,
) -> Result<Level> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, id).await?;
    let already = match contact {
        Contact::Phone => a.phone_confirmed_at,
        Contact::Email => a.email_confirmed_at,
    };
    if already.is_some() {
        return Err(Problem::conflict(
            "account.already_confirmed",
            "Этот контакт уже подтверждён.",
        )
        .into());
    }
    match codes::check(&mut tx, secrets, &idn.settings, id, contact.purpose(), code).await? {
        Checked::Refused(p) => {
            // The used try must stay counted.
            tx.commit().await?;
            return Err(p.into());
        }
        Checked::Accepted => {}
    }
    let now = now_ms();
    match contact {
        Contact::Phone => store::mark_phone_confirmed(&mut tx, now, id).await?,
        Contact::Email => store::mark_email_confirmed(&mut tx, now, id).await?,
    }
    let a = load(&mut tx, id).await?;
    let mut level = a.level();
    if level == Level::Registered
        && a.phone_confirmed_at.is_some()
        && a.email_confirmed_at.is_some()
    {
        level = Level::Simplified;
        store::set_level(&mut tx, level.as_str(), id).await?;
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.contact.confirmed",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "contact": match contact { Contact::Phone => "phone", Contact::Email => "email" }, "level": level.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(level)
}
