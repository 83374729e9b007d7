//! The operator's desk over HTTP: the JSON API (devices, operators, in-person registration,
//! confirmation and recovery) and the Russian pages of the desk, with the справка as a PDF.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Form, Json, Router};
use okno_identity::desk::{Found, NewPerson, Representative};
use okno_identity::Identity;
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::http::{
    render, set_cookie, ApiJson, Chrome, CurrentActor, PageError, DESK_COOKIE,
};
use okno_kernel::Platform;
use serde::{Deserialize, Serialize};

use crate::desk::{self, DeskIssued, DeviceKind, DeviceView, OperatorRole, Registered};
use crate::service::Settings;

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
        .route("/operator", get(desk_page))
        .route("/operator/enrol", get(enrol_form).post(enrol))
        .route("/operator/register", post(register_page))
        .route("/operator/people/{id}/confirm", post(confirm_page))
        .route("/operator/people/{id}/restore", post(restore_page))
        .route("/operator/receipts/{id}", get(receipt))
        .route("/operator/queue", get(queue_page))
        .route("/operator/queue/call", post(queue_call))
        .route("/operator/queue/tickets/{id}/{action}", post(queue_ticket))
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

#[derive(Debug, Deserialize)]
struct FindQuery {
    #[serde(default)]
    query: String,
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

/// The справка as a PDF, for the operator who made it.
async fn receipt(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let pdf = desk::receipt(&p.db, &p.secrets, &actor, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"spravka.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

// --- Pages -------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "desk_enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    error: Option<String>,
}

async fn enrol_form(chrome: Chrome) -> Response {
    render(&EnrolPage {
        chrome,
        error: None,
    })
}

#[derive(Deserialize)]
struct EnrolForm {
    #[serde(default)]
    credential: String,
}

/// Puts a terminal's credential on this machine (once, by the office's administrator).
async fn enrol(
    Extension(idn): Extension<Arc<Identity>>,
    chrome: Chrome,
    Form(f): Form<EnrolForm>,
) -> Response {
    let c = f.credential.trim();
    if !c.starts_with("okno_dev_") || c.len() > 128 {
        return render(&EnrolPage {
            chrome,
            error: Some("Это не ключ рабочего места: он начинается с «okno_dev_».".into()),
        });
    }
    let mut r = Redirect::to("/operator").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            DESK_COOKIE,
            c,
            Some(400 * 86_400),
            idn.settings.secure_cookies,
        ),
    );
    r
}

/// Field errors by name, for the desk form.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
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

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    chrome: Chrome,
    office: String,
    device: String,
    role: &'static str,
    /// The office's code, when the operator is its administrator: a link to its devices and staff.
    manages: Option<String>,
    query: String,
    found: Vec<Found>,
    notice: Option<String>,
    error: Option<String>,
    /// The reason code of a refusal, printed with it.
    refusal: Option<String>,
    errors: Errors,
    form: RegisterForm,
    /// The text fields of the registration form: name, label, value typed.
    fields: Vec<(&'static str, &'static str, String)>,
    /// The empty representative's part of the forms of a found account.
    blank: RepresentativeForm,
}

impl RegisterForm {
    fn fields(&self) -> Vec<(&'static str, &'static str, String)> {
        vec![
            ("last_name", "Фамилия", self.last_name.clone()),
            ("first_name", "Имя", self.first_name.clone()),
            (
                "middle_name",
                "Отчество (если есть)",
                self.middle_name.clone(),
            ),
            ("passport", "Серия и номер паспорта", self.passport.clone()),
            ("snils", "СНИЛС", self.snils.clone()),
            ("phone", "Мобильный телефон", self.phone.clone()),
        ]
    }
}

#[derive(Deserialize, Default, Clone)]
struct RegisterForm {
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    middle_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    passport: String,
    #[serde(default)]
    snils: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(flatten)]
    rep: RepresentativeForm,
}

/// The representative's part of a desk form: used when «Обращается представитель» is ticked.
#[derive(Deserialize, Default, Clone)]
struct RepresentativeForm {
    #[serde(default)]
    by_representative: Option<String>,
    #[serde(default)]
    rep_full_name: String,
    #[serde(default)]
    rep_passport: String,
    #[serde(default)]
    rep_power_number: String,
    #[serde(default)]
    rep_power_issuer: String,
    #[serde(default)]
    rep_power_issued_on: String,
    #[serde(default)]
    rep_power_valid_until: String,
}

impl RepresentativeForm {
    /// The form's fields: name (after `rep_`), label, input type, value typed.
    fn fields(&self) -> Vec<(&'static str, &'static str, &'static str, String)> {
        vec![
            (
                "full_name",
                "Фамилия, имя, отчество представителя",
                "text",
                self.rep_full_name.clone(),
            ),
            (
                "passport",
                "Серия и номер паспорта представителя",
                "text",
                self.rep_passport.clone(),
            ),
            (
                "power_number",
                "Номер доверенности (у нотариальной — номер в реестре)",
                "text",
                self.rep_power_number.clone(),
            ),
            (
                "power_issuer",
                "Кем удостоверена: нотариус или организация",
                "text",
                self.rep_power_issuer.clone(),
            ),
            (
                "power_issued_on",
                "Дата доверенности",
                "date",
                self.rep_power_issued_on.clone(),
            ),
            (
                "power_valid_until",
                "Действует до (если срок не указан — год со дня выдачи)",
                "date",
                self.rep_power_valid_until.clone(),
            ),
        ]
    }

    fn representative(&self) -> Option<Representative> {
        self.by_representative.as_ref()?;
        Some(Representative {
            full_name: self.rep_full_name.clone(),
            passport: self.rep_passport.clone(),
            power_number: self.rep_power_number.clone(),
            power_issuer: self.rep_power_issuer.clone(),
            power_issued_on: self.rep_power_issued_on.clone(),
            power_valid_until: Some(self.rep_power_valid_until.clone())
                .filter(|s| !s.trim().is_empty()),
        })
    }
}

struct Outcome {
    notice: Option<String>,
    error: Option<String>,
    refusal: Option<String>,
    errors: Errors,
}

/// What a refused act shows: its reason at the top of the page, and field errors beside the fields
/// of the registration form (`inline`) or, for the forms of a found account, at the top too.
fn outcome_of(e: &Error, inline: bool) -> Outcome {
    let p = e.to_problem();
    let error = if p.errors.is_empty() {
        Some(p.detail.clone())
    } else if inline {
        None
    } else {
        Some(
            p.errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    Outcome {
        notice: None,
        refusal: (p.status == 422).then(|| p.code.to_string()),
        error,
        errors: Errors(p.errors),
    }
}

async fn desk_render(
    p: &Platform,
    actor: &okno_kernel::Actor,
    chrome: Chrome,
    query: &str,
    form: RegisterForm,
    o: Outcome,
) -> std::result::Result<Response, PageError> {
    let (office, ctx) = match desk::current_desk(&p.db, actor).await {
        Ok(v) => v,
        Err(e @ Error::Problem(_)) if !actor.is_anonymous() => return Err(e.into()),
        Err(_) => return Ok(Redirect::to("/login").into_response()),
    };
    let found = if query.trim().is_empty() {
        Vec::new()
    } else {
        match desk::find(&p.db, &p.secrets, actor, query).await {
            Ok(f) => f,
            Err(e @ Error::Problem(_)) => {
                let page = DeskPage {
                    chrome,
                    office: format!("{} ({})", office.name, office.address),
                    device: ctx.device_name.clone(),
                    role: ctx.role.map_or("", OperatorRole::title),
                    manages: (ctx.role == Some(OperatorRole::OfficeAdmin))
                        .then(|| office.code.clone()),
                    query: query.to_string(),
                    found: Vec::new(),
                    notice: None,
                    error: Some(e.to_problem().detail),
                    refusal: None,
                    errors: Errors::default(),
                    fields: form.fields(),
                    blank: RepresentativeForm::default(),
                    form,
                };
                return Ok(render(&page));
            }
            Err(e) => return Err(e.into()),
        }
    };
    Ok(render(&DeskPage {
        chrome,
        office: format!("{} ({})", office.name, office.address),
        device: ctx.device_name,
        role: ctx.role.map_or("", OperatorRole::title),
        manages: (ctx.role == Some(OperatorRole::OfficeAdmin)).then(|| office.code.clone()),
        query: query.to_string(),
        found,
        notice: o.notice,
        error: o.error,
        refusal: o.refusal,
        errors: o.errors,
        fields: form.fields(),
        blank: RepresentativeForm::default(),
        form,
    }))
}

async fn desk_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<FindQuery>,
) -> std::result::Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    desk_render(
        &p,
        &actor,
        chrome,
        &q.query,
        RegisterForm::default(),
        Outcome {
            notice: None,
            error: None,
            refusal: None,
            errors: Errors::default(),
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "desk_issued.html")]
struct IssuedPage {
    chrome: Chrome,
    title: &'static str,
    valid_until: String,
    sign_in_url: Option<String>,
    /// The QR code of `sign_in_url`, an SVG made on the server from it (nothing of the user's).
    qr_svg: String,
    i: DeskIssued,
}

fn issued_page(chrome: Chrome, title: &'static str, i: DeskIssued) -> Response {
    let valid_until = okno_kernel::clock::rfc3339(i.issued.valid_until);
    let sign_in_url = i.sign_in_url.clone();
    let qr_svg = sign_in_url
        .as_deref()
        .and_then(|u| okno_identity::totp::qr_svg(u).ok())
        .unwrap_or_default();
    let mut r = render(&IssuedPage {
        chrome,
        title,
        valid_until,
        sign_in_url,
        qr_svg,
        i,
    });
    *r.status_mut() = StatusCode::CREATED;
    r
}

async fn register_page(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<RegisterForm>,
) -> std::result::Result<Response, PageError> {
    let person = NewPerson {
        last_name: f.last_name.clone(),
        first_name: f.first_name.clone(),
        middle_name: Some(f.middle_name.clone()).filter(|s| !s.trim().is_empty()),
        birth_date: f.birth_date.clone(),
        sex: f.sex.clone(),
        passport: f.passport.clone(),
        snils: f.snils.clone(),
        inn: None,
        phone: f.phone.clone(),
        consent: f.consent.is_some(),
        representative: f.rep.representative(),
    };
    match desk::register_person(
        &p.db,
        &p.secrets,
        &idn,
        &actor,
        &settings.public_url,
        person,
    )
    .await
    {
        Ok(i) => Ok(issued_page(chrome, "Учётная запись создана", i)),
        Err(e @ Error::Problem(_)) => {
            let status = e.to_problem().status_code();
            let mut r = desk_render(&p, &actor, chrome, "", f, outcome_of(&e, true)).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct DocumentForm {
    #[serde(default)]
    passport: String,
    #[serde(default)]
    method: okno_identity::desk::RestoreMethod,
    #[serde(default)]
    passport_issued: String,
    #[serde(default)]
    query: String,
    #[serde(flatten)]
    rep: RepresentativeForm,
}

async fn confirm_page(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    Form(f): Form<DocumentForm>,
) -> std::result::Result<Response, PageError> {
    let r = desk::confirm(
        &p.db,
        &p.secrets,
        &idn,
        &actor,
        &id,
        okno_identity::confirmation::InPerson {
            passport: f.passport.clone(),
            passport_issued: Some(f.passport_issued.clone()).filter(|s| !s.trim().is_empty()),
        },
        f.rep.representative(),
    )
    .await;
    let o = match r {
        Ok(_) => Outcome {
            notice: Some("Личность подтверждена: учётная запись стала подтверждённой.".into()),
            error: None,
            refusal: None,
            errors: Errors::default(),
        },
        Err(e @ Error::Problem(_)) => outcome_of(&e, false),
        Err(e) => return Err(e.into()),
    };
    desk_render(&p, &actor, chrome, &f.query, RegisterForm::default(), o).await
}

async fn restore_page(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    Form(f): Form<DocumentForm>,
) -> std::result::Result<Response, PageError> {
    match desk::restore_access(
        &p.db,
        &p.secrets,
        &idn,
        &actor,
        &settings.public_url,
        &id,
        &f.passport,
        f.method,
        f.rep.representative(),
    )
    .await
    {
        Ok(i) => Ok(issued_page(chrome, "Доступ восстановлен", i)),
        Err(e @ Error::Problem(_)) => {
            desk_render(
                &p,
                &actor,
                chrome,
                &f.query,
                RegisterForm::default(),
                outcome_of(&e, false),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "desk_queue.html")]
struct QueuePage {
    chrome: Chrome,
    board: crate::service::Board,
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
    let (o, _) = desk::current_desk(&p.db, actor).await?;
    let board = crate::service::board(&p.db, &o.code, settings).await?;
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
    let (o, _) = desk::current_desk(&p.db, &actor).await?;
    let called = crate::service::call_next(
        &p.db,
        &actor,
        &o.code,
        crate::service::CallNext {
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
    use crate::service::TicketAction;
    let a = match action.as_str() {
        "start" => TicketAction::Start,
        "finish" => TicketAction::Finish,
        "no-show" => TicketAction::NoShow,
        _ => return Err(PageError(Problem::not_found("Страница не найдена."))),
    };
    let outcome = match crate::service::ticket_action(&p.db, &actor, &id, a).await {
        Ok(t) => Ok(Some(format!("Талон {}: {}.", t.label, t.status_title))),
        Err(e @ Error::Problem(_)) => Err(e.to_problem().detail),
        Err(e) => return Err(e.into()),
    };
    queue_render(&p, &settings, &actor, chrome, f.window, outcome).await
}
