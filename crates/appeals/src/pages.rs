//! Russian pages of the appeals part: the filing form, «Мои обращения» with each appeal's
//! history, answers, comments, files and rating, the moderation queue, the body's desk with its
//! answer form, and the public list with a map (SVG, no external tiles) and the figures.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use okno_kernel::actor::{Actor, Permission};
use okno_kernel::error::Error;
use okno_kernel::http::{render, Chrome, CurrentActor, PageError};
use okno_kernel::{Platform, Problem};
use serde::Deserialize;

use crate::model::{self, Kind, RejectReason, Status};
use crate::service::{
    self, AppealView, BodyView, CategoryView, DeskRow, Figures, Moderation, NewAppeal,
    PublicReport, Settings, TerritoryView, Verdict,
};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/appeals/static/appeals.js", get(script))
        .route("/appeals/new", get(new_page).post(new_post))
        .route("/appeals/reports", get(reports))
        .route("/appeals/figures", get(figures))
        .route("/account/appeals", get(mine))
        .route("/account/appeals/{id}", get(mine_one))
        .route(
            "/account/appeals/{id}/files",
            post(mine_files).layer(axum::extract::DefaultBodyLimit::max(FILES_FORM_LIMIT)),
        )
        .route("/account/appeals/{id}/{action}", post(mine_act))
        .route("/moderation", get(queue))
        .route("/moderation/{id}", post(moderate))
        .route("/body", get(desk))
        .route("/body/appeals/{id}", get(desk_one))
        .route(
            "/body/appeals/{id}/answer-files",
            post(desk_answer).layer(axum::extract::DefaultBodyLimit::max(FILES_FORM_LIMIT)),
        )
        .route("/body/appeals/{id}/{action}", post(desk_act))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/appeals.js"),
    )
        .into_response()
}

fn signed_in(actor: &Actor, to: &str) -> Option<Response> {
    actor
        .is_anonymous()
        .then(|| Redirect::to(to).into_response())
}

fn with_status(mut r: Response, p: &Option<Problem>) -> Response {
    if let Some(p) = p {
        *r.status_mut() = p.status_code();
    }
    r
}

fn date(d: &Option<String>) -> Option<String> {
    d.as_deref()
        .and_then(model::parse_date)
        .map(model::date_text)
}

// --- filing ------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "appeals_new.html")]
struct NewPage {
    chrome: Chrome,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<CategoryView>,
    municipalities: Vec<TerritoryView>,
    form: Filed,
    error: Option<String>,
    errors: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Filed {
    kind: String,
    category: String,
    text: String,
    address: String,
    lat: String,
    lon: String,
    municipality: String,
    publish: Option<String>,
    reply_address: String,
}

async fn new_render(
    p: &Platform,
    chrome: Chrome,
    form: Filed,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let municipalities = service::territories(&p.db)
        .await?
        .into_iter()
        .filter(|t| t.region_code.is_some())
        .collect();
    let r = render(&NewPage {
        chrome,
        kinds: Kind::ALL.iter().map(|k| (k.as_str(), k.title())).collect(),
        categories: service::categories(&p.db).await?,
        municipalities,
        form,
        error: problem.as_ref().map(|p| p.detail.clone()),
        errors: problem
            .as_ref()
            .map(|p| {
                p.errors
                    .iter()
                    .map(|e| (e.field.clone(), e.message.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    });
    Ok(with_status(r, &problem))
}

#[derive(Deserialize, Default)]
struct KindQuery {
    kind: Option<String>,
}

async fn new_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<KindQuery>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/login") {
        return Ok(r);
    }
    let form = Filed {
        kind: q.kind.unwrap_or_else(|| "message".into()),
        ..Filed::default()
    };
    new_render(&p, chrome, form, None).await
}

fn degrees(field: &str, s: &str) -> Result<Option<f64>, Problem> {
    let s = s.trim().replace(',', ".");
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<f64>().map(Some).map_err(|_| {
        Problem::invalid_field(
            field,
            "appeal.place_invalid",
            "Координата — число в градусах, например 54.1935.",
        )
    })
}

async fn new_post(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<Filed>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/login") {
        return Ok(r);
    }
    let parsed = (|| {
        let kind = Kind::parse(&f.kind).ok_or_else(|| {
            Problem::invalid_field("kind", "appeal.kind_unknown", "Выберите вид обращения.")
        })?;
        Ok::<_, Problem>(NewAppeal {
            kind,
            category: f.category.clone(),
            text: f.text.clone(),
            address: Some(f.address.clone()),
            lat: degrees("lat", &f.lat)?,
            lon: degrees("lon", &f.lon)?,
            municipality: Some(f.municipality.clone()),
            publish: f.publish.is_some(),
            reply_address: Some(f.reply_address.clone()),
        })
    })();
    let n = match parsed {
        Ok(n) => n,
        Err(pr) => return new_render(&p, chrome, f, Some(pr)).await,
    };
    match service::file(&p, &actor, n).await {
        Ok(a) => Ok(Redirect::to(&format!("/account/appeals/{}?filed=1", a.id)).into_response()),
        Err(Error::Problem(pr)) => new_render(&p, chrome, f, Some(*pr)).await,
        Err(e) => Err(e.into()),
    }
}

// --- the author's pages ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "appeals_mine.html")]
struct MinePage {
    chrome: Chrome,
    rows: Vec<AppealView>,
}

async fn mine(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/login") {
        return Ok(r);
    }
    let rows = service::mine(&p, &actor).await?;
    Ok(render(&MinePage { chrome, rows }))
}

#[derive(Template)]
#[template(path = "appeals_one.html")]
struct OnePage {
    chrome: Chrome,
    a: AppealView,
    due: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    rateable: bool,
    open: bool,
}

async fn one_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    id: &str,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let a = service::get(p, actor, id).await?;
    let r = render(&OnePage {
        chrome,
        due: date(&a.due_date),
        notice,
        error: problem.as_ref().map(|p| p.detail.clone()),
        rateable: a.status == Status::Answered,
        open: !matches!(a.status, Status::Closed | Status::Rejected),
        a,
    });
    Ok(with_status(r, &problem))
}

#[derive(Deserialize, Default)]
struct Notice {
    filed: Option<String>,
}

async fn mine_one(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/login") {
        return Ok(r);
    }
    let notice = n
        .filed
        .map(|_| "Обращение зарегистрировано. Его номер — на этой странице; можно добавить фотографии или документы.".to_string());
    one_render(&p, &actor, chrome, &id, notice, None).await
}

/// Files at most per form without JavaScript, and the body that holds them.
const FILES_PER_FORM: usize = 5;
const FILES_FORM_LIMIT: usize = FILES_PER_FORM * (okno_kernel::files::MAX_FILE + 64 * 1024);

/// Reads one file field of a multipart form, one byte past the file limit at most.
async fn read_field(field: &mut axum::extract::multipart::Field<'_>) -> Result<Vec<u8>, Problem> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|_| Problem::new(400, "request.unreadable", "Не удалось прочитать файл"))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > okno_kernel::files::MAX_FILE {
            return Err(okno_kernel::files::too_large());
        }
    }
    Ok(bytes)
}

/// The author adds photos or documents with a plain file form (no JavaScript needed); each file
/// goes through the same checks as the API's upload. Files before a refused one stay added.
async fn mine_files(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/login") {
        return Ok(r);
    }
    let files = settings.files();
    let mut added = Vec::new();
    let mut refused: Option<Problem> = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                refused = Some(
                    Problem::new(400, "request.unreadable", "Не удалось прочитать файл")
                        .with_detail(
                            "Форма пришла не целиком. Выберите файлы и отправьте ещё раз.",
                        ),
                );
                break;
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_string();
        if name.is_empty() {
            continue; // the empty file input of a form sent without a choice
        }
        if let Err(pr) = okno_kernel::text::check("file", &name, true) {
            refused = Some(pr);
            break;
        }
        if added.len() == FILES_PER_FORM {
            refused = Some(
                Problem::new(400, "attachment.too_many", "Слишком много файлов").with_detail(format!(
                    "За один раз — не больше {FILES_PER_FORM} файлов; остальные добавьте следующей отправкой."
                )),
            );
            break;
        }
        let outcome = match read_field(&mut field).await {
            Ok(bytes) => service::attach(&p, &files, &actor, &id, None, &name, &bytes)
                .await
                .map_err(|e| e.to_problem()),
            Err(pr) => Err(pr),
        };
        match outcome {
            Ok(f) => added.push(f.file_name),
            Err(pr) if pr.status >= 500 => return Err(PageError(pr)),
            Err(mut pr) => {
                pr.detail = format!("Файл «{name}» не добавлен: {}", pr.detail);
                refused = Some(pr);
                break;
            }
        }
    }
    let notice = (!added.is_empty())
        .then(|| format!("Добавлено файлов: {} ({}).", added.len(), added.join(", ")));
    if notice.is_none() && refused.is_none() {
        refused = Some(
            Problem::new(400, "attachment.none", "Файл не выбран")
                .with_detail("Выберите файл: фото (JPG, PNG) или документ (PDF)."),
        );
    }
    one_render(&p, &actor, chrome, &id, notice, refused).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuthorForm {
    text: String,
    rating: Option<i64>,
    solved: Option<String>,
}

async fn mine_act(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<AuthorForm>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/login") {
        return Ok(r);
    }
    let done = match action.as_str() {
        "comment" => service::comment(&p, &actor, &id, &f.text)
            .await
            .map(|_| "Комментарий добавлен.".to_string()),
        "correct" => service::correct(&p, &actor, &id, &f.text)
            .await
            .map(|_| "Исправленный текст отправлен модератору.".to_string()),
        "rate" => {
            let Some(rating) = f.rating else {
                return one_render(
                    &p,
                    &actor,
                    chrome,
                    &id,
                    None,
                    Some(Problem::invalid_field(
                        "rating",
                        "appeal.rating_range",
                        "Выберите оценку от 1 до 5.",
                    )),
                )
                .await;
            };
            service::rate(
                &p,
                &settings,
                &actor,
                &id,
                service::Rating {
                    rating,
                    solved: f.solved.as_deref() == Some("yes"),
                    comment: Some(f.text.clone()),
                },
            )
            .await
            .map(|a| match a.status {
                Status::Reopened => format!(
                    "Спасибо за оценку. Обращение повторно открыто и направлено: {}.",
                    a.body_name.unwrap_or_default()
                ),
                _ => "Спасибо за оценку.".to_string(),
            })
        }
        _ => return Err(PageError(Problem::not_found("Страница не найдена."))),
    };
    match done {
        Ok(n) => one_render(&p, &actor, chrome, &id, Some(n), None).await,
        Err(Error::Problem(pr)) => one_render(&p, &actor, chrome, &id, None, Some(*pr)).await,
        Err(e) => Err(e.into()),
    }
}

// --- moderation --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "appeals_moderation.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<AppealView>,
    reasons: Vec<(&'static str, &'static str)>,
    bodies: Vec<BodyView>,
    notice: Option<String>,
    error: Option<String>,
}

async fn queue_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let r = render(&QueuePage {
        chrome,
        rows: service::moderation_queue(p, actor).await?,
        reasons: RejectReason::ALL
            .iter()
            .map(|r| (r.as_str(), r.title()))
            .collect(),
        bodies: service::bodies(&p.db).await?,
        notice,
        error: problem.as_ref().map(|p| p.detail.clone()),
    });
    Ok(with_status(r, &problem))
}

async fn queue(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/admin/login") {
        return Ok(r);
    }
    queue_render(&p, &actor, chrome, None, None).await
}

#[derive(Deserialize, Default)]
struct ModerationForm {
    verdict: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    note: String,
}

async fn moderate(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    Form(f): Form<ModerationForm>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/admin/login") {
        return Ok(r);
    }
    let verdict = match f.verdict.as_str() {
        "accept" => Verdict::Accept,
        "send_back" => Verdict::SendBack,
        "reject" => Verdict::Reject,
        "take" => Verdict::Take,
        _ => return Err(PageError(Problem::not_found("Страница не найдена."))),
    };
    let m = Moderation {
        verdict,
        reason: RejectReason::parse(&f.reason),
        body: Some(f.body).filter(|b| !b.is_empty()),
        note: Some(f.note).filter(|n| !n.trim().is_empty()),
    };
    match service::moderate(&p, &settings, &actor, &id, m).await {
        Ok(a) => {
            let n = match a.body_name {
                Some(b) if a.status == Status::Routed => {
                    format!("Обращение № {} принято и направлено: {b}.", a.number)
                }
                _ => format!("Обращение № {}: {}.", a.number, a.status_title),
            };
            queue_render(&p, &actor, chrome, Some(n), None).await
        }
        Err(Error::Problem(pr)) => queue_render(&p, &actor, chrome, None, Some(*pr)).await,
        Err(e) => Err(e.into()),
    }
}

// --- the body's desk ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "appeals_desk.html")]
struct DeskPage {
    chrome: Chrome,
    rows: Vec<DeskRow>,
    bodies: Vec<String>,
}

async fn desk(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/admin/login") {
        return Ok(r);
    }
    Ok(render(&DeskPage {
        chrome,
        rows: service::desk(&p, &actor, None).await?,
        bodies: service::my_bodies(&p.db, &actor).await?,
    }))
}

#[derive(Template)]
#[template(path = "appeals_body.html")]
struct BodyPage {
    /// The answer's text as typed, when the page comes back with an error.
    answer_text: String,
    chrome: Chrome,
    a: AppealView,
    due: Option<String>,
    bodies: Vec<BodyView>,
    notice: Option<String>,
    error: Option<String>,
    at_body: bool,
    takeable: bool,
    extendable: bool,
}

async fn body_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    id: &str,
    notice: Option<String>,
    problem: Option<Problem>,
    answer_text: String,
) -> Result<Response, PageError> {
    let a = service::get(p, actor, id).await?;
    let r = render(&BodyPage {
        chrome,
        answer_text,
        due: date(&a.due_date),
        bodies: service::bodies(&p.db).await?,
        notice,
        error: problem.as_ref().map(|p| p.detail.clone()),
        at_body: a.status.at_body(),
        takeable: matches!(a.status, Status::Routed | Status::Reopened),
        extendable: a.status.at_body() && a.kind.under_59fz() && !a.extended,
        a,
    });
    Ok(with_status(r, &problem))
}

async fn desk_one(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/admin/login") {
        return Ok(r);
    }
    if !actor.can(Permission::AppealsAnswer) {
        return Err(PageError(Problem::forbidden(
            Permission::AppealsAnswer.name(),
        )));
    }
    body_render(&p, &actor, chrome, &id, None, None, String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BodyForm {
    text: String,
    body: String,
    days: Option<u32>,
}

/// The official's answer form: the text, interim or final, and up to five files, sent as one
/// multipart form (no JavaScript needed) and written in one transaction with the answer. A refused
/// file refuses the whole answer, and the typed text comes back.
async fn desk_answer(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/admin/login") {
        return Ok(r);
    }
    // Refused before the files are read: only an official may send them.
    if !actor.can(Permission::AppealsAnswer) {
        return Err(PageError(Problem::forbidden(
            Permission::AppealsAnswer.name(),
        )));
    }
    let (answer, refused) = read_answer_form(form).await;
    let done = match refused {
        Some(pr) => Err(Error::from(pr)),
        None => {
            service::answer_with_files(
                &p,
                Some(&settings.files()),
                &actor,
                &id,
                service::Answer {
                    is_final: answer.kind != "interim",
                    text: answer.text.clone(),
                },
                answer.uploads,
            )
            .await
        }
    };
    match done {
        Ok(a) => {
            let n = format!("Готово: статус «{}».", a.status_title);
            body_render(&p, &actor, chrome, &id, Some(n), None, String::new()).await
        }
        Err(Error::Problem(pr)) => {
            body_render(&p, &actor, chrome, &id, None, Some(*pr), answer.text).await
        }
        Err(e) => Err(e.into()),
    }
}

/// What the official's answer form carried: the text, the kind (interim or final) and the files.
#[derive(Default)]
struct AnswerForm {
    text: String,
    kind: String,
    uploads: Vec<service::Upload>,
}

/// Reads the answer form to its end, or up to the first refusal (with what was read before it,
/// so the typed text can come back).
async fn read_answer_form(mut form: axum::extract::Multipart) -> (AnswerForm, Option<Problem>) {
    let mut answer = AnswerForm::default();
    let refused = loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break None,
            Err(_) => {
                break Some(
                    Problem::new(400, "request.unreadable", "Не удалось прочитать форму")
                        .with_detail("Форма пришла не целиком. Отправьте ответ ещё раз."),
                )
            }
        };
        if let Err(pr) = read_answer_field(field, &mut answer).await {
            break Some(pr);
        }
    };
    (answer, refused)
}

/// One field of the answer form: the text, the kind, or a file (at most [`FILES_PER_FORM`]).
async fn read_answer_field(
    mut field: axum::extract::multipart::Field<'_>,
    answer: &mut AnswerForm,
) -> Result<(), Problem> {
    match field.name() {
        Some(f @ ("text" | "kind")) => {
            let f = f.to_string();
            let value = field.text().await.unwrap_or_default();
            okno_kernel::text::check(&f, &value, f == "kind")?;
            if f == "text" {
                answer.text = value;
            } else {
                answer.kind = value;
            }
        }
        Some("file") => {
            let name = field.file_name().unwrap_or_default().to_string();
            if name.is_empty() {
                return Ok(()); // the empty file input of a form sent without a choice
            }
            okno_kernel::text::check("file", &name, true)?;
            if answer.uploads.len() == FILES_PER_FORM {
                return Err(
                    Problem::new(400, "attachment.too_many", "Слишком много файлов")
                        .with_detail(format!("К ответу — не больше {FILES_PER_FORM} файлов.")),
                );
            }
            match read_field(&mut field).await {
                Ok(bytes) => answer.uploads.push(service::Upload {
                    file_name: name,
                    bytes,
                }),
                Err(mut pr) => {
                    pr.detail = format!("Файл «{name}»: {}", pr.detail);
                    return Err(pr);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

async fn desk_act(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<BodyForm>,
) -> Result<Response, PageError> {
    if let Some(r) = signed_in(&actor, "/admin/login") {
        return Ok(r);
    }
    let done = match action.as_str() {
        "take" => service::take(&p, &actor, &id).await,
        "forward" => {
            service::forward(
                &p,
                &settings,
                &actor,
                &id,
                service::Forward {
                    body: f.body,
                    reason: f.text,
                },
            )
            .await
        }
        "extend" => {
            service::extend(
                &p,
                &settings,
                &actor,
                &id,
                service::Extension {
                    days: f.days.unwrap_or(0),
                    reason: f.text,
                },
            )
            .await
        }
        _ => return Err(PageError(Problem::not_found("Страница не найдена."))),
    };
    match done {
        Ok(a) => {
            let n = format!("Готово: статус «{}».", a.status_title);
            if a.body_code.is_some()
                && !service::my_bodies(&p.db, &actor)
                    .await?
                    .iter()
                    .any(|b| Some(b) == a.body_code.as_ref())
            {
                // Forwarded away: the appeal is no longer this desk's.
                return Ok(Redirect::to("/body").into_response());
            }
            body_render(&p, &actor, chrome, &id, Some(n), None, String::new()).await
        }
        Err(Error::Problem(pr)) => {
            body_render(&p, &actor, chrome, &id, None, Some(*pr), String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

// --- the public side ---------------------------------------------------------------------------

/// A report as a dot on the map, in the SVG's own coordinates.
struct Dot {
    x: f64,
    y: f64,
    number: String,
    title: String,
    answered: bool,
}

#[derive(Template)]
#[template(path = "appeals_reports.html")]
struct ReportsPage {
    chrome: Chrome,
    rows: Vec<PublicReport>,
    dots: Vec<Dot>,
}

/// Projects the reports' places into a 600×400 box (equirectangular, with the longitude scaled by
/// the cosine of the mean latitude so the shapes are not stretched). No tiles: the platform works
/// without the internet.
fn dots(rows: &[PublicReport]) -> Vec<Dot> {
    let pts: Vec<(f64, f64, &PublicReport)> = rows
        .iter()
        .filter_map(|r| Some((r.lat?, r.lon?, r)))
        .collect();
    if pts.is_empty() {
        return Vec::new();
    }
    let (mut la0, mut la1, mut lo0, mut lo1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (la, lo, _) in &pts {
        la0 = la0.min(*la);
        la1 = la1.max(*la);
        lo0 = lo0.min(*lo);
        lo1 = lo1.max(*lo);
    }
    let k = ((la0 + la1) / 2.0).to_radians().cos().max(0.1);
    let w = ((lo1 - lo0) * k).max(0.005);
    let h = (la1 - la0).max(0.005);
    let scale = (560.0 / w).min(360.0 / h);
    pts.into_iter()
        .map(|(la, lo, r)| Dot {
            x: ((20.0 + (lo - lo0) * k * scale) * 10.0).round() / 10.0,
            y: ((380.0 - (la - la0) * scale) * 10.0).round() / 10.0,
            number: r.number.clone(),
            title: format!("{}: {}", r.subcategory_title, r.status_title),
            answered: matches!(r.status, Status::Answered | Status::Closed),
        })
        .collect()
}

async fn reports(State(p): State<Platform>, chrome: Chrome) -> Result<Response, PageError> {
    let rows = service::published(&p.db, 200).await?;
    Ok(render(&ReportsPage {
        chrome,
        dots: dots(&rows),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "appeals_figures.html")]
struct FiguresPage {
    chrome: Chrome,
    /// Each body's figures with the overdue share, the median and the mean rating as text.
    rows: Vec<(Figures, String, String, String, String)>,
    /// When they were computed, Moscow time («02.12.2026 18:40»).
    computed: String,
}

fn percent(v: &f64) -> String {
    format!("{:.1} %", v * 100.0).replace('.', ",")
}

fn decimal(v: &Option<f64>) -> String {
    v.map(|x| format!("{x:.1}").replace('.', ","))
        .unwrap_or_else(|| "—".into())
}

async fn figures(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    chrome: Chrome,
) -> Result<Response, PageError> {
    let c = settings.figures.get(&p.db).await?;
    let computed = jiff::Timestamp::from_millisecond(c.at_ms)
        .map(|t| {
            t.to_zoned(
                jiff::tz::TimeZone::get(service::DEFAULT_ZONE).unwrap_or(jiff::tz::TimeZone::UTC),
            )
            .strftime("%d.%m.%Y %H:%M")
            .to_string()
        })
        .unwrap_or_default();
    Ok(render(&FiguresPage {
        chrome,
        computed,
        rows: c
            .figures
            .iter()
            .cloned()
            .map(|f| {
                let (a, b, c, d) = (
                    percent(&f.overdue_share),
                    decimal(&f.median_answer_days),
                    decimal(&f.mean_rating),
                    decimal(&f.service_mean_rating),
                );
                (f, a, b, c, d)
            })
            .collect(),
    }))
}
