//! The operators bound to an office: binding one with a role, listing them, unbinding one.

use okno_kernel::actor::{Actor, Role};
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Problem, Result};

use super::access::managed_office;
use super::model::{OperatorRole, OperatorView};
use super::store::{self, OperatorRow};

/// Binds an operator (a staff account with the operator role) to an office with a role.
pub async fn assign_operator(
    db: &Db,
    actor: &Actor,
    office: &str,
    account_id: &str,
    role: OperatorRole,
) -> Result<()> {
    let mut tx = db.begin().await?;
    let o = managed_office(&mut tx, actor, office).await?;
    require_operator(db, account_id).await?;
    store::assign_operator(&mut tx, account_id, &o.code, role.as_str(), now_ms()).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.operator.assigned",
            subject_type: "account",
            subject_id: account_id,
            details: serde_json::json!({ "office": o.code, "role": role.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Only a staff account with the operator role (its temporary password changed) can be bound.
async fn require_operator(db: &Db, account_id: &str) -> Result<()> {
    let staff = okno_identity::sessions::session_actor(db, account_id).await?;
    if !staff.is_some_and(|a| a.roles.contains(&Role::Operator)) {
        return Err(Problem::conflict(
            "desk.not_an_operator",
            "Привязать к пункту можно только сотрудника с ролью «Оператор», сменившего временный пароль.",
        )
        .into());
    }
    Ok(())
}

/// The operators bound to an office.
pub async fn operators(db: &Db, actor: &Actor, office: &str) -> Result<Vec<OperatorView>> {
    let rows = {
        let mut tx = db.begin().await?;
        let o = managed_office(&mut tx, actor, office).await?;
        let rows = store::operators(&mut tx, &o.code).await?;
        tx.commit().await?;
        rows
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(operator_view(db, r).await?);
    }
    Ok(out)
}

/// An operator's line: their role and the account's name (read after the transaction).
async fn operator_view(db: &Db, r: OperatorRow) -> Result<OperatorView> {
    let role = OperatorRole::parse(&r.role).unwrap_or(OperatorRole::Operator);
    let name = okno_identity::sessions::session_actor(db, &r.account_id)
        .await?
        .map_or_else(|| "учётная запись заблокирована".to_string(), |a| a.name);
    Ok(OperatorView {
        account_id: r.account_id,
        name,
        role,
        role_title: role.title(),
        since: r.created_at,
    })
}

/// Unbinds an operator from an office: from the next request on they cannot act at its desks.
/// An office administrator cannot unbind themself (another administrator must).
pub async fn remove_operator(db: &Db, actor: &Actor, office: &str, account_id: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let o = managed_office(&mut tx, actor, office).await?;
    if actor.id.as_deref() == Some(account_id) {
        return Err(Problem::conflict(
            "desk.cannot_remove_self",
            "Нельзя отвязать от пункта самого себя: это делает другой администратор.",
        )
        .into());
    }
    let n = store::remove_operator(&mut tx, account_id, &o.code).await?;
    if n == 0 {
        return Err(Problem::not_found("Этот сотрудник не привязан к пункту.").into());
    }
    record_removed(&mut tx, actor, &o.code, account_id).await?;
    tx.commit().await?;
    Ok(())
}

async fn record_removed(tx: &mut Tx, actor: &Actor, office: &str, account_id: &str) -> Result<()> {
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "offices.operator.removed",
            subject_type: "account",
            subject_id: account_id,
            details: serde_json::json!({ "office": office }),
        },
    )
    .await
}
