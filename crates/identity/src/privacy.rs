//! Notification preferences per topic and channel, used by [`notify_person`] whenever the platform
//! tells a person something (and by [`alert`] for security events). The export of a person's data
//! is `data_export`.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Problem, Result};
use okno_notify::{Channel, Message};
use serde::{Deserialize, Serialize};

use crate::model::own_account;
use crate::store::{self, AccountRow, PrefRow};

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

pub(crate) fn effective(rows: &[PrefRow]) -> Vec<Preference> {
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
    Ok(effective(&store::preferences_of(&mut c, id).await?))
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
        store::set_preference(&mut tx, id, p.topic.as_str(), p.channel.as_str(), p.enabled).await?;
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
    let Some(account) = store::account(tx, account_id).await? else {
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
    let prefs = effective(&store::preferences_of(tx, &account.id).await?);
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

/// Tells the account's owner about a security event, on the channels they keep for security.
pub(crate) async fn alert(
    tx: &mut Tx,
    account: &AccountRow,
    subject: &str,
    text: &str,
) -> Result<()> {
    notify_person(tx, account, Topic::Security, subject, text).await
}
