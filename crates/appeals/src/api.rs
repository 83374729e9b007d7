//! JSON API of the appeals part: reference data, filing and the author's actions
//! (`/api/v1/appeals`), the moderation queue (`/api/v1/moderation/appeals`), the body's desk
//! (`/api/v1/body/appeals`), officials' assignments and the public figures. Thin handlers that
//! parse, call one use case and answer.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use okno_kernel::error::{Problem, Result};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::service::{
    self, Answer, AppealView, Assignment, BodyView, CategoryView, DeskRow, EventView,
    Extension as Ext, Figures, FileView, Forward, MessageView, Moderation, NewAppeal, PublicReport,
    Rating, Settings, SubcategoryView, TerritoryView, Verdict,
};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/v1/appeals/categories", get(categories))
        .route("/api/v1/appeals/bodies", get(bodies))
        .route("/api/v1/appeals/territories", get(territories))
        .route("/api/v1/appeals", get(mine).post(file))
        .route("/api/v1/appeals/officials", post(assign))
        .route("/api/v1/appeals/{id}", get(one))
        .route("/api/v1/appeals/{id}/correction", post(correct))
        .route("/api/v1/appeals/{id}/comments", post(comment))
        .route("/api/v1/appeals/{id}/rating", post(rate))
        .route("/api/v1/appeals/{id}/files", post(attach))
        .route("/api/v1/appeals/{id}/files/{file}", get(download))
        .route("/api/v1/moderation/appeals", get(queue))
        .route("/api/v1/moderation/appeals/{id}", post(moderate))
        .route("/api/v1/body/appeals", get(desk))
        .route("/api/v1/body/appeals/{id}/take", post(take))
        .route("/api/v1/body/appeals/{id}/forward", post(forward))
        .route("/api/v1/body/appeals/{id}/answers", post(answer))
        .route("/api/v1/body/appeals/{id}/extension", post(extend))
        .route("/api/v1/public/reports", get(reports))
        .route("/api/v1/public/figures", get(figures))
        .route("/api/v1/public/figures.csv", get(figures_csv))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(categories, bodies, territories, mine, file, assign, one, correct, comment, rate, attach,
        download, queue, moderate, desk, take, forward, answer, extend, reports, figures, figures_csv),
    components(schemas(AppealView, EventView, MessageView, FileView, CategoryView, SubcategoryView,
        BodyView, TerritoryView, NewAppeal, Moderation, Verdict, Forward, Answer, Ext, Rating,
        Assignment, DeskRow, PublicReport, Figures, Text, crate::model::Kind, crate::model::Status,
        crate::model::RejectReason)),
    tags((name = "appeals", description = "Обращения граждан: подача, модерация, ответы органов, оценки, открытые данные"))
)]
pub struct AppealsApi;

/// The category tree (categories with their subcategories).
#[utoipa::path(get, path = "/api/v1/appeals/categories", tag = "appeals",
    responses((status = 200, body = Vec<CategoryView>)))]
async fn categories(State(p): State<Platform>) -> Result<Json<Vec<CategoryView>>> {
    Ok(Json(service::categories(&p.db).await?))
}

/// The bodies that answer appeals, with their supervising bodies.
#[utoipa::path(get, path = "/api/v1/appeals/bodies", tag = "appeals",
    responses((status = 200, body = Vec<BodyView>)))]
async fn bodies(State(p): State<Platform>) -> Result<Json<Vec<BodyView>>> {
    Ok(Json(service::bodies(&p.db).await?))
}

/// Regions and municipalities.
#[utoipa::path(get, path = "/api/v1/appeals/territories", tag = "appeals",
    responses((status = 200, body = Vec<TerritoryView>)))]
async fn territories(State(p): State<Platform>) -> Result<Json<Vec<TerritoryView>>> {
    Ok(Json(service::territories(&p.db).await?))
}

/// The signed-in person's appeals, newest first.
#[utoipa::path(get, path = "/api/v1/appeals", tag = "appeals",
    responses((status = 200, body = Vec<AppealView>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn mine(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<AppealView>>> {
    Ok(Json(service::mine(&p, &actor).await?))
}

/// File an appeal or a problem report: it is numbered at once and waits for moderation.
#[utoipa::path(post, path = "/api/v1/appeals", tag = "appeals", request_body = NewAppeal,
    responses((status = 201, body = AppealView),
        (status = 400, description = "validation.failed", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn file(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewAppeal>,
) -> Result<(StatusCode, Json<AppealView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::file(&p, &actor, body).await?),
    ))
}

/// One appeal (its author, a moderator, or an official of the body it is at).
#[utoipa::path(get, path = "/api/v1/appeals/{id}", tag = "appeals", params(("id" = String, Path)),
    responses((status = 200, body = AppealView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn one(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<AppealView>> {
    Ok(Json(service::get(&p, &actor, &id).await?))
}

/// A text: a correction or a comment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub text: String,
}

/// Correct the text after the moderator sent the appeal back; it returns to the queue.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/correction", tag = "appeals", params(("id" = String, Path)),
    request_body = Text,
    responses((status = 200, body = AppealView), (status = 409, description = "appeal.not_editable", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn correct(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Text>,
) -> Result<Json<AppealView>> {
    Ok(Json(service::correct(&p, &actor, &id, &body.text).await?))
}

/// Add a comment to one's own appeal.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/comments", tag = "appeals", params(("id" = String, Path)),
    request_body = Text,
    responses((status = 201, body = AppealView), (status = 409, description = "appeal.closed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn comment(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Text>,
) -> Result<(StatusCode, Json<AppealView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::comment(&p, &actor, &id, &body.text).await?),
    ))
}

/// Rate the final answer 1–5 and say whether the problem was solved. A rating of 2 or lower
/// within 30 days of the answer re-opens the appeal at the supervising body.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/rating", tag = "appeals", params(("id" = String, Path)),
    request_body = Rating,
    responses((status = 200, body = AppealView), (status = 409, description = "appeal.transition_forbidden", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn rate(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Rating>,
) -> Result<Json<AppealView>> {
    Ok(Json(service::rate(&p, &settings, &actor, &id, body).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// The file's name as the person sees it.
    pub name: Option<String>,
    /// An answer of the body the file belongs to (officials).
    pub message: Option<String>,
}

/// Attach a photo or a document: the body is the file itself (PDF, JPG or PNG, at most 5 MB),
/// its type told from the content.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/files", tag = "appeals",
    params(("id" = String, Path), AttachQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = FileView),
        (status = 413, description = "attachment.too_large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "attachment.type", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn attach(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    body: Body,
) -> Result<(StatusCode, Json<FileView>)> {
    let bytes = okno_kernel::http::read_upload(body).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            service::attach(
                &p,
                &settings.files(),
                &actor,
                &id,
                q.message.as_deref().filter(|m| !m.is_empty()),
                &q.name.unwrap_or_default(),
                &bytes,
            )
            .await?,
        ),
    ))
}

/// Download a file of an appeal.
#[utoipa::path(get, path = "/api/v1/appeals/{id}/files/{file}", tag = "appeals",
    params(("id" = String, Path), ("file" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn download(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response> {
    let (f, bytes) = service::file_of(&p, &settings.files(), &actor, &id, &file).await?;
    Ok(okno_kernel::http::download(
        &f.content_type,
        &f.file_name,
        bytes,
    ))
}

/// The moderation queue, oldest first (moderators).
#[utoipa::path(get, path = "/api/v1/moderation/appeals", tag = "appeals",
    responses((status = 200, body = Vec<AppealView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn queue(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<AppealView>>> {
    Ok(Json(service::moderation_queue(&p, &actor).await?))
}

/// Take, accept (routed by the rules, or to the body named), send back or reject (with a reason
/// from the fixed list) an appeal (moderators).
#[utoipa::path(post, path = "/api/v1/moderation/appeals/{id}", tag = "appeals", params(("id" = String, Path)),
    request_body = Moderation,
    responses((status = 200, body = AppealView),
        (status = 400, description = "appeal.reason_required, appeal.note_required", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "appeal.transition_forbidden, appeal.no_route", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn moderate(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Moderation>,
) -> Result<Json<AppealView>> {
    Ok(Json(
        service::moderate(&p, &settings, &actor, &id, body).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeskQuery {
    /// Only this status.
    pub status: Option<String>,
}

/// The body's desk: appeals at the official's bodies, overdue first, then by due date.
#[utoipa::path(get, path = "/api/v1/body/appeals", tag = "appeals", params(DeskQuery),
    responses((status = 200, body = Vec<DeskRow>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn desk(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<DeskQuery>,
) -> Result<Json<Vec<DeskRow>>> {
    Ok(Json(service::desk(&p, &actor, q.status.as_deref()).await?))
}

/// Take the appeal in work.
#[utoipa::path(post, path = "/api/v1/body/appeals/{id}/take", tag = "appeals", params(("id" = String, Path)),
    responses((status = 200, body = AppealView), (status = 403, description = "appeal.not_official", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn take(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<AppealView>> {
    Ok(Json(service::take(&p, &actor, &id).await?))
}

/// Forward to another body with a reason the author sees (59-ФЗ art. 8 part 3).
#[utoipa::path(post, path = "/api/v1/body/appeals/{id}/forward", tag = "appeals", params(("id" = String, Path)),
    request_body = Forward,
    responses((status = 200, body = AppealView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn forward(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Forward>,
) -> Result<Json<AppealView>> {
    Ok(Json(
        service::forward(&p, &settings, &actor, &id, body).await?,
    ))
}

/// Answer: interim (`final: false`) or final; attach files to it with `?message=`.
#[utoipa::path(post, path = "/api/v1/body/appeals/{id}/answers", tag = "appeals", params(("id" = String, Path)),
    request_body = Answer,
    responses((status = 201, body = AppealView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn answer(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Answer>,
) -> Result<(StatusCode, Json<AppealView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::answer(&p, &actor, &id, body).await?),
    ))
}

/// Extend the 59-ФЗ term once, by up to 30 days, with a notice to the author (art. 12 part 2).
#[utoipa::path(post, path = "/api/v1/body/appeals/{id}/extension", tag = "appeals", params(("id" = String, Path)),
    request_body = Ext,
    responses((status = 200, body = AppealView),
        (status = 400, description = "appeal.extension_days", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "appeal.already_extended, appeal.extension_not_allowed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn extend(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Ext>,
) -> Result<Json<AppealView>> {
    Ok(Json(
        service::extend(&p, &settings, &actor, &id, body).await?,
    ))
}

/// Assign an official (a staff account or an API token with the official role) to a body
/// (administrators).
#[utoipa::path(post, path = "/api/v1/appeals/officials", tag = "appeals", request_body = Assignment,
    responses((status = 201, description = "Назначен"), (status = 200, description = "Уже был назначен"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn assign(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<Assignment>,
) -> Result<StatusCode> {
    Ok(if service::assign_official(&p.db, &actor, &body).await? {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// At most this many (1–1000, 200 by default).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Published problem reports, without personal data.
#[utoipa::path(get, path = "/api/v1/public/reports", tag = "appeals", params(ListQuery),
    responses((status = 200, body = Vec<PublicReport>),
        (status = 400, description = "limit вне 1–1000", body = Problem, content_type = "application/problem+json")))]
async fn reports(
    State(p): State<Platform>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<PublicReport>>> {
    let limit = Problem::in_range("limit", q.limit, 200, 1..=1000)?;
    Ok(Json(service::published(&p.db, limit).await?))
}

/// Figures per body: received, answered in time, overdue share, median answer time, mean rating.
#[utoipa::path(get, path = "/api/v1/public/figures", tag = "appeals",
    responses((status = 200, body = Vec<Figures>)))]
async fn figures(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
) -> Result<Json<Vec<Figures>>> {
    let c = settings.figures.get(&p.db).await?;
    Ok(Json(c.figures.as_ref().clone()))
}

/// The figures as CSV.
#[utoipa::path(get, path = "/api/v1/public/figures.csv", tag = "appeals",
    responses((status = 200, description = "text/csv")))]
async fn figures_csv(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
) -> Result<Response> {
    let rows = settings.figures.get(&p.db).await?.figures;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"appeals-figures.csv\"",
            ),
        ],
        service::figures_csv(&rows),
    )
        .into_response())
}
