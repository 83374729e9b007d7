//! JSON API of the offices part under `/api/v1/offices`, `/api/v1/appointments` and
//! `/api/v1/queue`: thin handlers that parse, call one use case and answer.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use okno_kernel::clock::now_ms;
use okno_kernel::error::{Problem, Result};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::Platform;
use serde::{Deserialize, Serialize};

use crate::service::{
    self, AppointmentView, Board, BoardTicket, CallNext, DayView, Estimate, GenerateSlots,
    Generated, NewSlot, NewTicket, OfficeView, Search, ServiceRef, Settings, SlotView,
    TicketAction, TicketView,
};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/v1/offices/search", get(search))
        .route("/api/v1/offices/{code}", get(office))
        .route("/api/v1/offices/{code}/services", post(add_service))
        .route(
            "/api/v1/offices/{code}/slots",
            get(slots).post(publish_slot),
        )
        .route("/api/v1/offices/{code}/slots/generate", post(generate))
        .route("/api/v1/offices/{code}/queue", get(board))
        .route("/api/v1/offices/{code}/queue/tickets", post(issue_ticket))
        .route("/api/v1/offices/{code}/queue/call", post(call_next))
        .route("/api/v1/queue/tickets/{id}/start", post(ticket_start))
        .route("/api/v1/queue/tickets/{id}/finish", post(ticket_finish))
        .route("/api/v1/queue/tickets/{id}/no-show", post(ticket_no_show))
        .route("/api/v1/appointments", get(my_appointments).post(book))
        .route("/api/v1/appointments/{id}/cancel", post(cancel))
        .route("/api/v1/appointments/{id}/move", post(reschedule))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(search, office, add_service, slots, publish_slot, generate, board, issue_ticket, call_next,
        ticket_start, ticket_finish, ticket_no_show, my_appointments, book, cancel, reschedule),
    components(schemas(OfficeView, ServiceRef, DayView, SlotView, NewSlot, GenerateSlots, Generated,
        AppointmentView, Booking, Move, NewService, NewTicket, TicketView, CallNext, Board, BoardTicket,
        Estimate, crate::model::OfficeKind, crate::model::TicketStatus, crate::model::BookingStatus)),
    tags((name = "offices", description = "Пункты обслуживания: поиск, часы работы, запись на приём, электронная очередь"))
)]
pub struct OfficesApi;

/// Search service points by city, kind and service; nearest first when `lat`/`lon` are given.
/// Each carries today's hours in its local time and whether it is open now.
#[utoipa::path(get, path = "/api/v1/offices/search", tag = "offices", params(Search),
    responses((status = 200, body = Vec<OfficeView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn search(
    State(p): State<Platform>,
    Query(q): Query<Search>,
) -> Result<Json<Vec<OfficeView>>> {
    Ok(Json(service::search(&p.db, &q, now_ms()).await?))
}

/// One service point.
#[utoipa::path(get, path = "/api/v1/offices/{code}", tag = "offices",
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 200, body = OfficeView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn office(State(p): State<Platform>, Path(code): Path<String>) -> Result<Json<OfficeView>> {
    Ok(Json(service::office(&p.db, &code, now_ms()).await?))
}

/// A service to add to an office.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OfficeServiceLink)]
pub struct NewService {
    pub service: String,
}

/// Add a service to those an office offers (administrator).
#[utoipa::path(post, path = "/api/v1/offices/{code}/services", tag = "offices", request_body = NewService,
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 201, description = "Добавлена"), (status = 200, description = "Уже была"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn add_service(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<NewService>,
) -> Result<StatusCode> {
    Ok(
        if service::add_service(&p.db, &actor, &code, &body.service).await? {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// Only slots of this service.
    pub service: Option<String>,
    /// Days ahead, 1–31 [default: 14].
    #[param(minimum = 1, maximum = 31)]
    pub days: Option<i64>,
}

/// Free slots of an office from now on.
#[utoipa::path(get, path = "/api/v1/offices/{code}/slots", tag = "offices",
    params(("code" = String, Path, description = "Код пункта"), SlotQuery),
    responses((status = 200, body = Vec<SlotView>),
        (status = 400, description = "days вне 1–31", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn slots(
    State(p): State<Platform>,
    Path(code): Path<String>,
    Query(q): Query<SlotQuery>,
) -> Result<Json<Vec<SlotView>>> {
    let service = q.service.as_deref().filter(|s| !s.is_empty());
    Ok(Json(
        service::free_slots(&p.db, &code, service, q.days, now_ms()).await?,
    ))
}

/// Publish one slot (administrator): local date and time in the office's zone, inside its hours.
#[utoipa::path(post, path = "/api/v1/offices/{code}/slots", tag = "offices", request_body = NewSlot,
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 201, body = SlotView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "slot.past, slot.outside_hours, slot.exists", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn publish_slot(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<NewSlot>,
) -> Result<(StatusCode, Json<SlotView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::publish_slot(&p.db, &actor, &code, body).await?),
    ))
}

/// Cut slots from the office's hours for a span of days (administrator).
#[utoipa::path(post, path = "/api/v1/offices/{code}/slots/generate", tag = "offices", request_body = GenerateSlots,
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 200, body = Generated), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn generate(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<GenerateSlots>,
) -> Result<Json<Generated>> {
    Ok(Json(
        service::generate_slots(&p.db, &actor, &code, body).await?,
    ))
}

/// A slot to book.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    pub slot_id: String,
}

/// The signed-in person's bookings.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "offices",
    responses((status = 200, body = Vec<AppointmentView>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn my_appointments(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<AppointmentView>>> {
    Ok(Json(service::my_appointments(&p.db, &actor).await?))
}

/// Book a place in a slot (a signed-in person).
#[utoipa::path(post, path = "/api/v1/appointments", tag = "offices", request_body = Booking,
    responses((status = 201, body = AppointmentView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "slot.full, slot.past, appointment.duplicate", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn book(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<Booking>,
) -> Result<(StatusCode, Json<AppointmentView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::book(&p.db, &actor, &body.slot_id).await?),
    ))
}

/// Cancel one's booking.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "offices",
    params(("id" = String, Path, description = "Идентификатор записи")),
    responses((status = 200, body = AppointmentView), (status = 404, description = "appointment.not_found (also someone else's)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "booking.cancelled, booking.started", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn cancel(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<AppointmentView>> {
    Ok(Json(service::cancel(&p.db, &actor, &id).await?))
}

/// Where to move a booking.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    pub slot_id: String,
}

/// Move one's booking to another slot of the same office and service.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/move", tag = "offices", request_body = Move,
    params(("id" = String, Path, description = "Идентификатор записи")),
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "slot.full, slot.past, booking.cancelled, booking.started", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn reschedule(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Move>,
) -> Result<Json<AppointmentView>> {
    Ok(Json(
        service::reschedule(&p.db, &actor, &id, &body.slot_id).await?,
    ))
}

/// The office's queue now: tickets at windows, waiting count and the wait estimate.
#[utoipa::path(get, path = "/api/v1/offices/{code}/queue", tag = "offices",
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 200, body = Board), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn board(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    Path(code): Path<String>,
) -> Result<Json<Board>> {
    Ok(Json(service::board(&p.db, &code, &settings).await?))
}

/// Issue a queue ticket: walk-in by service, or by booking code (goes first). Operators.
#[utoipa::path(post, path = "/api/v1/offices/{code}/queue/tickets", tag = "offices", request_body = NewTicket,
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 201, body = TicketView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "ticket.already_issued, ticket.booking_elsewhere", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn issue_ticket(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<NewTicket>,
) -> Result<(StatusCode, Json<TicketView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::issue_ticket(&p.db, &actor, &code, body, &settings).await?),
    ))
}

/// Call the next ticket to a window (operators).
#[utoipa::path(post, path = "/api/v1/offices/{code}/queue/call", tag = "offices", request_body = CallNext,
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 200, body = TicketView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "queue.empty, queue.window_busy", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn call_next(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<CallNext>,
) -> Result<Json<TicketView>> {
    Ok(Json(service::call_next(&p.db, &actor, &code, body).await?))
}

async fn act(
    p: &Platform,
    actor: &okno_kernel::Actor,
    id: &str,
    a: TicketAction,
) -> Result<Json<TicketView>> {
    Ok(Json(service::ticket_action(&p.db, actor, id, a).await?))
}

/// The called person came to the window: serving (operators).
#[utoipa::path(post, path = "/api/v1/queue/tickets/{id}/start", tag = "offices",
    params(("id" = String, Path, description = "Идентификатор талона")),
    responses((status = 200, body = TicketView), (status = 409, description = "ticket.transition", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn ticket_start(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<TicketView>> {
    act(&p, &actor, &id, TicketAction::Start).await
}

/// The visit is over: done (operators).
#[utoipa::path(post, path = "/api/v1/queue/tickets/{id}/finish", tag = "offices",
    params(("id" = String, Path, description = "Идентификатор талона")),
    responses((status = 200, body = TicketView), (status = 409, description = "ticket.transition", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn ticket_finish(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<TicketView>> {
    act(&p, &actor, &id, TicketAction::Finish).await
}

/// The called person did not come: no-show (operators).
#[utoipa::path(post, path = "/api/v1/queue/tickets/{id}/no-show", tag = "offices",
    params(("id" = String, Path, description = "Идентификатор талона")),
    responses((status = 200, body = TicketView), (status = 409, description = "ticket.transition", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn ticket_no_show(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<TicketView>> {
    act(&p, &actor, &id, TicketAction::NoShow).await
}
