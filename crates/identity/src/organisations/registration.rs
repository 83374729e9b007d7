//! Registering an organisation: its head is the person who registers it.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pii::Secrets;

use crate::model::Level;
use crate::privacy::{notify_person, Topic};
use crate::store::{self, load, AccountRow, NewOrganisationRow};

use super::model::{validate, Checked, NewOrganisation, OrgKind, OrgRole, OrganisationView};
use super::own_person;

/// A person with a confirmed account registers an organisation and becomes its head. A sole
/// proprietor is registered only by the person themselves: the ИНН must be the one in their profile.
/// The same ОГРН (ОГРНИП) cannot be registered twice.
pub async fn create(
    db: &Db,
    secrets: &Secrets,
    actor: &Actor,
    o: NewOrganisation,
) -> Result<OrganisationView> {
    let id = own_person(actor)?.to_string();
    let c = validate(&o).map_err(|e| Error::from(Problem::invalid_fields(e)))?;
    let mut tx = db.begin().await?;
    let me = may_register(&mut tx, secrets, &id, &c).await?;
    let org_id = new_id();
    let now = now_ms();
    let (inn_clear, inn_enc) = match c.kind {
        OrgKind::LegalEntity => (Some(c.inn.clone()), None),
        OrgKind::SoleProprietor => (None, Some(secrets.encrypt(&c.inn))),
    };
    let row = NewOrganisationRow {
        id: &org_id,
        kind: c.kind.as_str(),
        ogrn: &c.ogrn,
        inn: inn_clear.as_deref(),
        inn_enc: inn_enc.as_deref(),
        kpp: c.kpp.as_deref(),
        full_name: &c.full_name,
        short_name: &c.short_name,
        created_by: &id,
        now,
    };
    if !store::insert_organisation(&mut tx, &row).await? {
        return Err(Problem::new(409, "organisation.taken", "Организация уже зарегистрирована")
            .with_field(
                "ogrn",
                "organisation.taken",
                format!(
                    "Организация с таким {} уже зарегистрирована на платформе. Попросите её руководителя добавить вас.",
                    c.kind.number_name()
                ),
            )
            .into());
    }
    store::insert_member(&mut tx, &org_id, &id, OrgRole::Head.as_str(), &id, now).await?;
    record_created(&mut tx, actor, &me, &org_id, &c).await?;
    tx.commit().await?;
    Ok(OrganisationView {
        id: org_id,
        kind: c.kind,
        kind_title: c.kind.title(),
        ogrn: c.ogrn,
        inn: c.inn,
        kpp: c.kpp,
        full_name: c.full_name,
        short_name: c.short_name,
        role: OrgRole::Head,
        role_title: OrgRole::Head.title(),
        acting: false,
    })
}

/// Only a person with a confirmed account registers an organisation, and a sole proprietor only
/// with the ИНН of their own profile. Gives the person's account.
async fn may_register(tx: &mut Tx, secrets: &Secrets, id: &str, c: &Checked) -> Result<AccountRow> {
    let me = load(tx, id).await?;
    if me.level() < Level::Confirmed {
        return Err(Problem::new(403, "organisation.level_required", "Нужна подтверждённая учётная запись")
            .with_detail("Зарегистрировать организацию можно с подтверждённой учётной записью. Подтвердите личность в центре обслуживания.")
            .into());
    }
    if c.kind == OrgKind::SoleProprietor {
        let held = store::inn_index(tx, id).await?;
        match held {
            None => {
                return Err(Problem::invalid_field(
                    "inn",
                    "organisation.profile_inn_missing",
                    "В вашем профиле нет ИНН. Индивидуального предпринимателя можно зарегистрировать только на себя: добавьте ИНН в профиль в центре обслуживания.",
                )
                .into())
            }
            Some(h) if h != secrets.index("inn", &c.inn) => {
                return Err(Problem::invalid_field(
                    "inn",
                    "organisation.inn_not_yours",
                    "ИНН индивидуального предпринимателя должен совпадать с ИНН в вашем профиле: зарегистрировать ИП можно только на себя.",
                )
                .into())
            }
            Some(_) => {}
        }
    }
    Ok(me)
}

/// The registration's audit record, and the new head told.
async fn record_created(
    tx: &mut Tx,
    actor: &Actor,
    me: &AccountRow,
    org_id: &str,
    c: &Checked,
) -> Result<()> {
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "identity.organisation.created",
            subject_type: "organisation",
            subject_id: org_id,
            details: serde_json::json!({
                "kind": c.kind.as_str(), "ogrn": c.ogrn, "short_name": c.short_name,
                "head": me.display_name, "head_id": me.id,
            }),
        },
    )
    .await?;
    notify_person(
        tx,
        me,
        Topic::Security,
        "Организация зарегистрирована",
        &format!(
            "«{}» зарегистрирована на платформе, вы — её руководитель. Действовать от имени организации и добавлять сотрудников можно в личном кабинете, раздел «Организации».",
            c.short_name
        ),
    )
    .await
}
