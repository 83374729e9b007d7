//! JSON API of the directory: public lists, and the administrators' changes (agencies, categories,
//! services).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use okno_kernel::error::{Problem, Result};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::model::{Agency, AppealCategory, Office, Service, ServiceCategory};
use crate::service::{self, NewAgency, NewService, NewServiceCategory};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/v1/agencies", get(list_agencies).post(create_agency))
        .route("/api/v1/agencies/{code}", get(get_agency))
        .route("/api/v1/offices", get(list_offices))
        .route("/api/v1/services", get(list_services).post(create_service))
        .route(
            "/api/v1/services/{code}",
            get(get_service).put(update_service),
        )
        .route(
            "/api/v1/service-categories",
            get(list_service_categories).post(create_service_category),
        )
        .route("/api/v1/appeal-categories", get(list_categories))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_agencies, create_agency, get_agency, list_offices, list_services, create_service, get_service, update_service,
        list_service_categories, create_service_category, list_categories),
    components(schemas(Agency, NewAgency, Office, Service, NewService, ServiceCategory, NewServiceCategory, AppealCategory,
        service::ServiceEdit)),
    tags((name = "directory", description = "Справочники: ведомства, пункты обслуживания, услуги, темы обращений"))
)]
pub struct DirectoryApi;

/// Agencies.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "directory", responses((status = 200, body = Vec<Agency>)))]
async fn list_agencies(State(p): State<Platform>) -> Result<Json<Vec<Agency>>> {
    Ok(Json(service::agencies(&p.db).await?))
}

/// Create an agency (administrator).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "directory", request_body = NewAgency,
    responses(
        (status = 201, body = Agency),
        (status = 400, description = "Ошибки в полях", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Код занят", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn create_agency(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewAgency>,
) -> Result<(StatusCode, Json<Agency>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_agency(&p.db, &actor, body).await?),
    ))
}

/// One agency by code.
#[utoipa::path(get, path = "/api/v1/agencies/{code}", tag = "directory",
    params(("code" = String, Path, description = "Agency code")),
    responses((status = 200, body = Agency), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_agency(State(p): State<Platform>, Path(code): Path<String>) -> Result<Json<Agency>> {
    Ok(Json(service::agency(&p.db, &code).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfficeQuery {
    /// Only offices of this city.
    pub city: Option<String>,
}

/// Service points.
#[utoipa::path(get, path = "/api/v1/offices", tag = "directory", params(OfficeQuery), responses((status = 200, body = Vec<Office>)))]
async fn list_offices(
    State(p): State<Platform>,
    Query(q): Query<OfficeQuery>,
) -> Result<Json<Vec<Office>>> {
    Ok(Json(
        service::offices(&p.db, q.city.as_deref().filter(|s| !s.is_empty())).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// Only services of this agency (code).
    pub agency: Option<String>,
    /// Only services of this category (code); `none` for the services in no category.
    pub category: Option<String>,
}

/// The service catalogue.
#[utoipa::path(get, path = "/api/v1/services", tag = "directory", params(ServiceQuery), responses((status = 200, body = Vec<Service>)))]
async fn list_services(
    State(p): State<Platform>,
    Query(q): Query<ServiceQuery>,
) -> Result<Json<Vec<Service>>> {
    let category = match q.category.as_deref() {
        None | Some("") => None,
        Some(service::NO_CATEGORY) => Some(""),
        Some(c) => Some(c),
    };
    Ok(Json(
        service::services(
            &p.db,
            q.agency.as_deref().filter(|s| !s.is_empty()),
            category,
        )
        .await?,
    ))
}

/// Add a service to the catalogue (administrator with `directory.manage`). It is offered in person
/// until its first form version is published (`POST /api/v1/catalogue/{code}/versions`).
#[utoipa::path(post, path = "/api/v1/services", tag = "directory", request_body = NewService,
    responses(
        (status = 201, body = Service),
        (status = 400, description = "Ошибки в полях", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Код занят", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn create_service(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewService>,
) -> Result<(StatusCode, Json<Service>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_service(&p.db, &actor, body).await?),
    ))
}

/// One service by code.
#[utoipa::path(get, path = "/api/v1/services/{code}", tag = "directory",
    params(("code" = String, Path, description = "Service code")),
    responses((status = 200, body = Service), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_service(State(p): State<Platform>, Path(code): Path<String>) -> Result<Json<Service>> {
    Ok(Json(service::service(&p.db, &code).await?))
}

/// Edit a service's entry (administrator with `directory.manage`): title, summary, fee, decision
/// deadline, account level, documents. Submitted applications keep their due dates.
#[utoipa::path(put, path = "/api/v1/services/{code}", tag = "directory", request_body = service::ServiceEdit,
    params(("code" = String, Path, description = "Service code")),
    responses((status = 200, body = Service), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn update_service(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<service::ServiceEdit>,
) -> Result<Json<Service>> {
    Ok(Json(
        service::update_service(&p.db, &actor, &code, b).await?,
    ))
}

/// Categories of the service catalogue, in their order on the catalogue page.
#[utoipa::path(get, path = "/api/v1/service-categories", tag = "directory", responses((status = 200, body = Vec<ServiceCategory>)))]
async fn list_service_categories(State(p): State<Platform>) -> Result<Json<Vec<ServiceCategory>>> {
    Ok(Json(service::service_categories(&p.db).await?))
}

/// Add a category to the catalogue (administrator with `directory.manage`).
#[utoipa::path(post, path = "/api/v1/service-categories", tag = "directory", request_body = NewServiceCategory,
    responses(
        (status = 201, body = ServiceCategory),
        (status = 400, description = "Ошибки в полях", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Код занят", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn create_service_category(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewServiceCategory>,
) -> Result<(StatusCode, Json<ServiceCategory>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_service_category(&p.db, &actor, body).await?),
    ))
}

/// Categories of appeals.
#[utoipa::path(get, path = "/api/v1/appeal-categories", tag = "directory", responses((status = 200, body = Vec<AppealCategory>)))]
async fn list_categories(State(p): State<Platform>) -> Result<Json<Vec<AppealCategory>>> {
    Ok(Json(service::categories(&p.db).await?))
}
