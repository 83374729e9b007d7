//! The author's rating of an answer, and re-opening an appeal whose answer was rated badly.

use okno_kernel::actor::Actor;
use okno_kernel::clock::{new_id, now_ms};
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
    if !(1..=5).contains(&r.rating) {
        return Err(
            Problem::invalid_field("rating", "appeal.rating_range", "Оценка — от 1 до 5.").into(),
        );
    }
    let comment = match r.comment.as_deref() {
        Some(c) => clean_text("comment", c, false)?,
        None => None,
    };
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = store::appeal(&mut tx, id).await?.ok_or_else(not_found)?;
    if !is_author(actor, &a) {
        return Err(not_found());
    }
    let from = status_of(&a)?;
    let since = now - a.answered_at.unwrap_or(now);
    let supervisor = match a.body_code.as_deref() {
        Some(b) => match store::body(&mut tx, b)
            .await?
            .and_then(|b| b.supervisor_code)
        {
            Some(s) => store::body(&mut tx, &s).await?,
            None => None,
        },
        None => None,
    };
    let reopen = model::reopens(r.rating, since) && supervisor.is_some();
    let to = from.rate(reopen).map_err(Error::from)?;
    let expected = a.updated_at;
    a.rating = Some(r.rating);
    a.solved = Some(i64::from(r.solved));
    if let Some(c) = &comment {
        store::insert_message(
            &mut tx,
            &store::MessageRow {
                id: new_id(),
                appeal_id: a.id.clone(),
                kind: "comment".into(),
                author_name: actor.name.clone(),
                body_code: None,
                text: c.clone(),
                at: now,
            },
        )
        .await?;
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
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
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
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}
