//! A session acting for an organisation: switching to it, the principal it names, and the check
//! every use case done for an organisation makes.

use okno_kernel::actor::{Actor, Principal};
use okno_kernel::audit;
use okno_kernel::auth;
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};

use crate::model::own_account;
use crate::privacy::Topic;
use crate::store::{self, load};

use super::model::{ActingOrganisation, OrgRole};
use super::{acting_org_id, ORG_PREFIX};

/// The principal an account session acting for organisation `org_id` names: the organisation's
/// short name, whether or not the person is still a member (so a removal never lets the session's
/// actions land in the person's own name; [`require_org_role`] refuses them instead).
pub async fn session_principal(db: &Db, org_id: &str) -> Result<Principal> {
    let mut c = db.read().await?;
    let name = store::organisation_short_name(&mut c, org_id)
        .await?
        .unwrap_or_else(|| "удалённая организация".to_string());
    Ok(Principal {
        id: format!("{ORG_PREFIX}{org_id}"),
        name,
    })
}

/// Switches this session to act for organisation `org_id`; the person must be its member.
pub async fn act_for(db: &Db, actor: &Actor, session_secret: &str, org_id: &str) -> Result<()> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let me = load(&mut tx, id).await?;
    let org = store::membership(&mut tx, org_id, id)
        .await?
        .ok_or_else(|| {
            Problem::new(
                403,
                "organisation.not_member",
                "Вы не состоите в этой организации",
            )
            .with_detail("Действовать от имени организации могут только её сотрудники.")
        })?;
    let acting_for = format!("{ORG_PREFIX}{org_id}");
    if !auth::set_acting_for(&mut tx, session_secret, Some(&acting_for)).await? {
        return Err(Problem::unauthenticated().into());
    }
    let mut subject_actor = me.actor();
    subject_actor.on_behalf_of = Some(Principal {
        id: acting_for,
        name: org.short_name.clone(),
    });
    audit::append(
        &mut tx,
        audit::Entry {
            actor: &subject_actor,
            action: "identity.organisation.acting_started",
            subject_type: "organisation",
            subject_id: org_id,
            details: serde_json::json!({ "organisation": org.short_name, "role": org.role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The organisation this session acts for and the person's role in it, checked now.
pub async fn acting(db: &Db, actor: &Actor) -> Result<ActingOrganisation> {
    let id = own_account(actor)?;
    let Some(org_id) = acting_org_id(actor) else {
        return Err(Problem::new(
            403,
            "organisation.not_acting",
            "Вы действуете не от имени организации",
        )
        .with_detail(
            "Выберите организацию в личном кабинете, раздел «Организации», и действуйте от её имени.",
        )
        .into());
    };
    let mut c = db.read().await?;
    let org = store::membership(&mut c, org_id, id)
        .await?
        .ok_or_else(|| {
            let name = actor
                .on_behalf_of
                .as_ref()
                .map_or("организации", |p| p.name.as_str());
            Problem::new(
                403,
                "organisation.not_member",
                "Вы больше не состоите в организации",
            )
            .with_detail(format!(
                "Действовать от имени «{name}» больше нельзя. Вернитесь к своей учётной записи."
            ))
        })?;
    let role = org.role();
    Ok(ActingOrganisation {
        organisation_id: org.id,
        short_name: org.short_name,
        role,
        role_title: role.title(),
    })
}

/// For every use case done for an organisation: the session must act for an organisation the
/// person is still a member of, with one of the `allowed` roles (checked now, so a removal or a
/// change of role takes effect at once). Gives the organisation's id.
pub async fn require_org_role(db: &Db, actor: &Actor, allowed: &[OrgRole]) -> Result<String> {
    let a = acting(db, actor).await?;
    if allowed.contains(&a.role) {
        return Ok(a.organisation_id);
    }
    let needed = allowed
        .iter()
        .map(|r| format!("«{}»", r.title()))
        .collect::<Vec<_>>()
        .join(", ");
    Err(Problem::new(
        403,
        "organisation.role_forbidden",
        "Ваша роль в организации этого не позволяет",
    )
    .with_detail(format!(
        "В «{}» у вас роль «{}»; нужна одна из: {needed}.",
        a.short_name, a.role_title
    ))
    .into())
}

/// [`require_org_role`] with the roles that may act in `topic` ([`OrgRole::for_topic`]).
pub async fn require_org_topic(db: &Db, actor: &Actor, topic: Topic) -> Result<String> {
    require_org_role(db, actor, OrgRole::for_topic(topic)).await
}
