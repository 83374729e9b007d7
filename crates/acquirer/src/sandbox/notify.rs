//! The sandbox's notifications: after a payment reaches a status the merchant must hear of,
//! a signed JSON POST to the Init's NotificationURL, repeated until the merchant answers `OK`.

use std::time::Duration;

use serde_json::{Map, Value};

use super::book::Payment;
use super::Sandbox;
use crate::model::{AcquirerStatus, PayType, NOTIFICATION_REPLY};
use crate::token;

/// Whether a payment that has just reached its status is notified. A one-stage payment is not
/// notified of AUTHORIZED, only of CONFIRMED (T-Bank may send both, depending on the
/// terminal's settings: NOT VERIFIED).
fn notified(p: &Payment) -> bool {
    use AcquirerStatus::*;
    match p.status {
        Authorized => p.pay_type == PayType::TwoStage,
        Confirmed | Rejected | AuthFail | Reversed | PartialReversed | Refunded
        | PartialRefunded | Canceled | DeadlineExpired | AttemptsExpired => true,
        _ => false,
    }
}

/// The notification body, signed with the terminal's password: TerminalKey, OrderId, Success,
/// Status, PaymentId (a number, as T-Bank sends it), ErrorCode, Amount (the Init's), and for a
/// card payment CardId, Pan (masked), ExpDate and RRN.
pub(crate) fn body(p: &Payment, password: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("TerminalKey".into(), Value::String(p.terminal.clone()));
    m.insert("OrderId".into(), Value::String(p.order_id.clone()));
    m.insert("Success".into(), Value::Bool(p.error.is_none()));
    m.insert(
        "Status".into(),
        Value::String(p.status.as_str().to_string()),
    );
    m.insert(
        "PaymentId".into(),
        p.id.parse::<u64>()
            .map_or_else(|_| Value::String(p.id.clone()), Value::from),
    );
    m.insert("ErrorCode".into(), Value::String(p.error_code().into()));
    m.insert("Amount".into(), Value::from(p.amount));
    if let Some(c) = &p.card {
        m.insert(
            "CardId".into(),
            c.card_id
                .parse::<u64>()
                .map_or_else(|_| Value::String(c.card_id.clone()), Value::from),
        );
        m.insert("Pan".into(), Value::String(c.pan.clone()));
        m.insert("ExpDate".into(), Value::String(c.exp_date.clone()));
        m.insert("RRN".into(), Value::String(c.rrn.clone()));
    }
    let signature = token::sign(&m, password);
    m.insert(token::TOKEN_FIELD.into(), Value::String(signature));
    m
}

/// Sends the notification of `p`'s new status in the background, if it is one the merchant
/// hears of and the Init gave a NotificationURL. Twice if a `duplicate_notification` fault
/// waits.
pub(crate) fn after_change(sb: &Sandbox, p: &Payment) {
    if !notified(p) {
        return;
    }
    let (Some(url), Some(password)) = (p.notification_url.clone(), sb.password(&p.terminal)) else {
        return;
    };
    let body = Value::Object(body(p, password));
    let copies = if sb.faults().take_duplicate() { 2 } else { 1 };
    for _ in 0..copies {
        let (http, url, body) = (sb.http.clone(), url.clone(), body.clone());
        let (attempts, retry) = (
            sb.cfg.notify_attempts.max(1),
            Duration::from_millis(sb.cfg.notify_retry_ms),
        );
        let (payment_id, status) = (p.id.clone(), p.status.clone());
        tokio::spawn(async move {
            deliver(&http, &url, &body, attempts, retry, &payment_id, &status).await;
        });
    }
}

async fn deliver(
    http: &reqwest::Client,
    url: &str,
    body: &Value,
    attempts: u32,
    first_pause: Duration,
    payment_id: &str,
    status: &AcquirerStatus,
) {
    let mut pause = first_pause;
    for attempt in 1..=attempts {
        let answer = match http.post(url).json(body).send().await {
            Ok(r) if r.status().is_success() => r.text().await.ok(),
            _ => None,
        };
        if answer.as_deref().map(str::trim) == Some(NOTIFICATION_REPLY) {
            tracing::info!(payment_id, %status, attempt, "notification delivered");
            return;
        }
        tracing::info!(payment_id, %status, attempt, "notification not acknowledged");
        if attempt < attempts {
            tokio::time::sleep(pause).await;
            pause = pause.saturating_mul(2);
        }
    }
    tracing::warn!(payment_id, %status, "notification given up");
}
