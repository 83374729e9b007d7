//! Russian pages of the services part: starting an application, the form with autosave (and a
//! «Сохранить черновик» button without JavaScript), the person's applications, and the agency
//! desk with its actions.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form as HtmlForm, Router};
use okno_kernel::actor::Actor;
use okno_kernel::error::Error;
use okno_kernel::http::{render, Chrome, CurrentActor, PageError};
use okno_kernel::Platform;
use serde::Deserialize;
use serde_json::Value;

use crate::form::{FieldKind, Form};
use crate::model::{self, Status, Transition};
use crate::service::{self, ApplicationView, DeskFilter, DeskRow, ServiceView, Settings, Step};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/services/static/{file}", get(asset))
        .route("/services/{code}/apply", get(apply_page).post(apply))
        .route(
            "/operator/people/{id}/apply",
            get(desk_apply_page).post(desk_apply),
        )
        .route("/account/applications", get(list))
        .route("/account/applications/{id}", get(page).post(save))
        .route(
            "/account/applications/{id}/files",
            post(save_with_files).layer(axum::extract::DefaultBodyLimit::max(FILES_FORM_LIMIT)),
        )
        .route("/account/applications/{id}/{action}", post(act))
        .route("/account/applications/{id}/result.pdf", get(result_pdf))
        .route("/agency/applications/{id}/result.pdf", get(result_pdf))
        .route("/agency", get(desk))
        .route("/agency/applications/{id}", get(desk_page))
        .route(
            "/agency/applications/{id}/fulfil-file",
            post(desk_fulfil_file).layer(axum::extract::DefaultBodyLimit::max(
                okno_kernel::files::MAX_FILE + 256 * 1024,
            )),
        )
        .route("/agency/applications/{id}/{action}", post(desk_act))
}

async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "form.js" => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            include_str!("../static/form.js"),
        )
            .into_response(),
        _ => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

fn signed_in(actor: &Actor) -> Option<Response> {
    actor
        .is_anonymous()
        .then(|| Redirect::to("/login").into_response())
}

#[derive(Template)]
#[template(path = "services_apply.html")]
struct ApplyPage {
    chrome: Chrome,
    s: ServiceView,
    fee: Option<String>,
    level: &'static str,
    error: Option<String>,
}

async fn apply_render(
    p: &Platform,
    chrome: Chrome,
    code: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let s = service::service(&p.db, code).await?;
    let status = if error.is_some() {
        axum::http::StatusCode::FORBIDDEN
    } else {
        axum::http::StatusCode::OK
    };
    let mut r = render(&ApplyPage {
        fee: s.fee_kopecks.filter(|k| *k > 0).map(model::rubles),
        level: match s.level_required.as_str() {
            "confirmed" => "подтверждённая",
            "standard" => "стандартная",
            _ => "упрощённая",
        },
        chrome,
        s,
        error,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn apply_page(
    State(p): State<Platform>,
    chrome: Chrome,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    apply_render(&p, chrome, &code, None).await
}

async fn apply(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor) {
        return Ok(r);
    }
    match service::start(&p, &actor, &code).await {
        Ok(a) => Ok(Redirect::to(&format!("/account/applications/{}", a.id)).into_response()),
        Err(e @ Error::Problem(_)) => {
            apply_render(&p, chrome, &code, Some(e.to_problem().detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

// --- filing at a service point's desk ----------------------------------------------------------

#[derive(Template)]
#[template(path = "services_desk_apply.html")]
struct DeskApplyPage {
    chrome: Chrome,
    person_id: String,
    person_name: String,
    office_name: String,
    services: Vec<ServiceView>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct DeskApplyForm {
    #[serde(default)]
    service: String,
}

async fn desk_apply_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    person: &str,
    error: Option<okno_kernel::Problem>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let (office, _) = okno_offices::desk::current_desk(&p.db, actor).await?;
    let who = service::person_name(&p.db, person)
        .await?
        .ok_or_else(|| okno_kernel::Problem::not_found("Учётная запись гражданина не найдена."))?;
    let services = service::catalogue(&p.db).await?;
    let status = error.as_ref().map(okno_kernel::Problem::status_code);
    let mut r = render(&DeskApplyPage {
        chrome,
        person_id: person.to_string(),
        person_name: who,
        office_name: office.name,
        services,
        error: error.map(|e| e.detail),
    });
    if let Some(s) = status {
        *r.status_mut() = s;
    }
    Ok(r)
}

async fn desk_apply_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    desk_apply_render(&p, &actor, chrome, &id, None).await
}

async fn desk_apply(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    HtmlForm(f): HtmlForm<DeskApplyForm>,
) -> Result<Response, PageError> {
    match service::start_at_desk(&p, &actor, &id, f.service.trim()).await {
        Ok(a) => Ok(Redirect::to(&format!("/account/applications/{}", a.id)).into_response()),
        Err(Error::Problem(pr)) => desk_apply_render(&p, &actor, chrome, &id, Some(*pr)).await,
        Err(e) => Err(e.into()),
    }
}

/// A field as the page shows it, with the rules as HTML attributes.
struct FieldView {
    name: String,
    label: String,
    /// `text`, `number`, `date`, `checkbox`, `select`, `file`, `textarea`.
    input: &'static str,
    required: bool,
    hint: Option<String>,
    minlength: Option<usize>,
    maxlength: usize,
    min: Option<i64>,
    max: Option<i64>,
    pattern: Option<String>,
    title: Option<String>,
    choices: Vec<(String, String, bool)>,
    value: String,
    checked: bool,
    visible_field: String,
    visible_value: String,
    shown: bool,
    files: Vec<(String, String)>,
    error: Option<String>,
}

fn fields(form: &Form, a: &ApplicationView, errors: &BTreeMap<String, String>) -> Vec<FieldView> {
    let visible = form.visible(&a.data);
    form.fields
        .iter()
        .map(|f| {
            let value = a.data.get(&f.name).cloned().unwrap_or_default();
            let (input, pattern, title) = match f.kind {
                FieldKind::Text if f.max_length.unwrap_or(0) > 300 => ("textarea", None, None),
                FieldKind::Text => ("text", None, None),
                FieldKind::Address => ("textarea", None, None),
                FieldKind::Number => ("number", None, None),
                FieldKind::Date => ("date", None, None),
                FieldKind::Choice => ("select", None, None),
                FieldKind::Checkbox => ("checkbox", None, None),
                FieldKind::File => ("file", None, None),
                FieldKind::Snils => (
                    "text",
                    Some("[0-9]{3}[- ]?[0-9]{3}[- ]?[0-9]{3}[- ]?[0-9]{2}".into()),
                    Some("11 цифр, например 112-233-445 95".into()),
                ),
                FieldKind::Inn => (
                    "text",
                    Some("[0-9]{10}|[0-9]{12}".into()),
                    Some("10 или 12 цифр".into()),
                ),
                FieldKind::Passport => (
                    "text",
                    Some("[0-9]{2} ?[0-9]{2} ?[0-9]{6}".into()),
                    Some("Серия и номер: 10 цифр".into()),
                ),
            };
            FieldView {
                name: f.name.clone(),
                label: f.label.clone(),
                input,
                required: f.required,
                hint: f.hint.clone(),
                minlength: f.min_length,
                maxlength: f.max_length.unwrap_or(crate::form::TEXT_MAX),
                min: f.min,
                max: f.max,
                pattern: f.pattern.clone().or(pattern),
                title: f.pattern_message.clone().or(title),
                choices: f
                    .choices
                    .iter()
                    .map(|c| (c.value.clone(), c.label.clone(), c.value == value))
                    .collect(),
                checked: value == "true",
                visible_field: f
                    .visible_if
                    .as_ref()
                    .map(|v| v.field.clone())
                    .unwrap_or_default(),
                visible_value: f
                    .visible_if
                    .as_ref()
                    .map(|v| crate::form::value_text(&v.equals))
                    .unwrap_or_default(),
                shown: visible.contains(&f.name),
                files: a
                    .attachments
                    .iter()
                    .filter(|x| x.field == f.name)
                    .map(|x| (x.id.clone(), x.file_name.clone()))
                    .collect(),
                error: errors.get(&f.name).cloned(),
                value,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "services_application.html")]
struct ApplicationPage {
    chrome: Chrome,
    a: ApplicationView,
    fields: Vec<FieldView>,
    editable: bool,
    draft: bool,
    needs_info: bool,
    withdrawable: bool,
    /// The form has file fields: the page offers the no-JavaScript way to attach them.
    has_files: bool,
    due: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn page_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    id: &str,
    notice: Option<String>,
    problem: Option<okno_kernel::Problem>,
) -> Result<Response, PageError> {
    let a = service::get(p, actor, id).await?;
    let s = service::service(&p.db, &a.service_code).await?;
    // The form of the application's own version, not the service's current one.
    let form = if s.version == a.version {
        s.form
    } else {
        version_form(p, &a).await?
    };
    let errors: BTreeMap<String, String> = problem
        .as_ref()
        .map(|p| {
            p.errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect()
        })
        .unwrap_or_default();
    let status = problem
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |p| p.status_code());
    let fields = fields(&form, &a, &errors);
    let mut r = render(&ApplicationPage {
        chrome,
        has_files: fields.iter().any(|f| f.input == "file"),
        fields,
        editable: matches!(a.status, Status::Draft | Status::NeedsInfo),
        draft: a.status == Status::Draft,
        needs_info: a.status == Status::NeedsInfo,
        withdrawable: a.status.is_open(),
        due: a
            .due_date
            .as_deref()
            .and_then(okno_kernel::clock::parse_date)
            .map(model::date_text),
        notice,
        error: problem.map(|p| p.detail),
        a,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn version_form(p: &Platform, a: &ApplicationView) -> Result<Form, PageError> {
    let mut c = p.db.read().await?;
    let row = crate::store::service(&mut c, &a.service_code, Some(a.version))
        .await?
        .ok_or_else(|| PageError::from(Error::internal("missing service version")))?;
    let v: Value = serde_json::from_str(&row.form).map_err(Error::from)?;
    Form::parse(&v).map_err(|e| PageError::from(Error::internal(e)))
}

#[derive(Deserialize, Default)]
struct Notice {
    saved: Option<String>,
}

async fn page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor) {
        return Ok(r);
    }
    let notice = n.saved.map(|_| "Черновик сохранён.".to_string());
    page_render(&p, &actor, chrome, &id, notice, None).await
}

/// The form as posted by the browser: every field as text, plus the CSRF token and the button.
type Posted = BTreeMap<String, String>;

fn posted_values(f: &Posted) -> BTreeMap<String, Value> {
    f.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf_token" | "comment"))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

/// The files one form without JavaScript may carry, and the body that holds them.
const FILES_PER_FORM: usize = 5;
const FILES_FORM_LIMIT: usize = FILES_PER_FORM * (okno_kernel::files::MAX_FILE + 64 * 1024);

/// The whole draft form sent as multipart by its «Сохранить и приложить файлы» button (no
/// JavaScript needed): the typed values are saved first, then each chosen file (inputs named
/// `file.{field}`) is attached to its field through the same checks as the API's upload.
async fn save_with_files(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor) {
        return Ok(r);
    }
    let unreadable = || {
        okno_kernel::Problem::new(400, "request.unreadable", "Не удалось прочитать форму")
            .with_detail("Форма пришла не целиком. Отправьте её ещё раз.")
    };
    let mut values = Posted::new();
    let mut chosen: Vec<(String, String, Vec<u8>)> = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(|_| unreadable())? {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if let Some(target) = name.strip_prefix("file.") {
            let file_name = field.file_name().unwrap_or_default().to_string();
            if file_name.is_empty() {
                continue; // a file input left empty
            }
            okno_kernel::text::check(&name, &file_name, true)?;
            if chosen.len() == FILES_PER_FORM {
                let pr =
                    okno_kernel::Problem::new(400, "attachment.too_many", "Слишком много файлов")
                        .with_detail(format!(
                            "За одну отправку — не больше {FILES_PER_FORM} файлов."
                        ));
                return page_render(&p, &actor, chrome, &id, None, Some(pr)).await;
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > okno_kernel::files::MAX_FILE {
                    let mut pr = okno_kernel::files::too_large();
                    pr.detail = format!("Файл «{file_name}» не приложен: {}", pr.detail);
                    return page_render(&p, &actor, chrome, &id, None, Some(pr)).await;
                }
            }
            chosen.push((target.to_string(), file_name, bytes));
        } else {
            let text = field.text().await.map_err(|_| unreadable())?;
            okno_kernel::text::check(&name, &text, false)?;
            values.insert(name, text);
        }
    }
    if let Err(e) = service::save(&p, &actor, &id, posted_values(&values)).await {
        return match e {
            Error::Problem(pr) => page_render(&p, &actor, chrome, &id, None, Some(*pr)).await,
            e => Err(e.into()),
        };
    }
    let files = settings.files();
    let mut added = 0;
    for (target, file_name, bytes) in &chosen {
        match service::attach(&p, &files, &actor, &id, target, file_name, bytes).await {
            Ok(_) => added += 1,
            Err(Error::Problem(mut pr)) => {
                pr.detail = format!("Файл «{file_name}» не приложен: {}", pr.detail);
                return page_render(&p, &actor, chrome, &id, None, Some(*pr)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let notice = if added == 0 {
        "Черновик сохранён. Файлы не выбраны.".to_string()
    } else {
        format!("Черновик сохранён, приложено файлов: {added}.")
    };
    page_render(&p, &actor, chrome, &id, Some(notice), None).await
}

async fn save(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    HtmlForm(f): HtmlForm<Posted>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor) {
        return Ok(r);
    }
    match service::save(&p, &actor, &id, posted_values(&f)).await {
        Ok(_) => Ok(Redirect::to(&format!("/account/applications/{id}?saved=1")).into_response()),
        Err(Error::Problem(pr)) => page_render(&p, &actor, chrome, &id, None, Some(*pr)).await,
        Err(e) => Err(e.into()),
    }
}

async fn act(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path((id, action)): Path<(String, String)>,
    HtmlForm(f): HtmlForm<Posted>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor) {
        return Ok(r);
    }
    if action == "rate" {
        let rating = service::NewRating {
            rating: f
                .get("rating")
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or(0),
            comment: f.get("rating_comment").cloned(),
        };
        return match service::rate(&p, &actor, &id, rating).await {
            Ok(_) => {
                let notice = "Спасибо за оценку! Она учтена в показателях ведомства.".to_string();
                page_render(&p, &actor, chrome, &id, Some(notice), None).await
            }
            Err(Error::Problem(pr)) => page_render(&p, &actor, chrome, &id, None, Some(*pr)).await,
            Err(e) => Err(e.into()),
        };
    }
    let t = match action.as_str() {
        "submit" => Transition::Submit,
        "clarify" => Transition::Clarify,
        "withdraw" => Transition::Withdraw,
        _ => {
            return Err(PageError(okno_kernel::Problem::not_found(
                "Страница не найдена.",
            )))
        }
    };
    // The values on the page are saved first, so what the person sees is what is sent.
    if t != Transition::Withdraw {
        if let Err(e) = service::save(&p, &actor, &id, posted_values(&f)).await {
            return match e {
                Error::Problem(pr) => page_render(&p, &actor, chrome, &id, None, Some(*pr)).await,
                e => Err(e.into()),
            };
        }
    }
    let step = Step {
        comment: f.get("comment").cloned(),
        result_file: None,
    };
    match service::transition(&p, &settings, &actor, &id, t, step).await {
        Ok(a) => {
            let notice = match t {
                Transition::Submit => format!(
                    "Заявление отправлено. Его номер — {}.",
                    a.number.as_deref().unwrap_or("—")
                ),
                Transition::Clarify => "Уточнение отправлено, заявление снова в очереди.".into(),
                _ => "Заявление отозвано.".into(),
            };
            page_render(&p, &actor, chrome, &id, Some(notice), None).await
        }
        Err(Error::Problem(pr)) => page_render(&p, &actor, chrome, &id, None, Some(*pr)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "services_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ApplicationView>,
}

async fn list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor) {
        return Ok(r);
    }
    let rows = service::mine(&p, &actor).await?;
    Ok(render(&ListPage { chrome, rows }))
}

#[derive(Template)]
#[template(path = "services_desk.html")]
struct DeskPage {
    chrome: Chrome,
    rows: Vec<DeskRow>,
    figures: Vec<service::AgencyFigures>,
    agencies: Vec<String>,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    service: String,
    overdue: bool,
    query: String,
}

#[derive(Deserialize, Default)]
struct DeskQuery {
    status: Option<String>,
    service: Option<String>,
    overdue: Option<String>,
}

async fn desk(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<DeskQuery>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    let f = DeskFilter {
        status: q.status.clone().filter(|s| !s.is_empty()),
        service: q.service.clone().filter(|s| !s.is_empty()),
        overdue: q.overdue.as_deref().map(|v| v == "1" || v == "true"),
    };
    let rows = service::desk(&p.db, &actor, &f).await?;
    let mut query = Vec::new();
    if let Some(s) = &f.status {
        query.push(format!("status={s}"));
    }
    if let Some(s) = &f.service {
        query.push(format!("service={s}"));
    }
    if f.overdue == Some(true) {
        query.push("overdue=true".into());
    }
    Ok(render(&DeskPage {
        chrome,
        rows,
        figures: service::figures(&p.db, &actor).await?,
        agencies: service::my_agencies(&p.db, &actor).await?,
        statuses: Status::ALL
            .into_iter()
            .filter(|s| *s != Status::Draft)
            .map(|s| (s.as_str(), s.title()))
            .collect(),
        status: f.status.unwrap_or_default(),
        service: f.service.unwrap_or_default(),
        overdue: f.overdue == Some(true),
        query: query.join("&"),
    }))
}

#[derive(Template)]
#[template(path = "services_desk_application.html")]
struct DeskAppPage {
    chrome: Chrome,
    a: ApplicationView,
    labels: Vec<(String, String)>,
    due: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn desk_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    id: &str,
    notice: Option<String>,
    problem: Option<okno_kernel::Problem>,
) -> Result<Response, PageError> {
    let a = service::get(p, actor, id).await?;
    let form = version_form(p, &a).await?;
    let labels = form
        .fields
        .iter()
        .filter_map(|f| a.data.get(&f.name).map(|v| (f.label.clone(), v.clone())))
        .map(|(l, v)| (l, if v == "true" { "да".into() } else { v }))
        .collect();
    let status = problem
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |p| p.status_code());
    let mut r = render(&DeskAppPage {
        chrome,
        labels,
        due: a
            .due_date
            .as_deref()
            .and_then(okno_kernel::clock::parse_date)
            .map(model::date_text),
        notice,
        error: problem.map(|p| p.detail),
        a,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn desk_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    desk_render(&p, &actor, chrome, &id, None, None).await
}

#[derive(Deserialize)]
struct CommentForm {
    comment: Option<String>,
}

async fn desk_act(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path((id, action)): Path<(String, String)>,
    HtmlForm(f): HtmlForm<CommentForm>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    let t = match action.as_str() {
        "take" => Transition::Take,
        "ask-clarification" => Transition::AskClarification,
        "approve" => Transition::Approve,
        "reject" => Transition::Reject,
        "fulfil" => Transition::Fulfil,
        _ => {
            return Err(PageError(okno_kernel::Problem::not_found(
                "Страница не найдена.",
            )))
        }
    };
    match service::transition(
        &p,
        &settings,
        &actor,
        &id,
        t,
        Step {
            comment: f.comment,
            result_file: None,
        },
    )
    .await
    {
        Ok(a) => {
            let notice = format!("Готово: статус «{}».", a.status_title);
            desk_render(&p, &actor, chrome, &id, Some(notice), None).await
        }
        Err(Error::Problem(pr)) => desk_render(&p, &actor, chrome, &id, None, Some(*pr)).await,
        Err(e) => Err(e.into()),
    }
}

/// The official issues a result document made outside the platform, with a plain file form.
async fn desk_fulfil_file(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    let unreadable = || {
        okno_kernel::Problem::new(400, "request.unreadable", "Не удалось прочитать форму")
            .with_detail("Форма пришла не целиком. Выберите файл и отправьте ещё раз.")
    };
    let mut step = Step::default();
    while let Some(mut field) = form.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("comment") => {
                let comment = field.text().await.map_err(|_| unreadable())?;
                okno_kernel::text::check("comment", &comment, false)?;
                step.comment = Some(comment);
            }
            Some("file") => {
                if let Some(name) = field.file_name() {
                    okno_kernel::text::check("file", name, true)?;
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > okno_kernel::files::MAX_FILE {
                        let pr = okno_kernel::files::too_large();
                        return desk_render(&p, &actor, chrome, &id, None, Some(pr)).await;
                    }
                }
                step.result_file = Some(bytes);
            }
            _ => {}
        }
    }
    if step.result_file.as_ref().is_none_or(Vec::is_empty) {
        let pr = okno_kernel::Problem::new(400, "attachment.none", "Файл не выбран")
            .with_detail("Выберите документ-результат в PDF.");
        return desk_render(&p, &actor, chrome, &id, None, Some(pr)).await;
    }
    match service::transition(&p, &settings, &actor, &id, Transition::Fulfil, step).await {
        Ok(a) => {
            let notice = format!(
                "Готово: статус «{}», документ зарегистрирован и подписан.",
                a.status_title
            );
            desk_render(&p, &actor, chrome, &id, Some(notice), None).await
        }
        Err(Error::Problem(pr)) => desk_render(&p, &actor, chrome, &id, None, Some(*pr)).await,
        Err(e) => Err(e.into()),
    }
}

/// The signed result document, for the applicant (from their cabinet) or an official.
async fn result_pdf(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor) {
        return Ok(r);
    }
    let (r, bytes) = service::result_document(&p, &settings, &actor, &id).await?;
    Ok(okno_kernel::http::download(
        "application/pdf",
        &format!("result-{}.pdf", r.id),
        bytes,
    ))
}
