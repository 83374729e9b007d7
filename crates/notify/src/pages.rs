//! Russian pages of the notify part: the delivery journal for administrators and auditors. The text
//! of a sensitive delivery (a one-time code) is never shown, and such a delivery has no retry button.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okno_kernel::clock::rfc3339;
use okno_kernel::http::{render, Chrome, CurrentActor, PageError};
use okno_kernel::Platform;

use crate::api::ListQuery;
use crate::model::{Channel, Status};
use crate::service::{self, DeliveryDetail};
use crate::store::Delivery;

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/admin/deliveries", get(list))
        .route("/admin/deliveries/{id}", get(detail))
        .route("/admin/deliveries/{id}/retry", post(retry))
}

/// A delivery as shown in a table row.
pub struct Row {
    pub id: String,
    pub created: String,
    pub channel: &'static str,
    pub recipient: String,
    pub subject: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub attempts: i64,
    pub last_error: String,
}

fn status_class(s: &str) -> &'static str {
    match s {
        "sent" => "ok",
        "dead" => "bad",
        _ => "wait",
    }
}

impl From<&Delivery> for Row {
    fn from(d: &Delivery) -> Row {
        Row {
            id: d.id.clone(),
            created: short_time(d.created_at),
            channel: Channel::parse(&d.channel).map(|c| c.title()).unwrap_or("?"),
            recipient: d.recipient.clone(),
            subject: d.subject.clone(),
            status: Status::parse(&d.status).map(|s| s.title()).unwrap_or("?"),
            status_class: status_class(&d.status),
            attempts: d.attempts,
            last_error: d.last_error.clone().unwrap_or_default(),
        }
    }
}

/// `2026-11-23 10:15:02 UTC`.
pub fn short_time(ms: i64) -> String {
    let t = rfc3339(ms);
    format!("{} UTC", t.get(..19).unwrap_or(&t).replace('T', " "))
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    status: String,
    channel: String,
    next: Option<String>,
    unroutable: Vec<UnroutableRow>,
}

struct UnroutableRow {
    when: String,
    event_id: String,
    dead: bool,
    attempts: i64,
    error: String,
}

async fn list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let filter = q.filter()?;
    let items = service::list_deliveries(&p.db, &actor, &filter).await?;
    let next = (items.len() as i64 == filter.limit)
        .then(|| items.last().map(|d| d.id.clone()))
        .flatten();
    Ok(render(&ListPage {
        chrome,
        rows: items.iter().map(Row::from).collect(),
        status: q.status.unwrap_or_default(),
        channel: q.channel.unwrap_or_default(),
        next,
        unroutable: service::routing_failures(&p.db, &actor, 20)
            .await?
            .into_iter()
            .map(|f| UnroutableRow {
                when: short_time(f.last_failed_at),
                event_id: f.event_id,
                dead: f.dead,
                attempts: f.attempts,
                error: f.last_error,
            })
            .collect(),
    }))
}

struct AttemptRow {
    attempt: i64,
    started: String,
    duration_ms: i64,
    outcome: &'static str,
    outcome_class: &'static str,
    detail: String,
}

#[derive(Template)]
#[template(path = "delivery.html")]
struct DetailPage {
    chrome: Chrome,
    row: Row,
    body: String,
    sensitive: bool,
    can_retry: bool,
    attempts: Vec<AttemptRow>,
}

async fn detail(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let DeliveryDetail { delivery, attempts } = service::get_delivery(&p.db, &actor, &id).await?;
    let attempts = attempts
        .into_iter()
        .map(|a| AttemptRow {
            attempt: a.attempt,
            started: short_time(a.started_at),
            duration_ms: a.finished_at - a.started_at,
            outcome: match a.outcome.as_str() {
                "sent" => "доставлено",
                "retry" => "ошибка, повтор",
                _ => "отказ",
            },
            outcome_class: match a.outcome.as_str() {
                "sent" => "ok",
                "retry" => "wait",
                _ => "bad",
            },
            detail: a.detail,
        })
        .collect();
    Ok(render(&DetailPage {
        chrome,
        can_retry: delivery.status == "dead"
            && !delivery.sensitive
            && actor.can(okno_kernel::actor::Permission::DeliveriesRetry),
        body: delivery.text.clone(),
        sensitive: delivery.sensitive,
        row: Row::from(&delivery),
        attempts,
    }))
}

async fn retry(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    service::retry(&p.db, &actor, &id).await?;
    Ok(Redirect::to(&format!("/admin/deliveries/{id}?retried=1")).into_response())
}
