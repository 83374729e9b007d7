//! Registration: the account starts unconfirmed, codes go to the phone and the e-mail, and the
//! person is signed in to enter them.

use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::pii::Secrets;
use okno_rules::Phone;

use crate::codes::{self, Purpose};
use crate::model::{field, invalid, normalise_email, password_errors};
use crate::sessions::{open_session, Client, SignedIn};
use crate::settings::Identity;
use crate::store::{self, load, RegisteredPerson};

/// What a person fills in to register.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Registration {
    /// Фамилия, имя, отчество (if any).
    pub full_name: String,
    pub phone: String,
    pub email: String,
    pub password: String,
    /// Consent to the processing of personal data (152-ФЗ), text version [`CONSENT_VERSION`].
    pub consent: bool,
}

/// The version of the consent text shown at registration.
pub const CONSENT_VERSION: &str = "2026-11-1";

pub(crate) fn check_full_name(name: &str) -> Option<FieldError> {
    let n = name.trim();
    let ok = n.chars().count() >= 2
        && n.chars().count() <= 200
        && n.chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '.')
        && n.chars().any(char::is_alphabetic);
    (!ok).then(|| {
        field(
            "full_name",
            "account.full_name_invalid",
            "Укажите фамилию, имя и отчество буквами (дефис и пробел допустимы).",
        )
    })
}

/// Registers a person: the account starts unconfirmed, codes go to the phone and the e-mail, and
/// the person is signed in to enter them.
pub async fn register(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    r: Registration,
    client: &Client,
) -> Result<SignedIn> {
    let (phone, email) = checked_registration(idn, &r)?;
    let hash = idn
        .hasher
        .hash(&r.password)
        .await
        .map_err(Error::internal)?;
    let now = now_ms();
    let id = new_id();
    let full_name = r.full_name.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut tx = db.begin().await?;
    contacts_free(&mut tx, &phone, &email).await?;
    store::insert_registered_person(
        &mut tx,
        &RegisteredPerson {
            id: &id,
            full_name: &full_name,
            phone: phone.as_str(),
            email: &email,
            password_hash: &hash,
            now,
            consent_version: CONSENT_VERSION,
        },
    )
    .await?;
    store::remember_password(&mut tx, &id, &hash, now).await?;
    let s = &idn.settings;
    codes::issue(
        &mut tx,
        secrets,
        s,
        &id,
        Purpose::ConfirmPhone,
        phone.as_str(),
    )
    .await?;
    codes::issue(&mut tx, secrets, s, &id, Purpose::ConfirmEmail, &email).await?;
    let account = load(&mut tx, &id).await?;
    let actor = account.actor();
    audit::append(
        &mut tx,
        audit::Entry {
            actor: &actor,
            action: "identity.account.registered",
            subject_type: "account",
            subject_id: &id,
            details: serde_json::json!({ "consent_version": CONSENT_VERSION, "level": "registered" }),
        },
    )
    .await?;
    let signed = open_session(&mut tx, secrets, idn, &account, false, client, false).await?;
    tx.commit().await?;
    Ok(signed)
}

/// The form checked field by field, every problem at once (the password against the policy and
/// the person's own name and contacts): the phone and the normalised e-mail.
fn checked_registration(idn: &Identity, r: &Registration) -> Result<(Phone, String)> {
    let mut errors = Vec::new();
    if let Some(e) = check_full_name(&r.full_name) {
        errors.push(e);
    }
    let phone = match Phone::parse(&r.phone) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(field("phone", e.code(), e.to_string()));
            None
        }
    };
    let email = normalise_email(&r.email);
    if email.is_none() {
        errors.push(field(
            "email",
            "account.email_invalid",
            "Укажите адрес электронной почты вида name@example.ru.",
        ));
    }
    let name_parts: Vec<&str> = r.full_name.split_whitespace().collect();
    let mut personal: Vec<&str> = name_parts.clone();
    personal.push(&r.phone);
    personal.push(&r.email);
    errors.extend(password_errors(
        &idn.policy,
        "password",
        &r.password,
        &personal,
    ));
    if !r.consent {
        errors.push(field(
            "consent",
            "account.consent_required",
            "Без согласия на обработку персональных данных зарегистрироваться нельзя.",
        ));
    }
    let (Some(phone), Some(email), true) = (phone, email, errors.is_empty()) else {
        return Err(invalid(errors));
    };
    Ok((phone, email))
}

/// Refused, naming the phone, the e-mail or both, when an account already holds them.
async fn contacts_free(tx: &mut Tx, phone: &Phone, email: &str) -> Result<()> {
    let taken = store::account_by_contact(tx, phone.as_str(), email).await?;
    if let Some(t) = taken {
        let mut errors = Vec::new();
        if t.phone.as_deref() == Some(phone.as_str()) {
            errors.push(field(
                "phone",
                "account.phone_taken",
                "Этот телефон уже зарегистрирован. Войдите или восстановите доступ.",
            ));
        }
        if t.email.as_deref() == Some(email) {
            errors.push(field(
                "email",
                "account.email_taken",
                "Эта почта уже зарегистрирована. Войдите или восстановите доступ.",
            ));
        }
        return Err(Problem::invalid_fields(errors).into());
    }
    Ok(())
}
