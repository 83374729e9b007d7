//! Who may see an application (its applicant's side, an official of its agency, the operator
//! who filed it at a desk) and the reads that check it.

use okno_identity::privacy::Topic;
use okno_kernel::actor::{Actor, ActorKind, Role};
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};
use okno_kernel::Platform;

use crate::model::Status;
use crate::store::{self, AppRow};

use super::applicants::own_account;
use super::base::not_found_app;
use super::views::{status_of, view, ApplicationView};

/// Is `actor` the applicant's side of `a`: the applicant, or acting for the applicant with a live
/// power of attorney or organisation role? Having filed it is not enough: a representative whose
/// power of attorney ended, or a member who left the organisation, no longer sees it.
pub(super) async fn check_applicant(db: &Db, actor: &Actor, a: &AppRow) -> Result<()> {
    let me = own_account(actor)?;
    if let Some(office) = a.desk_office.as_deref().filter(|_| a.filed_by == me) {
        // The operator who filed it at a desk goes on with it from a desk of that office only.
        let (o, _) = okno_offices::desk::current_desk(db, actor).await?;
        return if o.code == office {
            Ok(())
        } else {
            Err(Problem::new(
                403,
                "desk.other_office",
                "Недоступно с этого рабочего места",
            )
            .with_detail(
                "Заявление подано в другом центре обслуживания: продолжить его можно только там.",
            )
            .into())
        };
    }
    let ok = match &actor.on_behalf_of {
        None => a.applicant_id == me,
        Some(p) if p.id == a.applicant_id => {
            if p.id.starts_with(okno_identity::organisations::ORG_PREFIX) {
                okno_identity::organisations::require_org_topic(db, actor, Topic::Applications)
                    .await?;
            } else {
                okno_identity::representation::require_scope(db, actor, Topic::Applications)
                    .await?;
            }
            true
        }
        Some(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(not_found_app())
    }
}

/// Is `actor` an official of the agency that provides `service_code`?
pub(super) async fn check_official(db: &Db, actor: &Actor, agency: &str) -> Result<()> {
    if actor.kind == ActorKind::System {
        return Ok(());
    }
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    let id = actor.id.as_deref().unwrap_or_default();
    let mut c = db.read().await?;
    if actor.roles.contains(&Role::Official) && store::works_for(&mut c, id, agency).await? {
        Ok(())
    } else {
        Err(Problem::new(403, "desk.not_official", "Вы не сотрудник этого ведомства")
            .with_detail("Работать с заявлениями могут только должностные лица ведомства, которое оказывает услугу. Обратитесь к администратору.")
            .into())
    }
}

pub(super) async fn load(db: &Db, id: &str) -> Result<AppRow> {
    let mut c = db.read().await?;
    store::application(&mut c, id)
        .await?
        .ok_or_else(not_found_app)
}

/// An application, for its applicant or an official of its agency.
pub async fn get(p: &Platform, actor: &Actor, id: &str) -> Result<ApplicationView> {
    let a = load(&p.db, id).await?;
    if check_applicant(&p.db, actor, &a).await.is_err() {
        let mut c = p.db.read().await?;
        let s = store::service(&mut c, &a.service_code, Some(a.version))
            .await?
            .ok_or_else(not_found_app)?;
        drop(c);
        if status_of(&a)? == Status::Draft {
            return Err(not_found_app());
        }
        check_official(&p.db, actor, &s.agency_code)
            .await
            .map_err(|_| not_found_app())?;
    }
    view(p, a).await
}

/// The applications of the actor (or of the principal or organisation the actor acts for).
pub async fn mine(p: &Platform, actor: &Actor) -> Result<Vec<ApplicationView>> {
    let me = own_account(actor)?;
    let principal = match &actor.on_behalf_of {
        Some(pr) if pr.id.starts_with(okno_identity::organisations::ORG_PREFIX) => {
            okno_identity::organisations::require_org_topic(&p.db, actor, Topic::Applications)
                .await?;
            Some(pr.id.as_str())
        }
        Some(pr) => {
            okno_identity::representation::require_scope(&p.db, actor, Topic::Applications).await?;
            Some(pr.id.as_str())
        }
        None => None,
    };
    let rows = {
        let mut c = p.db.read().await?;
        store::applications_of(&mut c, me, principal).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(p, a).await?);
    }
    Ok(out)
}
