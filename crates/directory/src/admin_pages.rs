//! The administrator's page of a service's entry in the catalogue: title, summary, fee, decision
//! deadline, account level and documents (the form of its application is the services part's,
//! `/admin/catalogue/{code}`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use okno_kernel::actor::Permission;
use okno_kernel::error::{Error, FieldError, Problem};
use okno_kernel::http::{admin_page, render, Chrome, CurrentActor, PageError};
use okno_kernel::Platform;
use okno_rules::Kopecks;
use serde::Deserialize;

use crate::service::{self, ServiceEdit};

pub fn routes() -> Router<Platform> {
    Router::new().route("/admin/directory/services/{code}", get(page).post(save))
}

/// The entry as the page's form holds it: the fee in rubles, documents one per line.
#[derive(Debug, Default, Deserialize)]
struct EntryForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    fee: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    documents: String,
}

impl EntryForm {
    /// The use case's input, or the fields that do not even parse.
    fn edit(&self) -> Result<ServiceEdit, Problem> {
        let mut errors = Vec::new();
        let fee = match self.fee.trim() {
            "" | "0" => None,
            s => match Kopecks::from_rubles_str(s) {
                Ok(k) => Some(k.get()),
                Err(_) => {
                    errors.push(FieldError {
                        field: "fee".into(),
                        code: "service.fee_invalid".into(),
                        message: "Пошлина — сумма в рублях, например 3000 или 1 234,50; пусто — без пошлины.".into(),
                    });
                    None
                }
            },
        };
        let deadline = self.deadline.trim().parse::<i64>().unwrap_or_else(|_| {
            errors.push(FieldError {
                field: "deadline".into(),
                code: "service.deadline_invalid".into(),
                message: "Срок решения — целое число рабочих дней.".into(),
            });
            0
        });
        if !errors.is_empty() {
            return Err(Problem::invalid_fields(errors));
        }
        Ok(ServiceEdit {
            title: self.title.clone(),
            summary: self.summary.clone(),
            fee_kopecks: fee,
            deadline_working_days: deadline,
            level_required: self.level.clone(),
            documents: self.documents.lines().map(str::to_string).collect(),
        })
    }
}

#[derive(Template)]
#[template(path = "admin_service.html")]
struct EntryPage {
    chrome: Chrome,
    code: String,
    form: EntryForm,
    levels: [(&'static str, &'static str); 3],
    notice: Option<String>,
    /// (field, message)
    errors: Vec<(String, String)>,
}

async fn render_page(
    p: &Platform,
    chrome: Chrome,
    code: &str,
    typed: Option<EntryForm>,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let s = service::service(&p.db, code).await?;
    let form = typed.unwrap_or_else(|| EntryForm {
        title: s.title.clone(),
        summary: s.summary.clone(),
        fee: s
            .fee_kopecks
            .map(|k| {
                if k % 100 == 0 {
                    (k / 100).to_string()
                } else {
                    format!("{},{:02}", k / 100, k % 100)
                }
            })
            .unwrap_or_default(),
        deadline: s.deadline_working_days.to_string(),
        level: s.level_required.clone(),
        documents: serde_json::from_str::<Vec<String>>(&s.documents)
            .unwrap_or_default()
            .join("\n"),
    });
    let status = problem.as_ref().map(Problem::status_code);
    let errors = problem
        .map(|p| {
            if p.errors.is_empty() {
                vec![(String::new(), p.detail)]
            } else {
                p.errors.into_iter().map(|e| (e.field, e.message)).collect()
            }
        })
        .unwrap_or_default();
    let mut r = render(&EntryPage {
        chrome,
        code: s.code,
        form,
        levels: [
            ("simplified", "упрощённая"),
            ("standard", "стандартная"),
            ("confirmed", "подтверждённая"),
        ],
        notice,
        errors,
    });
    if let Some(st) = status {
        *r.status_mut() = st;
    }
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
struct Flash {
    saved: Option<String>,
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
    let notice = f.saved.map(|_| {
        "Сохранено. Новые сроки и пошлина действуют для заявлений, поданных с этой минуты."
            .to_string()
    });
    render_page(&p, chrome, &code, None, notice, None).await
}

async fn save(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(code): Path<String>,
    Form(f): Form<EntryForm>,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::DirectoryManage)? {
        return Ok(r);
    }
    let saved = match f.edit() {
        Ok(e) => service::update_service(&p.db, &actor, &code, e)
            .await
            .map_err(|e: Error| e.to_problem()),
        Err(pr) => Err(pr),
    };
    match saved {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/directory/services/{code}?saved=1")).into_response())
        }
        Err(pr) if pr.status == 400 => {
            render_page(&p, chrome, &code, Some(f), None, Some(pr)).await
        }
        Err(pr) => Err(PageError(pr)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_is_typed_in_rubles_and_documents_one_per_line() {
        let f = EntryForm {
            title: "Справка".into(),
            fee: "1 234,50".into(),
            deadline: "5".into(),
            level: "standard".into(),
            documents: "Паспорт\nСНИЛС".into(),
            ..EntryForm::default()
        };
        let e = f.edit().unwrap();
        assert_eq!(e.fee_kopecks, Some(123_450));
        assert_eq!(e.documents, ["Паспорт", "СНИЛС"]);
        let bad = EntryForm {
            fee: "много".into(),
            deadline: "пять".into(),
            ..EntryForm::default()
        };
        let p = bad.edit().unwrap_err();
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["fee", "deadline"]);
    }
}
