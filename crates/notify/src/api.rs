//! JSON API of the notify part: send by hand, the delivery journal, retry.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okno_kernel::error::{Problem, Result};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::Platform;
use serde::{Deserialize, Serialize};

use crate::model::{Message, Status};
use crate::service::{self, DeliveryDetail};
use crate::store::{Delivery, Filter, RoutingFailure};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/v1/notifications", post(send))
        .route("/api/v1/deliveries", get(list))
        .route("/api/v1/deliveries/{id}", get(detail))
        .route("/api/v1/deliveries/{id}/retry", post(retry))
        .route("/api/v1/routing-failures", get(unroutable))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(send, list, detail, retry, unroutable),
    components(schemas(SendRequest, Queued, Message, Delivery, DeliveryDetail, RoutingFailure, crate::store::Attempt, crate::model::Channel, Status)),
    tags((name = "notify", description = "Уведомления: отправка и журнал доставки"))
)]
pub struct NotifyApi;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queued {
    /// The outbox event that carries the messages.
    pub event_id: String,
}

/// Queue messages by hand (administrator).
#[utoipa::path(post, path = "/api/v1/notifications", tag = "notify",
    request_body = SendRequest,
    responses(
        (status = 202, description = "Принято к отправке", body = Queued),
        (status = 400, description = "Ошибка в данных", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Нет права notifications.send", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn send(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<SendRequest>,
) -> Result<(StatusCode, Json<Queued>)> {
    let event_id = service::send_by_hand(&p.db, &actor, body.messages).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { event_id })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `pending`, `sent` or `dead` (empty: any).
    #[param(pattern = "^(pending|sent|dead)?$")]
    pub status: Option<String>,
    /// `inbox`, `email` or `sms` (empty: any).
    #[param(pattern = "^(inbox|email|sms)?$")]
    pub channel: Option<String>,
    /// Cursor: the id of the last delivery of the previous page.
    pub before: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

impl ListQuery {
    pub fn filter(&self) -> std::result::Result<Filter, Problem> {
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                Problem::invalid_field(
                    "status",
                    "notify.status_unknown",
                    "Допустимые значения: pending, sent, dead.",
                )
            })?),
        };
        let channel = match self.channel.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(c) => Some(
                crate::model::Channel::parse(c)
                    .ok_or_else(|| {
                        Problem::invalid_field(
                            "channel",
                            "notify.channel_unknown",
                            "Допустимые значения: inbox, email, sms.",
                        )
                    })?
                    .as_str()
                    .to_string(),
            ),
        };
        Ok(Filter {
            status,
            channel,
            before_id: self.before.clone().filter(|s| !s.is_empty()),
            limit: Problem::in_range("limit", self.limit, 50, 1..=200)?,
        })
    }
}

/// The delivery journal, newest first.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "notify", params(ListQuery),
    responses((status = 200, body = Vec<Delivery>),
        (status = 400, description = "Неизвестный статус или канал, limit вне 1–200", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Delivery>>> {
    Ok(Json(
        service::list_deliveries(&p.db, &actor, &q.filter()?).await?,
    ))
}

/// One delivery with every attempt.
#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "notify",
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryDetail), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn detail(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<DeliveryDetail>> {
    Ok(Json(service::get_delivery(&p.db, &actor, &id).await?))
}

/// Send a dead delivery again. A delivery that carried a one-time code cannot be: its text is gone.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "notify",
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 204, description = "Поставлено в очередь"), (status = 409, description = "Отправка не в статусе «не доставлено» (notify.not_dead) или содержала одноразовый код (notify.delivery_sensitive)", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn retry(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    service::retry(&p.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Events that could not be routed into deliveries, latest failure first (at most 200): retried
/// with back-off, then given up with the error kept here. They never hold up other messages.
#[utoipa::path(get, path = "/api/v1/routing-failures", tag = "notify",
    responses(
        (status = 200, body = Vec<RoutingFailure>),
        (status = 401, description = "Нет учётных данных", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Нет права deliveries.read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn unroutable(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<RoutingFailure>>> {
    Ok(Json(service::routing_failures(&p.db, &actor, 200).await?))
}
