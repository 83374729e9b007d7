//! What a person controls about their data: notification preferences per topic and channel (used
//! by [`notify_person`] whenever the platform tells a person something), and the export of every
//! piece of data the platform holds about them (152-ФЗ, ст. 14: the right to access one's data).

use okno_kernel::actor::Actor;
use okno_kernel::clock::{now_ms, rfc3339};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pii::Secrets;
use okno_kernel::{audit, q_all, q_exec, q_opt};
use okno_notify::{Channel, Message};
use serde::{Deserialize, Serialize};

use crate::service::{own_account, AccountRow, ACCOUNT_COLS};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Sign-ins from new devices, lockouts, password changes.
    Security,
    Applications,
    Appeals,
    Payments,
    Appointments,
}

impl Topic {
    pub const ALL: [Topic; 5] = [
        Topic::Security,
        Topic::Applications,
        Topic::Appeals,
        Topic::Payments,
        Topic::Appointments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Security => "security",
            Topic::Applications => "applications",
            Topic::Appeals => "appeals",
            Topic::Payments => "payments",
            Topic::Appointments => "appointments",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Topic::Security => "Безопасность: входы, блокировки, смена пароля",
            Topic::Applications => "Заявления на услуги",
            Topic::Appeals => "Обращения и ответы на них",
            Topic::Payments => "Начисления и платежи",
            Topic::Appointments => "Записи на приём",
        }
    }

    /// Whether `channel` is on when the person never said: the inbox always; e-mail for all;
    /// SMS for security and appointments (an SMS costs the region money and interrupts).
    fn default_on(self, channel: Channel) -> bool {
        match channel {
            Channel::Inbox | Channel::Email => true,
            Channel::Sms => matches!(self, Topic::Security | Topic::Appointments),
        }
    }
}

/// One switch of the preferences.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preference {
    pub topic: Topic,
    pub channel: Channel,
    pub enabled: bool,
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct PrefRow {
    topic: String,
    channel: String,
    enabled: i64,
}

async fn stored(c: &mut impl okno_kernel::db::AsConn, account_id: &str) -> Result<Vec<PrefRow>> {
    Ok(q_all!(
        c,
        PrefRow,
        "SELECT topic, channel, enabled FROM notification_preferences WHERE account_id = $1",
        account_id
    )?)
}

fn effective(rows: &[PrefRow]) -> Vec<Preference> {
    let mut out = Vec::new();
    for topic in Topic::ALL {
        for channel in Channel::ALL {
            let enabled = if channel == Channel::Inbox {
                true
            } else {
                rows.iter()
                    .find(|r| r.topic == topic.as_str() && r.channel == channel.as_str())
                    .map_or(topic.default_on(channel), |r| r.enabled != 0)
            };
            out.push(Preference {
                topic,
                channel,
                enabled,
            });
        }
    }
    out
}

/// Every topic × channel, as it applies now (the inbox is always on).
pub async fn preferences(db: &Db, actor: &Actor) -> Result<Vec<Preference>> {
    let id = own_account(actor)?;
    let mut c = db.read().await?;
    Ok(effective(&stored(&mut c, id).await?))
}

/// Saves the switches given (others keep their value). The inbox cannot be turned off: it is the
/// record of everything the platform told the person.
pub async fn set_preferences(db: &Db, actor: &Actor, prefs: Vec<Preference>) -> Result<()> {
    let id = own_account(actor)?;
    if prefs
        .iter()
        .any(|p| p.channel == Channel::Inbox && !p.enabled)
    {
        return Err(Problem::invalid_field(
            "channel",
            "preferences.inbox_required",
            "Уведомления в личном кабинете отключить нельзя: это журнал всего, что вам сообщалось.",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    for p in &prefs {
        if p.channel == Channel::Inbox {
            continue;
        }
        q_exec!(
            &mut tx,
            "INSERT INTO notification_preferences (account_id, topic, channel, enabled) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, topic, channel) DO UPDATE SET enabled = $4",
            id,
            p.topic.as_str(),
            p.channel.as_str(),
            i64::from(p.enabled)
        )?;
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.preferences.changed",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!(prefs
                .iter()
                .map(|p| format!(
                    "{}:{}:{}",
                    p.topic.as_str(),
                    p.channel.as_str(),
                    if p.enabled { "on" } else { "off" }
                ))
                .collect::<Vec<_>>()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// [`notify_person`] for a part that knows only the account's id: loads the account in the same
/// transaction. `false` when there is no such account (nothing is sent).
pub async fn notify_account(
    tx: &mut Tx,
    account_id: &str,
    topic: Topic,
    subject: &str,
    text: &str,
) -> Result<bool> {
    let Some(account) = q_opt!(
        tx,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
        account_id
    )?
    else {
        return Ok(false);
    };
    notify_person(tx, &account, topic, subject, text).await?;
    Ok(true)
}

/// Tells a person something on `topic`, in the caller's transaction: the inbox always, and each
/// confirmed phone or e-mail whose channel the person keeps on for the topic. Every part that
/// notifies a person goes through this.
pub async fn notify_person(
    tx: &mut Tx,
    account: &AccountRow,
    topic: Topic,
    subject: &str,
    text: &str,
) -> Result<()> {
    let prefs = effective(&stored(tx, &account.id).await?);
    let on = |c: Channel| {
        prefs
            .iter()
            .any(|p| p.topic == topic && p.channel == c && p.enabled)
    };
    let mut messages = vec![Message {
        channel: Channel::Inbox,
        to: account.id.clone(),
        subject: subject.into(),
        text: text.into(),
    }];
    if let (Some(p), Some(_), true) = (&account.phone, account.phone_confirmed_at, on(Channel::Sms))
    {
        messages.push(Message {
            channel: Channel::Sms,
            to: p.clone(),
            subject: String::new(),
            text: format!("Окно: {text}"),
        });
    }
    if let (Some(e), Some(_), true) = (
        &account.email,
        account.email_confirmed_at,
        on(Channel::Email),
    ) {
        messages.push(Message {
            channel: Channel::Email,
            to: e.clone(),
            subject: subject.into(),
            text: text.into(),
        });
    }
    okno_notify::service::queue(tx, messages).await?;
    Ok(())
}

#[derive(Serialize)]
struct ExportSession {
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    user_agent: Option<String>,
    ip: Option<String>,
}

#[derive(Serialize, serde::Deserialize, sqlx::FromRow)]
struct ExportDevice {
    first_seen_at: i64,
    last_seen_at: i64,
    user_agent: Option<String>,
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct ExportProfile {
    last_name: Option<String>,
    first_name: Option<String>,
    middle_name: Option<String>,
    birth_date: Option<String>,
    sex: Option<String>,
    passport_enc: Option<String>,
    snils_enc: Option<String>,
    inn_enc: Option<String>,
    registry_check: Option<String>,
    registry_checked_at: Option<i64>,
    consent_version: Option<String>,
    consent_at: Option<i64>,
}

/// Every piece of data the platform holds about the signed-in person, as one JSON document: the
/// account, the profile with the documents in clear (it is their own), consent, preferences,
/// organisations and powers of attorney, passkeys, sessions, devices, every message sent to them
/// (one-time codes masked, as in the delivery journal), and the audit journal's records about them
/// or by them. Audited.
pub async fn export(db: &Db, secrets: &Secrets, actor: &Actor) -> Result<serde_json::Value> {
    let id = own_account(actor)?.to_string();
    let (a, p, sessions, devices, prefs, deliveries) = {
        let mut c = db.read().await?;
        let a = q_opt!(
            &mut c,
            AccountRow,
            &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
            &id
        )?
        .ok_or_else(|| Problem::not_found("Учётная запись не найдена."))?;
        let p = q_opt!(
            &mut c,
            ExportProfile,
            "SELECT last_name, first_name, middle_name, birth_date, sex, passport_enc, snils_enc, inn_enc,
                    registry_check, registry_checked_at, consent_version, consent_at FROM accounts WHERE id = $1",
            &id
        )?
        .ok_or_else(|| Problem::not_found("Учётная запись не найдена."))?;
        let sessions: Vec<ExportSession> = okno_kernel::auth::all_sessions(&mut c, "account", &id)
            .await?
            .into_iter()
            .map(|s| ExportSession {
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                revoked_at: s.revoked_at,
                user_agent: s.user_agent,
                ip: s.ip,
            })
            .collect();
        let devices = q_all!(
            &mut c,
            ExportDevice,
            "SELECT first_seen_at, last_seen_at, user_agent FROM known_devices WHERE account_id = $1 ORDER BY first_seen_at",
            &id
        )?;
        let prefs = effective(&stored(&mut c, &id).await?);
        let mut recipients = vec![id.as_str()];
        recipients.extend(a.phone.as_deref());
        recipients.extend(a.email.as_deref());
        let deliveries = okno_notify::store::to_recipients(&mut c, &recipients).await?;
        (a, p, sessions, devices, prefs, deliveries)
    };
    let open = |v: &Option<String>| -> Result<Option<String>> {
        v.as_deref()
            .map(|e| secrets.decrypt(e).map_err(Error::internal))
            .transpose()
    };
    let journal = audit::records_about(db, "account", &id, 10_000).await?;
    let organisations = crate::organisations::list(db, secrets, actor).await?;
    let (powers_granted, powers_received) = crate::representation::list(db, actor).await?;
    let time = |ms: Option<i64>| ms.map(rfc3339);
    let doc = serde_json::json!({
        "format": "okno-personal-data/1",
        "exported_at": rfc3339(now_ms()),
        "account": {
            "id": a.id,
            "full_name": a.display_name,
            "level": a.level,
            "status": a.status,
            "phone": a.phone,
            "phone_confirmed_at": time(a.phone_confirmed_at),
            "email": a.email,
            "email_confirmed_at": time(a.email_confirmed_at),
            "second_factor": a.second_factor,
            "roles": a.roles,
            "created_at": rfc3339(a.created_at),
        },
        "consent": { "version": p.consent_version, "given_at": time(p.consent_at) },
        "profile": {
            "last_name": p.last_name,
            "first_name": p.first_name,
            "middle_name": p.middle_name,
            "birth_date": p.birth_date,
            "sex": p.sex,
            "passport": open(&p.passport_enc)?,
            "snils": open(&p.snils_enc)?,
            "inn": open(&p.inn_enc)?,
            "registry_check": p.registry_check,
            "registry_checked_at": time(p.registry_checked_at),
        },
        "notification_preferences": prefs,
        "organisations": organisations,
        "powers_of_attorney": { "granted": powers_granted, "received": powers_received },
        "passkeys": crate::passkeys::list(db, actor).await?,
        "sessions": sessions,
        "devices": devices,
        "deliveries": deliveries,
        "audit_records": journal,
    });
    let mut tx = db.begin().await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.data.exported",
            subject_type: "account",
            subject_id: &id,
            details: serde_json::json!({ "audit_records": doc["audit_records"].as_array().map_or(0, Vec::len) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}
