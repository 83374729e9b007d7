//! The deadline worker: warns a body three working days before an appeal's term ends, and
//! escalates an overdue appeal to the supervising body. Any node may run it: each step is a
//! conditional UPDATE of the row as read (its `updated_at`), so of two nodes that look at the same
//! appeal exactly one changes it, on SQLite and on PostgreSQL alike.

use std::time::Duration;

use jiff::ToSpan;
use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::Result;
use okno_kernel::outbox;
use okno_rules::calendar::ProductionCalendar;
use tokio_util::sync::CancellationToken;

use crate::model::{self, Status, Terms};
use crate::store::{self, AppealRow};

/// Working days before the due date when the body is warned.
pub const WARN_WORKING_DAYS: u32 = 3;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub warned: usize,
    pub escalated: usize,
    /// Ratings of state services taken into the figures.
    pub service_ratings: usize,
}

/// Runs rounds until `stop`.
pub async fn run(db: Db, terms: Terms, poll: Duration, stop: CancellationToken) {
    loop {
        match round(&db, &terms, now_ms()).await {
            Ok(r) if r != Round::default() => {
                tracing::info!(
                    warned = r.warned,
                    escalated = r.escalated,
                    service_ratings = r.service_ratings,
                    "appeal deadlines"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "appeal deadline round failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// This part's name as a consumer of other parts' outbox events.
pub const CONSUMER: &str = "appeals.figures";

/// Takes the ratings of state services announced since the last round into the figures, each
/// exactly once whichever node takes it. Gives how many.
pub async fn take_service_ratings(db: &Db) -> Result<usize> {
    let events = {
        let mut c = db.read().await?;
        outbox::unconsumed(&mut c, CONSUMER, "services.application.rated", 200).await?
    };
    if events.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let mut taken = 0;
    for e in &events {
        if !outbox::consume(&mut tx, CONSUMER, e).await? {
            continue;
        }
        match serde_json::from_str::<store::ServiceRating>(&e.payload) {
            Ok(r) if (1..=5).contains(&r.rating) => {
                taken += store::insert_service_rating(&mut tx, &e.id, &r).await? as usize;
            }
            // Taken and set aside: a malformed event must not stop the ones after it.
            _ => tracing::warn!(event = %e.id, "a service rating event without a valid rating"),
        }
    }
    tx.commit().await?;
    Ok(taken)
}

/// One round at the instant `now`.
pub async fn round(db: &Db, terms: &Terms, now: i64) -> Result<Round> {
    let cal = ProductionCalendar::shared();
    // Three working days are never more than three weeks away, even across the New Year.
    let horizon = model::local_date("Asia/Kamchatka", now)
        .saturating_add(21.days())
        .to_string();
    let candidates = {
        let mut c = db.read().await?;
        store::running(&mut c, &horizon).await?
    };
    let mut out = Round {
        service_ratings: take_service_ratings(db).await?,
        ..Round::default()
    };
    for a in candidates {
        let mut c = db.read().await?;
        let Some(body) = (match a.body_code.as_deref() {
            Some(b) => store::body(&mut c, b).await?,
            None => None,
        }) else {
            continue;
        };
        drop(c);
        let Some(due) = a.due_date.as_deref().and_then(model::parse_date) else {
            continue;
        };
        let today = model::local_date(&body.time_zone, now);
        if today > due && a.escalated_at.is_none() {
            if escalate(db, terms, a, &body, now).await? {
                out.escalated += 1;
            }
        } else if today <= due
            && a.warned_at.is_none()
            && cal.working_days_between(today, due) <= WARN_WORKING_DAYS
            && warn(db, a, &body, due, now).await?
        {
            out.warned += 1;
        }
    }
    Ok(out)
}

fn worker() -> Actor {
    Actor::system("контроль сроков обращений")
}

/// Warns the body's officials; true when this node did it.
async fn warn(
    db: &Db,
    mut a: AppealRow,
    body: &store::BodyRow,
    due: okno_kernel::clock::Date,
    now: i64,
) -> Result<bool> {
    let expected = a.updated_at;
    let status = Status::parse(&a.status).unwrap_or(Status::Routed);
    a.warned_at = Some(now);
    a.updated_at = now.max(expected + 1);
    let mut tx = db.begin().await?;
    if store::update_appeal(&mut tx, &a, expected).await? != 1 {
        return Ok(false);
    }
    let actor = worker();
    let note = format!("Срок ответа истекает {}", model::date_text(due));
    store::insert_event(
        &mut tx,
        &store::EventRow {
            id: new_id(),
            appeal_id: a.id.clone(),
            at: now,
            actor_name: actor.name.clone(),
            action: "deadline_warning".into(),
            from_status: status.as_str().into(),
            to_status: status.as_str().into(),
            body_code: Some(body.code.clone()),
            note: Some(note.clone()),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor: &actor,
            action: "appeals.deadline.warned",
            subject_type: "appeal",
            subject_id: &a.id,
            details: serde_json::json!({ "number": a.number, "body": body.code, "due_date": a.due_date }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        "appeal.deadline_near",
        &serde_json::json!({ "appeal_id": a.id, "number": a.number, "body": body.code, "due_date": a.due_date }),
    )
    .await?;
    for official in store::officials_of(&mut tx, &body.code).await? {
        notify_account(
            &mut tx,
            &official,
            Topic::Appeals,
            &format!("Обращение № {}: срок истекает", a.number),
            &format!("{note}; осталось не больше {WARN_WORKING_DAYS} рабочих дней."),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// What a step of escalation did to an appeal, for its event and audit record.
struct Step {
    action: &'static str,
    note: String,
    from: Status,
    to: Status,
}

/// Sends an overdue appeal to the supervising body (registered there with a fresh term); a body
/// without a supervisor keeps it, and the overdue is journalled once. True when this node did it.
async fn escalate(
    db: &Db,
    terms: &Terms,
    mut a: AppealRow,
    body: &store::BodyRow,
    now: i64,
) -> Result<bool> {
    let expected = a.updated_at;
    let from = Status::parse(&a.status).unwrap_or(Status::Routed);
    let mut tx = db.begin().await?;
    let supervisor = match body.supervisor_code.as_deref() {
        Some(s) => store::body(&mut tx, s).await?,
        None => None,
    };
    let step = match &supervisor {
        Some(s) => to_supervisor(&mut a, terms, body, s, from, now)?,
        None => {
            a.escalated_at = Some(now);
            Step {
                action: "overdue",
                note: format!("Срок ответа органа «{}» истёк", body.name),
                from,
                to: from,
            }
        }
    };
    a.updated_at = now.max(expected + 1);
    if store::update_appeal(&mut tx, &a, expected).await? != 1 {
        return Ok(false);
    }
    record_escalation(&mut tx, &a, body, &step, now).await?;
    if supervisor.is_some() {
        notify_account(
            &mut tx,
            &a.author_id,
            Topic::Appeals,
            &format!("Обращение № {}: передано в вышестоящий орган", a.number),
            &format!("{}.", step.note),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Registers the appeal at the supervising body from today, with a fresh term.
fn to_supervisor(
    a: &mut AppealRow,
    terms: &Terms,
    body: &store::BodyRow,
    s: &store::BodyRow,
    from: Status,
    now: i64,
) -> Result<Step> {
    crate::service::register(a, s, terms, now)?;
    a.status = Status::Routed.as_str().into();
    Ok(Step {
        action: "escalated",
        note: format!(
            "Срок ответа органа «{}» истёк; обращение передано в вышестоящий орган «{}»",
            body.name, s.name
        ),
        from,
        to: Status::Routed,
    })
}

/// The escalation's event, audit record and outbox event.
async fn record_escalation(
    tx: &mut Tx,
    a: &AppealRow,
    body: &store::BodyRow,
    step: &Step,
    now: i64,
) -> Result<()> {
    let actor = worker();
    store::insert_event(
        tx,
        &store::EventRow {
            id: new_id(),
            appeal_id: a.id.clone(),
            at: now,
            actor_name: actor.name.clone(),
            action: step.action.into(),
            from_status: step.from.as_str().into(),
            to_status: step.to.as_str().into(),
            body_code: a.body_code.clone(),
            note: Some(step.note.clone()),
        },
    )
    .await?;
    audit::append(
        tx,
        audit::Entry {
            actor: &actor,
            action: "appeals.deadline.escalated",
            subject_type: "appeal",
            subject_id: &a.id,
            details: serde_json::json!({
                "number": a.number, "from_body": body.code, "to_body": a.body_code, "due_date": a.due_date,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        tx,
        "appeal.escalated",
        &serde_json::json!({ "appeal_id": a.id, "number": a.number, "from_body": body.code, "to_body": a.body_code }),
    )
    .await?;
    Ok(())
}
