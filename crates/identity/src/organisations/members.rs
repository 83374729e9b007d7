//! An organisation's members: listing them, and a head adding one, changing a role or removing
//! one (a member may leave). The last head stays.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::{now_ms, rfc3339};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pii::Secrets;
use okno_rules::Snils;

use crate::model::{own_account, Level};
use crate::privacy::{notify_person, Topic};
use crate::store::{self, load, MemberRow, MembershipRow};

use super::model::{MemberView, NewMember, OrgRole, OrganisationDetails, OrganisationView};
use super::{acting_org_id, own_person};

/// The organisations the signed-in person is a member of, with their role, oldest first.
pub async fn list(db: &Db, secrets: &Secrets, actor: &Actor) -> Result<Vec<OrganisationView>> {
    let id = own_account(actor)?;
    let mut c = db.read().await?;
    let rows = store::memberships_of(&mut c, id).await?;
    let acting = acting_org_id(actor);
    rows.into_iter().map(|r| r.view(secrets, acting)).collect()
}

fn not_found() -> Error {
    Problem::not_found("Организация не найдена среди ваших.").into()
}

/// An organisation with its members; only members see it (others get 404).
pub async fn details(
    db: &Db,
    secrets: &Secrets,
    actor: &Actor,
    org_id: &str,
) -> Result<OrganisationDetails> {
    let id = own_account(actor)?;
    let mut c = db.read().await?;
    let org = store::membership(&mut c, org_id, id)
        .await?
        .ok_or_else(not_found)?;
    let members = store::members_of(&mut c, org_id).await?;
    Ok(OrganisationDetails {
        organisation: org.view(secrets, acting_org_id(actor))?,
        members: members.into_iter().map(MemberRow::view).collect(),
    })
}

/// Starts a change of an organisation's members: bumps `updated_at`, which on PostgreSQL also
/// locks the organisation's row until the transaction ends (SQLite's writer is exclusive anyway),
/// so two heads cannot demote each other at once and leave no head. Then checks that `account_id`
/// is a member (404 otherwise) and gives the organisation with their role.
async fn begin_change(tx: &mut Tx, org_id: &str, account_id: &str) -> Result<MembershipRow> {
    store::touch_organisation(tx, now_ms(), org_id).await?;
    store::membership(tx, org_id, account_id)
        .await?
        .ok_or_else(not_found)
}

fn head_required(org: &MembershipRow) -> Error {
    Problem::new(403, "organisation.head_required", "Нужна роль руководителя")
        .with_detail(format!(
            "Сотрудников «{}» добавляет и меняет руководитель организации.",
            org.short_name
        ))
        .into()
}

fn last_head() -> Error {
    Problem::conflict(
        "organisation.last_head",
        "В организации должен остаться хотя бы один руководитель. Сначала назначьте руководителем другого сотрудника.",
    )
    .into()
}

async fn member_of(tx: &mut Tx, org_id: &str, account_id: &str) -> Result<MemberRow> {
    store::member(tx, org_id, account_id).await?.ok_or_else(|| {
        Problem::new(404, "organisation.member_not_found", "Сотрудник не найден")
            .with_detail("Этот человек не состоит в организации.")
            .into()
    })
}

/// A head adds a member by their СНИЛС: someone whose account is at least «стандартная», with that
/// СНИЛС in a checked profile. The member is told.
pub async fn add_member(
    db: &Db,
    secrets: &Secrets,
    actor: &Actor,
    org_id: &str,
    m: NewMember,
) -> Result<MemberView> {
    let id = own_person(actor)?.to_string();
    let snils = Snils::parse(&m.snils)
        .map_err(|e| Problem::invalid_field("snils", e.code(), e.to_string()))?;
    let mut tx = db.begin().await?;
    let org = begin_change(&mut tx, org_id, &id).await?;
    if org.role() != OrgRole::Head {
        return Err(head_required(&org));
    }
    let member = store::account_by_snils(&mut tx, &secrets.index("snils", snils.as_str()))
        .await?
        .filter(|r| r.level() >= Level::Standard)
    .ok_or_else(|| {
        Problem::invalid_field(
            "snils",
            "organisation.member_unknown",
            "Человек с таким СНИЛС не найден среди стандартных и подтверждённых учётных записей. Попросите его заполнить профиль.",
        )
    })?;
    if store::membership(&mut tx, org_id, &member.id)
        .await?
        .is_some()
    {
        return Err(Problem::conflict(
            "organisation.already_member",
            "Этот человек уже состоит в организации.",
        )
        .into());
    }
    let now = now_ms();
    store::insert_member(&mut tx, org_id, &member.id, m.role.as_str(), &id, now).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.organisation.member_added",
            subject_type: "organisation",
            subject_id: org_id,
            details: serde_json::json!({
                "organisation": org.short_name, "member": member.display_name,
                "member_id": member.id, "role": m.role.as_str(),
            }),
        },
    )
    .await?;
    notify_person(
        &mut tx,
        &member,
        Topic::Security,
        "Вас добавили в организацию",
        &format!(
            "{} добавил(а) вас в «{}» с ролью «{}». Действовать от имени организации можно в личном кабинете, раздел «Организации».",
            actor.name,
            org.short_name,
            m.role.title()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(MemberView {
        account_id: member.id,
        name: member.display_name,
        role: m.role,
        role_title: m.role.title(),
        added_at: rfc3339(now),
    })
}

/// A head changes a member's role (their own too). The last head cannot step down.
pub async fn set_role(
    db: &Db,
    actor: &Actor,
    org_id: &str,
    account_id: &str,
    role: OrgRole,
) -> Result<()> {
    let id = own_person(actor)?.to_string();
    let mut tx = db.begin().await?;
    let org = begin_change(&mut tx, org_id, &id).await?;
    if org.role() != OrgRole::Head {
        return Err(head_required(&org));
    }
    let target = member_of(&mut tx, org_id, account_id).await?;
    let from = OrgRole::parse(&target.role).unwrap_or(OrgRole::Accountant);
    if from == role {
        return Ok(());
    }
    if from == OrgRole::Head && store::heads(&mut tx, org_id).await? <= 1 {
        return Err(last_head());
    }
    store::set_member_role(&mut tx, role.as_str(), org_id, account_id).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.organisation.role_changed",
            subject_type: "organisation",
            subject_id: org_id,
            details: serde_json::json!({
                "organisation": org.short_name, "member": target.name, "member_id": account_id,
                "from": from.as_str(), "to": role.as_str(),
            }),
        },
    )
    .await?;
    let person = load(&mut tx, account_id).await?;
    notify_person(
        &mut tx,
        &person,
        Topic::Security,
        "Ваша роль в организации изменена",
        &format!(
            "{} изменил(а) вашу роль в «{}»: теперь «{}».",
            actor.name,
            org.short_name,
            role.title()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A head removes a member, or a member leaves. The last head cannot be removed. A session of the
/// removed member acting for the organisation may do nothing more in its name.
pub async fn remove_member(db: &Db, actor: &Actor, org_id: &str, account_id: &str) -> Result<()> {
    let id = own_person(actor)?.to_string();
    let leaving = account_id == id;
    let mut tx = db.begin().await?;
    let org = begin_change(&mut tx, org_id, &id).await?;
    if !leaving && org.role() != OrgRole::Head {
        return Err(head_required(&org));
    }
    let target = member_of(&mut tx, org_id, account_id).await?;
    if target.role == OrgRole::Head.as_str() && store::heads(&mut tx, org_id).await? <= 1 {
        return Err(last_head());
    }
    store::delete_member(&mut tx, org_id, account_id).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.organisation.member_removed",
            subject_type: "organisation",
            subject_id: org_id,
            details: serde_json::json!({
                "organisation": org.short_name, "member": target.name, "member_id": account_id,
                "role": target.role, "by": if leaving { "member" } else { "head" },
            }),
        },
    )
    .await?;
    let person = load(&mut tx, account_id).await?;
    let text = if leaving {
        format!("Вы вышли из «{}».", org.short_name)
    } else {
        format!(
            "{} исключил(а) вас из «{}». Действовать от имени организации вы больше не можете.",
            actor.name, org.short_name
        )
    };
    notify_person(
        &mut tx,
        &person,
        Topic::Security,
        "Вы больше не состоите в организации",
        &text,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
