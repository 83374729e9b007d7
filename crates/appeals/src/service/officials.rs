//! Officials of a body: who is assigned to which body.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};
use serde::{Deserialize, Serialize};

use crate::store;

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AppealOfficialAssignment)]
pub struct Assignment {
    /// The staff account's or the API token's id.
    pub account_id: String,
    pub body_code: String,
}

/// Assigns an official to a body (administrators). True when it was new.
pub async fn assign_official(db: &Db, actor: &Actor, a: &Assignment) -> Result<bool> {
    actor.require(Permission::StaffManage)?;
    let mut tx = db.begin().await?;
    if store::body(&mut tx, &a.body_code).await?.is_none() {
        return Err(Problem::not_found("Орган не найден.").into());
    }
    let added = store::assign_official(
        &mut tx,
        &a.account_id,
        &a.body_code,
        actor.id.as_deref().unwrap_or("system"),
        now_ms(),
    )
    .await?
        > 0;
    if added {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "appeals.official.assigned",
                subject_type: "account",
                subject_id: &a.account_id,
                details: serde_json::json!({ "body": a.body_code }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// The bodies the actor works for.
pub async fn my_bodies(db: &Db, actor: &Actor) -> Result<Vec<String>> {
    let mut c = db.read().await?;
    Ok(store::bodies_of(&mut c, actor.id.as_deref().unwrap_or_default()).await?)
}
