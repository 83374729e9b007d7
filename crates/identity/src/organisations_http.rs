//! The JSON API of organisations under `/api/v1/identity/organisations` and the page
//! `/account/organisations`, over the use cases in `organisations`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use okno_kernel::actor::Actor;
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::http::SESSION_COOKIE;
use okno_kernel::http::{bearer, cookie, render, ApiJson, Chrome, CurrentActor, PageError};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::organisations::{
    act_for, acting, add_member, create, details, list, remove_member, require_org_role, set_role,
    ActingOrganisation, MemberView, NewMember, NewOrganisation, OrgKind, OrgRole,
    OrganisationDetails, OrganisationView, RoleChange,
};

/// The routes of organisations: the JSON API under `/api/v1/identity/organisations` and the page
/// `/account/organisations`.
pub fn routes() -> Router<Platform> {
    Router::new()
        .route(
            "/api/v1/identity/organisations",
            get(api_list).post(api_create),
        )
        .route(
            "/api/v1/identity/organisations/acting",
            axum::routing::delete(api_act_self),
        )
        .route(
            "/api/v1/identity/organisations/acting/check/{roles}",
            get(api_check),
        )
        .route("/api/v1/identity/organisations/{id}", get(api_details))
        .route(
            "/api/v1/identity/organisations/{id}/members",
            post(api_add_member),
        )
        .route(
            "/api/v1/identity/organisations/{id}/members/{account_id}",
            put(api_set_role).delete(api_remove_member),
        )
        .route("/api/v1/identity/organisations/{id}/act", post(api_act))
        .route("/account/organisations", get(page).post(page_create))
        .route("/account/organisations/{id}/act", post(page_act))
        .route("/account/organisations/self", post(page_act_self))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_create, api_list, api_details, api_add_member, api_set_role, api_remove_member, api_act, api_act_self, api_check),
    components(schemas(NewOrganisation, OrganisationView, OrganisationDetails, MemberView, NewMember, RoleChange, ActingOrganisation, OrgKind, OrgRole)),
    tags((name = "organisations", description = "Организации: юридические лица и ИП, сотрудники и роли, действия от имени организации"))
)]
pub struct OrganisationsApi;

/// Register an organisation (ЮЛ or ИП); the person (account «подтверждённая») becomes its head.
#[utoipa::path(post, path = "/api/v1/identity/organisations", tag = "organisations", request_body = NewOrganisation,
    responses((status = 201, body = OrganisationView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_create(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewOrganisation>,
) -> Result<(StatusCode, Json<OrganisationView>)> {
    let v = create(&p.db, &p.secrets, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The organisations the signed-in person is a member of, with their role.
#[utoipa::path(get, path = "/api/v1/identity/organisations", tag = "organisations",
    responses((status = 200, body = Vec<OrganisationView>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<OrganisationView>>> {
    Ok(Json(list(&p.db, &p.secrets, &actor).await?))
}

/// An organisation with its members (members only).
#[utoipa::path(get, path = "/api/v1/identity/organisations/{id}", tag = "organisations",
    params(("id" = String, Path, description = "Идентификатор организации")),
    responses((status = 200, body = OrganisationDetails), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_details(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<OrganisationDetails>> {
    Ok(Json(details(&p.db, &p.secrets, &actor, &id).await?))
}

/// Add a member by СНИЛС with a role (`head`, `employee`, `accountant`); heads only.
#[utoipa::path(post, path = "/api/v1/identity/organisations/{id}/members", tag = "organisations", request_body = NewMember,
    params(("id" = String, Path, description = "Идентификатор организации")),
    responses((status = 201, body = MemberView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_add_member(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMember>,
) -> Result<(StatusCode, Json<MemberView>)> {
    let v = add_member(&p.db, &p.secrets, &actor, &id, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Change a member's role; heads only. The last head cannot step down.
#[utoipa::path(put, path = "/api/v1/identity/organisations/{id}/members/{account_id}", tag = "organisations", request_body = RoleChange,
    params(("id" = String, Path, description = "Идентификатор организации"), ("account_id" = String, Path, description = "Учётная запись сотрудника")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_set_role(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path((id, account_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<StatusCode> {
    set_role(&p.db, &actor, &id, &account_id, body.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member (heads), or leave (the member themselves). The last head cannot be removed.
#[utoipa::path(delete, path = "/api/v1/identity/organisations/{id}/members/{account_id}", tag = "organisations",
    params(("id" = String, Path, description = "Идентификатор организации"), ("account_id" = String, Path, description = "Учётная запись сотрудника")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_remove_member(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path((id, account_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    remove_member(&p.db, &actor, &id, &account_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make this session act for the organisation (members only).
#[utoipa::path(post, path = "/api/v1/identity/organisations/{id}/act", tag = "organisations",
    params(("id" = String, Path, description = "Идентификатор организации")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_act(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let session = bearer(&headers).ok_or_else(Problem::unauthenticated)?;
    act_for(&p.db, &actor, session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make this session act for the person themselves again.
#[utoipa::path(delete, path = "/api/v1/identity/organisations/acting", tag = "organisations",
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_act_self(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
) -> Result<StatusCode> {
    let session = bearer(&headers).ok_or_else(Problem::unauthenticated)?;
    crate::representation::act_for_self(&p.db, &actor, session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether this session acts for an organisation with one of `roles` (comma-separated, e.g.
/// `head,employee`): 200 with the organisation and the role, 403 otherwise.
#[utoipa::path(get, path = "/api/v1/identity/organisations/acting/check/{roles}", tag = "organisations",
    params(("roles" = String, Path, description = "Роли через запятую: head, employee, accountant")),
    responses((status = 200, body = ActingOrganisation), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn api_check(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(roles): Path<String>,
) -> Result<Json<ActingOrganisation>> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    let allowed = roles
        .split(',')
        .map(|r| OrgRole::parse(r.trim()))
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Problem::invalid_field(
                "roles",
                "organisation.role_unknown",
                "Роли: head, employee, accountant, через запятую.",
            )
        })?;
    require_org_role(&p.db, &actor, &allowed).await?;
    Ok(Json(acting(&p.db, &actor).await?))
}

/// Field errors of a form, for the page.
#[derive(Default)]
pub struct FormErrors(Vec<FieldError>);

impl FormErrors {
    pub fn on(&self, field: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }
}

/// What the create form holds, to show it again after a refusal.
#[derive(Default, Deserialize)]
#[serde(default)]
struct CreateForm {
    kind: String,
    ogrn: String,
    inn: String,
    kpp: String,
    full_name: String,
    short_name: String,
}

#[derive(Template)]
#[template(path = "identity_organisations.html")]
struct OrganisationsPage {
    chrome: Chrome,
    organisations: Vec<OrganisationView>,
    acting_for: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    form: CreateForm,
    errors: FormErrors,
    error: Option<String>,
    notice: Option<String>,
}

async fn page_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    form: CreateForm,
    failure: Option<&Error>,
    notice: Option<String>,
) -> std::result::Result<Response, PageError> {
    let organisations = list(&p.db, &p.secrets, actor).await?;
    let (errors, error, status) = match failure {
        Some(e) => {
            let pr = e.to_problem();
            let status = pr.status_code();
            if pr.errors.is_empty() {
                (FormErrors::default(), Some(pr.detail), status)
            } else {
                (FormErrors(pr.errors), None, status)
            }
        }
        None => (FormErrors::default(), None, StatusCode::OK),
    };
    let mut r = render(&OrganisationsPage {
        chrome,
        organisations,
        acting_for: actor.on_behalf_of.as_ref().map(|p| p.name.clone()),
        kinds: OrgKind::ALL
            .into_iter()
            .map(|k| (k.as_str(), k.title()))
            .collect(),
        form,
        errors,
        error,
        notice,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> std::result::Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    page_render(&p, &actor, chrome, CreateForm::default(), None, None).await
}

async fn page_create(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<CreateForm>,
) -> std::result::Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let Some(kind) = OrgKind::parse(&f.kind) else {
        let e = Error::from(Problem::invalid_field(
            "kind",
            "organisation.kind_required",
            "Выберите: юридическое лицо или индивидуальный предприниматель.",
        ));
        return page_render(&p, &actor, chrome, f, Some(&e), None).await;
    };
    let new = NewOrganisation {
        kind,
        ogrn: f.ogrn.clone(),
        inn: f.inn.clone(),
        kpp: Some(f.kpp.clone()),
        full_name: f.full_name.clone(),
        short_name: f.short_name.clone(),
    };
    match create(&p.db, &p.secrets, &actor, new).await {
        Ok(v) => {
            let notice = format!("«{}» зарегистрирована, вы — её руководитель.", v.short_name);
            page_render(
                &p,
                &actor,
                chrome,
                CreateForm::default(),
                None,
                Some(notice),
            )
            .await
        }
        Err(e @ Error::Problem(_)) => page_render(&p, &actor, chrome, f, Some(&e), None).await,
        Err(e) => Err(e.into()),
    }
}

async fn page_act(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> std::result::Result<Response, PageError> {
    let Some(session) = cookie(&headers, SESSION_COOKIE) else {
        return Ok(Redirect::to("/login").into_response());
    };
    act_for(&p.db, &actor, session, &id).await?;
    Ok(Redirect::to("/account/organisations").into_response())
}

async fn page_act_self(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
) -> std::result::Result<Response, PageError> {
    let Some(session) = cookie(&headers, SESSION_COOKIE) else {
        return Ok(Redirect::to("/login").into_response());
    };
    crate::representation::act_for_self(&p.db, &actor, session).await?;
    Ok(Redirect::to("/account/organisations").into_response())
}
