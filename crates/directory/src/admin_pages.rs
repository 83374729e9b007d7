//! The administrator's pages of the catalogue's directory: a service's entry (title, summary, fee,
//! decision deadline, account level, documents, category; the form of its application is the
//! services part's, `/admin/catalogue/{code}`) and the categories of the catalogue.

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

use crate::service::{self, NewService, NewServiceCategory, ServiceEdit};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/admin/directory/services/new", get(new_page).post(create))
        .route("/admin/directory/services/{code}", get(page).post(save))
        .route(
            "/admin/directory/categories",
            get(categories_page).post(add_category),
        )
}

/// The entry as the page's form holds it: the fee in rubles, documents one per line.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EntryForm {
    title: String,
    summary: String,
    fee: String,
    deadline: String,
    level: String,
    documents: String,
    /// The category's code; empty for none; absent (an older form) keeps the current one.
    category: Option<String>,
}

impl EntryForm {
    /// The use case's input, or the fields that do not even parse.
    fn edit(&self) -> Result<ServiceEdit, Problem> {
        let (edit, errors) = self.parsed();
        if errors.is_empty() {
            Ok(edit)
        } else {
            Err(Problem::invalid_fields(errors))
        }
    }

    /// The use case's input, with a valid stand-in for each field that does not parse, and the
    /// errors for those fields.
    fn parsed(&self) -> (ServiceEdit, Vec<FieldError>) {
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
            1
        });
        let edit = ServiceEdit {
            title: self.title.clone(),
            summary: self.summary.clone(),
            fee_kopecks: fee,
            deadline_working_days: deadline,
            level_required: self.level.clone(),
            documents: self.documents.lines().map(str::to_string).collect(),
            category_code: self.category.clone(),
        };
        (edit, errors)
    }
}

/// What the new-service form adds to the entry: the code and the agency, fixed afterwards.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewEntryForm {
    code: String,
    agency: String,
    #[serde(flatten)]
    entry: EntryForm,
}

#[derive(Template)]
#[template(path = "admin_service.html")]
struct EntryPage {
    chrome: Chrome,
    /// The service's code; for a new service, as typed.
    code: String,
    /// A new service: the code and the agency are asked for, and the form posts to `…/new`.
    creating: bool,
    agency: String,
    /// (code, short name)
    agencies: Vec<(String, String)>,
    form: EntryForm,
    levels: [(&'static str, &'static str); 3],
    /// (code, title)
    categories: Vec<(String, String)>,
    notice: Option<String>,
    /// (field, message)
    errors: Vec<(String, String)>,
}

fn rubles(k: i64) -> String {
    if k % 100 == 0 {
        (k / 100).to_string()
    } else {
        format!("{},{:02}", k / 100, k % 100)
    }
}

/// The page's error list: each field's message, or the problem's detail.
fn messages(problem: Option<Problem>) -> Vec<(String, String)> {
    problem
        .map(|p| {
            if p.errors.is_empty() {
                vec![(String::new(), p.detail)]
            } else {
                p.errors.into_iter().map(|e| (e.field, e.message)).collect()
            }
        })
        .unwrap_or_default()
}

/// The entry page: of the service `code`, or (with `new`) of a service being added.
async fn render_page(
    p: &Platform,
    chrome: Chrome,
    code: &str,
    new: Option<NewEntryForm>,
    typed: Option<EntryForm>,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let creating = new.is_some();
    let (code, agency, form) = match new {
        Some(n) => (n.code, n.agency, n.entry),
        None => {
            let s = service::service(&p.db, code).await?;
            let form = typed.unwrap_or_else(|| EntryForm {
                title: s.title.clone(),
                summary: s.summary.clone(),
                fee: s.fee_kopecks.map(rubles).unwrap_or_default(),
                deadline: s.deadline_working_days.to_string(),
                level: s.level_required.clone(),
                documents: serde_json::from_str::<Vec<String>>(&s.documents)
                    .unwrap_or_default()
                    .join("\n"),
                category: s.category_code.clone(),
            });
            (s.code, s.agency_code, form)
        }
    };
    let categories = service::service_categories(&p.db)
        .await?
        .into_iter()
        .map(|k| (k.code, k.title))
        .collect();
    let agencies = if creating {
        service::agencies(&p.db)
            .await?
            .into_iter()
            .map(|a| (a.code, a.short_name))
            .collect()
    } else {
        Vec::new()
    };
    let status = problem.as_ref().map(Problem::status_code);
    let mut r = render(&EntryPage {
        chrome,
        code,
        creating,
        agency,
        agencies,
        form,
        levels: [
            ("simplified", "упрощённая"),
            ("standard", "стандартная"),
            ("confirmed", "подтверждённая"),
        ],
        categories,
        notice,
        errors: messages(problem),
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
    render_page(&p, chrome, &code, None, None, notice, None).await
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
            render_page(&p, chrome, &code, None, Some(f), None, Some(pr)).await
        }
        Err(pr) => Err(PageError(pr)),
    }
}

async fn new_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::DirectoryManage)? {
        return Ok(r);
    }
    let blank = NewEntryForm {
        entry: EntryForm {
            deadline: "10".into(),
            level: "standard".into(),
            ..EntryForm::default()
        },
        ..NewEntryForm::default()
    };
    render_page(&p, chrome, "", Some(blank), None, None, None).await
}

/// Adds the service, then sends the administrator on to its first form version.
async fn create(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<NewEntryForm>,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::DirectoryManage)? {
        return Ok(r);
    }
    // A field that does not parse is refused with the use case's own errors, all at once.
    let (e, unparsed) = f.entry.parsed();
    let made = service::create_service_unless(
        &p.db,
        &actor,
        NewService {
            code: f.code.clone(),
            agency_code: f.agency.clone(),
            title: e.title,
            summary: e.summary,
            fee_kopecks: e.fee_kopecks,
            deadline_working_days: e.deadline_working_days,
            level_required: e.level_required,
            documents: e.documents,
            category_code: e.category_code,
        },
        unparsed,
    )
    .await
    .map_err(|e: Error| e.to_problem());
    match made {
        Ok(s) => {
            Ok(Redirect::to(&format!("/admin/catalogue/{}?created=1", s.code)).into_response())
        }
        Err(pr) if pr.status == 400 || pr.status == 409 => {
            render_page(&p, chrome, "", Some(f), None, None, Some(pr)).await
        }
        Err(pr) => Err(PageError(pr)),
    }
}

/// A category as the page's form holds it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CategoryForm {
    code: String,
    title: String,
    description: String,
}

/// A category on the page: its fields and how many services it holds.
struct CategoryRow {
    code: String,
    title: String,
    description: String,
    services: usize,
}

#[derive(Template)]
#[template(path = "admin_categories.html")]
struct CategoriesPage {
    chrome: Chrome,
    rows: Vec<CategoryRow>,
    /// Services in no category: (code, title).
    uncategorised: Vec<(String, String)>,
    form: CategoryForm,
    notice: Option<String>,
    /// (field, message)
    errors: Vec<(String, String)>,
}

async fn render_categories(
    p: &Platform,
    chrome: Chrome,
    form: CategoryForm,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let services = service::services(&p.db, None, None).await?;
    let categories = service::service_categories(&p.db).await?;
    let rows = categories
        .iter()
        .map(|k| CategoryRow {
            code: k.code.clone(),
            title: k.title.clone(),
            description: k.description.clone(),
            services: services
                .iter()
                .filter(|s| s.category_code.as_deref() == Some(k.code.as_str()))
                .count(),
        })
        .collect();
    let uncategorised = services
        .into_iter()
        .filter(|s| {
            !s.category_code
                .as_deref()
                .is_some_and(|c| categories.iter().any(|k| k.code == c))
        })
        .map(|s| (s.code, s.title))
        .collect();
    let status = problem.as_ref().map(Problem::status_code);
    let mut r = render(&CategoriesPage {
        chrome,
        rows,
        uncategorised,
        form,
        notice,
        errors: messages(problem),
    });
    if let Some(st) = status {
        *r.status_mut() = st;
    }
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
struct Added {
    added: Option<String>,
}

async fn categories_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<Added>,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::DirectoryManage)? {
        return Ok(r);
    }
    let notice = match q.added {
        Some(code) => service::service_categories(&p.db)
            .await?
            .into_iter()
            .find(|k| k.code == code)
            .map(|k| {
                format!(
                    "Категория «{}» добавлена. Услуги переносятся в неё на их карточках.",
                    k.title
                )
            }),
        None => None,
    };
    render_categories(&p, chrome, CategoryForm::default(), notice, None).await
}

async fn add_category(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<CategoryForm>,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::DirectoryManage)? {
        return Ok(r);
    }
    let new = NewServiceCategory {
        code: f.code.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        position: None,
    };
    match service::create_service_category(&p.db, &actor, new)
        .await
        .map_err(|e: Error| e.to_problem())
    {
        Ok(k) => Ok(
            Redirect::to(&format!("/admin/directory/categories?added={}", k.code)).into_response(),
        ),
        Err(pr) if pr.status == 400 || pr.status == 409 => {
            render_categories(&p, chrome, f, None, Some(pr)).await
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
