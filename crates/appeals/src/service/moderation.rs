//! Moderation: the queue, and the verdict that registers an appeal with its body and term or
//! refuses it with a reason.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::clock::now_ms;
use okno_kernel::db::Tx;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::Platform;
use serde::{Deserialize, Serialize};

use crate::model::{self, Point, RejectReason, Status, Terms};
use crate::store::{self, AppealRow, BodyRow};

use super::base::{calendar, clean_text, not_found};
use super::change::{commit_change, Change};
use super::routing::route;
use super::settings::Settings;
use super::views::{kind_of, status_of, view, AppealView};

/// The moderation queue, oldest first.
pub async fn moderation_queue(p: &Platform, actor: &Actor) -> Result<Vec<AppealView>> {
    actor.require(Permission::AppealsModerate)?;
    let rows = {
        let mut c = p.db.read().await?;
        store::moderation_queue(&mut c).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(&p.db, a).await?);
    }
    Ok(out)
}

/// A moderator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Take it from the queue (optional; marks who works on it).
    Take,
    /// Accept: routed to the body the rules find (or the one named).
    Accept,
    /// Send back to the author for correction (a note says what to correct).
    SendBack,
    /// Reject with a reason from the fixed list.
    Reject,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    pub verdict: Verdict,
    /// For `reject`.
    #[serde(default)]
    pub reason: Option<RejectReason>,
    /// For `accept`: a body other than the one routing finds.
    #[serde(default)]
    pub body: Option<String>,
    /// For `send_back`: what to correct (shown to the author).
    #[serde(default)]
    pub note: Option<String>,
}

/// Registers the appeal at `body` from today: the answer's term for its kind and the forwarding
/// date (59-ФЗ art. 8 part 3). The term counts from the registration at the body that answers:
/// an appeal forwarded or escalated is registered anew there, as 59-ФЗ art. 8 has the receiving
/// body register it.
pub(crate) fn register(a: &mut AppealRow, body: &BodyRow, terms: &Terms, now: i64) -> Result<()> {
    let today = model::local_date(&body.time_zone, now);
    let kind = kind_of(a)?;
    a.body_code = Some(body.code.clone());
    a.registered_on = Some(today.to_string());
    a.due_date = Some(terms.of(kind).due(calendar(), today).to_string());
    a.forward_due = Some(terms.forward.due(calendar(), today).to_string());
    a.extended = 0;
    a.routed_at = Some(now);
    a.warned_at = None;
    a.escalated_at = None;
    Ok(())
}

pub(super) fn due_text(a: &AppealRow) -> String {
    a.due_date
        .as_deref()
        .and_then(model::parse_date)
        .map(|d| format!("Срок ответа — до {}.", model::date_text(d)))
        .unwrap_or_default()
}

/// A moderator takes, accepts, sends back or rejects an appeal.
pub async fn moderate(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    m: Moderation,
) -> Result<AppealView> {
    actor.require(Permission::AppealsModerate)?;
    let note = match m.note.as_deref() {
        Some(n) => clean_text("note", n, false)?,
        None => None,
    };
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = store::appeal(&mut tx, id).await?.ok_or_else(not_found)?;
    let from = status_of(&a)?;
    let expected = a.updated_at;
    let change = match m.verdict {
        Verdict::Take => take(&mut a, from, actor)?,
        Verdict::Accept => accept(&mut tx, settings, actor, &mut a, from, m.body, now).await?,
        Verdict::SendBack => send_back(&mut a, from, actor, note)?,
        Verdict::Reject => reject(&mut a, from, actor, m.reason, now)?,
    };
    commit_change(&mut tx, &mut a, expected, change, now).await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// The moderator takes the appeal from the queue.
fn take<'a>(a: &mut AppealRow, from: Status, actor: &'a Actor) -> Result<Change<'a>> {
    a.status = from
        .take_for_moderation()
        .map_err(Error::from)?
        .as_str()
        .into();
    Ok(Change {
        actor,
        action: "moderation_taken",
        from,
        note: None,
        tell: None,
    })
}

/// Accepts the appeal and registers it at the body named, or else the one routing finds.
async fn accept<'a>(
    tx: &mut Tx,
    settings: &Settings,
    actor: &'a Actor,
    a: &mut AppealRow,
    from: Status,
    named: Option<String>,
    now: i64,
) -> Result<Change<'a>> {
    let to = from.accept().map_err(Error::from)?;
    let code = match named.filter(|b| !b.is_empty()) {
        Some(b) => b,
        None => routed_body(tx, a).await?,
    };
    let body = store::body(tx, &code).await?.ok_or_else(|| {
        Error::from(Problem::invalid_field(
            "body",
            "appeal.body_unknown",
            "Такого органа нет.",
        ))
    })?;
    register(a, &body, &settings.terms, now)?;
    a.status = to.as_str().into();
    Ok(Change {
        actor,
        action: "accepted",
        from,
        note: None,
        tell: Some(format!("Направлено: {}. {}", body.name, due_text(a))),
    })
}

/// The body the routing rules find for the appeal's category, place and territory.
async fn routed_body(tx: &mut Tx, a: &AppealRow) -> Result<String> {
    let cats = store::categories(tx).await?;
    let parent = cats
        .iter()
        .find(|c| c.code == a.category_code)
        .and_then(|c| c.parent_code.clone());
    let region = match a.municipality_code.as_deref() {
        Some(m) => store::territories(tx)
            .await?
            .into_iter()
            .find(|t| t.code == m)
            .and_then(|t| t.region_code),
        None => None,
    };
    let place = a
        .lat_micro
        .zip(a.lon_micro)
        .map(|(lat, lon)| Point { lat, lon });
    route(
        &store::routes(tx).await?,
        &a.category_code,
        parent.as_deref(),
        a.municipality_code.as_deref(),
        region.as_deref(),
        place,
    )
    .ok_or_else(|| {
        Error::from(Problem::conflict(
            "appeal.no_route",
            "Правила маршрутизации не нашли орган для этой темы и территории. Укажите орган вручную.",
        ))
    })
}

/// Sends the appeal back to its author with a note of what to correct.
fn send_back<'a>(
    a: &mut AppealRow,
    from: Status,
    actor: &'a Actor,
    note: Option<String>,
) -> Result<Change<'a>> {
    let to = from.send_back().map_err(Error::from)?;
    let Some(n) = note else {
        return Err(Problem::invalid_field(
            "note",
            "appeal.note_required",
            "Напишите, что автору нужно исправить.",
        )
        .into());
    };
    a.status = to.as_str().into();
    a.correction = 1;
    Ok(Change {
        actor,
        action: "sent_back",
        from,
        note: Some(n.clone()),
        tell: Some(format!("Модератор вернул обращение на доработку: {n}")),
    })
}

/// Rejects the appeal with a reason from the fixed list, which closes it.
fn reject<'a>(
    a: &mut AppealRow,
    from: Status,
    actor: &'a Actor,
    reason: Option<RejectReason>,
    now: i64,
) -> Result<Change<'a>> {
    let to = from.reject().map_err(Error::from)?;
    let Some(reason) = reason else {
        return Err(Problem::invalid_field(
            "reason",
            "appeal.reason_required",
            "Выберите причину отклонения из списка.",
        )
        .into());
    };
    a.status = to.as_str().into();
    a.reject_reason = Some(reason.as_str().into());
    a.closed_at = Some(now);
    Ok(Change {
        actor,
        action: "rejected",
        from,
        note: Some(reason.title().into()),
        tell: Some(format!("Причина: {}.", reason.title())),
    })
}
