//! Polls: single choice, multiple choice, scale and free-text questions, an audience (everyone or
//! a region), a period; one vote per account of the level «подтверждённая», exactly once under
//! concurrent submissions (the primary key of `poll_votes`); results once the poll closes, or as
//! it runs when so configured. Types, SQL, use cases and the JSON API of this slice live here.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::{q_all, q_exec, q_opt, Platform};
use serde::{Deserialize, Serialize};

/// A question's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multiple,
    /// A number from `options[0]` to `options[1]`.
    Scale,
    Text,
}

impl QuestionKind {
    fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::Scale => "scale",
            QuestionKind::Text => "text",
        }
    }
    fn parse(s: &str) -> Option<QuestionKind> {
        [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::Scale,
            QuestionKind::Text,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuestion {
    pub kind: QuestionKind,
    pub title: String,
    /// Choices' titles; for a scale `[min, max]` as text (e.g. `["1", "10"]`); empty for text.
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    pub title: String,
    /// A region's code (appeal territories); none for everyone.
    #[serde(default)]
    pub region: Option<String>,
    /// RFC 3339.
    pub starts_at: String,
    pub ends_at: String,
    /// Show results while the poll runs.
    #[serde(default)]
    pub live_results: bool,
    pub questions: Vec<NewQuestion>,
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
struct PollRow {
    id: String,
    title: String,
    region_code: Option<String>,
    starts_at: i64,
    ends_at: i64,
    live_results: i64,
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
struct QuestionRow {
    id: String,
    kind: String,
    title: String,
    options: String,
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
struct AnswerRow {
    question_id: String,
    value: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub id: String,
    pub kind: QuestionKind,
    pub title: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PollView {
    pub id: String,
    pub title: String,
    pub region_code: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub live_results: bool,
    pub open: bool,
    pub questions: Vec<QuestionView>,
}

fn invalid(field: &str, code: &str, msg: &str) -> Error {
    Problem::invalid_field(field, code, msg).into()
}

/// Creates a poll (administrators with `polls.manage`).
pub async fn create(p: &Platform, actor: &Actor, n: NewPoll) -> Result<PollView> {
    actor.require(Permission::PollsManage)?;
    let title = n.title.trim().to_string();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(invalid(
            "title",
            "poll.title",
            "Название — от 1 до 300 знаков.",
        ));
    }
    let (Some(start), Some(end)) = (
        okno_kernel::clock::parse_instant(&n.starts_at),
        okno_kernel::clock::parse_instant(&n.ends_at),
    ) else {
        return Err(invalid(
            "ends_at",
            "poll.period",
            "Укажите начало и конец в формате RFC 3339.",
        ));
    };
    if end <= start {
        return Err(invalid(
            "ends_at",
            "poll.period",
            "Конец опроса должен быть позже начала.",
        ));
    }
    if n.questions.is_empty() || n.questions.len() > 50 {
        return Err(invalid(
            "questions",
            "poll.questions",
            "В опросе от 1 до 50 вопросов.",
        ));
    }
    for (i, q) in n.questions.iter().enumerate() {
        let ok = match q.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                (2..=30).contains(&q.options.len())
                    && q.options.iter().all(|o| !o.trim().is_empty())
            }
            QuestionKind::Scale => {
                q.options.len() == 2
                    && matches!((q.options[0].parse::<i64>(), q.options[1].parse::<i64>()), (Ok(a), Ok(b)) if a < b && b - a <= 100)
            }
            QuestionKind::Text => q.options.is_empty(),
        };
        if !ok || q.title.trim().is_empty() {
            return Err(invalid(
                &format!("questions[{i}]"),
                "poll.question",
                "У вопроса с выбором 2–30 вариантов, у шкалы — два числа [от, до], у текстового — ни одного.",
            ));
        }
    }
    let id = new_id();
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    if let Some(r) = &n.region {
        let known = crate::store::territories(&mut tx)
            .await?
            .iter()
            .any(|t| &t.code == r && t.region_code.is_none());
        if !known {
            return Err(invalid("region", "poll.region", "Такого региона нет."));
        }
    }
    q_exec!(
        &mut tx,
        "INSERT INTO polls (id, title, region_code, starts_at, ends_at, live_results, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id.clone(),
        title.clone(),
        n.region.clone(),
        start,
        end,
        i64::from(n.live_results),
        actor.id.clone().unwrap_or_else(|| "system".into()),
        now
    )?;
    for (i, q) in n.questions.iter().enumerate() {
        q_exec!(
            &mut tx,
            "INSERT INTO poll_questions (id, poll_id, position, kind, title, options) VALUES ($1, $2, $3, $4, $5, $6)",
            new_id(),
            id.clone(),
            i as i64,
            q.kind.as_str(),
            q.title.trim().to_string(),
            serde_json::to_string(&q.options)?
        )?;
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "appeals.poll.created",
            subject_type: "poll",
            subject_id: &id,
            details: serde_json::json!({ "title": title, "questions": n.questions.len(), "region": n.region }),
        },
    )
    .await?;
    tx.commit().await?;
    poll(p, &id).await
}

async fn load(
    c: &mut impl okno_kernel::db::AsConn,
    id: &str,
) -> Result<(PollRow, Vec<QuestionRow>)> {
    let poll = q_opt!(
        c,
        PollRow,
        "SELECT id, title, region_code, starts_at, ends_at, live_results FROM polls WHERE id = $1",
        id
    )?
    .ok_or_else(|| Error::from(Problem::not_found("Опрос не найден.")))?;
    let qs = q_all!(
        c,
        QuestionRow,
        "SELECT id, kind, title, options FROM poll_questions WHERE poll_id = $1 ORDER BY position",
        id
    )?;
    Ok((poll, qs))
}

fn view(poll: PollRow, qs: Vec<QuestionRow>, now: i64) -> PollView {
    PollView {
        open: poll.starts_at <= now && now < poll.ends_at,
        id: poll.id,
        title: poll.title,
        region_code: poll.region_code,
        starts_at: rfc3339(poll.starts_at),
        ends_at: rfc3339(poll.ends_at),
        live_results: poll.live_results == 1,
        questions: qs
            .into_iter()
            .map(|q| QuestionView {
                kind: QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text),
                options: serde_json::from_str(&q.options).unwrap_or_default(),
                id: q.id,
                title: q.title,
            })
            .collect(),
    }
}

pub async fn poll(p: &Platform, id: &str) -> Result<PollView> {
    let mut c = p.db.read().await?;
    let (poll, qs) = load(&mut c, id).await?;
    Ok(view(poll, qs, now_ms()))
}

/// Where a poll stands in its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PollState {
    Upcoming,
    Running,
    Closed,
}

impl PollState {
    pub fn at(starts_at: i64, ends_at: i64, now: i64) -> PollState {
        if now < starts_at {
            PollState::Upcoming
        } else if now < ends_at {
            PollState::Running
        } else {
            PollState::Closed
        }
    }

    /// How a person reads it.
    pub fn title(self) -> &'static str {
        match self {
            PollState::Upcoming => "ещё не начался",
            PollState::Running => "идёт",
            PollState::Closed => "завершён",
        }
    }
}

/// A poll in the list, without its questions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PollListed {
    pub id: String,
    pub title: String,
    pub region_code: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub live_results: bool,
    pub state: PollState,
}

/// Every poll (at most 500): running ones first (the soonest to end on top), then those yet to
/// start (the soonest to start on top), then the closed ones (the latest to end on top).
pub async fn list(p: &Platform) -> Result<Vec<PollListed>> {
    let mut c = p.db.read().await?;
    let rows = q_all!(
        &mut c,
        PollRow,
        "SELECT id, title, region_code, starts_at, ends_at, live_results FROM polls
         ORDER BY ends_at DESC, id LIMIT 500"
    )?;
    let now = now_ms();
    let mut rows: Vec<(PollState, PollRow)> = rows
        .into_iter()
        .map(|r| (PollState::at(r.starts_at, r.ends_at, now), r))
        .collect();
    rows.sort_by_key(|(s, r)| match s {
        PollState::Running => (0, r.ends_at),
        PollState::Upcoming => (1, r.starts_at),
        PollState::Closed => (2, -r.ends_at),
    });
    Ok(rows
        .into_iter()
        .map(|(state, r)| PollListed {
            id: r.id,
            title: r.title,
            region_code: r.region_code,
            starts_at: rfc3339(r.starts_at),
            ends_at: rfc3339(r.ends_at),
            live_results: r.live_results == 1,
            state,
        })
        .collect())
}

/// Whether this account has voted in the poll (false for anyone who is no person's account).
pub async fn has_voted(p: &Platform, actor: &Actor, id: &str) -> Result<bool> {
    let (ActorKind::Account, Some(me)) = (actor.kind, actor.id.as_deref()) else {
        return Ok(false);
    };
    #[derive(Deserialize, sqlx::FromRow)]
    struct Count {
        n: i64,
    }
    let mut c = p.db.read().await?;
    Ok(q_opt!(
        &mut c,
        Count,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM poll_votes WHERE poll_id = $1 AND account_id = $2",
        id,
        me
    )?
    .is_some_and(|c| c.n > 0))
}

/// A ballot: for each question its answer — a choice's index, several indexes, a number, text.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// question id → answer (`0`, `[0, 2]`, `7`, `"текст"`).
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
    /// For a regional poll: the voter's municipality in that region (self-declared; the platform
    /// keeps no address of its accounts).
    #[serde(default)]
    pub municipality: Option<String>,
}

/// Votes once: an account of the level «подтверждённая», in the period, in the audience. The
/// vote row and the answers commit together; a second vote — however concurrent — hits the
/// primary key of `poll_votes` and is refused with `poll.already_voted`.
pub async fn vote(p: &Platform, actor: &Actor, id: &str, b: Ballot) -> Result<()> {
    let me = match (actor.kind, actor.id.as_deref()) {
        (ActorKind::Account, Some(id)) => id.to_string(),
        (ActorKind::Anonymous, _) => return Err(Problem::unauthenticated().into()),
        _ => {
            return Err(Problem::new(403, "poll.person_only", "Только для граждан")
                .with_detail("Голосовать может только человек, вошедший в личный кабинет.")
                .into())
        }
    };
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let (poll, qs) = load(&mut tx, id).await?;
    if !(poll.starts_at <= now && now < poll.ends_at) {
        return Err(Problem::conflict("poll.closed", "Опрос сейчас не проводится.").into());
    }
    let level = okno_identity::store::account_level(&mut tx, &me)
        .await?
        .unwrap_or_default();
    if level != "confirmed" {
        return Err(Problem::new(403, "poll.level_too_low", "Нужна подтверждённая учётная запись")
            .with_detail("Голосовать могут только владельцы подтверждённой учётной записи: подтвердите личность в центре обслуживания или через банк.")
            .into());
    }
    if let Some(region) = &poll.region_code {
        let ok = match b.municipality.as_deref() {
            Some(m) => crate::store::territories(&mut tx)
                .await?
                .iter()
                .any(|t| t.code == m && t.region_code.as_deref() == Some(region)),
            None => false,
        };
        if !ok {
            return Err(Problem::new(403, "poll.audience", "Опрос для жителей другого региона")
                .with_detail("Этот опрос проводится среди жителей региона: укажите своё муниципальное образование в нём.")
                .into());
        }
    }
    let mut values = Vec::new();
    for q in &qs {
        let kind = QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text);
        let options: Vec<String> = serde_json::from_str(&q.options).unwrap_or_default();
        let a = b.answers.get(&q.id);
        let bad = || {
            invalid(
                &q.id,
                "poll.answer",
                "Ответ на вопрос не подходит к его виду.",
            )
        };
        match (kind, a) {
            (_, None) => continue,
            (QuestionKind::Single, Some(v)) => {
                let i = v
                    .as_u64()
                    .filter(|i| (*i as usize) < options.len())
                    .ok_or_else(bad)?;
                values.push((q.id.clone(), i.to_string()));
            }
            (QuestionKind::Multiple, Some(v)) => {
                let mut seen = std::collections::BTreeSet::new();
                for x in v.as_array().ok_or_else(bad)? {
                    let i = x
                        .as_u64()
                        .filter(|i| (*i as usize) < options.len())
                        .ok_or_else(bad)?;
                    if seen.insert(i) {
                        values.push((q.id.clone(), i.to_string()));
                    }
                }
            }
            (QuestionKind::Scale, Some(v)) => {
                let lo: i64 = options.first().and_then(|s| s.parse().ok()).unwrap_or(0);
                let hi: i64 = options.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                let n = v
                    .as_i64()
                    .filter(|n| (lo..=hi).contains(n))
                    .ok_or_else(bad)?;
                values.push((q.id.clone(), n.to_string()));
            }
            (QuestionKind::Text, Some(v)) => {
                let t = v
                    .as_str()
                    .map(str::trim)
                    .filter(|t| !t.is_empty() && t.chars().count() <= 2000)
                    .ok_or_else(bad)?;
                values.push((q.id.clone(), t.to_string()));
            }
        }
    }
    if values.is_empty() {
        return Err(invalid(
            "answers",
            "poll.empty",
            "Ответьте хотя бы на один вопрос.",
        ));
    }
    let inserted = q_exec!(
        &mut tx,
        "INSERT INTO poll_votes (poll_id, account_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        id,
        me.clone(),
        now
    )?;
    if inserted != 1 {
        return Err(
            Problem::conflict("poll.already_voted", "Вы уже проголосовали в этом опросе.").into(),
        );
    }
    for (q, v) in values {
        q_exec!(
            &mut tx,
            "INSERT INTO poll_answers (id, poll_id, question_id, value) VALUES ($1, $2, $3, $4)",
            new_id(),
            id,
            q,
            v
        )?;
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "appeals.poll.voted",
            subject_type: "poll",
            subject_id: id,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One question's results: counts per option (choices), the distribution and mean (a scale), the
/// number of answers (free text, whose texts are not published).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionResult {
    pub id: String,
    pub title: String,
    pub kind: QuestionKind,
    /// (label, count) in the options' order, or per scale value.
    pub counts: Vec<(String, i64)>,
    pub answers: i64,
    pub mean: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Results {
    pub poll_id: String,
    pub votes: i64,
    pub questions: Vec<QuestionResult>,
}

/// The results, once the poll has closed — or while it runs, when it shows live results.
pub async fn results(p: &Platform, id: &str) -> Result<Results> {
    let mut c = p.db.read().await?;
    let (poll, qs) = load(&mut c, id).await?;
    if poll.live_results == 0 && now_ms() < poll.ends_at {
        return Err(Problem::conflict(
            "poll.results_hidden",
            "Результаты появятся после окончания опроса.",
        )
        .into());
    }
    #[derive(Deserialize, sqlx::FromRow)]
    struct Count {
        n: i64,
    }
    let votes = q_opt!(
        &mut c,
        Count,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM poll_votes WHERE poll_id = $1",
        id
    )?
    .map_or(0, |r| r.n);
    let answers = q_all!(
        &mut c,
        AnswerRow,
        "SELECT question_id, value FROM poll_answers WHERE poll_id = $1",
        id
    )?;
    let mut out = Vec::new();
    for q in qs {
        let kind = QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text);
        let options: Vec<String> = serde_json::from_str(&q.options).unwrap_or_default();
        let mine: Vec<&str> = answers
            .iter()
            .filter(|a| a.question_id == q.id)
            .map(|a| a.value.as_str())
            .collect();
        let (counts, mean) = match kind {
            QuestionKind::Single | QuestionKind::Multiple => (
                options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        (
                            o.clone(),
                            mine.iter().filter(|v| **v == i.to_string()).count() as i64,
                        )
                    })
                    .collect(),
                None,
            ),
            QuestionKind::Scale => {
                let lo: i64 = options.first().and_then(|s| s.parse().ok()).unwrap_or(0);
                let hi: i64 = options.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                let nums: Vec<i64> = mine.iter().filter_map(|v| v.parse().ok()).collect();
                (
                    (lo..=hi)
                        .map(|n| {
                            (
                                n.to_string(),
                                nums.iter().filter(|x| **x == n).count() as i64,
                            )
                        })
                        .collect(),
                    (!nums.is_empty()).then(|| {
                        (nums.iter().sum::<i64>() as f64 / nums.len() as f64 * 100.0).round()
                            / 100.0
                    }),
                )
            }
            QuestionKind::Text => (Vec::new(), None),
        };
        out.push(QuestionResult {
            answers: mine.len() as i64,
            id: q.id,
            title: q.title,
            kind,
            counts,
            mean,
        });
    }
    Ok(Results {
        poll_id: id.into(),
        votes,
        questions: out,
    })
}

/// The results as an SVG bar chart per question (no scripts, no external resources).
pub fn chart(r: &Results) -> String {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }
    let rows: usize = r.questions.iter().map(|q| q.counts.len() + 2).sum();
    let h = 20 + rows * 22;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 {h}\" width=\"640\" height=\"{h}\" role=\"img\" font-family=\"sans-serif\" font-size=\"13\"><title>Результаты опроса: голосов {}</title>",
        r.votes
    );
    let mut y = 20;
    for q in &r.questions {
        s.push_str(&format!(
            "<text x=\"0\" y=\"{y}\" font-weight=\"bold\">{}</text>",
            esc(&q.title)
        ));
        y += 22;
        let max = q.counts.iter().map(|c| c.1).max().unwrap_or(0).max(1);
        for (label, n) in &q.counts {
            let w = 300 * n / max;
            s.push_str(&format!(
                "<text x=\"0\" y=\"{}\">{}</text><rect x=\"220\" y=\"{}\" width=\"{w}\" height=\"14\" fill=\"#1565c0\"/><text x=\"{}\" y=\"{}\">{n}</text>",
                y,
                esc(label),
                y - 12,
                226 + w,
                y
            ));
            y += 22;
        }
        y += 22;
    }
    s.push_str("</svg>");
    s
}

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/v1/polls", get(list_api).post(create_api))
        .route("/api/v1/polls/{id}", get(get_api))
        .route("/api/v1/polls/{id}/votes", post(vote_api))
        .route("/api/v1/polls/{id}/results", get(results_api))
        .route("/api/v1/polls/{id}/results.svg", get(chart_api))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_api, create_api, get_api, vote_api, results_api, chart_api),
    components(schemas(NewPoll, NewQuestion, QuestionKind, PollView, QuestionView, PollListed, PollState, Ballot, Results, QuestionResult)),
    tags((name = "polls", description = "Опросы граждан"))
)]
pub struct PollsApi;

/// Every poll: running first, then upcoming, then closed.
#[utoipa::path(get, path = "/api/v1/polls", tag = "polls",
    responses((status = 200, body = Vec<PollListed>)))]
async fn list_api(State(p): State<Platform>) -> Result<Json<Vec<PollListed>>> {
    Ok(Json(list(&p).await?))
}

/// Create a poll (administrator).
#[utoipa::path(post, path = "/api/v1/polls", tag = "polls", request_body = NewPoll,
    responses((status = 201, body = PollView), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn create_api(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewPoll>,
) -> Result<(StatusCode, Json<PollView>)> {
    Ok((StatusCode::CREATED, Json(create(&p, &actor, body).await?)))
}

/// A poll with its questions.
#[utoipa::path(get, path = "/api/v1/polls/{id}", tag = "polls", params(("id" = String, Path)),
    responses((status = 200, body = PollView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_api(State(p): State<Platform>, Path(id): Path<String>) -> Result<Json<PollView>> {
    Ok(Json(poll(&p, &id).await?))
}

/// Vote once (a confirmed account).
#[utoipa::path(post, path = "/api/v1/polls/{id}/votes", tag = "polls", params(("id" = String, Path)), request_body = Ballot,
    responses((status = 201, description = "Голос учтён"),
        (status = 403, description = "poll.level_too_low, poll.audience", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "poll.already_voted, poll.closed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn vote_api(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Ballot>,
) -> Result<StatusCode> {
    vote(&p, &actor, &id, body).await?;
    Ok(StatusCode::CREATED)
}

/// The results (after the poll closes, or live when configured).
#[utoipa::path(get, path = "/api/v1/polls/{id}/results", tag = "polls", params(("id" = String, Path)),
    responses((status = 200, body = Results), (status = 409, description = "poll.results_hidden", body = Problem, content_type = "application/problem+json")))]
async fn results_api(State(p): State<Platform>, Path(id): Path<String>) -> Result<Json<Results>> {
    Ok(Json(results(&p, &id).await?))
}

/// The results as an SVG chart.
#[utoipa::path(get, path = "/api/v1/polls/{id}/results.svg", tag = "polls", params(("id" = String, Path)),
    responses((status = 200, description = "image/svg+xml")))]
async fn chart_api(
    State(p): State<Platform>,
    Path(id): Path<String>,
) -> Result<([(axum::http::HeaderName, &'static str); 1], String)> {
    let r = results(&p, &id).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "image/svg+xml; charset=utf-8",
        )],
        chart(&r),
    ))
}
