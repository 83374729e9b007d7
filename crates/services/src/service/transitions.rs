//! Moving an application through its status machine.

use std::collections::BTreeSet;

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::Tx;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::outbox;
use okno_kernel::Platform;
use serde::Deserialize;

use crate::form::Form;
use crate::model::{self, FeeAt, Status, Transition};
use crate::store::{self, AppRow};

use super::access::{check_applicant, check_official, load};
use super::base::{calendar, not_found_app, Settings};
use super::catalogue::ServiceView;
use super::form::form_of;
use super::result::{issue_result, tell};
use super::views::{status_of, values_of, view, ApplicationView};
use okno_kernel::clock::parse_date;

/// What a transition carries.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The reason of a refusal, what to clarify, the person's answer; optional otherwise.
    #[serde(default)]
    pub comment: Option<String>,
    /// For the fulfilment: the result document made outside the platform (a PDF the agency's own
    /// system produced), to be registered and signed instead of one generated here.
    #[serde(skip)]
    pub result_file: Option<Vec<u8>>,
}

/// The longest comment kept.
const COMMENT_MAX: usize = 4000;

/// Moves an application through one transition: checks who may, applies the status machine,
/// does what the step implies (number, decision date, fee event), keeps the event, audits and
/// notifies the person, all in one transaction.
pub async fn transition(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    t: Transition,
    step: Step,
) -> Result<ApplicationView> {
    let a = load(&p.db, id).await?;
    let (s, form) = form_of(&p.db, &a).await?;
    may_move(p, actor, &a, &s, t).await?;
    let comment = comment_of(t, step.comment)?;
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = store::application(&mut tx, id)
        .await?
        .ok_or_else(not_found_app)?;
    let from = status_of(&a)?;
    let to = t.apply(from).map_err(Error::from)?;
    let expected = a.status.clone();
    let ctx = StepContext {
        p,
        settings,
        actor,
        service: &s,
        form: &form,
        comment: comment.as_deref(),
        result_file: step.result_file.as_deref(),
        now,
    };
    let fee_due = apply(&mut tx, &ctx, t, &mut a).await?;
    a.status = to.as_str().into();
    a.updated_at = now;
    if store::update_application(&mut tx, &a, &expected).await? != 1 {
        return Err(Problem::conflict(
            "application.changed",
            "Заявление только что изменилось. Обновите страницу и повторите.",
        )
        .into());
    }
    record(&mut tx, actor, &a, (t, from, to), comment.as_deref(), now).await?;
    if fee_due {
        enqueue_fee(&mut tx, &a, &s).await?;
    }
    tell(&mut tx, &a, &s, to, comment.as_deref()).await?;
    tx.commit().await?;
    view(p, a).await
}

/// The applicant's side moves its own steps; officials of the agency the rest, never a draft.
async fn may_move(
    p: &Platform,
    actor: &Actor,
    a: &AppRow,
    s: &ServiceView,
    t: Transition,
) -> Result<()> {
    if t.by_applicant() {
        return check_applicant(&p.db, actor, a).await;
    }
    if status_of(a)? == Status::Draft {
        return Err(not_found_app());
    }
    check_official(&p.db, actor, &s.agency_code).await
}

/// The step's comment, trimmed and capped; refused when the transition needs one and it is empty.
fn comment_of(t: Transition, comment: Option<String>) -> Result<Option<String>> {
    let comment = comment
        .map(|c| c.trim().chars().take(COMMENT_MAX).collect::<String>())
        .filter(|c| !c.is_empty());
    if t.needs_comment() && comment.is_none() {
        let (code, message) = match t {
            Transition::Reject => ("application.reason_required", "Укажите причину отказа."),
            Transition::AskClarification => (
                "application.comment_required",
                "Напишите, что нужно уточнить или доложить.",
            ),
            _ => (
                "application.comment_required",
                "Напишите ответ на запрос ведомства.",
            ),
        };
        return Err(Problem::invalid_field("comment", code, message).into());
    }
    Ok(comment)
}

/// What a step works with besides the application.
struct StepContext<'a> {
    p: &'a Platform,
    settings: &'a Settings,
    actor: &'a Actor,
    service: &'a ServiceView,
    form: &'a Form,
    comment: Option<&'a str>,
    result_file: Option<&'a [u8]>,
    now: i64,
}

/// Does what transition `t` implies to `a` (number, terms, decision, result). Returns whether
/// the fee falls due with this step.
async fn apply(tx: &mut Tx, ctx: &StepContext<'_>, t: Transition, a: &mut AppRow) -> Result<bool> {
    let (s, now) = (ctx.service, ctx.now);
    let today = model::local_date(&s.time_zone, now);
    match t {
        Transition::Submit => {
            a.data_enc = validated(tx, ctx, a, today).await?;
            let n = store::next_number(tx, today.year() as i64).await?;
            a.number = Some(format!("{}-{n:06}", today.year()));
            a.submitted_at = Some(now);
            let days = u32::try_from(s.deadline_working_days).unwrap_or(0);
            a.due_date = Some(model::decision_date(calendar(), today, days).to_string());
            return Ok(s.fee_at == FeeAt::Submission);
        }
        Transition::Take => a.assigned_to = ctx.actor.id.clone(),
        Transition::AskClarification => {
            // The term stops while the person is asked (a platform rule, not a cited law): the working
            // days left now are kept and restart when the person answers.
            let due = a.due_date.as_deref().and_then(parse_date).unwrap_or(today);
            a.paused_days_left = Some(model::working_days_left(calendar(), today, due) as i64);
        }
        Transition::Clarify => {
            a.data_enc = validated(tx, ctx, a, today).await?;
            let left = a.paused_days_left.take().unwrap_or(1).max(1);
            a.due_date = Some(
                model::decision_date(calendar(), today, u32::try_from(left).unwrap_or(1))
                    .to_string(),
            );
            a.assigned_to = None;
        }
        Transition::Approve => {
            a.decided_at = Some(now);
            return Ok(s.fee_at == FeeAt::Approval);
        }
        Transition::Reject => {
            a.decided_at = Some(now);
            a.reason = ctx.comment.map(String::from);
        }
        Transition::Fulfil => {
            let (p, settings, actor) = (ctx.p, ctx.settings, ctx.actor);
            let (text, file) = (ctx.comment, ctx.result_file);
            issue_result(tx, p, settings, actor, (a, s), text, file, now).await?;
        }
        Transition::Withdraw => {}
    }
    Ok(false)
}

/// The form's values checked in full against the form (required fields and files included),
/// encrypted for storage.
async fn validated(
    tx: &mut Tx,
    ctx: &StepContext<'_>,
    a: &AppRow,
    today: okno_kernel::clock::Date,
) -> Result<String> {
    let values = values_of(ctx.p, a)?;
    let attached: BTreeSet<String> = store::attachments(tx, &a.id)
        .await?
        .into_iter()
        .map(|f| f.field)
        .collect();
    let clean = ctx
        .form
        .validate(&values, &attached, today)
        .map_err(Problem::invalid_fields)?;
    Ok(ctx.p.secrets.encrypt(&serde_json::to_string(&clean)?))
}

/// The application's event and the audit record of the transition.
async fn record(
    tx: &mut Tx,
    actor: &Actor,
    a: &AppRow,
    (t, from, to): (Transition, Status, Status),
    comment: Option<&str>,
    now: i64,
) -> Result<()> {
    store::insert_event(
        tx,
        &store::EventRow {
            id: new_id(),
            application_id: a.id.clone(),
            at: now,
            actor_id: actor.id.clone(),
            actor_name: actor.name.clone(),
            transition: t.as_str().into(),
            from_status: from.as_str().into(),
            to_status: to.as_str().into(),
            comment: comment.map(String::from),
        },
    )
    .await?;
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "services.application.status_changed",
            subject_type: "application",
            subject_id: &a.id,
            details: serde_json::json!({
                "number": a.number, "service": a.service_code, "transition": t.as_str(),
                "from": from.as_str(), "to": to.as_str(), "due_date": a.due_date,
            }),
        },
    )
    .await
}

/// The fee falls due: an event for the payments side, when the service has a fee.
async fn enqueue_fee(tx: &mut Tx, a: &AppRow, s: &ServiceView) -> Result<()> {
    let Some(amount) = s.fee_kopecks.filter(|k| *k > 0) else {
        return Ok(());
    };
    outbox::enqueue(
        tx,
        "application.fee_due",
        &serde_json::json!({
            "application_id": a.id, "number": a.number, "service": a.service_code,
            "agency": s.agency_code, "amount_kopecks": amount,
            "payer": { "kind": a.applicant_kind, "id": a.applicant_id, "name": a.applicant_name },
            "notify_account": a.notify_account,
        }),
    )
    .await?;
    Ok(())
}
