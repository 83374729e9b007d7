//! The sandbox's protocol endpoints, `POST /v2/{Init,GetState,Confirm,Cancel}`: the token
//! checked against the terminal's password, the book changed, the answer as T-Bank gives it
//! (HTTP 200, JSON, `Success` and `ErrorCode`), faults applied on the way out.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::book::{Book, NewPayment, Payment};
use super::faults::Mode;
use super::messages::{self, Refusal};
use super::notify;
use super::Sandbox;
use crate::model::{AcquirerStatus, PayType};
use crate::token;

const METHODS: &[&str] = &["Init", "GetState", "Confirm", "Cancel"];

/// `POST /v2/{method}`. The operation runs in its own task, so that it is done even when the
/// caller stops waiting (a client timeout, a `delay` fault).
pub(crate) async fn call(
    State(sb): State<Arc<Sandbox>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !METHODS.contains(&method.as_str()) {
        return (
            StatusCode::NOT_FOUND,
            Json(refused(messages::UNKNOWN_METHOD)),
        )
            .into_response();
    }
    let public = sb.public_url(&headers);
    let fault = sb.faults().take_for_call(&method);
    let span = tracing::info_span!("sandbox_call", method = %method);
    let task = {
        let sb = sb.clone();
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                if let Some(Mode::Delay { ms }) = fault {
                    tracing::info!(ms, "fault: delay");
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                }
                answer(&sb, &method, &body, &public).await
            },
            span,
        ))
    };
    let Ok(answer) = task.await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if fault == Some(Mode::DropAnswer) {
        tracing::info!("fault: the operation is done, its answer dropped");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Json(answer).into_response()
}

/// A refusal's answer.
fn refused(r: Refusal) -> Value {
    let mut v = json!({"Success": false, "ErrorCode": r.code, "Message": r.message});
    if let Some(d) = r.details {
        v["Details"] = Value::String(d.into());
    }
    v
}

fn text(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An amount: a JSON integer (or digits in a string). `Err` when present but not one.
fn amount(m: &Map<String, Value>) -> Result<Option<i64>, Refusal> {
    match m.get("Amount") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(messages::BAD_AMOUNT),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| messages::BAD_AMOUNT),
        Some(_) => Err(messages::BAD_AMOUNT),
    }
}

async fn answer(sb: &Arc<Sandbox>, method: &str, body: &[u8], public: &str) -> Value {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return refused(messages::BAD_REQUEST);
    };
    let Some(terminal) = text(&fields, "TerminalKey") else {
        return refused(messages::MISSING);
    };
    let Some(password) = sb.password(&terminal) else {
        tracing::warn!("unknown terminal");
        return refused(messages::NO_TERMINAL);
    };
    if !token::verify(&fields, password) {
        tracing::warn!(terminal, "bad token");
        return refused(messages::BAD_TOKEN);
    }
    let result = match method {
        "Init" => init(sb, &terminal, &fields, public),
        "GetState" => get_state(sb, &terminal, &fields),
        "Confirm" => confirm(sb, &terminal, &fields).await,
        _ => cancel(sb, &terminal, &fields),
    };
    let mut v = result.unwrap_or_else(refused);
    v["TerminalKey"] = Value::String(terminal);
    v
}

fn init(
    sb: &Sandbox,
    terminal: &str,
    f: &Map<String, Value>,
    public: &str,
) -> Result<Value, Refusal> {
    let amount = amount(f)?.ok_or(messages::MISSING)?;
    let order_id = text(f, "OrderId").ok_or(messages::MISSING)?;
    let pay_type = match text(f, "PayType") {
        None => PayType::OneStage,
        Some(t) => PayType::parse(&t).ok_or(messages::BAD_REQUEST)?,
    };
    let p = sb.book().init(NewPayment {
        terminal: terminal.to_string(),
        order_id,
        amount,
        description: text(f, "Description").unwrap_or_default(),
        pay_type,
        success_url: text(f, "SuccessURL"),
        fail_url: text(f, "FailURL"),
        notification_url: text(f, "NotificationURL"),
        customer_key: text(f, "CustomerKey"),
    })?;
    tracing::info!(payment_id = %p.id, amount, "payment created");
    Ok(json!({
        "Success": true,
        "ErrorCode": "0",
        "Status": p.status.as_str(),
        "PaymentId": p.id,
        "OrderId": p.order_id,
        "Amount": p.amount,
        "PaymentURL": format!("{public}/pay/{}", p.id),
    }))
}

/// Where a payment stands, as GetState answers it. A declined payment answers
/// `Success=false` with the decline's ErrorCode and its Status (NOT VERIFIED that T-Bank does
/// the same rather than `Success=true`; the client reads either). Card fields are added for a
/// card payment (NOT VERIFIED that T-Bank's GetState carries them).
fn state_answer(p: &Payment) -> Value {
    let mut v = json!({
        "Success": p.error.is_none(),
        "ErrorCode": p.error_code(),
        "Status": p.status.as_str(),
        "PaymentId": p.id,
        "OrderId": p.order_id,
        "Amount": p.amount,
    });
    if let Some(r) = p.error {
        v["Message"] = Value::String(r.message.into());
        if let Some(d) = r.details {
            v["Details"] = Value::String(d.into());
        }
    }
    if let Some(c) = &p.card {
        v["CardId"] = Value::String(c.card_id.clone());
        v["Pan"] = Value::String(c.pan.clone());
        v["ExpDate"] = Value::String(c.exp_date.clone());
        v["RRN"] = Value::String(c.rrn.clone());
    }
    v
}

fn payment_id(f: &Map<String, Value>) -> Result<String, Refusal> {
    text(f, "PaymentId").ok_or(messages::MISSING)
}

fn get_state(sb: &Sandbox, terminal: &str, f: &Map<String, Value>) -> Result<Value, Refusal> {
    let id = payment_id(f)?;
    let book = sb.book();
    Ok(state_answer(book.get(terminal, &id)?))
}

/// Confirm: CONFIRMING, then CONFIRMED. A payment paid with the slow card stays CONFIRMING for
/// `slow_ms` before the answer.
async fn confirm(
    sb: &Arc<Sandbox>,
    terminal: &str,
    f: &Map<String, Value>,
) -> Result<Value, Refusal> {
    let id = payment_id(f)?;
    let amount = amount(f)?;
    let (take, slow) = {
        let mut book = sb.book();
        let slow = book.get(terminal, &id)?.slow;
        (book.confirm_begin(&id, amount)?, slow)
    };
    if slow {
        tokio::time::sleep(sb.slow()).await;
    }
    let p = sb.book().confirm_end(&id, take)?;
    tracing::info!(payment_id = %p.id, amount = take, "confirmed");
    notify::after_change(sb, &p);
    Ok(json!({
        "Success": true,
        "ErrorCode": "0",
        "Status": p.status.as_str(),
        "PaymentId": p.id,
        "OrderId": p.order_id,
        "Amount": take,
    }))
}

/// Cancel: CANCELED, REVERSED/PARTIAL_REVERSED or REFUNDED/PARTIAL_REFUNDED, with
/// OriginalAmount (left before) and NewAmount (left after).
fn cancel(sb: &Sandbox, terminal: &str, f: &Map<String, Value>) -> Result<Value, Refusal> {
    let id = payment_id(f)?;
    let amount = amount(f)?;
    let (p, original) = {
        let mut book = sb.book();
        book.get(terminal, &id)?;
        book.cancel(&id, amount)?
    };
    tracing::info!(payment_id = %p.id, status = %p.status, "cancelled");
    notify::after_change(sb, &p);
    let status: &AcquirerStatus = &p.status;
    Ok(json!({
        "Success": true,
        "ErrorCode": "0",
        "Status": status.as_str(),
        "PaymentId": p.id,
        "OrderId": p.order_id,
        "OriginalAmount": original,
        "NewAmount": Book::left(&p),
    }))
}
