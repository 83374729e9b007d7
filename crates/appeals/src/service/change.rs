//! One change of an appeal: the row written under the check that nobody changed it meanwhile,
//! its event, audit record, outbox event and the author's notification, in one transaction.

use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::new_id;
use okno_kernel::db::Tx;
use okno_kernel::error::Result;
use okno_kernel::outbox;

use crate::model::Status;
use crate::store::{self, AppealRow};

use super::base::changed;
use super::views::status_of;

/// One change, kept in one transaction: the row (if unchanged since read), the event, the audit
/// record, the author's notification and the outbox event.
pub(super) struct Change<'a> {
    pub(super) actor: &'a Actor,
    pub(super) action: &'static str,
    pub(super) from: Status,
    pub(super) note: Option<String>,
    /// What the author is told, after the status.
    pub(super) tell: Option<String>,
}

pub(super) async fn commit_change(
    tx: &mut Tx,
    a: &mut AppealRow,
    expected: i64,
    ch: Change<'_>,
    now: i64,
) -> Result<()> {
    // A strictly newer version stamp, so a change in the same millisecond is still told apart.
    a.updated_at = now.max(expected + 1);
    if store::update_appeal(tx, a, expected).await? != 1 {
        return Err(changed());
    }
    record(tx, a, ch, now).await
}

pub(super) async fn record(tx: &mut Tx, a: &AppealRow, ch: Change<'_>, now: i64) -> Result<()> {
    let to = status_of(a)?;
    store::insert_event(
        tx,
        &store::EventRow {
            id: new_id(),
            appeal_id: a.id.clone(),
            at: now,
            actor_name: ch.actor.name.clone(),
            action: ch.action.into(),
            from_status: ch.from.as_str().into(),
            to_status: to.as_str().into(),
            body_code: a.body_code.clone(),
            note: ch.note.clone(),
        },
    )
    .await?;
    audit::append(
        tx,
        audit::Entry {
            actor: ch.actor,
            action: "appeals.appeal.changed",
            subject_type: "appeal",
            subject_id: &a.id,
            details: serde_json::json!({
                "number": a.number, "action": ch.action, "from": ch.from.as_str(), "to": to.as_str(),
                "body": a.body_code, "due_date": a.due_date,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        tx,
        "appeal.status_changed",
        &serde_json::json!({
            "appeal_id": a.id, "number": a.number, "action": ch.action,
            "from": ch.from.as_str(), "to": to.as_str(), "body": a.body_code,
        }),
    )
    .await?;
    let subject = format!("Обращение № {}: {}", a.number, to.title());
    let mut text = format!("Обращение № {} — статус «{}».", a.number, to.title());
    if let Some(t) = ch.tell {
        text.push(' ');
        text.push_str(&t);
    }
    notify_account(tx, &a.author_id, Topic::Appeals, &subject, &text).await?;
    Ok(())
}
