//! Russian pages of polls, without JavaScript: the list, a poll with its ballot form and — once
//! visible — its results (the inline SVG chart and a table), and the administrator's form for a
//! new poll. The handlers parse the form, call the use cases of [`crate::polls`] and render.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use okno_kernel::actor::{Actor, Permission};
use okno_kernel::clock::{now_ms, parse_instant, rfc3339};
use okno_kernel::error::Error;
use okno_kernel::http::{admin_page, render, Chrome, CurrentActor, PageError};
use okno_kernel::{Platform, Problem};
use serde::Deserialize;
use serde_json::Value;

use super::{self as polls, Ballot, NewPoll, NewQuestion, PollState, PollView, QuestionKind};
use crate::model;
use crate::service::{self, TerritoryView, DEFAULT_ZONE};

/// Question slots on the new poll form; empty ones are ignored.
const SLOTS: usize = 5;

/// A scale with more values than this is a drop-down list rather than a row of radio buttons.
const SCALE_RADIOS: usize = 11;

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/polls", get(list_page))
        .route("/polls/{id}", get(poll_page).post(vote_post))
        .route("/admin/polls/new", get(new_page).post(new_post))
}

fn with_status(mut r: Response, p: &Option<Problem>) -> Response {
    if let Some(p) = p {
        *r.status_mut() = p.status_code();
    }
    r
}

/// The fields' messages of a refusal, looked up by field in the templates.
#[derive(Debug, Default)]
struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    fn of(p: &Option<Problem>) -> FieldErrors {
        FieldErrors(
            p.iter()
                .flat_map(|p| p.errors.iter())
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
        )
    }

    fn on(&self, field: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }
}

/// The value of a form field (the first, when sent several times).
fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A date as people read it, in the platform's zone.
fn day(ms: i64) -> String {
    model::date_text(model::local_date(DEFAULT_ZONE, ms))
}

/// A date and time as people read it: «1 мая 2026 г., 10:00».
fn moment(ms: i64) -> String {
    let time = local_input(ms, DEFAULT_ZONE);
    format!("{}, {}", day(ms), time.get(11..16).unwrap_or(""))
}

/// The period by dates; the end is exclusive, so a poll ending at midnight ends the day before.
fn period(starts_at: i64, ends_at: i64) -> String {
    format!(
        "с {} по {}",
        day(starts_at),
        day((ends_at - 1).max(starts_at))
    )
}

fn audience(region: &Option<String>, territories: &[TerritoryView]) -> String {
    match region {
        None => "для всех".into(),
        Some(code) => territories
            .iter()
            .find(|t| &t.code == code)
            .map_or_else(|| code.clone(), |t| t.name.clone()),
    }
}

fn badge(s: PollState) -> &'static str {
    match s {
        PollState::Running => "ok",
        PollState::Upcoming => "wait",
        PollState::Closed => "",
    }
}

// --- pure parsing -----------------------------------------------------------------------------

/// A question's options typed one per line: trimmed, blank lines dropped.
fn option_lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A `datetime-local` value (`2026-05-01T10:00`, seconds optional) read as wall time in `zone`.
fn local_instant(s: &str, zone: &str) -> Option<i64> {
    let s = s.trim();
    // `T` between date and time, as browsers send it; not a bare date, not an offset.
    let wall = s.len() >= 16
        && s.as_bytes().get(10) == Some(&b'T')
        && s[11..]
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.');
    if !wall {
        return None;
    }
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    Some(dt.to_zoned(tz).ok()?.timestamp().as_millisecond())
}

/// An instant as a `datetime-local` value in `zone` (to the minute).
fn local_input(ms: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz).strftime("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// The ballot a form carries: field `q.{question id}` holds a choice's index (several for a
/// multiple choice), a number or a text; `municipality` the voter's municipality. Blank answers
/// are left out; what does not parse goes on as text, for [`polls::vote`] to refuse by question.
fn ballot(poll: &PollView, fields: &[(String, String)]) -> Ballot {
    let mut answers = BTreeMap::new();
    let number = |v: &str| {
        v.parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(v.to_string()))
    };
    for q in &poll.questions {
        let name = format!("q.{}", q.id);
        let given: Vec<&str> = fields
            .iter()
            .filter(|(k, v)| *k == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
            .collect();
        let Some(first) = given.first() else {
            continue;
        };
        let a = match q.kind {
            QuestionKind::Single | QuestionKind::Scale => number(first.trim()),
            QuestionKind::Multiple => given.iter().map(|v| number(v.trim())).collect(),
            QuestionKind::Text => Value::String(first.to_string()),
        };
        answers.insert(q.id.clone(), a);
    }
    Ballot {
        answers,
        municipality: Some(field(fields, "municipality").trim())
            .filter(|m| !m.is_empty())
            .map(str::to_string),
    }
}

// --- the list ---------------------------------------------------------------------------------

struct ListRow {
    id: String,
    title: String,
    period: String,
    audience: String,
    state: &'static str,
    badge: &'static str,
}

#[derive(Template)]
#[template(path = "polls_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
    manage: bool,
}

async fn list_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    let territories = service::territories(&p.db).await?;
    let rows = polls::list(&p)
        .await?
        .into_iter()
        .map(|l| {
            let (s, e) = (
                parse_instant(&l.starts_at).unwrap_or(0),
                parse_instant(&l.ends_at).unwrap_or(0),
            );
            ListRow {
                period: period(s, e),
                audience: audience(&l.region_code, &territories),
                state: l.state.title(),
                badge: badge(l.state),
                id: l.id,
                title: l.title,
            }
        })
        .collect();
    Ok(render(&ListPage {
        chrome,
        rows,
        manage: actor.can(Permission::PollsManage),
    }))
}

// --- a poll and its ballot --------------------------------------------------------------------

struct OptionRow {
    value: String,
    label: String,
    checked: bool,
}

struct QuestionForm {
    id: String,
    number: usize,
    kind: &'static str,
    title: String,
    options: Vec<OptionRow>,
    /// A scale too long for radio buttons.
    select: bool,
    text: String,
    errors: Vec<String>,
}

struct ResultRow {
    title: String,
    counts: Vec<(String, i64)>,
    answers: i64,
    mean: Option<String>,
    text: bool,
}

struct ResultsView {
    votes: i64,
    chart: String,
    rows: Vec<ResultRow>,
}

#[derive(Template)]
#[template(path = "polls_one.html")]
struct OnePage {
    chrome: Chrome,
    id: String,
    title: String,
    state: &'static str,
    badge: &'static str,
    starts: String,
    ends: String,
    audience: String,
    running: bool,
    signed_in: bool,
    voted: bool,
    questions: Vec<QuestionForm>,
    /// For a regional poll: the region's municipalities, one of which the voter names.
    municipalities: Vec<TerritoryView>,
    municipality: String,
    notice: Option<String>,
    error: Option<String>,
    errors: FieldErrors,
    results: Option<ResultsView>,
}

fn kind_name(k: QuestionKind) -> &'static str {
    match k {
        QuestionKind::Single => "single",
        QuestionKind::Multiple => "multiple",
        QuestionKind::Scale => "scale",
        QuestionKind::Text => "text",
    }
}

fn question_forms(
    poll: &PollView,
    sent: &[(String, String)],
    errors: &FieldErrors,
) -> Vec<QuestionForm> {
    poll.questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let name = format!("q.{}", q.id);
            let picked = |v: &str| sent.iter().any(|(k, x)| *k == name && x.trim() == v);
            let values: Vec<(String, String)> = match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (i.to_string(), o.clone()))
                    .collect(),
                QuestionKind::Scale => {
                    let lo: i64 = q.options.first().and_then(|s| s.parse().ok()).unwrap_or(0);
                    let hi: i64 = q.options.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                    (lo..=hi).map(|n| (n.to_string(), n.to_string())).collect()
                }
                QuestionKind::Text => Vec::new(),
            };
            QuestionForm {
                number: i + 1,
                kind: kind_name(q.kind),
                title: q.title.clone(),
                select: q.kind == QuestionKind::Scale && values.len() > SCALE_RADIOS,
                options: values
                    .into_iter()
                    .map(|(value, label)| OptionRow {
                        checked: picked(&value),
                        value,
                        label,
                    })
                    .collect(),
                text: if q.kind == QuestionKind::Text {
                    field(sent, &name).to_string()
                } else {
                    String::new()
                },
                errors: errors.on(&q.id).into_iter().map(str::to_string).collect(),
                id: q.id.clone(),
            }
        })
        .collect()
}

async fn results_view(p: &Platform, id: &str) -> Result<Option<ResultsView>, PageError> {
    let r = match polls::results(p, id).await {
        Ok(r) => r,
        Err(Error::Problem(pr)) if pr.code == "poll.results_hidden" => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(Some(ResultsView {
        votes: r.votes,
        chart: polls::chart(&r),
        rows: r
            .questions
            .into_iter()
            .map(|q| ResultRow {
                text: q.kind == QuestionKind::Text,
                mean: q.mean.map(|m| format!("{m:.1}").replace('.', ",")),
                title: q.title,
                counts: q.counts,
                answers: q.answers,
            })
            .collect(),
    }))
}

/// The top message of a refused ballot: the refusal itself, or — for answers that do not fit —
/// a pointer to the questions where they are marked.
fn vote_message(p: &Problem) -> String {
    if p.code == "validation.failed" {
        match p.errors.iter().find(|e| e.field == "answers") {
            Some(e) => e.message.clone(),
            None => "Проверьте ответы: ошибки отмечены у вопросов.".into(),
        }
    } else {
        p.detail.clone()
    }
}

async fn one_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    poll: PollView,
    sent: &[(String, String)],
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let territories = service::territories(&p.db).await?;
    let (s, e) = (
        parse_instant(&poll.starts_at).unwrap_or(0),
        parse_instant(&poll.ends_at).unwrap_or(0),
    );
    let state = PollState::at(s, e, now_ms());
    let errors = FieldErrors::of(&problem);
    let r = render(&OnePage {
        chrome,
        state: state.title(),
        badge: badge(state),
        starts: moment(s),
        ends: moment(e),
        audience: audience(&poll.region_code, &territories),
        running: state == PollState::Running,
        signed_in: !actor.is_anonymous(),
        voted: polls::has_voted(p, actor, &poll.id).await?,
        questions: question_forms(&poll, sent, &errors),
        municipalities: territories
            .iter()
            .filter(|t| t.region_code.is_some() && t.region_code == poll.region_code)
            .cloned()
            .collect(),
        municipality: field(sent, "municipality").to_string(),
        notice,
        error: problem.as_ref().map(vote_message),
        errors,
        results: results_view(p, &poll.id).await?,
        id: poll.id,
        title: poll.title,
    });
    Ok(with_status(r, &problem))
}

#[derive(Deserialize, Default)]
struct Notice {
    voted: Option<String>,
    created: Option<String>,
}

async fn poll_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    let poll = polls::poll(&p, &id).await?;
    let notice = if n.voted.is_some() {
        Some("Спасибо! Ваш голос учтён.".to_string())
    } else {
        n.created.map(|_| "Опрос создан.".to_string())
    };
    one_render(&p, &actor, chrome, poll, &[], notice, None).await
}

async fn vote_post(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let poll = polls::poll(&p, &id).await?;
    match polls::vote(&p, &actor, &id, ballot(&poll, &fields)).await {
        Ok(()) => Ok(Redirect::to(&format!("/polls/{id}?voted=1")).into_response()),
        Err(Error::Problem(pr)) => {
            one_render(&p, &actor, chrome, poll, &fields, None, Some(*pr)).await
        }
        Err(e) => Err(e.into()),
    }
}

// --- the administrator's form -----------------------------------------------------------------

struct Slot {
    index: usize,
    number: usize,
    kind: String,
    title: String,
    options: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "polls_new.html")]
struct NewPage {
    chrome: Chrome,
    regions: Vec<TerritoryView>,
    kinds: Vec<(&'static str, &'static str)>,
    title: String,
    region: String,
    starts_at: String,
    ends_at: String,
    live_results: bool,
    slots: Vec<Slot>,
    error: Option<String>,
    /// Every message of the refusal, each with the id of the field it belongs to.
    messages: Vec<(String, String)>,
    errors: FieldErrors,
}

const KINDS: [(&str, &str); 4] = [
    ("single", "один вариант"),
    ("multiple", "несколько вариантов"),
    ("scale", "шкала"),
    ("text", "свободный ответ"),
];

/// What the form says, as a poll for [`polls::create`]: the period read in the platform's zone;
/// blank slots left out (each question remembers its slot for error messages); no options for a
/// free-text question.
fn new_poll(fields: &[(String, String)]) -> Result<(NewPoll, Vec<usize>), Problem> {
    let mut errors = Vec::new();
    let mut instant =
        |name: &str, what: &str| match local_instant(field(fields, name), DEFAULT_ZONE) {
            Some(ms) => rfc3339(ms),
            None => {
                errors.push(okno_kernel::error::FieldError {
                    field: name.into(),
                    code: "poll.period".into(),
                    message: format!("Укажите дату и время {what}."),
                });
                String::new()
            }
        };
    let starts_at = instant("starts_at", "начала");
    let ends_at = instant("ends_at", "окончания");
    let mut questions = Vec::new();
    let mut slots = Vec::new();
    for i in 0..SLOTS {
        let title = field(fields, &format!("title_{i}")).trim().to_string();
        let options = option_lines(field(fields, &format!("options_{i}")));
        if title.is_empty() && options.is_empty() {
            continue;
        }
        let kind = match field(fields, &format!("kind_{i}")) {
            "multiple" => QuestionKind::Multiple,
            "scale" => QuestionKind::Scale,
            "text" => QuestionKind::Text,
            _ => QuestionKind::Single,
        };
        questions.push(NewQuestion {
            kind,
            title,
            options: if kind == QuestionKind::Text {
                Vec::new()
            } else {
                options
            },
        });
        slots.push(i);
    }
    if !errors.is_empty() {
        return Err(Problem::invalid_fields(errors));
    }
    Ok((
        NewPoll {
            title: field(fields, "title").to_string(),
            region: Some(field(fields, "region").trim().to_string()).filter(|r| !r.is_empty()),
            starts_at,
            ends_at,
            live_results: !field(fields, "live_results").is_empty(),
            questions,
        },
        slots,
    ))
}

/// Moves a refusal's `questions[i]` onto the form's slot of that question (`slot_{n}`).
fn on_slots(mut p: Problem, slots: &[usize]) -> Problem {
    for e in &mut p.errors {
        let i = e
            .field
            .strip_prefix("questions[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(slot) = i.and_then(|i| slots.get(i)) {
            e.field = format!("slot_{slot}");
        }
    }
    p
}

async fn new_render(
    p: &Platform,
    chrome: Chrome,
    fields: &[(String, String)],
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let errors = FieldErrors::of(&problem);
    let now = now_ms();
    let or = |name: &str, default: String| {
        let v = field(fields, name);
        if fields.is_empty() {
            default
        } else {
            v.to_string()
        }
    };
    let slots = (0..SLOTS)
        .map(|i| Slot {
            index: i,
            number: i + 1,
            kind: or(&format!("kind_{i}"), "single".into()),
            title: field(fields, &format!("title_{i}")).to_string(),
            options: field(fields, &format!("options_{i}")).to_string(),
            errors: errors
                .on(&format!("slot_{i}"))
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
        .collect();
    let messages = problem
        .iter()
        .flat_map(|p| p.errors.iter())
        .map(|e| {
            let anchor = match e.field.as_str() {
                "questions" => "slot_0".to_string(),
                f => f.to_string(),
            };
            let text = match e
                .field
                .strip_prefix("slot_")
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) => format!("Вопрос {}: {}", n + 1, e.message),
                None => e.message.clone(),
            };
            (anchor, text)
        })
        .collect();
    let r = render(&NewPage {
        chrome,
        regions: service::territories(&p.db)
            .await?
            .into_iter()
            .filter(|t| t.region_code.is_none())
            .collect(),
        kinds: KINDS.to_vec(),
        title: field(fields, "title").to_string(),
        region: field(fields, "region").to_string(),
        starts_at: or("starts_at", local_input(now, DEFAULT_ZONE)),
        ends_at: or(
            "ends_at",
            local_input(now + 7 * 24 * 3_600_000, DEFAULT_ZONE),
        ),
        live_results: !field(fields, "live_results").is_empty(),
        slots,
        error: problem.as_ref().map(|p| {
            if p.errors.is_empty() {
                p.detail.clone()
            } else {
                "Проверьте поля формы:".to_string()
            }
        }),
        messages,
        errors,
    });
    Ok(with_status(r, &problem))
}

async fn new_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::PollsManage)? {
        return Ok(r);
    }
    new_render(&p, chrome, &[], None).await
}

async fn new_post(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if let Some(r) = admin_page(&actor, Permission::PollsManage)? {
        return Ok(r);
    }
    let (n, slots) = match new_poll(&fields) {
        Ok(x) => x,
        Err(pr) => return new_render(&p, chrome, &fields, Some(pr)).await,
    };
    match polls::create(&p, &actor, n).await {
        Ok(v) => Ok(Redirect::to(&format!("/polls/{}?created=1", v.id)).into_response()),
        Err(Error::Problem(pr)) => {
            new_render(&p, chrome, &fields, Some(on_slots(*pr, &slots))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::QuestionView;
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn options_are_one_per_line_without_blanks_or_edges() {
        assert_eq!(
            option_lines("  Освещение \r\n\r\nДорожки\n   \nСкамейки"),
            vec!["Освещение", "Дорожки", "Скамейки"]
        );
        assert!(option_lines(" \n\n").is_empty());
    }

    #[test]
    fn a_datetime_local_value_is_moscow_wall_time() {
        // 10:00 in Moscow (UTC+3) is 07:00 UTC.
        let ms = local_instant("2026-05-01T10:00", "Europe/Moscow").unwrap();
        assert_eq!(rfc3339(ms), "2026-05-01T07:00:00Z");
        assert_eq!(
            local_instant("2026-05-01T10:00:30", "Europe/Moscow"),
            Some(ms + 30_000)
        );
        assert_eq!(local_input(ms, "Europe/Moscow"), "2026-05-01T10:00");
        // Vladivostok is seven hours further east.
        assert_eq!(
            local_instant("2026-05-01T10:00", "Asia/Vladivostok"),
            Some(ms - 7 * 3_600_000)
        );
    }

    #[test]
    fn a_datetime_local_value_needs_both_date_and_time() {
        for bad in [
            "",
            "2026-05-01",
            "01.05.2026 10:00",
            "2026-05-01 10:00",
            "2026-13-01T10:00",
            "2026-05-01T10:00+03:00",
        ] {
            assert_eq!(local_instant(bad, "Europe/Moscow"), None, "{bad}");
        }
    }

    fn poll() -> PollView {
        let q = |id: &str, kind, options: &[&str]| QuestionView {
            id: id.into(),
            kind,
            title: id.into(),
            options: options.iter().map(|s| s.to_string()).collect(),
        };
        PollView {
            id: "p".into(),
            title: "Опрос".into(),
            region_code: None,
            starts_at: String::new(),
            ends_at: String::new(),
            live_results: false,
            open: true,
            questions: vec![
                q("a", QuestionKind::Single, &["да", "нет"]),
                q("b", QuestionKind::Multiple, &["x", "y", "z"]),
                q("c", QuestionKind::Scale, &["1", "10"]),
                q("d", QuestionKind::Text, &[]),
                q("e", QuestionKind::Single, &["да", "нет"]),
            ],
        }
    }

    #[test]
    fn a_ballot_form_becomes_indexes_numbers_and_text() {
        let b = ballot(
            &poll(),
            &pairs(&[
                ("csrf_token", "t"),
                ("q.a", "1"),
                ("q.b", "0"),
                ("q.b", "2"),
                ("q.c", " 8 "),
                ("q.d", " Фонтан "),
                ("q.e", ""),
                ("municipality", "tula"),
            ]),
        );
        assert_eq!(b.answers["a"], serde_json::json!(1));
        assert_eq!(b.answers["b"], serde_json::json!([0, 2]));
        assert_eq!(b.answers["c"], serde_json::json!(8));
        assert_eq!(b.answers["d"], serde_json::json!(" Фонтан "));
        assert!(!b.answers.contains_key("e"), "a blank answer is no answer");
        assert_eq!(b.municipality.as_deref(), Some("tula"));
    }

    #[test]
    fn what_does_not_parse_goes_on_for_the_use_case_to_refuse() {
        let b = ballot(&poll(), &pairs(&[("q.a", "первый"), ("q.c", "8,5")]));
        assert_eq!(b.answers["a"], serde_json::json!("первый"));
        assert_eq!(b.answers["c"], serde_json::json!("8,5"));
        assert_eq!(b.municipality, None);
    }

    #[test]
    fn the_new_poll_form_skips_blank_slots_and_keeps_their_numbers() {
        let (n, slots) = new_poll(&pairs(&[
            ("title", "Парк"),
            ("region", "71"),
            ("starts_at", "2026-05-01T10:00"),
            ("ends_at", "2026-06-01T00:00"),
            ("live_results", "1"),
            ("kind_0", "single"),
            ("title_0", ""),
            ("options_0", ""),
            ("kind_1", "scale"),
            ("title_1", "Оцените"),
            ("options_1", "1\n10"),
            ("kind_3", "text"),
            ("title_3", "Предложения"),
            ("options_3", "лишнее"),
        ]))
        .unwrap();
        assert_eq!(slots, vec![1, 3]);
        assert_eq!(n.questions.len(), 2);
        assert_eq!(n.questions[0].kind, QuestionKind::Scale);
        assert_eq!(n.questions[0].options, vec!["1", "10"]);
        assert!(n.questions[1].options.is_empty());
        assert_eq!(n.region.as_deref(), Some("71"));
        assert!(n.live_results);
        assert_eq!(n.starts_at, "2026-05-01T07:00:00Z");
        assert_eq!(n.ends_at, "2026-05-31T21:00:00Z");
    }

    #[test]
    fn the_new_poll_form_names_each_missing_date() {
        let p = new_poll(&pairs(&[("title", "Парк"), ("ends_at", "завтра")])).unwrap_err();
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["starts_at", "ends_at"]);
    }

    #[test]
    fn a_question_refusal_lands_on_its_slot() {
        let p = Problem::invalid_field("questions[1]", "poll.question", "Не так.");
        let p = on_slots(p, &[1, 3]);
        assert_eq!(p.errors[0].field, "slot_3");
    }

    #[test]
    fn the_period_ends_on_the_last_day_it_covers() {
        let s = local_instant("2026-05-01T10:00", DEFAULT_ZONE).unwrap();
        let e = local_instant("2026-06-01T00:00", DEFAULT_ZONE).unwrap();
        assert_eq!(period(s, e), "с 1 мая 2026 г. по 31 мая 2026 г.");
        assert_eq!(moment(s), "1 мая 2026 г., 10:00");
    }
}
