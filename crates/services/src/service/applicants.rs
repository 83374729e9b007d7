//! Who applies: the person or the organisation an actor applies for, and whether their level
//! of identity is enough for the service.

use okno_identity::privacy::Topic;
use okno_kernel::actor::{Actor, ActorKind};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Problem, Result};

use crate::model::ApplicantKind;

use super::catalogue::ServiceView;

/// The applicant of a new application, resolved from the actor.
pub(super) struct Applicant {
    pub(super) kind: ApplicantKind,
    pub(super) id: String,
    pub(super) name: String,
    pub(super) filer: String,
    pub(super) notify: String,
}

pub(super) fn own_account(actor: &Actor) -> Result<&str> {
    match (actor.kind, actor.id.as_deref()) {
        (ActorKind::Account, Some(id)) => Ok(id),
        (ActorKind::Anonymous, _) => Err(Problem::unauthenticated().into()),
        _ => Err(Problem::new(403, "application.person_only", "Только для граждан")
            .with_detail(
                "Подать заявление может только человек, вошедший в личный кабинет (за себя, по доверенности или от имени организации).",
            )
            .into()),
    }
}

/// Who applies: the person, their principal under a power of attorney (in scope), or the
/// organisation the session acts for (with a role that may file applications).
pub(super) async fn applicant(db: &Db, actor: &Actor) -> Result<Applicant> {
    let me = own_account(actor)?.to_string();
    match &actor.on_behalf_of {
        None => Ok(Applicant {
            kind: ApplicantKind::Person,
            id: me.clone(),
            name: actor.name.clone(),
            filer: me.clone(),
            notify: me,
        }),
        Some(p) if p.id.starts_with(okno_identity::organisations::ORG_PREFIX) => {
            let org =
                okno_identity::organisations::require_org_topic(db, actor, Topic::Applications)
                    .await?;
            let mut c = db.read().await?;
            let kind = okno_identity::store::organisation_kind(&mut c, &org)
                .await?
                .and_then(|k| ApplicantKind::parse(&k))
                .ok_or_else(|| Error::internal("organisation of unknown kind"))?;
            Ok(Applicant {
                kind,
                id: p.id.clone(),
                name: p.name.clone(),
                filer: me.clone(),
                notify: me,
            })
        }
        Some(p) => {
            okno_identity::representation::require_scope(db, actor, Topic::Applications).await?;
            Ok(Applicant {
                kind: ApplicantKind::Person,
                id: p.id.clone(),
                name: p.name.clone(),
                filer: me,
                notify: p.id.clone(),
            })
        }
    }
}

pub(super) fn level_rank(level: &str) -> u8 {
    match level {
        "simplified" => 1,
        "standard" => 2,
        "confirmed" => 3,
        _ => 0,
    }
}

fn level_title(level: &str) -> &'static str {
    match level {
        "simplified" => "упрощённая",
        "standard" => "стандартная",
        "confirmed" => "подтверждённая",
        _ => "не завершена",
    }
}

/// The signing person's account must have the level the service needs, and the applicant must be
/// of a kind the service admits.
pub(super) async fn may_apply(
    db: &Db,
    actor: &Actor,
    s: &ServiceView,
    who: &Applicant,
) -> Result<()> {
    may_apply_as(db, own_account(actor)?, s, who).await
}

/// As [`may_apply`], with the level of the account `level_of` (the person at a desk).
pub(super) async fn may_apply_as(
    db: &Db,
    level_of: &str,
    s: &ServiceView,
    who: &Applicant,
) -> Result<()> {
    if !s.applicants.contains(&who.kind) {
        let allowed = s
            .applicants
            .iter()
            .map(|a| a.title())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Problem::new(
            403,
            "application.applicant_kind",
            "Заявитель этого вида не может подать заявление",
        )
        .with_detail(format!(
            "Эту услугу получает {allowed}; вы подаёте заявление как {}.",
            who.kind.title()
        ))
        .into());
    }
    let mut c = db.read().await?;
    let level = okno_identity::store::account_level(&mut c, level_of)
        .await?
        .unwrap_or_default();
    if level_rank(&level) < level_rank(&s.level_required) {
        return Err(Problem::new(403, "application.level_too_low", "Нужен более высокий уровень учётной записи")
            .with_detail(format!(
                "Для этой услуги нужна {} учётная запись, у вас — {}. Повысьте уровень в личном кабинете.",
                level_title(&s.level_required),
                level_title(&level)
            ))
            .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered() {
        assert!(level_rank("confirmed") > level_rank("standard"));
        assert!(level_rank("standard") > level_rank("simplified"));
        assert!(level_rank("simplified") > level_rank("registered"));
    }
}
