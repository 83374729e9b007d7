//! Who may see and act on an appeal (its author, an official of its body) and the reads that
//! check it: one appeal, a person's own list.

use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Problem, Result};
use okno_kernel::Platform;

use crate::store::{self, AppealRow};

use super::base::{changed, not_found};
use super::views::{view, AppealView};

pub(super) fn own_account(actor: &Actor) -> Result<&str> {
    match (actor.kind, actor.id.as_deref()) {
        (ActorKind::Account, Some(id)) => Ok(id),
        (ActorKind::Anonymous, _) => Err(Problem::unauthenticated().into()),
        _ => Err(Problem::new(403, "appeal.person_only", "Только для граждан")
            .with_detail("Подать обращение и работать с ним от своего имени может только человек, вошедший в личный кабинет.")
            .into()),
    }
}

pub(super) fn is_author(actor: &Actor, a: &AppealRow) -> bool {
    actor.kind == ActorKind::Account && actor.id.as_deref() == Some(a.author_id.as_str())
}

async fn is_official_of(db: &Db, actor: &Actor, body: Option<&str>) -> Result<bool> {
    if actor.kind == ActorKind::System {
        return Ok(true);
    }
    let (Some(body), Some(id)) = (body, actor.id.as_deref()) else {
        return Ok(false);
    };
    if !actor.can(Permission::AppealsAnswer) {
        return Ok(false);
    }
    let mut c = db.read().await?;
    Ok(store::works_for(&mut c, id, body).await?)
}

pub(super) async fn require_official(db: &Db, actor: &Actor, a: &AppealRow) -> Result<()> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    if is_official_of(db, actor, a.body_code.as_deref()).await? {
        Ok(())
    } else {
        Err(Problem::new(403, "appeal.not_official", "Вы не сотрудник этого органа")
            .with_detail("Работать с обращением могут только должностные лица органа, которому оно направлено. Обратитесь к администратору.")
            .into())
    }
}

/// The appeal as the transaction sees it, after an official's right was checked on `checked`
/// (read before the transaction): refused as changed if it has since gone to another body, so
/// an official of the body it left cannot act on it in the meantime.
pub(super) async fn reload_at_body(tx: &mut Tx, checked: &AppealRow) -> Result<AppealRow> {
    let a = store::appeal(tx, &checked.id)
        .await?
        .ok_or_else(not_found)?;
    if a.body_code != checked.body_code {
        return Err(changed());
    }
    Ok(a)
}

pub(super) async fn load(db: &Db, id: &str) -> Result<AppealRow> {
    let mut c = db.read().await?;
    store::appeal(&mut c, id).await?.ok_or_else(not_found)
}

/// An appeal for its author, a moderator, or an official of the body it is at.
pub async fn get(p: &Platform, actor: &Actor, id: &str) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    if !(is_author(actor, &a)
        || actor.can(Permission::AppealsModerate)
        || is_official_of(&p.db, actor, a.body_code.as_deref()).await?)
    {
        return Err(not_found());
    }
    view(&p.db, a).await
}

/// The actor's own appeals, newest first.
pub async fn mine(p: &Platform, actor: &Actor) -> Result<Vec<AppealView>> {
    let me = own_account(actor)?;
    let rows = {
        let mut c = p.db.read().await?;
        store::appeals_of(&mut c, me).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(&p.db, a).await?);
    }
    Ok(out)
}
