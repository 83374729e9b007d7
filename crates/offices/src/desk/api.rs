//! The desk's JSON API: an office's devices and operators, and the in-person registration,
//! confirmation and recovery done at a desk.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use okno_identity::desk::{Found, NewPerson, Representative};
use okno_identity::Identity;
use okno_kernel::error::{Problem, Result};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::Platform;
use serde::{Deserialize, Serialize};

use super::model::FindQuery;
use crate::desk::{self, DeskIssued, DeviceKind, DeviceView, OperatorRole, Registered};
use crate::settings::Settings;

pub fn routes() -> Router<Platform> {
    Router::new()
        .route(
            "/api/v1/offices/{code}/devices",
            get(devices_list).post(device_register),
        )
        .route(
            "/api/v1/offices/{code}/devices/{id}/revoke",
            post(device_revoke),
        )
        .route("/api/v1/offices/{code}/operators", get(operators_list))
        .route(
            "/api/v1/offices/{code}/operators/{account_id}",
            put(operator_assign).delete(operator_remove),
        )
        .route(
            "/api/v1/desk/people",
            get(people_find).post(person_register),
        )
        .route("/api/v1/desk/people/{id}/confirm", post(person_confirm))
        .route("/api/v1/desk/people/{id}/restore", post(person_restore))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(devices_list, device_register, device_revoke, operators_list, operator_assign, operator_remove, people_find, person_register,
        person_confirm, person_restore),
    components(schemas(NewDevice, Registered, DeviceView, desk::OperatorView, DeviceKind, OperatorRole, AssignOperator,
        NewPerson, DeskIssued, okno_identity::desk::Issued, Representative, Found, ConfirmRequest, RestoreRequest, okno_identity::desk::RestoreMethod, LevelAnswer)),
    tags((name = "desk", description = "Рабочее место оператора: устройства, операторы, регистрация, подтверждение и восстановление доступа"))
)]
pub struct DeskApi;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    pub kind: DeviceKind,
    /// e.g. «Окно 3», «Киоск в холле».
    pub name: String,
}

/// Register a desk terminal or a kiosk of the office; the answer holds its credential, shown once.
#[utoipa::path(post, path = "/api/v1/offices/{code}/devices", tag = "desk", request_body = NewDevice,
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 201, body = Registered), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn device_register(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<NewDevice>,
) -> Result<(StatusCode, Json<Registered>)> {
    let r = desk::register_device(&p.db, &actor, &code, b.kind, &b.name).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The office's terminals (never their credentials).
#[utoipa::path(get, path = "/api/v1/offices/{code}/devices", tag = "desk",
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 200, body = Vec<DeviceView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn devices_list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
) -> Result<Json<Vec<DeviceView>>> {
    Ok(Json(desk::devices(&p.db, &actor, &code).await?))
}

/// Revoke a terminal: its credential is refused from now on.
#[utoipa::path(post, path = "/api/v1/offices/{code}/devices/{id}/revoke", tag = "desk",
    params(("code" = String, Path, description = "Код пункта"), ("id" = String, Path, description = "Идентификатор")),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn device_revoke(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path((code, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    desk::revoke_device(&p.db, &actor, &code, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignOperator {
    pub role: OperatorRole,
}

/// Bind an operator (a staff account with the operator role) to the office with a role.
#[utoipa::path(put, path = "/api/v1/offices/{code}/operators/{account_id}", tag = "desk", request_body = AssignOperator,
    params(("code" = String, Path, description = "Код пункта"), ("account_id" = String, Path, description = "Учётная запись оператора")),
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn operator_assign(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path((code, account_id)): Path<(String, String)>,
    ApiJson(b): ApiJson<AssignOperator>,
) -> Result<StatusCode> {
    desk::assign_operator(&p.db, &actor, &code, &account_id, b.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The operators bound to the office, with their roles.
#[utoipa::path(get, path = "/api/v1/offices/{code}/operators", tag = "desk",
    params(("code" = String, Path, description = "Код пункта")),
    responses((status = 200, body = Vec<desk::OperatorView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn operators_list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
) -> Result<Json<Vec<desk::OperatorView>>> {
    Ok(Json(desk::operators(&p.db, &actor, &code).await?))
}

/// Unbind an operator from the office: they cannot act at its desks from the next request on.
#[utoipa::path(delete, path = "/api/v1/offices/{code}/operators/{account_id}", tag = "desk",
    params(("code" = String, Path, description = "Код пункта"), ("account_id" = String, Path, description = "Учётная запись оператора")),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn operator_remove(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path((code, account_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    desk::remove_operator(&p.db, &actor, &code, &account_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Find an account by СНИЛС, phone or passport (from a registered desk).
#[utoipa::path(get, path = "/api/v1/desk/people", tag = "desk", params(("query" = String, Query)),
    responses((status = 200, body = Vec<Found>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn people_find(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<FindQuery>,
) -> Result<Json<Vec<Found>>> {
    Ok(Json(desk::find(&p.db, &p.secrets, &actor, &q.query).await?))
}

/// Register a person present at the desk: a confirmed account, the СНИЛС as login, a temporary
/// password for 24 hours, and a справка to print.
#[utoipa::path(post, path = "/api/v1/desk/people", tag = "desk", request_body = NewPerson,
    responses((status = 201, body = DeskIssued), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused with a reason's code", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn person_register(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<NewPerson>,
) -> Result<(StatusCode, Json<DeskIssued>)> {
    let r = desk::register_person(&p.db, &p.secrets, &idn, &actor, &settings.public_url, b).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub passport: String,
    /// Date of issue, `YYYY-MM-DD`: a passport not replaced at 20 or 45 is refused.
    #[serde(default)]
    pub passport_issued: Option<String>,
    /// Who came for the person under a power of attorney, when the person did not come themself.
    #[serde(default)]
    pub representative: Option<Representative>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DeskLevelAnswer)]
pub struct LevelAnswer {
    pub level: okno_identity::model::Level,
    pub level_title: &'static str,
}

/// Confirm an account against the passport shown; a refusal carries a reason to print.
#[utoipa::path(post, path = "/api/v1/desk/people/{id}/confirm", tag = "desk", request_body = ConfirmRequest,
    params(("id" = String, Path, description = "Идентификатор")),
    responses((status = 200, body = LevelAnswer), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn person_confirm(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ConfirmRequest>,
) -> Result<Json<LevelAnswer>> {
    let level = desk::confirm(
        &p.db,
        &p.secrets,
        &idn,
        &actor,
        &id,
        okno_identity::confirmation::InPerson {
            passport: b.passport,
            passport_issued: b.passport_issued,
        },
        b.representative,
    )
    .await?;
    Ok(Json(LevelAnswer {
        level,
        level_title: level.title(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    pub passport: String,
    /// `temporary_password` (default, 24 hours) or `qr_code` (a one-time sign-in link, 5 minutes).
    #[serde(default)]
    pub method: okno_identity::desk::RestoreMethod,
    /// Who came for the person under a power of attorney, when the person did not come themself.
    #[serde(default)]
    pub representative: Option<Representative>,
}

/// Restore access after the passport check: a temporary password (24 hours) or a one-time QR
/// code of a sign-in link (5 minutes), every session ended, the person told.
#[utoipa::path(post, path = "/api/v1/desk/people/{id}/restore", tag = "desk", request_body = RestoreRequest,
    params(("id" = String, Path, description = "Идентификатор")),
    responses((status = 200, body = DeskIssued), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn person_restore(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RestoreRequest>,
) -> Result<Json<DeskIssued>> {
    Ok(Json(
        desk::restore_access(
            &p.db,
            &p.secrets,
            &idn,
            &actor,
            &settings.public_url,
            &id,
            &b.passport,
            b.method,
            b.representative,
        )
        .await?,
    ))
}
