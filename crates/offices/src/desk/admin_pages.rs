//! Pages where an office's terminals and operators are managed: the platform administrator
//! (`offices.manage`) reaches every office from `/admin/offices`; an office's own administrator
//! reaches theirs from a desk of that office. Registering a terminal shows its credential once,
//! on the page that answers the form, and never again.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use okno_kernel::actor::{Actor, Permission};
use okno_kernel::error::{Error, Problem};
use okno_kernel::http::{admin_page, render, Chrome, CurrentActor, PageError};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::desk::{self, DeviceKind, OperatorRole, OperatorView};
use crate::model;
use crate::store::{self, OfficeRow};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/admin/offices", get(list))
        .route("/admin/offices/{code}", get(page))
        .route("/admin/offices/{code}/devices", post(device_add))
        .route(
            "/admin/offices/{code}/devices/{id}/revoke",
            post(device_revoke),
        )
        .route("/admin/offices/{code}/operators", post(operator_add))
        .route(
            "/admin/offices/{code}/operators/{account_id}/remove",
            post(operator_remove),
        )
}

/// A page's human message for a refused act: the first invalid field's message, or the detail.
fn message(p: &Problem) -> String {
    p.errors
        .first()
        .map_or_else(|| p.detail.clone(), |e| e.message.clone())
}

// --- the list of offices --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "manage_offices.html")]
struct ListPage {
    chrome: Chrome,
    offices: Vec<OfficeRow>,
}

async fn list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::OfficesManage)? {
        return Ok(r);
    }
    let offices = {
        let mut c = p.db.read().await.map_err(Error::from)?;
        store::offices(&mut c).await.map_err(Error::from)?
    };
    Ok(render(&ListPage { chrome, offices }))
}

// --- one office -------------------------------------------------------------------------------

pub struct DeviceLine {
    id: String,
    name: String,
    kind: &'static str,
    registered: String,
    revoked: Option<String>,
}

pub struct OperatorLine {
    account_id: String,
    name: String,
    role: &'static str,
    since: String,
    is_me: bool,
}

/// A terminal just registered: its credential, shown once.
pub struct Fresh {
    name: String,
    credential: String,
}

#[derive(Template)]
#[template(path = "manage_office.html")]
struct OfficePage {
    chrome: Chrome,
    office: OfficeRow,
    /// The platform administrator sees the way back to the list of offices.
    platform_admin: bool,
    devices: Vec<DeviceLine>,
    operators: Vec<OperatorLine>,
    fresh: Option<Fresh>,
    notice: Option<String>,
    error: Option<String>,
    /// What the operator form held when it was refused.
    email: String,
}

#[derive(Debug, Default, Deserialize)]
struct Flash {
    #[serde(default)]
    done: Option<String>,
}

fn done_text(code: &str) -> Option<String> {
    Some(
        match code {
            "revoked" => "Рабочее место отозвано: его ключ больше не принимается.",
            "assigned" => "Сотрудник привязан к пункту.",
            "removed" => {
                "Сотрудник отвязан от пункта: с рабочих мест пункта он больше не работает."
            }
            _ => return None,
        }
        .to_string(),
    )
}

fn day(tz: &str, ms: i64) -> String {
    model::zone(tz)
        .ok()
        .and_then(|z| model::local(&z, ms))
        .map(|(d, m)| format!("{} {}", model::day_month_text(d), model::fmt_minute(m)))
        .unwrap_or_default()
}

struct Outcome {
    fresh: Option<Fresh>,
    notice: Option<String>,
    error: Option<String>,
    email: String,
    status: StatusCode,
}

impl Outcome {
    fn notice(n: Option<String>) -> Outcome {
        Outcome {
            fresh: None,
            notice: n,
            error: None,
            email: String::new(),
            status: StatusCode::OK,
        }
    }

    fn refused(p: &Problem, email: String) -> Outcome {
        Outcome {
            fresh: None,
            notice: None,
            error: Some(message(p)),
            email,
            status: p.status_code(),
        }
    }
}

async fn office_page(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    code: &str,
    o: Outcome,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    // The use cases check the right to manage this office; the list of devices goes first.
    let devices = desk::devices(&p.db, actor, code).await?;
    let operators = desk::operators(&p.db, actor, code).await?;
    let office = {
        let mut c = p.db.read().await.map_err(Error::from)?;
        store::office(&mut c, code)
            .await
            .map_err(Error::from)?
            .ok_or_else(crate::model::not_found_office)?
    };
    let tz = office.time_zone.clone();
    let page = OfficePage {
        chrome,
        platform_admin: actor.can(Permission::OfficesManage),
        devices: devices
            .into_iter()
            .map(|d| DeviceLine {
                kind: if d.kind == "kiosk" {
                    "киоск самообслуживания"
                } else {
                    "рабочее место оператора"
                },
                registered: day(&tz, d.created_at),
                revoked: d.revoked_at.map(|ms| day(&tz, ms)),
                id: d.id,
                name: d.name,
            })
            .collect(),
        operators: operators
            .into_iter()
            .map(|v: OperatorView| OperatorLine {
                is_me: actor.id.as_deref() == Some(v.account_id.as_str()),
                since: day(&tz, v.since),
                role: v.role_title,
                name: v.name,
                account_id: v.account_id,
            })
            .collect(),
        office,
        fresh: o.fresh,
        notice: o.notice,
        error: o.error,
        email: o.email,
    };
    let mut r = render(&page);
    *r.status_mut() = o.status;
    if page.fresh.is_some() {
        // The credential is on this page only: no cache keeps it.
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(r)
}

async fn page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(code): Path<String>,
    Query(f): Query<Flash>,
) -> Result<Response, PageError> {
    let notice = f.done.as_deref().and_then(done_text);
    office_page(&p, &actor, chrome, &code, Outcome::notice(notice)).await
}

fn back(code: &str, done: &str) -> Response {
    Redirect::to(&format!("/admin/offices/{code}?done={done}")).into_response()
}

#[derive(Debug, Deserialize)]
struct DeviceForm {
    kind: String,
    #[serde(default)]
    name: String,
}

async fn device_add(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(code): Path<String>,
    Form(f): Form<DeviceForm>,
) -> Result<Response, PageError> {
    let kind = match f.kind.as_str() {
        "kiosk" => DeviceKind::Kiosk,
        _ => DeviceKind::Desk,
    };
    let o = match desk::register_device(&p.db, &actor, &code, kind, &f.name).await {
        Ok(r) => Outcome {
            fresh: Some(Fresh {
                name: r.device.name,
                credential: r.credential,
            }),
            notice: None,
            error: None,
            email: String::new(),
            status: StatusCode::CREATED,
        },
        Err(Error::Problem(pr)) if pr.status < 500 && pr.status != 403 => {
            Outcome::refused(&pr, String::new())
        }
        Err(e) => return Err(e.into()),
    };
    office_page(&p, &actor, chrome, &code, o).await
}

async fn device_revoke(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path((code, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    match desk::revoke_device(&p.db, &actor, &code, &id).await {
        Ok(()) => Ok(back(&code, "revoked")),
        Err(Error::Problem(pr)) if pr.status == 404 => {
            office_page(
                &p,
                &actor,
                chrome,
                &code,
                Outcome::refused(&pr, String::new()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct OperatorForm {
    #[serde(default)]
    email: String,
    role: String,
}

fn role(s: &str) -> OperatorRole {
    match s {
        "senior" => OperatorRole::Senior,
        "office_admin" => OperatorRole::OfficeAdmin,
        _ => OperatorRole::Operator,
    }
}

async fn operator_add(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(code): Path<String>,
    Form(f): Form<OperatorForm>,
) -> Result<Response, PageError> {
    let staff = okno_identity::staff::by_email(&p.db, &f.email).await?;
    let result = match staff {
        Some(s) => {
            let id = s.id.clone().unwrap_or_default();
            desk::assign_operator(&p.db, &actor, &code, &id, role(&f.role)).await
        }
        None => Err(Problem::invalid_field(
            "email",
            "desk.staff_not_found",
            "Сотрудник с такой электронной почтой не найден. Учётную запись сотрудника сначала создаёт администратор платформы.",
        )
        .into()),
    };
    match result {
        Ok(()) => Ok(back(&code, "assigned")),
        Err(Error::Problem(pr)) if pr.status < 500 && pr.status != 403 => {
            office_page(&p, &actor, chrome, &code, Outcome::refused(&pr, f.email)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn operator_remove(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path((code, account_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    match desk::remove_operator(&p.db, &actor, &code, &account_id).await {
        Ok(()) => Ok(back(&code, "removed")),
        Err(Error::Problem(pr)) if pr.status == 404 || pr.status == 409 => {
            office_page(
                &p,
                &actor,
                chrome,
                &code,
                Outcome::refused(&pr, String::new()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_shows_the_field_message_and_otherwise_the_detail() {
        let p = Problem::invalid_field(
            "name",
            "device.name_invalid",
            "Название — от 1 до 60 символов.",
        );
        assert_eq!(message(&p), "Название — от 1 до 60 символов.");
        let p = Problem::not_found("Действующее рабочее место не найдено.");
        assert_eq!(message(&p), "Действующее рабочее место не найдено.");
    }

    #[test]
    fn only_known_outcomes_are_announced() {
        assert!(done_text("revoked").is_some());
        assert!(done_text("<script>").is_none());
    }

    #[test]
    fn an_unknown_role_in_the_form_binds_the_least_one() {
        assert_eq!(role("office_admin"), OperatorRole::OfficeAdmin);
        assert_eq!(role("root"), OperatorRole::Operator);
    }
}
