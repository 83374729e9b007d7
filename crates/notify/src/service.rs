//! Use cases of the notify part: queue messages (for other parts, inside their transaction, and by
//! hand for administrators), queue sensitive messages (one-time codes) whose text is never shown and
//! not kept once sent, read the delivery journal, retry a dead delivery.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{FieldError, Problem, Result};
use okno_kernel::{audit, outbox};
use serde::{Deserialize, Serialize};

use crate::model::{Channel, Message, Status, REDACTED};
use crate::store::{self, Attempt, Backlog, Delivery, Filter};

/// The outbox event kind whose payload carries ready messages.
pub const MESSAGE_EVENT: &str = "notify.message";

/// The payload of a [`MESSAGE_EVENT`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageEvent {
    pub messages: Vec<Message>,
    /// The messages carry secrets (one-time codes): their deliveries are marked sensitive, and the
    /// text is kept neither in this payload once routed nor in a delivery once it is sent or dead.
    /// Left out of ordinary payloads, which stay `{"messages": […]}`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// The payload a routed sensitive event keeps: the same JSON with every message's text (and
/// non-empty subject) replaced by [`REDACTED`]. A payload that is not a [`MessageEvent`] (from
/// another router) is replaced whole.
pub fn redacted_payload(payload: &str) -> String {
    match serde_json::from_str::<MessageEvent>(payload) {
        Ok(mut e) => {
            for m in &mut e.messages {
                m.text = REDACTED.into();
                if !m.subject.is_empty() {
                    m.subject = REDACTED.into();
                }
            }
            e.sensitive = true;
            serde_json::to_string(&e)
                .unwrap_or_else(|_| serde_json::json!({ "redacted": REDACTED }).to_string())
        }
        Err(_) => serde_json::json!({ "redacted": REDACTED }).to_string(),
    }
}

/// Checks and normalises a message: a real e-mail address, a Russian mobile number in E.164, a
/// non-empty text within the channel's limits. All problems of all messages are reported at once.
pub fn validate(messages: Vec<Message>) -> std::result::Result<Vec<Message>, Problem> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(messages.len());
    if messages.is_empty() {
        return Err(Problem::invalid_field(
            "messages",
            "notify.no_messages",
            "Добавьте хотя бы одно сообщение.",
        ));
    }
    for (i, mut m) in messages.into_iter().enumerate() {
        let mut e = MessageErrors {
            i,
            errors: &mut errors,
        };
        check_recipient(&mut m, &mut e);
        check_characters(&m, &mut e);
        check_lengths(&m, &mut e);
        out.push(m);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Problem::invalid_fields(errors))
    }
}

/// The field errors of the `i`-th message, named `messages[i].field`.
struct MessageErrors<'a> {
    i: usize,
    errors: &'a mut Vec<FieldError>,
}

impl MessageErrors<'_> {
    fn add(&mut self, name: &str, code: &str, msg: &str) {
        self.errors.push(FieldError {
            field: format!("messages[{}].{name}", self.i),
            code: code.into(),
            message: msg.into(),
        })
    }
}

/// The recipient fits the channel: an e-mail address, a Russian mobile number (normalised to
/// E.164), or someone for the inbox.
fn check_recipient(m: &mut Message, e: &mut MessageErrors) {
    match m.channel {
        Channel::Email => {
            if m.to.parse::<lettre::Address>().is_err() {
                e.add(
                    "to",
                    "notify.email_invalid",
                    "Некорректный адрес электронной почты.",
                );
            }
        }
        Channel::Sms => match okno_rules::Phone::parse(&m.to) {
            Ok(p) => m.to = p.as_str().to_string(),
            Err(err) => e.add("to", err.code(), &err.to_string()),
        },
        Channel::Inbox => {
            if m.to.trim().is_empty() {
                e.add("to", "notify.recipient_empty", "Укажите получателя.");
            }
        }
    }
}

/// No control characters (nor line breaks in the one-line fields).
fn check_characters(m: &Message, e: &mut MessageErrors) {
    for (name, value, single_line) in [
        ("to", &m.to, true),
        ("subject", &m.subject, true),
        ("text", &m.text, false),
    ] {
        if let Some(c) = okno_kernel::text::refused_char(value, single_line) {
            e.add(
                name,
                okno_kernel::text::CONTROL_CODE,
                &okno_kernel::text::refused_message(c),
            );
        }
    }
}

/// A text, not empty and within the channel's limit, and a subject of at most 300 characters.
fn check_lengths(m: &Message, e: &mut MessageErrors) {
    if m.text.trim().is_empty() {
        e.add(
            "text",
            "notify.text_empty",
            "Текст сообщения не может быть пустым.",
        );
    }
    let limit = if m.channel == Channel::Sms {
        1000
    } else {
        20_000
    };
    if m.text.chars().count() > limit {
        e.add(
            "text",
            "notify.text_too_long",
            &format!("Текст длиннее {limit} символов."),
        );
    }
    if m.subject.chars().count() > 300 {
        e.add(
            "subject",
            "notify.subject_too_long",
            "Тема длиннее 300 символов.",
        );
    }
}

/// Queues messages inside another use case's transaction: they go out exactly when it commits.
pub async fn queue(tx: &mut Tx, messages: Vec<Message>) -> Result<String> {
    let messages = validate(messages)?;
    outbox::enqueue(
        tx,
        MESSAGE_EVENT,
        &MessageEvent {
            messages,
            sensitive: false,
        },
    )
    .await
}

/// Queues messages that carry a secret (a one-time code) like [`queue`], marked sensitive: the
/// channel gets the real text, but the delivery journal never shows it, the outbox event keeps it
/// only until it is routed, and a delivery only until it is sent or dead. A dead one cannot be
/// retried by hand; the person asks for a new code.
///
/// Someone is waiting for the code: the event is urgent, routed and sent before anything queued.
pub async fn queue_sensitive(tx: &mut Tx, messages: Vec<Message>) -> Result<String> {
    let messages = validate(messages)?;
    outbox::enqueue_with(
        tx,
        MESSAGE_EVENT,
        &MessageEvent {
            messages,
            sensitive: true,
        },
        outbox::Priority::Urgent,
    )
    .await
}

/// An administrator sends messages by hand (a channel check, an announcement).
pub async fn send_by_hand(db: &Db, actor: &Actor, messages: Vec<Message>) -> Result<String> {
    actor.require(Permission::NotificationsSend)?;
    let messages = validate(messages)?;
    let channels: Vec<&str> = messages.iter().map(|m| m.channel.as_str()).collect();
    let count = messages.len();
    let mut tx = db.begin().await?;
    let event_id = outbox::enqueue(
        &mut tx,
        MESSAGE_EVENT,
        &MessageEvent {
            messages,
            sensitive: false,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "notify.message.queued",
            subject_type: "outbox_event",
            subject_id: &event_id,
            details: serde_json::json!({ "messages": count, "channels": channels }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(event_id)
}

pub async fn list_deliveries(db: &Db, actor: &Actor, filter: &Filter) -> Result<Vec<Delivery>> {
    actor.require(Permission::DeliveriesRead)?;
    let mut c = db.read().await?;
    Ok(store::list(&mut c, filter).await?)
}

/// Events that could not be routed into deliveries (retried, then given up), latest first.
pub async fn routing_failures(
    db: &Db,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<store::RoutingFailure>> {
    actor.require(Permission::DeliveriesRead)?;
    let mut c = db.read().await?;
    Ok(store::routing_failures(&mut c, limit).await?)
}

/// A delivery with its journal of attempts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryDetail {
    pub delivery: Delivery,
    pub attempts: Vec<Attempt>,
}

pub async fn get_delivery(db: &Db, actor: &Actor, id: &str) -> Result<DeliveryDetail> {
    actor.require(Permission::DeliveriesRead)?;
    let mut c = db.read().await?;
    let delivery = store::get(&mut c, id)
        .await?
        .ok_or_else(|| Problem::not_found("Отправка не найдена."))?;
    let attempts = store::attempts(&mut c, id).await?;
    Ok(DeliveryDetail { delivery, attempts })
}

/// Sends a dead delivery again (after the channel was fixed). A dead sensitive delivery is refused:
/// its text (the code) is gone, and the code would have expired anyway.
pub async fn retry(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    actor.require(Permission::DeliveriesRetry)?;
    let mut tx = db.begin().await?;
    let Some(d) = store::get(&mut tx, id).await? else {
        return Err(Problem::not_found("Отправка не найдена.").into());
    };
    if d.sensitive && d.status == Status::Dead.as_str() {
        return Err(sensitive_retry_refused().into());
    }
    if !store::requeue(&mut tx, id, okno_kernel::clock::now_ms()).await? {
        return Err(Problem::conflict(
            "notify.not_dead",
            format!(
                "Повторить можно только недоставленное сообщение; статус этого — «{}».",
                Status::parse(&d.status).map(|s| s.title()).unwrap_or("?")
            ),
        )
        .into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "notify.delivery.retried",
            subject_type: "delivery",
            subject_id: id,
            details: serde_json::json!({ "channel": d.channel, "attempts_before": d.attempts }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Why a dead sensitive delivery cannot be sent again.
pub fn sensitive_retry_refused() -> Problem {
    Problem::conflict(
        "notify.delivery_sensitive",
        "Это сообщение содержало одноразовый код. Его текст удалён, а сам код больше не действует, \
         поэтому отправить его ещё раз нельзя. Человеку нужно запросить новый код.",
    )
}

pub async fn backlog(db: &Db) -> Result<Backlog> {
    let mut c = db.read().await?;
    Ok(store::backlog(&mut c).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(channel: Channel, to: &str, text: &str) -> Message {
        Message {
            channel,
            to: to.into(),
            subject: String::new(),
            text: text.into(),
        }
    }

    #[test]
    fn an_ordinary_payload_stays_as_it_was_and_an_old_one_reads_as_not_sensitive() {
        let e = MessageEvent {
            messages: vec![msg(Channel::Sms, "+79161234567", "Код")],
            sensitive: false,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(!json.contains("sensitive"), "{json}");
        let back: MessageEvent = serde_json::from_str(&json).unwrap();
        assert!(!back.sensitive);
    }

    #[test]
    fn a_redacted_payload_keeps_recipients_and_loses_every_text() {
        let mut mail = msg(Channel::Email, "anna@example.ru", "Код: 482910");
        mail.subject = "Подтверждение электронной почты".into();
        let e = MessageEvent {
            messages: vec![msg(Channel::Sms, "+79161234567", "Код: 730185"), mail],
            sensitive: true,
        };
        let out = redacted_payload(&serde_json::to_string(&e).unwrap());
        assert!(!out.contains("730185") && !out.contains("482910"), "{out}");
        let back: MessageEvent = serde_json::from_str(&out).unwrap();
        assert!(back.sensitive);
        assert_eq!(back.messages[0].to, "+79161234567");
        assert_eq!(back.messages[0].subject, "");
        assert!(back.messages.iter().all(|m| m.text == REDACTED));
        assert_eq!(back.messages[1].subject, REDACTED);
        assert_eq!(
            redacted_payload("not json 730185"),
            format!(r#"{{"redacted":"{REDACTED}"}}"#)
        );
    }

    #[test]
    fn phones_are_normalised_to_e164() {
        let out = validate(vec![msg(Channel::Sms, "8 (916) 123-45-67", "Код")]).unwrap();
        assert_eq!(out[0].to, "+79161234567");
    }

    #[test]
    fn every_bad_message_is_reported_at_once() {
        let p = validate(vec![
            msg(Channel::Email, "не адрес", "x"),
            msg(Channel::Sms, "+7 916 123", ""),
        ])
        .unwrap_err();
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["messages[0].to", "messages[1].to", "messages[1].text"]
        );
    }
}
