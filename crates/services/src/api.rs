//! JSON API of the services part: the catalogue with forms (`/api/v1/catalogue`), applications
//! (`/api/v1/applications`), the agency desk (`/api/v1/desk`) and officials' assignments
//! (`/api/v1/officials`). Thin handlers that parse, call one use case and answer.

use std::collections::BTreeMap;
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
use serde_json::Value;

use crate::model::Transition;
use crate::service::{
    self, AgencyFigures, ApplicationView, Assignment, AttachmentView, DeskFilter, DeskRow,
    EventView, NewVersion, ResultView, ServiceView, Settings, Step,
};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/v1/catalogue", get(catalogue))
        .route("/api/v1/catalogue/{code}", get(catalogue_service))
        .route("/api/v1/catalogue/{code}/versions", post(publish_version))
        .route("/api/v1/applications", get(mine).post(start))
        .route("/api/v1/applications/{id}", get(one))
        .route("/api/v1/applications/{id}/data", axum::routing::put(save))
        .route("/api/v1/applications/{id}/attachments", post(attach))
        .route(
            "/api/v1/applications/{id}/attachments/{file}",
            get(download),
        )
        .route("/api/v1/applications/{id}/result", get(result))
        .route("/api/v1/applications/{id}/submit", post(submit))
        .route("/api/v1/applications/{id}/clarify", post(clarify))
        .route("/api/v1/applications/{id}/withdraw", post(withdraw))
        .route("/api/v1/applications/{id}/rating", post(rate))
        .route("/api/v1/agency/applications", get(desk))
        .route("/api/v1/agency/applications.csv", get(desk_csv))
        .route("/api/v1/agency/figures", get(figures))
        .route("/api/v1/agency/applications/{id}/take", post(take))
        .route(
            "/api/v1/agency/applications/{id}/ask-clarification",
            post(ask),
        )
        .route("/api/v1/agency/applications/{id}/approve", post(approve))
        .route("/api/v1/agency/applications/{id}/reject", post(reject))
        .route("/api/v1/agency/applications/{id}/fulfil", post(fulfil))
        .route(
            "/api/v1/agency/applications/{id}/fulfil/file",
            post(fulfil_with_file),
        )
        .route("/api/v1/officials", post(assign))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(catalogue, catalogue_service, publish_version, mine, start, one, save, attach, download, result, rate,
        submit, clarify, withdraw, desk, desk_csv, figures, take, ask, approve, reject, fulfil, fulfil_with_file, assign),
    components(schemas(ServiceView, NewVersion, ApplicationView, crate::service::RatingView, crate::service::FeeView, crate::service::NewRating, AttachmentView, EventView, DeskRow, ResultView, AgencyFigures,
        Step, Assignment, NewApplication, Draft, crate::form::Form, crate::form::Field,
        crate::form::FieldKind, crate::form::Choice, crate::form::VisibleIf, crate::model::Status,
        crate::model::ApplicantKind, crate::model::FeeAt)),
    tags((name = "services", description = "Государственные услуги: каталог с формами, заявления, рабочее место ведомства"))
)]
pub struct ServicesApi;

/// Services that take applications online, each with its current form.
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "services",
    responses((status = 200, body = Vec<ServiceView>)))]
async fn catalogue(State(p): State<Platform>) -> Result<Json<Vec<ServiceView>>> {
    Ok(Json(service::catalogue(&p.db).await?))
}

/// One service with its current form.
#[utoipa::path(get, path = "/api/v1/catalogue/{code}", tag = "services",
    params(("code" = String, Path, description = "Код услуги")),
    responses((status = 200, body = ServiceView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn catalogue_service(
    State(p): State<Platform>,
    Path(code): Path<String>,
) -> Result<Json<ServiceView>> {
    Ok(Json(service::service(&p.db, &code).await?))
}

/// Publish a new version of a service's form (administrator). Applications already started keep
/// the version they were started with.
#[utoipa::path(post, path = "/api/v1/catalogue/{code}/versions", tag = "services", request_body = NewVersion,
    params(("code" = String, Path, description = "Код услуги")),
    responses((status = 201, body = ServiceView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn publish_version(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<NewVersion>,
) -> Result<(StatusCode, Json<ServiceView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::publish_version(&p.db, &actor, &code, body).await?),
    ))
}

/// The applications of the signed-in person (or of the principal or organisation acted for).
#[utoipa::path(get, path = "/api/v1/applications", tag = "services",
    responses((status = 200, body = Vec<ApplicationView>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn mine(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<ApplicationView>>> {
    Ok(Json(service::mine(&p, &actor).await?))
}

/// Which service to apply for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    pub service: String,
}

/// Start a draft at the service's current form version.
#[utoipa::path(post, path = "/api/v1/applications", tag = "services", request_body = NewApplication,
    responses((status = 201, body = ApplicationView),
        (status = 403, description = "application.level_too_low, application.applicant_kind, application.person_only", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn start(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewApplication>,
) -> Result<(StatusCode, Json<ApplicationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::start(&p, &actor, &body.service).await?),
    ))
}

/// One application (its applicant, or an official of its agency).
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "services",
    params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn one(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>> {
    Ok(Json(service::get(&p, &actor, &id).await?))
}

/// The values typed so far.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    #[schema(value_type = Object)]
    pub data: BTreeMap<String, Value>,
}

/// Save the draft (autosave as the person types; also while clarification is asked).
#[utoipa::path(put, path = "/api/v1/applications/{id}/data", tag = "services", request_body = Draft,
    params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView),
        (status = 409, description = "application.not_editable", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn save(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Draft>,
) -> Result<Json<ApplicationView>> {
    Ok(Json(service::save(&p, &actor, &id, body.data).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// The form's file field.
    pub field: String,
    /// The file's name as the person sees it.
    pub name: Option<String>,
}

/// Attach a file: the body is the file itself (PDF, JPG or PNG, at most 5 MB). Its type is told
/// from the content, not from the name or the Content-Type.
#[utoipa::path(post, path = "/api/v1/applications/{id}/attachments", tag = "services",
    params(("id" = String, Path), AttachQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView),
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
) -> Result<(StatusCode, Json<AttachmentView>)> {
    let bytes = okno_kernel::http::read_upload(body).await?;
    let name = q.name.unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(service::attach(&p, &settings.files(), &actor, &id, &q.field, &name, &bytes).await?),
    ))
}

/// Download an attached file.
#[utoipa::path(get, path = "/api/v1/applications/{id}/attachments/{file}", tag = "services",
    params(("id" = String, Path), ("file" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn download(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response> {
    let (f, bytes) = service::attachment(&p, &settings.files(), &actor, &id, &file).await?;
    Ok(okno_kernel::http::download(
        &f.content_type,
        &f.file_name,
        bytes,
    ))
}

/// Download the signed result document (PDF) of an application.
#[utoipa::path(get, path = "/api/v1/applications/{id}/result", tag = "services",
    params(("id" = String, Path)),
    responses((status = 200, description = "The PDF; its check is /verify/{document id}", content_type = "application/pdf"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn result(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response> {
    let (r, bytes) = service::result_document(&p, &settings, &actor, &id).await?;
    Ok(okno_kernel::http::download(
        "application/pdf",
        &format!("result-{}.pdf", r.id),
        bytes,
    ))
}

async fn step(
    p: &Platform,
    settings: &Settings,
    actor: &okno_kernel::Actor,
    id: &str,
    t: Transition,
    body: Option<Step>,
) -> Result<Json<ApplicationView>> {
    Ok(Json(
        service::transition(p, settings, actor, id, t, body.unwrap_or_default()).await?,
    ))
}

/// Optional JSON body of a step: an empty body is no comment.
async fn optional_step(body: axum::body::Bytes) -> Result<Option<Step>, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        okno_kernel::http::parse_json(&body).map(Some)
    }
}

/// Submit the draft: validated against the form, numbered, given a decision date.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "services",
    params(("id" = String, Path)), request_body(content = Option<Step>),
    responses((status = 200, body = ApplicationView),
        (status = 400, description = "validation.failed with every invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "application.transition_forbidden", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn submit(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ApplicationView>> {
    let b = optional_step(body).await?;
    step(&p, &settings, &actor, &id, Transition::Submit, b).await
}

/// Answer a request for clarification (after adding documents): back in line.
#[utoipa::path(post, path = "/api/v1/applications/{id}/clarify", tag = "services",
    params(("id" = String, Path)), request_body = Step,
    responses((status = 200, body = ApplicationView), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn clarify(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ApplicationView>> {
    let b = optional_step(body).await?;
    step(&p, &settings, &actor, &id, Transition::Clarify, b).await
}

/// Withdraw the application before a decision.
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "services",
    params(("id" = String, Path)), request_body(content = Option<Step>),
    responses((status = 200, body = ApplicationView), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn withdraw(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ApplicationView>> {
    let b = optional_step(body).await?;
    step(&p, &settings, &actor, &id, Transition::Withdraw, b).await
}

/// Rate the service once the application is decided (executed or refused); once.
#[utoipa::path(post, path = "/api/v1/applications/{id}/rating", tag = "services",
    params(("id" = String, Path)), request_body = crate::service::NewRating,
    responses((status = 200, body = ApplicationView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not decided yet, or rated already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn rate(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<crate::service::NewRating>,
) -> Result<Json<ApplicationView>> {
    Ok(Json(service::rate(&p, &actor, &id, b).await?))
}

/// The desk: incoming applications of the official's agencies with working days left; overdue
/// ones first.
#[utoipa::path(get, path = "/api/v1/agency/applications", tag = "services", params(DeskFilter),
    responses((status = 200, body = Vec<DeskRow>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn desk(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Query(f): Query<DeskFilter>,
) -> Result<Json<Vec<DeskRow>>> {
    Ok(Json(service::desk(&p.db, &actor, &f).await?))
}

/// Figures per agency: received, decided, overdue now, decided late, median decision time in
/// working days. An official sees their agencies; an administrator or auditor every agency.
#[utoipa::path(get, path = "/api/v1/agency/figures", tag = "services",
    responses((status = 200, body = Vec<AgencyFigures>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn figures(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<AgencyFigures>>> {
    Ok(Json(service::figures(&p.db, &actor).await?))
}

/// The desk list as CSV.
#[utoipa::path(get, path = "/api/v1/agency/applications.csv", tag = "services", params(DeskFilter),
    responses((status = 200, description = "text/csv"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn desk_csv(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Query(f): Query<DeskFilter>,
) -> Result<Response> {
    let rows = service::desk(&p.db, &actor, &f).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"applications.csv\"",
            ),
        ],
        service::desk_csv(&rows),
    )
        .into_response())
}

macro_rules! desk_step {
    ($name:ident, $path:literal, $t:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "services",
            params(("id" = String, Path)), request_body(content = Option<Step>),
            responses((status = 200, body = ApplicationView),
                (status = 400, description = "application.reason_required, application.comment_required", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "desk.not_official", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "application.transition_forbidden", body = Problem, content_type = "application/problem+json")),
            security(("bearer" = [])))]
        async fn $name(
            State(p): State<Platform>,
            Extension(settings): Extension<Arc<Settings>>,
            CurrentActor(actor): CurrentActor,
            Path(id): Path<String>,
            body: axum::body::Bytes,
        ) -> Result<Json<ApplicationView>> {
            let b = optional_step(body).await?;
            step(&p, &settings, &actor, &id, $t, b).await
        }
    };
}

desk_step!(
    take,
    "/api/v1/agency/applications/{id}/take",
    Transition::Take,
    "Take an application from the line (official of the agency)."
);
desk_step!(
    ask,
    "/api/v1/agency/applications/{id}/ask-clarification",
    Transition::AskClarification,
    "Ask the person for documents or an explanation (a comment is required); the term pauses."
);
desk_step!(
    approve,
    "/api/v1/agency/applications/{id}/approve",
    Transition::Approve,
    "Approve the application."
);
desk_step!(
    reject,
    "/api/v1/agency/applications/{id}/reject",
    Transition::Reject,
    "Reject the application; the reason (comment) is required."
);
desk_step!(
    fulfil,
    "/api/v1/agency/applications/{id}/fulfil",
    Transition::Fulfil,
    "Issue the result: the platform makes the result document (PDF with the comment as its text and a QR code of /verify/{id}), signs it (Ed25519) and registers it."
);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FulfilFile {
    /// What the person is told with the result.
    comment: Option<String>,
}

/// Issue the result as a document made outside the platform: the body is the PDF (at most 5 MB,
/// told from its content); the platform registers and signs it, and `/verify/{id}` checks it.
#[utoipa::path(post, path = "/api/v1/agency/applications/{id}/fulfil/file", tag = "services",
    params(("id" = String, Path), FulfilFile), request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = ApplicationView),
        (status = 403, description = "desk.not_official", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "application.transition_forbidden", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "attachment.too_large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "result.not_pdf, attachment.type", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn fulfil_with_file(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Query(q): Query<FulfilFile>,
    body: Body,
) -> Result<Json<ApplicationView>> {
    let bytes = okno_kernel::http::read_upload(body).await?;
    let step = Step {
        comment: q.comment,
        result_file: Some(bytes.to_vec()),
    };
    Ok(Json(
        service::transition(&p, &settings, &actor, &id, Transition::Fulfil, step).await?,
    ))
}

/// Assign an official (staff account or token with the official role) to an agency
/// (administrator).
#[utoipa::path(post, path = "/api/v1/officials", tag = "services", request_body = Assignment,
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
