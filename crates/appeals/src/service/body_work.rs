//! The body's work on an appeal: its desk, taking an appeal, forwarding it to another body, the
//! answer (with files) and the 59-ФЗ extension of the term.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::Tx;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::files::{self, Files};
use okno_kernel::Platform;
use serde::{Deserialize, Serialize};

use crate::model::{self, Kind, Status};
use crate::store;

use super::access::{load, reload_at_body, require_official};
use super::attachments::{clean_file_name, file_row, insert_file_audited};
use super::base::{calendar, clean_text, DEFAULT_ZONE};
use super::change::{commit_change, Change};
use super::moderation::{due_text, register};
use super::settings::Settings;
use super::views::{body_map, is_overdue, kind_of, status_of, view, zone_of, AppealView};

/// One line of the body's desk.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AppealDeskRow)]
pub struct DeskRow {
    pub id: String,
    pub number: String,
    pub kind_title: &'static str,
    pub body_code: String,
    pub status: Status,
    pub status_title: &'static str,
    pub due_date: Option<String>,
    /// Working days left until the due date (0 on it and after).
    pub working_days_left: Option<i64>,
    pub overdue: bool,
    pub created_at: String,
}

/// Appeals at the bodies the official works for; overdue first, then by due date.
pub async fn desk(p: &Platform, actor: &Actor, status: Option<&str>) -> Result<Vec<DeskRow>> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    actor.require(Permission::AppealsAnswer)?;
    let status = status.unwrap_or_default();
    if !status.is_empty() && Status::parse(status).is_none() {
        return Err(Problem::invalid_field("status", "desk.status", "Неизвестный статус.").into());
    }
    let mut c = p.db.read().await?;
    let rows = store::desk(&mut c, actor.id.as_deref().unwrap_or_default(), status).await?;
    let bodies = body_map(&mut c).await?;
    let now = now_ms();
    let mut out: Vec<DeskRow> = rows
        .into_iter()
        .filter_map(|a| {
            let st = Status::parse(&a.status)?;
            let zone = zone_of(&bodies, &a);
            let due = a.due_date.as_deref().and_then(model::parse_date);
            Some(DeskRow {
                overdue: is_overdue(&a, st, &zone, now),
                working_days_left: due.filter(|_| st.at_body()).map(|d| {
                    calendar().working_days_between(model::local_date(&zone, now), d) as i64
                }),
                kind_title: Kind::parse(&a.kind).map_or("", Kind::title),
                body_code: a.body_code.clone().unwrap_or_default(),
                status: st,
                status_title: st.title(),
                created_at: rfc3339(a.created_at),
                due_date: a.due_date,
                id: a.id,
                number: a.number,
            })
        })
        .collect();
    out.sort_by(|x, y| {
        y.overdue
            .cmp(&x.overdue)
            .then_with(|| x.due_date.cmp(&y.due_date))
    });
    Ok(out)
}

/// The body takes the appeal in work.
pub async fn take(p: &Platform, actor: &Actor, id: &str) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    require_official(&p.db, actor, &a).await?;
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = reload_at_body(&mut tx, &a).await?;
    let from = status_of(&a)?;
    let expected = a.updated_at;
    a.status = from.take().map_err(Error::from)?.as_str().into();
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
            actor,
            action: "taken",
            from,
            note: None,
            tell: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// Forwarding to another body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    pub body: String,
    /// Why (shown to the author).
    pub reason: String,
}

/// The body forwards the appeal to another one, with a reason the author sees. 59-ФЗ art. 8
/// part 3: an appeal outside the body's competence is forwarded within 7 days of its
/// registration, with a notice to the author; a forwarding after that date is still done (the
/// appeal must reach the competent body) but is journalled as late.
pub async fn forward(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    f: Forward,
) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    require_official(&p.db, actor, &a).await?;
    let reason = clean_text("reason", &f.reason, true)?.unwrap_or_default();
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = reload_at_body(&mut tx, &a).await?;
    let from = status_of(&a)?;
    let to = from.forward().map_err(Error::from)?;
    if a.body_code.as_deref() == Some(f.body.as_str()) {
        return Err(Problem::invalid_field(
            "body",
            "appeal.same_body",
            "Обращение уже в этом органе.",
        )
        .into());
    }
    let target = store::body(&mut tx, &f.body).await?.ok_or_else(|| {
        Error::from(Problem::invalid_field(
            "body",
            "appeal.body_unknown",
            "Такого органа нет.",
        ))
    })?;
    let old_zone = match a.body_code.as_deref() {
        Some(b) => store::body(&mut tx, b)
            .await?
            .map_or(DEFAULT_ZONE.to_string(), |b| b.time_zone),
        None => DEFAULT_ZONE.to_string(),
    };
    let late = a
        .forward_due
        .as_deref()
        .and_then(model::parse_date)
        .is_some_and(|d| model::local_date(&old_zone, now) > d);
    let expected = a.updated_at;
    register(&mut a, &target, &settings.terms, now)?;
    a.status = to.as_str().into();
    let tell = format!(
        "Перенаправлено в орган «{}». Причина: {reason} {}",
        target.name,
        due_text(&a)
    );
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
            actor,
            action: if late { "forwarded_late" } else { "forwarded" },
            from,
            note: Some(reason),
            tell: Some(tell),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// An answer of the body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// An interim answer keeps the appeal in work; the final one ends the body's term.
    #[serde(rename = "final")]
    pub is_final: bool,
    pub text: String,
}

/// The body answers: an interim answer, or the final one (which the author then rates).
pub async fn answer(p: &Platform, actor: &Actor, id: &str, ans: Answer) -> Result<AppealView> {
    answer_with_files(p, None, actor, id, ans, Vec::new()).await
}

/// A file as it came in a form: the name the person's computer gave it, and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// An answer with its files, in one transaction: every file is checked (PDF, JPG or PNG up to
/// 5 MB, told by content) before anything is written, so a refused file leaves no answer sent
/// without it, and the author is told of the answer once, with its files.
pub async fn answer_with_files(
    p: &Platform,
    files: Option<&Files>,
    actor: &Actor,
    id: &str,
    ans: Answer,
    uploads: Vec<Upload>,
) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    require_official(&p.db, actor, &a).await?;
    let text = clean_text("text", &ans.text, true)?.unwrap_or_default();
    // Refused before any file is stored when the appeal is not where an answer can be given (the
    // transaction checks again on the row it changes).
    answered(status_of(&a)?, ans.is_final)?;
    let checked = check_uploads(&uploads)?;
    let message_id = new_id();
    let now = now_ms();
    let rows = store_files(files, &a.id, &message_id, actor, &uploads, checked, now).await?;
    let mut tx = p.db.begin().await?;
    let mut a = reload_at_body(&mut tx, &a).await?;
    let from = status_of(&a)?;
    let to = answered(from, ans.is_final)?;
    let expected = a.updated_at;
    let zone = body_zone(&mut tx, a.body_code.as_deref()).await?;
    let message = store::MessageRow {
        id: message_id,
        appeal_id: a.id.clone(),
        kind: if ans.is_final { "final" } else { "interim" }.into(),
        author_name: actor.name.clone(),
        body_code: a.body_code.clone(),
        text,
        at: now,
    };
    store::insert_message(&mut tx, &message).await?;
    for row in &rows {
        insert_file_audited(&mut tx, actor, row).await?;
    }
    a.status = to.as_str().into();
    if ans.is_final {
        a.answered_at = Some(now);
        a.answered_late = Some(i64::from(is_overdue(&a, from, &zone, now)));
    }
    commit_change(
        &mut tx,
        &mut a,
        expected,
        answer_change(actor, from, ans.is_final),
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// The status an answer (final or interim) moves the appeal to, or the refusal.
fn answered(from: Status, is_final: bool) -> Result<Status> {
    if is_final {
        from.final_answer()
    } else {
        from.interim_answer()
    }
    .map_err(Error::from)
}

/// Each upload's kind told by its content, or the refusal naming the file.
fn check_uploads(uploads: &[Upload]) -> Result<Vec<files::FileKind>> {
    let mut checked = Vec::with_capacity(uploads.len());
    for u in uploads {
        let kind = files::check_file(&u.bytes).map_err(|mut pr| {
            pr.detail = format!("Файл «{}»: {}", clean_file_name(&u.file_name), pr.detail);
            Error::from(pr)
        })?;
        checked.push(kind);
    }
    Ok(checked)
}

/// The checked uploads put in the file store, as the rows of the answer's files.
async fn store_files(
    files: Option<&Files>,
    appeal: &str,
    message: &str,
    actor: &Actor,
    uploads: &[Upload],
    checked: Vec<files::FileKind>,
    now: i64,
) -> Result<Vec<store::FileRow>> {
    let mut rows = Vec::with_capacity(uploads.len());
    if !uploads.is_empty() {
        let files = files.ok_or_else(|| Error::internal("answer files without a file store"))?;
        for (u, kind) in uploads.iter().zip(checked) {
            let sha = files.put(&u.bytes).await?;
            rows.push(file_row(
                appeal,
                Some(message),
                actor,
                &u.file_name,
                kind.mime(),
                u.bytes.len(),
                sha,
                now,
            ));
        }
    }
    Ok(rows)
}

/// The time zone of the body (the default one when there is none or it is unknown).
async fn body_zone(tx: &mut Tx, body: Option<&str>) -> Result<String> {
    Ok(match body {
        Some(b) => store::body(tx, b)
            .await?
            .map_or(DEFAULT_ZONE.to_string(), |b| b.time_zone),
        None => DEFAULT_ZONE.to_string(),
    })
}

/// The answer's change, and what the author is told of it.
fn answer_change(actor: &Actor, from: Status, is_final: bool) -> Change<'_> {
    let tell = if is_final {
        "Дан ответ. Оцените его в личном кабинете: если проблема не решена, обращение будет пересмотрено вышестоящим органом.".to_string()
    } else {
        "Орган дал промежуточный ответ.".to_string()
    };
    Change {
        actor,
        action: if is_final {
            "answered"
        } else {
            "interim_answer"
        },
        from,
        note: None,
        tell: Some(tell),
    }
}

/// The 59-ФЗ extension.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// By how many days (1–30).
    #[schema(minimum = 1, maximum = 30)]
    pub days: u32,
    /// Why (shown to the author).
    pub reason: String,
}

/// The body extends the term: 59-ФЗ art. 12 part 2 — in exceptional cases the head of the body
/// may extend the 30-day term once, by no more than 30 days, telling the author. Only for the
/// kinds under 59-ФЗ; calendar days, moved off a day off like the term itself.
pub async fn extend(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    e: Extension,
) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    require_official(&p.db, actor, &a).await?;
    let reason = clean_text("reason", &e.reason, true)?.unwrap_or_default();
    if e.days == 0 || e.days > settings.terms.extension_max_days {
        return Err(Problem::invalid_field(
            "days",
            "appeal.extension_days",
            format!(
                "Срок продлевается не более чем на {} дней.",
                settings.terms.extension_max_days
            ),
        )
        .into());
    }
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = reload_at_body(&mut tx, &a).await?;
    let from = status_of(&a)?;
    check_extendable(&a, from)?;
    let due = a
        .due_date
        .as_deref()
        .and_then(model::parse_date)
        .ok_or_else(|| Error::internal("appeal at a body without a due date"))?;
    let expected = a.updated_at;
    let new_due = model::Term {
        days: e.days,
        working: false,
    }
    .due(calendar(), due);
    a.due_date = Some(new_due.to_string());
    a.extended = 1;
    a.warned_at = None;
    a.escalated_at = None;
    let tell = format!(
        "Срок рассмотрения продлён до {}. Причина: {reason}",
        model::date_text(new_due)
    );
    let change = Change {
        actor,
        action: "extended",
        from,
        note: Some(reason),
        tell: Some(tell),
    };
    commit_change(&mut tx, &mut a, expected, change, now).await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// An appeal under 59-ФЗ, at its body, not extended before.
fn check_extendable(a: &store::AppealRow, from: Status) -> Result<()> {
    if !kind_of(a)?.under_59fz() {
        return Err(model::Refusal::new(
            "appeal.extension_not_allowed",
            "Срок ответа на сообщение о проблеме не продлевается: продление предусмотрено только для обращений по 59-ФЗ.",
        ).into());
    }
    if !from.at_body() {
        return Err(model::Refusal::new(
            "appeal.transition_forbidden",
            format!(
                "Нельзя продлить срок: обращение в статусе «{}».",
                from.title()
            ),
        )
        .into());
    }
    if a.extended == 1 {
        return Err(model::Refusal::new(
            "appeal.already_extended",
            "Срок уже продлевался: по 59-ФЗ его продлевают только один раз.",
        )
        .into());
    }
    Ok(())
}
