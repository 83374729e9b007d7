//! The rule of the desk: who acts from which registered terminal of which office. Reads only;
//! each is called in the transaction of the use case it guards, or on a read connection.

use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::auth;
use okno_kernel::db::{AsConn, Db, Tx};
use okno_kernel::error::{Error, Problem, Result};

use super::model::{DeskContext, OperatorRole};
use super::store::{self, DeviceRow};
use crate::store::{self as offices_store, OfficeRow};

pub(super) fn desk_refused(code: &'static str, detail: &str) -> Error {
    Problem::new(403, code, "Недоступно с этого рабочего места")
        .with_detail(detail.to_string())
        .into()
}

/// Who may manage an office's devices and operators: an administrator, or the office's own
/// administrator at one of its desks.
pub(super) async fn require_office_admin(
    tx: &mut Tx,
    actor: &Actor,
    office: &OfficeRow,
) -> Result<()> {
    if actor.can(Permission::OfficesManage) {
        return Ok(());
    }
    let desk = require_desk(tx, actor, office).await?;
    if desk.role != Some(OperatorRole::OfficeAdmin) {
        return Err(Problem::forbidden(Permission::OfficesManage.name()).into());
    }
    Ok(())
}

/// The office an administrator acts on, in the use case's transaction: it must exist, and the
/// actor must be allowed to manage it.
pub(super) async fn managed_office(tx: &mut Tx, actor: &Actor, office: &str) -> Result<OfficeRow> {
    let o = offices_store::office(tx, office)
        .await?
        .ok_or_else(crate::model::not_found_office)?;
    require_office_admin(tx, actor, &o).await?;
    Ok(o)
}

/// The device the request came from, if it presented a credential of a registered terminal.
async fn presented_device(c: &mut impl AsConn, actor: &Actor) -> Result<Option<DeviceRow>> {
    let Some(cred) = &actor.device else {
        return Ok(None);
    };
    Ok(store::device_by_credential(c, auth::secret_hash(&cred.0)).await?)
}

/// A self-service kiosk: the registered, unrevoked kiosk device the request comes from (its
/// credential, nobody signed in), and the office it stands in. Anything else is refused.
pub async fn require_kiosk(c: &mut impl AsConn, actor: &Actor) -> Result<(String, String)> {
    let device = presented_device(c, actor).await?;
    match device {
        Some(d) if d.revoked_at.is_none() && d.kind == "kiosk" => Ok((d.office_code, d.id)),
        Some(d) if d.revoked_at.is_some() => Err(desk_refused(
            "desk.device_revoked",
            "Терминал отключён администратором.",
        )),
        _ => Err(desk_refused(
            "kiosk.device_required",
            "Талоны без оператора выдаёт только зарегистрированный терминал самообслуживания центра.",
        )),
    }
}

/// The rule of the desk: an operator (a person signed in with a second factor) acts only from a
/// registered, unrevoked device of an office they are bound to; an integration's token with the
/// operator role acts only through a registered device of that office.
/// A read: call it in the transaction of the use case it guards, or on a read connection.
pub async fn require_desk(
    c: &mut impl AsConn,
    actor: &Actor,
    office: &OfficeRow,
) -> Result<DeskContext> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    if !actor.can(Permission::QueueOperate) && !actor.can(Permission::IdentityConfirm) {
        return Err(Problem::forbidden(Permission::QueueOperate.name()).into());
    }
    let device = presented_device(c, actor).await?.ok_or_else(|| {
        desk_refused(
            "desk.device_required",
            "Работать с очередью и учётными записями можно только с зарегистрированного рабочего места центра.",
        )
    })?;
    if device.revoked_at.is_some() {
        return Err(desk_refused(
            "desk.device_revoked",
            "Рабочее место отключено администратором: доступ с него закрыт.",
        ));
    }
    if device.office_code != office.code {
        return Err(desk_refused(
            "desk.other_office",
            "Это рабочее место относится к другому центру обслуживания.",
        ));
    }
    let role = role_at(c, actor, office).await?;
    Ok(DeskContext {
        office: office.code.clone(),
        device_id: device.id,
        device_name: device.name,
        role,
    })
}

/// The actor's role at the office: a person's from their binding (refused when they are not
/// bound), the system's as its administrator, an integration's none.
async fn role_at(
    c: &mut impl AsConn,
    actor: &Actor,
    office: &OfficeRow,
) -> Result<Option<OperatorRole>> {
    Ok(match actor.kind {
        ActorKind::Account => {
            let id = actor.id.as_deref().unwrap_or_default();
            let membership = store::membership(c, id, &office.code).await?;
            Some(
                membership
                    .and_then(|m| OperatorRole::parse(&m.role))
                    .ok_or_else(|| {
                        desk_refused(
                            "desk.not_your_office",
                            "Вы не закреплены за этим центром обслуживания. Обратитесь к администратору.",
                        )
                    })?,
            )
        }
        ActorKind::System => Some(OperatorRole::OfficeAdmin),
        _ => None,
    })
}

/// The desk the signed-in operator works at: the office of the device the request came from.
/// Only reads, on a read connection (see [`current_desk_in`] for a use case's transaction).
pub async fn current_desk(db: &Db, actor: &Actor) -> Result<(OfficeRow, DeskContext)> {
    let mut c = db.read().await?;
    current_desk_in(&mut c, actor).await
}

/// [`current_desk`] read in the caller's connection or transaction, so that what it checks
/// agrees with what the caller then writes.
pub async fn current_desk_in(
    c: &mut impl AsConn,
    actor: &Actor,
) -> Result<(OfficeRow, DeskContext)> {
    let device = presented_device(c, actor).await?.ok_or_else(|| {
        desk_refused(
            "desk.device_required",
            "Это не зарегистрированное рабочее место центра обслуживания.",
        )
    })?;
    let o = offices_store::office(c, &device.office_code)
        .await?
        .ok_or_else(crate::model::not_found_office)?;
    let ctx = require_desk(c, actor, &o).await?;
    Ok((o, ctx))
}
