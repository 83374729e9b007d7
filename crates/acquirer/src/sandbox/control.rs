//! The sandbox's own endpoints, not T-Bank's: the list of test cards, fault injection for the
//! platform's fault tests, and the daily registry of operations as CSV for reconciliation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::faults::FaultRequest;
use super::messages as m;
use super::pages::{cards_table, esc, page};
use super::{clock, Sandbox};

/// `GET /sandbox`: what the sandbox is and its test cards.
pub(crate) async fn index() -> Html<String> {
    let body = format!(
        "<p>{}</p>{}",
        esc("Тестовый банк говорит на протоколе T-Bank API v2: /v2/Init, /v2/GetState, /v2/Confirm, /v2/Cancel."),
        cards_table()
    );
    Html(page(m::BANK_TITLE, &body, None))
}

/// `POST /sandbox/faults` with `{"method":"Init","mode":"delay","ms":5000,"times":1}`
/// (modes: `delay`, `drop_answer`, `duplicate_notification`).
pub(crate) async fn add_fault(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<FaultRequest>(&body) else {
        return (StatusCode::BAD_REQUEST, m::BAD_FAULT).into_response();
    };
    tracing::info!(?request, "fault planned");
    let added = sb.faults().add(request);
    match added {
        Ok(()) => (StatusCode::OK, "OK").into_response(),
        Err(why) => (StatusCode::BAD_REQUEST, format!("{}: {why}", m::BAD_FAULT)).into_response(),
    }
}

/// `DELETE /sandbox/faults`: no more faults.
pub(crate) async fn clear_faults(State(sb): State<Arc<Sandbox>>) -> &'static str {
    sb.faults().clear();
    "OK"
}

/// `GET /sandbox/registry?date=YYYY-MM-DD` (today, UTC, without it): the day's operations,
/// `PaymentId;OrderId;Status;Amount;Time` with the amount in kopecks and the time in UTC
/// RFC 3339, oldest first.
pub(crate) async fn registry(
    State(sb): State<Arc<Sandbox>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let day = match q.get("date") {
        None => clock::date(SystemTime::now()),
        Some(d) => match clock::parse_date(d) {
            Some(day) => day,
            None => return (StatusCode::BAD_REQUEST, m::BAD_DATE).into_response(),
        },
    };
    let operations = sb.book().operations_on(day);
    let mut csv = String::from("PaymentId;OrderId;Status;Amount;Time\n");
    for o in operations {
        // An OrderId is the merchant's text: keep the separator and line breaks out of it.
        let order: String = o
            .order_id
            .chars()
            .map(|c| {
                if matches!(c, ';' | '\n' | '\r') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        csv.push_str(&format!(
            "{};{};{};{};{}\n",
            o.payment_id,
            order,
            o.status,
            o.amount,
            clock::rfc3339(o.at)
        ));
    }
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response()
}
