//! Russian pages of the offices part: the search of service points, an office's card with booking,
//! the person's appointments (move, cancel), the self-refreshing hall display of the queue and
//! the operator's queue at their desk.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use okno_kernel::actor::{Actor, ActorKind};
use okno_kernel::clock::now_ms;
use okno_kernel::error::{Error, Problem};
use okno_kernel::http::{render, Chrome, CurrentActor, PageError};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::model::OfficeKind;
use crate::service::{self, AppointmentView, Board, OfficeView, Search, Settings, SlotView};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/offices", get(search))
        .route("/offices/static/{file}", get(asset))
        .route("/offices/{code}", get(card))
        .route("/offices/{code}/book", post(book))
        .route("/offices/{code}/queue/display", get(display))
        .route("/kiosk/queue", get(kiosk_queue).post(kiosk_ticket))
        .route("/account/appointments", get(appointments))
        .route("/account/appointments/{id}/cancel", post(cancel))
        .route("/account/appointments/{id}/move", post(reschedule))
        .route("/operator/queue", get(queue_page))
        .route("/operator/queue/call", post(queue_call))
        .route("/operator/queue/tickets/{id}/{action}", post(queue_ticket))
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "queue-display.css" => (
            include_str!("../static/queue-display.css"),
            "text/css; charset=utf-8",
        ),
        "near-me.js" => (
            include_str!("../static/near-me.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "offices_search.html")]
struct SearchPage {
    chrome: Chrome,
    offices: Vec<OfficeView>,
    cities: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    services: Vec<(String, String)>,
    city: String,
    kind: String,
    service: String,
    lat: String,
    lon: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct SearchForm {
    city: Option<String>,
    kind: Option<String>,
    service: Option<String>,
    lat: Option<String>,
    lon: Option<String>,
}

async fn search(
    State(p): State<Platform>,
    chrome: Chrome,
    Query(f): Query<SearchForm>,
) -> Result<Response, PageError> {
    let num = |s: &Option<String>| s.as_deref().and_then(|v| v.trim().parse::<f64>().ok());
    let q = Search {
        city: f.city.clone(),
        kind: f.kind.clone(),
        service: f.service.clone(),
        lat: num(&f.lat),
        lon: num(&f.lon),
        limit: Some(100),
    };
    let (offices, error) = match service::search(&p.db, &q, now_ms()).await {
        Ok(o) => (o, None),
        Err(e @ Error::Problem(_)) => (Vec::new(), Some(e.to_problem().detail)),
        Err(e) => return Err(e.into()),
    };
    let mut services: Vec<(String, String)> = service::search(&p.db, &Search::default(), now_ms())
        .await?
        .into_iter()
        .flat_map(|o| o.services.into_iter().map(|s| (s.code, s.title)))
        .collect();
    services.sort_by(|a, b| a.1.cmp(&b.1));
    services.dedup();
    Ok(render(&SearchPage {
        chrome,
        offices,
        cities: service::cities(&p.db).await?,
        kinds: OfficeKind::ALL
            .into_iter()
            .map(|k| (k.as_str(), k.title()))
            .collect(),
        services,
        city: f.city.unwrap_or_default(),
        kind: f.kind.unwrap_or_default(),
        service: f.service.unwrap_or_default(),
        lat: f.lat.unwrap_or_default(),
        lon: f.lon.unwrap_or_default(),
        error,
    }))
}

struct SlotGroup {
    code: String,
    title: String,
    slots: Vec<SlotView>,
}

#[derive(Template)]
#[template(path = "offices_card.html")]
struct CardPage {
    chrome: Chrome,
    o: OfficeView,
    groups: Vec<SlotGroup>,
    signed_in: bool,
    error: Option<String>,
}

fn is_person(actor: &Actor) -> bool {
    actor.kind == ActorKind::Account
}

async fn card_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    code: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let now = now_ms();
    let o = service::office(&p.db, code, now).await?;
    let slots = service::free_slots(&p.db, code, None, Some(7), now).await?;
    let groups = o
        .services
        .iter()
        .map(|s| SlotGroup {
            code: s.code.clone(),
            title: s.title.clone(),
            slots: slots
                .iter()
                .filter(|x| x.service_code == s.code)
                .cloned()
                .collect(),
        })
        .filter(|g| !g.slots.is_empty())
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::OK
    };
    let mut r = render(&CardPage {
        chrome,
        o,
        groups,
        signed_in: is_person(actor),
        error,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn card(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    card_render(&p, &actor, chrome, &code, None).await
}

#[derive(Deserialize)]
struct SlotForm {
    slot_id: String,
}

async fn book(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(code): Path<String>,
    Form(f): Form<SlotForm>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    match service::book(&p.db, &actor, &f.slot_id).await {
        Ok(v) => {
            Ok(Redirect::to(&format!("/account/appointments?booked={}", v.code)).into_response())
        }
        Err(e @ Error::Problem(_)) => {
            card_render(&p, &actor, chrome, &code, Some(e.to_problem().detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

struct Row {
    v: AppointmentView,
    cancelled: bool,
    alternatives: Vec<SlotView>,
}

#[derive(Template)]
#[template(path = "offices_appointments.html")]
struct AppointmentsPage {
    chrome: Chrome,
    rows: Vec<Row>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Notice {
    booked: Option<String>,
}

async fn appointments_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let now = now_ms();
    let mut rows = Vec::new();
    for v in service::my_appointments(&p.db, actor).await? {
        let alternatives = if v.changeable {
            service::free_slots(&p.db, &v.office_code, Some(&v.service_code), Some(14), now)
                .await?
                .into_iter()
                .filter(|s| s.id != v.slot_id)
                .take(60)
                .collect()
        } else {
            Vec::new()
        };
        rows.push(Row {
            cancelled: v.status == crate::model::BookingStatus::Cancelled,
            v,
            alternatives,
        });
    }
    let status = if error.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::OK
    };
    let mut r = render(&AppointmentsPage {
        chrome,
        rows,
        notice,
        error,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn appointments(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let notice = n
        .booked
        .map(|c| format!("Вы записаны. Код записи {c}: назовите его в пункте обслуживания."));
    appointments_render(&p, &actor, chrome, notice, None).await
}

async fn outcome(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    r: okno_kernel::Result<AppointmentView>,
    done: &str,
) -> Result<Response, PageError> {
    match r {
        Ok(v) => {
            appointments_render(
                p,
                actor,
                chrome,
                Some(format!("{done} Код записи {}.", v.code)),
                None,
            )
            .await
        }
        Err(e @ Error::Problem(_)) => {
            appointments_render(p, actor, chrome, None, Some(e.to_problem().detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn cancel(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let r = service::cancel(&p.db, &actor, &id).await;
    outcome(&p, &actor, chrome, r, "Запись отменена.").await
}

async fn reschedule(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    Form(f): Form<SlotForm>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let r = service::reschedule(&p.db, &actor, &id, &f.slot_id).await;
    outcome(&p, &actor, chrome, r, "Запись перенесена.").await
}

#[derive(Template)]
#[template(path = "offices_queue_display.html")]
struct DisplayPage {
    b: Board,
}

async fn display(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let b = service::board(&p.db, &code, &settings).await?;
    Ok(render(&DisplayPage { b }))
}

#[derive(Template)]
#[template(path = "kiosk_queue.html")]
struct KioskPage {
    chrome: Chrome,
    office: String,
    services: Vec<(String, String)>,
    ticket: Option<service::TicketView>,
    error: Option<String>,
}

async fn kiosk_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    ticket: Option<service::TicketView>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (o, services) = service::kiosk_services(&p.db, actor).await?;
    Ok(render(&KioskPage {
        chrome,
        office: o.name,
        services,
        ticket,
        error,
    }))
}

/// The self-service kiosk of an office: a ticket for a service, or for today's appointment by its
/// code, without an operator. Only a registered kiosk device of the office opens it.
async fn kiosk_queue(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    kiosk_render(&p, &actor, chrome, None, None).await
}

#[derive(Deserialize)]
struct KioskForm {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    booking_code: Option<String>,
}

async fn kiosk_ticket(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<KioskForm>,
) -> Result<Response, PageError> {
    let n = service::NewTicket {
        service: f.service,
        booking_code: f.booking_code,
    };
    match service::issue_ticket_at_kiosk(&p.db, &actor, n, &settings).await {
        Ok(t) => kiosk_render(&p, &actor, chrome, Some(t), None).await,
        Err(e @ Error::Problem(_)) => {
            let pr = e.to_problem();
            if pr.code.starts_with("kiosk.") || pr.code.starts_with("desk.") {
                return Err(PageError(pr));
            }
            kiosk_render(&p, &actor, chrome, None, Some(pr.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

// --- The operator's queue at their desk -----------------------------------------------------

#[derive(Template)]
#[template(path = "desk_queue.html")]
struct QueuePage {
    chrome: Chrome,
    board: Board,
    window: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct QueueForm {
    #[serde(default)]
    window: String,
}

/// The operator's queue at their desk: the office's tickets today, «Вызвать следующего» to their
/// window, and the called ticket moved on (начать приём, завершить, не явился).
async fn queue_render(
    p: &Platform,
    settings: &Settings,
    actor: &okno_kernel::Actor,
    chrome: Chrome,
    window: String,
    outcome: std::result::Result<Option<String>, String>,
) -> std::result::Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let (o, _) = crate::desk::current_desk(&p.db, actor).await?;
    let board = service::board(&p.db, &o.code, settings).await?;
    let (notice, error) = match outcome {
        Ok(n) => (n, None),
        Err(e) => (None, Some(e)),
    };
    Ok(render(&QueuePage {
        chrome,
        board,
        window: if window.trim().is_empty() {
            "1".into()
        } else {
            window
        },
        notice,
        error,
    }))
}

async fn queue_page(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<QueueForm>,
) -> std::result::Result<Response, PageError> {
    queue_render(&p, &settings, &actor, chrome, q.window, Ok(None)).await
}

async fn queue_call(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<QueueForm>,
) -> std::result::Result<Response, PageError> {
    let (o, _) = crate::desk::current_desk(&p.db, &actor).await?;
    let called = service::call_next(
        &p.db,
        &actor,
        &o.code,
        service::CallNext {
            window: f.window.clone(),
            service: None,
        },
    )
    .await;
    let outcome = match called {
        Ok(t) => Ok(Some(format!(
            "Вызван талон {} в окно {}.",
            t.label,
            f.window.trim()
        ))),
        Err(e @ Error::Problem(_)) => Err(e.to_problem().detail),
        Err(e) => return Err(e.into()),
    };
    queue_render(&p, &settings, &actor, chrome, f.window, outcome).await
}

async fn queue_ticket(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<QueueForm>,
) -> std::result::Result<Response, PageError> {
    use service::TicketAction;
    let a = match action.as_str() {
        "start" => TicketAction::Start,
        "finish" => TicketAction::Finish,
        "no-show" => TicketAction::NoShow,
        _ => return Err(PageError(Problem::not_found("Страница не найдена."))),
    };
    let outcome = match service::ticket_action(&p.db, &actor, &id, a).await {
        Ok(t) => Ok(Some(format!("Талон {}: {}.", t.label, t.status_title))),
        Err(e @ Error::Problem(_)) => Err(e.to_problem().detail),
        Err(e) => return Err(e.into()),
    };
    queue_render(&p, &settings, &actor, chrome, f.window, outcome).await
}
