//! Trusted representatives: a person with a confirmed account grants another person a power of
//! attorney (доверенность) for some topics until a date, and can revoke it; the representative
//! switches a session to act on the principal's behalf, and the audit journal shows both names.
//! Every later part calls [`require_scope`] before acting for a principal.

use okno_kernel::actor::{Actor, Principal};
use okno_kernel::audit;
use okno_kernel::auth;
use okno_kernel::clock::Date;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Problem, Result};
use okno_kernel::pii::Secrets;
use okno_rules::Snils;
use serde::{Deserialize, Serialize};

use crate::model::own_account;
use crate::model::Level;
use crate::privacy::{notify_person, Topic};
use crate::store::{self, load, AccountRow, NewPower, PowerRow};

/// The longest term the platform accepts. The Civil Code sets none (ГК РФ ст. 186: without a term a
/// power of attorney lasts a year); five years is this platform's limit.
const MAX_YEARS: i16 = 5;

/// What a principal fills in.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The representative's СНИЛС (their account must hold it in a checked profile).
    pub representative_snils: String,
    /// What the representative may do: `applications`, `appeals`, `payments`, `appointments`.
    pub scope: Vec<Topic>,
    /// The last day it is valid, `YYYY-MM-DD`.
    pub valid_until: String,
}

/// A power of attorney as its principal or representative sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PowerView {
    pub id: String,
    pub principal_id: String,
    pub principal_name: String,
    pub representative_id: String,
    pub representative_name: String,
    pub scope: Vec<Topic>,
    pub valid_until: String,
    pub revoked: bool,
    /// Not revoked and not expired.
    pub active: bool,
}

fn today() -> Date {
    okno_kernel::clock::today_utc()
}

/// `YYYY-MM-DD`.
fn date_text(d: Date) -> String {
    d.to_string()
}

impl PowerRow {
    fn scope(&self) -> Vec<Topic> {
        self.scope.split(',').filter_map(Topic::parse).collect()
    }

    fn active(&self, today: &str) -> bool {
        self.revoked_at.is_none() && self.valid_until.as_str() >= today
    }

    fn view(self, today: &str) -> PowerView {
        PowerView {
            active: self.active(today),
            scope: self.scope(),
            id: self.id,
            principal_id: self.principal_id,
            principal_name: self.principal_name,
            representative_id: self.representative_id,
            representative_name: self.representative_name,
            valid_until: self.valid_until,
            revoked: self.revoked_at.is_some(),
        }
    }
}

/// A principal grants a power of attorney. The principal's account must be «подтверждённая» and the
/// representative's at least «стандартная» (their СНИЛС checked in the registries).
pub async fn grant(db: &Db, secrets: &Secrets, actor: &Actor, g: Grant) -> Result<PowerView> {
    let id = own_account(actor)?.to_string();
    no_delegation(actor)?;
    let (snils, scope, until) = checked_grant(&g)?;
    let mut tx = db.begin().await?;
    let (principal, representative) = parties(&mut tx, secrets, &id, &snils).await?;
    let power_id = new_id();
    let scope_text = scope
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",");
    store::insert_power(
        &mut tx,
        &NewPower {
            id: &power_id,
            principal_id: &principal.id,
            representative_id: &representative.id,
            scope: &scope_text,
            valid_until: &date_text(until),
            created_at: now_ms(),
        },
    )
    .await?;
    let power = PowerView {
        id: power_id,
        principal_id: principal.id.clone(),
        principal_name: principal.display_name.clone(),
        representative_id: representative.id.clone(),
        representative_name: representative.display_name.clone(),
        scope,
        valid_until: date_text(until),
        revoked: false,
        active: true,
    };
    record_grant(&mut tx, actor, &power, &representative).await?;
    tx.commit().await?;
    Ok(power)
}

/// Only the principal grants: not a representative acting for them (no delegation), nor a person
/// acting for an organisation.
fn no_delegation(actor: &Actor) -> Result<()> {
    let Some(p) = &actor.on_behalf_of else {
        return Ok(());
    };
    let detail = if p.id.starts_with(crate::organisations::ORG_PREFIX) {
        "Доверенность от себя выдают, действуя за себя: переключитесь с организации на свою учётную запись."
    } else {
        "Доверенность выдаёт только сам доверитель, не его представитель."
    };
    Err(Problem::new(
        403,
        "representation.no_delegation",
        "Передоверие недоступно",
    )
    .with_detail(detail)
    .into())
}

/// The form checked field by field, every problem at once: the representative's СНИЛС, the
/// topics (never security) and the term.
fn checked_grant(g: &Grant) -> Result<(Snils, Vec<Topic>, Date)> {
    let mut errors = Vec::new();
    let snils = Snils::parse(&g.representative_snils)
        .map_err(|e| {
            errors.push(crate::model::field(
                "representative_snils",
                e.code(),
                e.to_string(),
            ))
        })
        .ok();
    let scope: Vec<Topic> = g
        .scope
        .iter()
        .copied()
        .filter(|t| *t != Topic::Security)
        .collect();
    if scope.is_empty() {
        errors.push(crate::model::field(
            "scope",
            "representation.scope_empty",
            "Отметьте, что представитель может делать от вашего имени.",
        ));
    }
    let until = valid_until(&g.valid_until, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::invalid_fields(errors).into());
    }
    let (Some(snils), Some(until)) = (snils, until) else {
        return Err(Problem::invalid_field(
            "representative_snils",
            "representation.invalid",
            "Проверьте данные.",
        )
        .into());
    };
    Ok((snils, scope, until))
}

/// The last day of the power: not past, at most [`MAX_YEARS`] ahead; a problem is added to
/// `errors`.
fn valid_until(text: &str, errors: &mut Vec<okno_kernel::error::FieldError>) -> Option<Date> {
    let today = today();
    let until = okno_kernel::clock::parse_date(text.trim()).ok_or(());
    match until {
        Ok(d) if d < today => errors.push(crate::model::field(
            "valid_until",
            "representation.expired",
            "Срок действия уже прошёл.",
        )),
        Ok(d) if d.year() > today.year() + MAX_YEARS => errors.push(crate::model::field(
            "valid_until",
            "representation.too_long",
            format!("Доверенность на платформе выдаётся не более чем на {MAX_YEARS} лет."),
        )),
        Ok(_) => {}
        Err(_) => errors.push(crate::model::field(
            "valid_until",
            "representation.date_invalid",
            "Укажите дату в формате ГГГГ-ММ-ДД.",
        )),
    }
    until.ok()
}

/// The principal (a confirmed account) and the representative (at least «стандартная», found by
/// СНИЛС, not the principal), read in the grant's transaction.
async fn parties(
    tx: &mut Tx,
    secrets: &Secrets,
    id: &str,
    snils: &Snils,
) -> Result<(AccountRow, AccountRow)> {
    let principal = load(tx, id).await?;
    if principal.level() < Level::Confirmed {
        return Err(Problem::new(403, "representation.level_required", "Нужна подтверждённая учётная запись")
            .with_detail("Выдать доверенность можно с подтверждённой учётной записью. Подтвердите личность в центре обслуживания.")
            .into());
    }
    let representative = store::account_by_snils(tx, &secrets.index("snils", snils.as_str()))
        .await?
        .filter(|r| r.level() >= Level::Standard)
        .ok_or_else(|| {
            Problem::invalid_field(
                "representative_snils",
                "representation.representative_unknown",
                "Человек с таким СНИЛС не найден среди стандартных и подтверждённых учётных записей. Попросите его заполнить профиль.",
            )
        })?;
    if representative.id == principal.id {
        return Err(Problem::invalid_field(
            "representative_snils",
            "representation.self",
            "Нельзя выдать доверенность самому себе.",
        )
        .into());
    }
    Ok((principal, representative))
}

/// The grant's audit record, and the representative told.
async fn record_grant(
    tx: &mut Tx,
    actor: &Actor,
    p: &PowerView,
    representative: &AccountRow,
) -> Result<()> {
    let scope_text = p
        .scope
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",");
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "identity.power_of_attorney.granted",
            subject_type: "power_of_attorney",
            subject_id: &p.id,
            details: serde_json::json!({
                "principal": p.principal_name, "representative": p.representative_name,
                "representative_id": p.representative_id, "scope": scope_text, "valid_until": p.valid_until,
            }),
        },
    )
    .await?;
    let what = p
        .scope
        .iter()
        .map(|t| t.title())
        .collect::<Vec<_>>()
        .join("; ");
    notify_person(
        tx,
        representative,
        Topic::Security,
        "Вам выдана доверенность",
        &format!(
            "{} выдал(а) вам доверенность до {}: {what}. Действовать от имени доверителя можно в личном кабинете, раздел «Доверенности».",
            p.principal_name, p.valid_until
        ),
    )
    .await
}

/// Powers of attorney the person granted and received, newest first.
pub async fn list(db: &Db, actor: &Actor) -> Result<(Vec<PowerView>, Vec<PowerView>)> {
    let id = own_account(actor)?;
    let today = date_text(today());
    let mut c = db.read().await?;
    let granted = store::powers_granted_by(&mut c, id).await?;
    let received = store::powers_received_by(&mut c, id).await?;
    Ok((
        granted.into_iter().map(|p| p.view(&today)).collect(),
        received.into_iter().map(|p| p.view(&today)).collect(),
    ))
}

/// Ends a power of attorney: the principal revokes it, or the representative renounces it. Any
/// session acting under it stops at its next request.
pub async fn revoke(db: &Db, actor: &Actor, power_id: &str) -> Result<()> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let p = store::power(&mut tx, power_id)
        .await?
        .filter(|p| p.principal_id == id || p.representative_id == id)
        .ok_or_else(|| Problem::not_found("Доверенность не найдена."))?;
    if p.revoked_at.is_some() {
        return Err(Problem::conflict(
            "representation.already_revoked",
            "Доверенность уже отозвана.",
        )
        .into());
    }
    store::revoke_power(&mut tx, now_ms(), power_id).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.power_of_attorney.revoked",
            subject_type: "power_of_attorney",
            subject_id: power_id,
            details: serde_json::json!({
                "principal": p.principal_name, "representative": p.representative_name,
                "by": if p.principal_id == id { "principal" } else { "representative" },
            }),
        },
    )
    .await?;
    let other = if p.principal_id == id {
        &p.representative_id
    } else {
        &p.principal_id
    };
    let other = load(&mut tx, other).await?;
    notify_person(
        &mut tx,
        &other,
        Topic::Security,
        "Доверенность отозвана",
        &format!(
            "Доверенность от {} на имя {} больше не действует.",
            p.principal_name, p.representative_name
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const PRINCIPAL_PREFIX: &str = "account:";

/// A live power of attorney from `principal_id` to `representative_id`, if any.
async fn live(
    c: &mut impl okno_kernel::db::AsConn,
    principal_id: &str,
    representative_id: &str,
) -> Result<Option<PowerRow>> {
    let today = date_text(today());
    let rows = store::live_powers(c, principal_id, representative_id, &today).await?;
    // Several may be live: their scopes add up.
    let mut rows = rows.into_iter();
    let Some(mut first) = rows.next() else {
        return Ok(None);
    };
    for r in rows {
        first.scope = format!("{},{}", first.scope, r.scope);
    }
    Ok(Some(first))
}

/// Switches this session to act for `principal_id` under a live power of attorney, or back to
/// the person themselves with `None`.
pub async fn act_as(
    db: &Db,
    actor: &Actor,
    session_secret: &str,
    principal_id: Option<&str>,
) -> Result<()> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let me = load(&mut tx, id).await?;
    let target = match principal_id {
        Some(pid) => {
            let p = live(&mut tx, pid, id).await?.ok_or_else(|| {
                Problem::new(403, "representation.none", "Нет действующей доверенности")
                    .with_detail("Доверенность от этого человека не выдана, отозвана или истекла.")
            })?;
            Some(p)
        }
        None => None,
    };
    let acting_for = target
        .as_ref()
        .map(|p| format!("{PRINCIPAL_PREFIX}{}", p.principal_id));
    if !auth::set_acting_for(&mut tx, session_secret, acting_for.as_deref()).await? {
        return Err(Problem::unauthenticated().into());
    }
    let mut subject_actor = me.actor();
    if let Some(p) = &target {
        subject_actor.on_behalf_of = Some(Principal {
            id: p.principal_id.clone(),
            name: p.principal_name.clone(),
        });
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor: &subject_actor,
            action: if target.is_some() {
                "identity.representation.started"
            } else {
                "identity.representation.ended"
            },
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "principal_id": target.as_ref().map(|p| p.principal_id.clone()) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The actor of an account session: the person, acting on the principal's behalf while the session
/// says so. The principal stays named even when the power of attorney has ended since, so nothing
/// done in this session silently lands in the representative's own name: [`require_scope`] then
/// refuses every action until the person switches back. A session acting for an organisation
/// (`org:…`, see [`crate::organisations`]) names the organisation the same way. The flag says the
/// account must set a new password before anything else.
pub async fn session_actor(
    db: &Db,
    account_id: &str,
    acting_for: Option<&str>,
) -> Result<Option<(Actor, bool)>> {
    let Some((mut actor, password_change_pending)) =
        crate::sessions::session_account(db, account_id).await?
    else {
        return Ok(None);
    };
    if let Some(pid) = acting_for.and_then(|a| a.strip_prefix(PRINCIPAL_PREFIX)) {
        let mut c = db.read().await?;
        let name = store::account(&mut c, pid).await?.map_or_else(
            || "удалённая учётная запись".to_string(),
            |a| a.display_name,
        );
        actor.on_behalf_of = Some(Principal {
            id: pid.to_string(),
            name,
        });
    } else if let Some(oid) =
        acting_for.and_then(|a| a.strip_prefix(crate::organisations::ORG_PREFIX))
    {
        // An organisation stays named even after the person left it, for the same reason:
        // `organisations::require_org_role` then refuses until the person switches back.
        actor.on_behalf_of = Some(crate::organisations::session_principal(db, oid).await?);
    }
    Ok(Some((actor, password_change_pending)))
}

/// For every use case done for a person: when the actor acts on a principal's behalf, a live power
/// of attorney must cover `topic` (checked now, so a revocation takes effect at once).
pub async fn require_scope(db: &Db, actor: &Actor, topic: Topic) -> Result<()> {
    let Some(principal) = &actor.on_behalf_of else {
        return Ok(());
    };
    if principal.id.starts_with(crate::organisations::ORG_PREFIX) {
        return Err(Problem::new(403, "representation.acting_for_organisation", "Вы действуете от имени организации")
            .with_detail(format!(
                "Сейчас вы действуете от имени организации {}. Чтобы действовать за себя или за доверителя, переключитесь в личном кабинете.",
                principal.name
            ))
            .into());
    }
    let id = own_account(actor)?;
    let mut c = db.read().await?;
    let covered = live(&mut c, &principal.id, id)
        .await?
        .is_some_and(|p| p.scope().contains(&topic));
    if covered {
        Ok(())
    } else {
        Err(Problem::new(
            403,
            "representation.out_of_scope",
            "Доверенность этого не позволяет",
        )
        .with_detail(format!(
            "Доверенность от {} не распространяется на раздел «{}» или больше не действует.",
            principal.name,
            topic.title()
        ))
        .into())
    }
}

/// Switches this session back to the person themselves. When it acts for an organisation, the
/// journal records `identity.organisation.acting_ended` naming it; otherwise this is
/// [`act_as`] with `None`.
pub async fn act_for_self(db: &Db, actor: &Actor, session_secret: &str) -> Result<()> {
    let Some(org_id) = crate::organisations::acting_org_id(actor) else {
        return act_as(db, actor, session_secret, None).await;
    };
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    load(&mut tx, id).await?;
    if !auth::set_acting_for(&mut tx, session_secret, None).await? {
        return Err(Problem::unauthenticated().into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.organisation.acting_ended",
            subject_type: "organisation",
            subject_id: org_id,
            details: serde_json::json!({ "account_id": id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
