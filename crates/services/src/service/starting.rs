//! Starting an application: by the person, or at a desk by an operator for them.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::Platform;

use crate::model::{ApplicantKind, Status};
use crate::store::{self, AppRow};

use super::applicants::{applicant, may_apply, may_apply_as, own_account, Applicant};
use super::catalogue::{service, ServiceView};
use super::views::{view, ApplicationView};

/// Starts a draft of `code` at the service's current form version.
pub async fn start(p: &Platform, actor: &Actor, code: &str) -> Result<ApplicationView> {
    let s = service(&p.db, code).await?;
    let who = applicant(&p.db, actor).await?;
    may_apply(&p.db, actor, &s, &who).await?;
    let filed_by_name = actor.name.clone();
    insert_draft(p, actor, &s, who, filed_by_name, None, None).await
}

/// Stores a new draft of `s` for `who` with its audit record, in one transaction.
async fn insert_draft(
    p: &Platform,
    actor: &Actor,
    s: &ServiceView,
    who: Applicant,
    filed_by_name: String,
    desk_office: Option<String>,
    at_desk: Option<serde_json::Value>,
) -> Result<ApplicationView> {
    let now = now_ms();
    let a = AppRow {
        id: new_id(),
        number: None,
        service_code: s.code.clone(),
        version: s.version,
        status: Status::Draft.as_str().into(),
        applicant_kind: who.kind.as_str().into(),
        applicant_id: who.id,
        applicant_name: who.name,
        filed_by: who.filer,
        filed_by_name,
        notify_account: who.notify,
        data_enc: p.secrets.encrypt("{}"),
        submitted_at: None,
        due_date: None,
        paused_days_left: None,
        decided_at: None,
        reason: None,
        assigned_to: None,
        created_at: now,
        updated_at: now,
        desk_office,
    };
    let mut details = serde_json::json!({ "service": s.code, "version": s.version, "applicant_kind": a.applicant_kind });
    if let Some(d) = at_desk {
        details["at_desk"] = d;
    }
    let mut tx = p.db.begin().await?;
    store::insert_application(&mut tx, &a).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.application.started",
            subject_type: "application",
            subject_id: &a.id,
            details,
        },
    )
    .await?;
    tx.commit().await?;
    view(p, a).await
}

/// The name of a person's account (not blocked), for the desk's pages.
pub async fn person_name(db: &Db, id: &str) -> Result<Option<String>> {
    let mut c = db.read().await?;
    Ok(okno_identity::store::person_name(&mut c, id).await?)
}

/// An operator at a registered desk starts a draft for a person present (found at the desk and
/// identified by their passport there): the person is the applicant and is told of every change;
/// the operator fills the form with them and submits it, from a desk of that office only. The
/// service's level is checked against the person's account.
pub async fn start_at_desk(
    p: &Platform,
    actor: &Actor,
    person: &str,
    code: &str,
) -> Result<ApplicationView> {
    let operator = own_account(actor)?.to_string();
    let (office, ctx) = okno_offices::desk::current_desk(&p.db, actor).await?;
    if ctx.role.is_none() {
        return Err(Problem::forbidden(Permission::OfficesManage.name()).into());
    }
    let s = service(&p.db, code).await?;
    let name = {
        let mut c = p.db.read().await?;
        okno_identity::store::person_name(&mut c, person).await?
    }
    .filter(|_| person != operator)
    .ok_or_else(|| Error::from(Problem::not_found("Учётная запись гражданина не найдена.")))?;
    let who = Applicant {
        kind: ApplicantKind::Person,
        id: person.to_string(),
        name,
        filer: operator.clone(),
        notify: person.to_string(),
    };
    may_apply_as(&p.db, person, &s, &who).await?;
    let filed_by_name = format!("{} (оператор, {})", actor.name, office.name);
    let at_desk =
        serde_json::json!({ "office": office.code, "device": ctx.device_id, "person": person });
    insert_draft(
        p,
        actor,
        &s,
        who,
        filed_by_name,
        Some(office.code.clone()),
        Some(at_desk),
    )
    .await
}
