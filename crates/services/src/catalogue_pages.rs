//! The administrator's pages of the catalogue's forms: the services that take applications
//! online, and for each a new version of its form (the fields as the JSON of `form.rs`, who may
//! apply, when the fee falls due), published through the same use case as the API. Applications
//! already started keep the version they began with.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form as HtmlForm, Router};
use okno_kernel::actor::Permission;
use okno_kernel::error::{Error, Problem};
use okno_kernel::http::{admin_page, render, Chrome, CurrentActor, PageError};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::model::{ApplicantKind, FeeAt};
use crate::service::{self, NewVersion, ServiceView};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/admin/catalogue", get(list))
        .route("/admin/catalogue/{code}", get(page).post(publish))
}

const KINDS: [ApplicantKind; 3] = [
    ApplicantKind::Person,
    ApplicantKind::SoleProprietor,
    ApplicantKind::LegalEntity,
];

#[derive(Template)]
#[template(path = "services_catalogue.html")]
struct ListPage {
    chrome: Chrome,
    services: Vec<ServiceView>,
    /// Services with no form yet: (code, title, agency).
    unpublished: Vec<(String, String, String)>,
}

async fn list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::DirectoryManage)? {
        return Ok(r);
    }
    let services = service::catalogue(&p.db).await?;
    let unpublished = service::unpublished(&p.db).await?;
    Ok(render(&ListPage {
        chrome,
        services,
        unpublished,
    }))
}

#[derive(Template)]
#[template(path = "services_catalogue_edit.html")]
struct EditPage {
    chrome: Chrome,
    s: ServiceView,
    /// The fields as JSON, as typed or as stored.
    fields: String,
    /// (value, title, checked)
    kinds: Vec<(&'static str, &'static str, bool)>,
    fee_at: &'static str,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Flash {
    published: Option<i64>,
    created: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VersionForm {
    #[serde(default)]
    fields: String,
    #[serde(default)]
    applicant_person: Option<String>,
    #[serde(default)]
    applicant_sole_proprietor: Option<String>,
    #[serde(default)]
    applicant_legal_entity: Option<String>,
    #[serde(default)]
    fee_at: String,
}

impl VersionForm {
    fn applicants(&self) -> Vec<ApplicantKind> {
        let on = [
            &self.applicant_person,
            &self.applicant_sole_proprietor,
            &self.applicant_legal_entity,
        ];
        KINDS
            .into_iter()
            .zip(on)
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k)
            .collect()
    }

    fn fee_at(&self) -> FeeAt {
        if self.fee_at == "approval" {
            FeeAt::Approval
        } else {
            FeeAt::Submission
        }
    }
}

/// The fields typed into the page as the use case takes them; a JSON mistake is named with its
/// line and column.
fn parse_fields(text: &str) -> Result<serde_json::Value, Problem> {
    let fields: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Problem::invalid_field(
            "fields",
            "form.json_invalid",
            format!(
                "Поля формы — не JSON: строка {}, позиция {}.",
                e.line(),
                e.column()
            ),
        )
    })?;
    if !fields.is_array() {
        return Err(Problem::invalid_field(
            "fields",
            "form.json_invalid",
            "Поля формы — это список (JSON-массив) полей: [ {…}, {…} ].",
        ));
    }
    Ok(serde_json::json!({ "fields": fields }))
}

fn message(p: &Problem) -> String {
    p.errors
        .first()
        .map_or_else(|| p.detail.clone(), |e| e.message.clone())
}

async fn edit_render(
    p: &Platform,
    chrome: Chrome,
    code: &str,
    typed: Option<VersionForm>,
    notice: Option<String>,
    error: Option<Problem>,
) -> Result<Response, PageError> {
    let s = service::service_for_editing(&p.db, code).await?;
    let (fields, applicants, fee_at) = match &typed {
        Some(f) => (f.fields.clone(), f.applicants(), f.fee_at()),
        None => (
            serde_json::to_string_pretty(&s.form.fields).map_err(Error::from)?,
            s.applicants.clone(),
            s.fee_at,
        ),
    };
    let status = error.as_ref().map(Problem::status_code);
    let mut r = render(&EditPage {
        chrome,
        fields,
        kinds: KINDS
            .into_iter()
            .map(|k| (k.as_str(), k.title(), applicants.contains(&k)))
            .collect(),
        fee_at: fee_at.as_str(),
        notice,
        error: error.as_ref().map(message),
        s,
    });
    if let Some(st) = status {
        *r.status_mut() = st;
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
    if let Some(r) = admin_page(&actor, Permission::DirectoryManage)? {
        return Ok(r);
    }
    let notice = match (f.published, f.created) {
        (Some(v), _) => Some(format!(
            "Опубликована версия {v}. Новые заявления заполняются по ней; начатые — по своей."
        )),
        (None, Some(_)) => Some(
            "Услуга добавлена в каталог. Опубликуйте первую версию формы, чтобы заявление можно было подать онлайн."
                .to_string(),
        ),
        (None, None) => None,
    };
    edit_render(&p, chrome, &code, None, notice, None).await
}

async fn publish(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(code): Path<String>,
    HtmlForm(f): HtmlForm<VersionForm>,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::DirectoryManage)? {
        return Ok(r);
    }
    let published = match parse_fields(&f.fields) {
        Ok(form) => service::publish_version(
            &p.db,
            &actor,
            &code,
            NewVersion {
                form,
                applicants: f.applicants(),
                fee_at: f.fee_at(),
            },
        )
        .await
        .map_err(|e| e.to_problem()),
        Err(pr) => Err(pr),
    };
    match published {
        Ok(s) => Ok(
            Redirect::to(&format!("/admin/catalogue/{code}?published={}", s.version))
                .into_response(),
        ),
        Err(pr) if pr.status < 500 && pr.status != 404 => {
            edit_render(&p, chrome, &code, Some(f), None, Some(pr)).await
        }
        Err(pr) => Err(PageError(pr)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields_must_be_a_json_list_and_a_mistake_names_its_place() {
        let e = parse_fields("[\n  {\"name\": }\n]").unwrap_err();
        assert!(message(&e).contains("строка 2"), "{}", message(&e));
        assert!(parse_fields("{\"name\": \"x\"}").is_err());
        assert_eq!(
            parse_fields("[]").unwrap(),
            serde_json::json!({ "fields": [] })
        );
    }

    #[test]
    fn the_applicants_are_the_boxes_ticked() {
        let f = VersionForm {
            fields: String::new(),
            applicant_person: Some("1".into()),
            applicant_sole_proprietor: None,
            applicant_legal_entity: Some("1".into()),
            fee_at: "approval".into(),
        };
        assert_eq!(
            f.applicants(),
            vec![ApplicantKind::Person, ApplicantKind::LegalEntity]
        );
        assert_eq!(f.fee_at(), FeeAt::Approval);
    }
}
