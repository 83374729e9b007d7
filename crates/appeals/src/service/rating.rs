//! The author's rating of an answer, and re-opening an appeal whose answer was rated badly.

use okno_kernel::actor::Actor;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::Tx;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::model;
use crate::store;

use super::access::is_author;
use super::base::{clean_text, not_found};
use super::change::{commit_change, Change};
use super::moderation::{due_text, register};
use super::settings::Settings;
use super::views::{status_of, view, AppealView};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    /// Was the problem solved?
    pub solved: bool,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The author rates the final answer. A rating of [`model::LOW_RATING`] or lower within 30 days
/// of the answer re-opens the appeal at the supervising body (with a fresh term); otherwise —
/// or when the body has no supervisor — the appeal is closed.
pub async fn rate(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    r: Rating,
) -> Result<AppealView> {
    let comment = check(&r)?;
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = store::appeal(&mut tx, id).await?.ok_or_else(not_found)?;
    if !is_author(actor, &a) {
        return Err(not_found());
    }
    let from = status_of(&a)?;
    let since = now - a.answered_at.unwrap_or(now);
    let supervisor = supervisor_of(&mut tx, a.body_code.as_deref()).await?;
    let reopen = model::reopens(r.rating, since) && supervisor.is_some();
    let to = from.rate(reopen).map_err(Error::from)?;
    let expected = a.updated_at;
    a.rating = Some(r.rating);
    a.solved = Some(i64::from(r.solved));
    if let Some(c) = &comment {
        insert_comment(&mut tx, actor, &a, c, now).await?;
    }
    let (action, tell) = match (&supervisor, reopen) {
        (Some(s), true) => {
            register(&mut a, s, &settings.terms, now)?;
            (
                "reopened",
                format!(
                    "Оценка {}: обращение повторно открыто и направлено в вышестоящий орган «{}». {}",
                    r.rating,
                    s.name,
                    due_text(&a)
                ),
            )
        }
        _ => {
            a.closed_at = Some(now);
            ("rated", format!("Спасибо за оценку: {}.", r.rating))
        }
    };
    a.status = to.as_str().into();
    let change = Change {
        actor,
        action,
        from,
        note: Some(format!(
            "Оценка {}, проблема {}",
            r.rating,
            if r.solved {
                "решена"
            } else {
                "не решена"
            }
        )),
        tell: Some(tell),
    };
    commit_change(&mut tx, &mut a, expected, change, now).await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// The rating is 1–5; the comment, when given, is clean text (none when empty).
fn check(r: &Rating) -> Result<Option<String>> {
    if !(1..=5).contains(&r.rating) {
        return Err(
            Problem::invalid_field("rating", "appeal.rating_range", "Оценка — от 1 до 5.").into(),
        );
    }
    match r.comment.as_deref() {
        Some(c) => clean_text("comment", c, false),
        None => Ok(None),
    }
}

/// The body that supervises the appeal's body, if there is one.
async fn supervisor_of(tx: &mut Tx, body: Option<&str>) -> Result<Option<store::BodyRow>> {
    let Some(b) = body else {
        return Ok(None);
    };
    Ok(
        match store::body(tx, b).await?.and_then(|b| b.supervisor_code) {
            Some(s) => store::body(tx, &s).await?,
            None => None,
        },
    )
}

/// The author's comment to the rating, as a message of the appeal.
async fn insert_comment(
    tx: &mut Tx,
    actor: &Actor,
    a: &store::AppealRow,
    text: &str,
    now: i64,
) -> Result<()> {
    store::insert_message(
        tx,
        &store::MessageRow {
            id: new_id(),
            appeal_id: a.id.clone(),
            kind: "comment".into(),
            author_name: actor.name.clone(),
            body_code: None,
            text: text.to_string(),
            at: now,
        },
    )
    .await?;
    Ok(())
}
