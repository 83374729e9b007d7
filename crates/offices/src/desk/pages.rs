//! The desk's pages in Russian: putting a terminal's credential on the machine, finding,
//! registering, confirming and restoring a person, and the справка as a PDF.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use okno_identity::desk::{Found, NewPerson, Representative};
use okno_identity::Identity;
use okno_kernel::error::{Error, FieldError};
use okno_kernel::http::{render, set_cookie, Chrome, CurrentActor, PageError, DESK_COOKIE};
use okno_kernel::Platform;
use serde::Deserialize;

use super::model::FindQuery;
use crate::desk::{self, DeskIssued, OperatorRole};
use crate::settings::Settings;

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/operator", get(desk_page))
        .route("/operator/enrol", get(enrol_form).post(enrol))
        .route("/operator/register", post(register_page))
        .route("/operator/people/{id}/confirm", post(confirm_page))
        .route("/operator/people/{id}/restore", post(restore_page))
        .route("/operator/receipts/{id}", get(receipt))
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
#[serde(default)]
struct RegisterForm {
    last_name: String,
    first_name: String,
    middle_name: String,
    birth_date: String,
    sex: String,
    passport: String,
    snils: String,
    phone: String,
    consent: Option<String>,
    #[serde(flatten)]
    rep: RepresentativeForm,
}

/// The representative's part of a desk form: used when «Обращается представитель» is ticked.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct RepresentativeForm {
    by_representative: Option<String>,
    rep_full_name: String,
    rep_passport: String,
    rep_power_number: String,
    rep_power_issuer: String,
    rep_power_issued_on: String,
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
