//! Organisation accounts: a legal entity (ЮЛ) or a sole proprietor (ИП) registered on the platform
//! by a person with a confirmed account, who becomes its head; members with roles (head, employee,
//! accountant) added by their СНИЛС; and a session switched to act for the organisation, with both
//! names in the audit journal. Every later part that acts for an organisation calls
//! [`require_org_role`] (or [`require_org_topic`]) at every use, so a removal takes effect at once.
//!
//! While a session acts for an organisation, the kernel's `web_sessions.acting_for` holds
//! `org:<organisation id>` and the actor's `on_behalf_of` is `Principal { id: "org:<organisation
//! id>", name: <short name> }`. The `org:` prefix is kept in the principal's id on purpose: the
//! audit journal's `on_behalf_of_id` then tells an organisation from a person, and
//! `representation::require_scope` never finds a power of attorney granted by it, so
//! nothing done for an organisation passes a check meant for a person.
//!
//! The JSON API and the page `/account/organisations` are in `organisations_http.rs`.

use okno_kernel::actor::{Actor, Principal};
use okno_kernel::audit;
use okno_kernel::auth;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::pii::Secrets;
use okno_rules::{Inn, InnKind, Kpp, Ogrn, Ogrnip, Snils};
use serde::{Deserialize, Serialize};

use crate::model::Level;
use crate::model::{field, own_account};
use crate::privacy::{notify_person, Topic};
use crate::store::{self, load, AccountRow, MemberRow, MembershipRow, NewOrganisationRow};

/// The prefix of an organisation in `web_sessions.acting_for` and in the principal's id.
pub const ORG_PREFIX: &str = "org:";

/// The longest full name accepted (ЕГРЮЛ holds long names; 1000 characters is plenty).
const FULL_NAME_MAX: usize = 1000;
/// The longest short name accepted.
const SHORT_NAME_MAX: usize = 200;

/// What kind of organisation it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// Юридическое лицо: ОГРН of 13 digits, ИНН of 10 digits, КПП.
    LegalEntity,
    /// Индивидуальный предприниматель: ОГРНИП of 15 digits, the person's own ИНН of 12 digits,
    /// no КПП.
    SoleProprietor,
}

impl OrgKind {
    pub const ALL: [OrgKind; 2] = [OrgKind::LegalEntity, OrgKind::SoleProprietor];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::LegalEntity => "legal_entity",
            OrgKind::SoleProprietor => "sole_proprietor",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            OrgKind::LegalEntity => "Юридическое лицо",
            OrgKind::SoleProprietor => "Индивидуальный предприниматель",
        }
    }

    /// The name of its state registration number.
    pub fn number_name(self) -> &'static str {
        match self {
            OrgKind::LegalEntity => "ОГРН",
            OrgKind::SoleProprietor => "ОГРНИП",
        }
    }
}

/// What a member may do for the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    /// Руководитель: acts for the organisation in everything and manages its members.
    Head,
    /// Сотрудник: acts for the organisation.
    Employee,
    /// Бухгалтер: acts for the organisation in payments only.
    Accountant,
}

impl OrgRole {
    pub const ALL: [OrgRole; 3] = [OrgRole::Head, OrgRole::Employee, OrgRole::Accountant];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Head => "head",
            OrgRole::Employee => "employee",
            OrgRole::Accountant => "accountant",
        }
    }

    pub fn parse(s: &str) -> Option<OrgRole> {
        OrgRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            OrgRole::Head => "Руководитель",
            OrgRole::Employee => "Сотрудник",
            OrgRole::Accountant => "Бухгалтер",
        }
    }

    /// The roles that may act for an organisation in `topic`: an accountant in payments only.
    pub fn for_topic(topic: Topic) -> &'static [OrgRole] {
        match topic {
            Topic::Payments => &[OrgRole::Head, OrgRole::Employee, OrgRole::Accountant],
            Topic::Security => &[OrgRole::Head],
            Topic::Applications | Topic::Appeals | Topic::Appointments => {
                &[OrgRole::Head, OrgRole::Employee]
            }
        }
    }
}

/// What the person registering an organisation fills in.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub kind: OrgKind,
    /// ОГРН (13 digits) of a legal entity or ОГРНИП (15 digits) of a sole proprietor.
    pub ogrn: String,
    /// 10 digits for a legal entity; for a sole proprietor the person's own 12-digit ИНН.
    pub inn: String,
    /// Required for a legal entity; a sole proprietor has none.
    #[serde(default)]
    pub kpp: Option<String>,
    /// Полное наименование.
    pub full_name: String,
    /// Сокращённое наименование: shown in the page header and the audit journal.
    pub short_name: String,
}

/// An organisation as one of its members sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub kind: OrgKind,
    pub kind_title: &'static str,
    /// ОГРН or ОГРНИП.
    pub ogrn: String,
    pub inn: String,
    pub kpp: Option<String>,
    pub full_name: String,
    pub short_name: String,
    /// The signed-in person's role in it.
    pub role: OrgRole,
    pub role_title: &'static str,
    /// This session acts for it now.
    pub acting: bool,
}

/// A member of an organisation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub account_id: String,
    pub name: String,
    pub role: OrgRole,
    pub role_title: &'static str,
    /// RFC 3339.
    pub added_at: String,
}

/// An organisation with its members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrganisationDetails {
    pub organisation: OrganisationView,
    pub members: Vec<MemberView>,
}

/// A head adds a member.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// The member's СНИЛС (their account must hold it in a checked profile).
    pub snils: String,
    pub role: OrgRole,
}

/// A head changes a member's role.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: OrgRole,
}

/// The organisation this session acts for, and the person's role in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActingOrganisation {
    pub organisation_id: String,
    pub short_name: String,
    pub role: OrgRole,
    pub role_title: &'static str,
}

impl MembershipRow {
    fn role(&self) -> OrgRole {
        // Only this module writes roles; an unknown one grants the least.
        OrgRole::parse(&self.role).unwrap_or(OrgRole::Accountant)
    }

    fn view(self, secrets: &Secrets, acting_for: Option<&str>) -> Result<OrganisationView> {
        let kind = OrgKind::parse(&self.kind).unwrap_or(OrgKind::LegalEntity);
        let role = self.role();
        let inn = clear_inn(secrets, self.inn, self.inn_enc)?;
        Ok(OrganisationView {
            acting: acting_for == Some(self.id.as_str()),
            id: self.id,
            kind,
            kind_title: kind.title(),
            ogrn: self.ogrn,
            inn,
            kpp: self.kpp,
            full_name: self.full_name,
            short_name: self.short_name,
            role,
            role_title: role.title(),
        })
    }
}

impl MemberRow {
    fn view(self) -> MemberView {
        let role = OrgRole::parse(&self.role).unwrap_or(OrgRole::Accountant);
        MemberView {
            account_id: self.account_id,
            name: self.name,
            role,
            role_title: role.title(),
            added_at: rfc3339(self.added_at),
        }
    }
}

/// A legal entity's ИНН is public and kept in clear; a sole proprietor's is the person's own and
/// kept encrypted.
fn clear_inn(secrets: &Secrets, inn: Option<String>, inn_enc: Option<String>) -> Result<String> {
    match (inn, inn_enc) {
        (Some(i), _) => Ok(i),
        (None, Some(e)) => secrets.decrypt(&e).map_err(Error::internal),
        (None, None) => Ok(String::new()),
    }
}

/// The organisation id the actor acts for, if any.
pub(crate) fn acting_org_id(actor: &Actor) -> Option<&str> {
    actor
        .on_behalf_of
        .as_ref()
        .and_then(|p| p.id.strip_prefix(ORG_PREFIX))
}

/// The person's own account id for managing organisations: not while acting for another person
/// under a power of attorney, so nothing done in that session lands in the representative's name.
fn own_person(actor: &Actor) -> Result<&str> {
    let id = own_account(actor)?;
    if actor
        .on_behalf_of
        .as_ref()
        .is_some_and(|p| !p.id.starts_with(ORG_PREFIX))
    {
        return Err(Problem::new(
            403,
            "organisation.acting_for_person",
            "Вы действуете от имени другого человека",
        )
        .with_detail("Организациями управляют от своего имени. Вернитесь к своей учётной записи.")
        .into());
    }
    Ok(id)
}

/// The form checked field by field; every problem is reported at once.
struct Checked {
    kind: OrgKind,
    ogrn: String,
    inn: String,
    kpp: Option<String>,
    full_name: String,
    short_name: String,
}

fn validate(o: &NewOrganisation) -> std::result::Result<Checked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let ogrn = match o.kind {
        OrgKind::LegalEntity => Ogrn::parse(&o.ogrn).map(|v| v.as_str().to_string()),
        OrgKind::SoleProprietor => Ogrnip::parse(&o.ogrn).map(|v| v.as_str().to_string()),
    }
    .map_err(|e| errors.push(field("ogrn", e.code(), e.to_string())))
    .ok();
    let inn = inn_of(o, &mut errors);
    let kpp = kpp_of(o, &mut errors);
    let full_name = o.full_name.trim().to_string();
    let short_name = o.short_name.trim().to_string();
    for (name, value, max, what) in [
        ("full_name", &full_name, FULL_NAME_MAX, "полное"),
        ("short_name", &short_name, SHORT_NAME_MAX, "сокращённое"),
    ] {
        let n = value.chars().count();
        if n == 0 {
            errors.push(field(
                name,
                "organisation.name_required",
                format!("Укажите {what} наименование."),
            ));
        } else if n > max || value.chars().any(char::is_control) {
            errors.push(field(
                name,
                "organisation.name_invalid",
                format!("Наименование — одна строка не длиннее {max} символов."),
            ));
        }
    }
    match (ogrn, inn, errors.is_empty()) {
        (Some(ogrn), Some(inn), true) => Ok(Checked {
            kind: o.kind,
            ogrn,
            inn,
            kpp,
            full_name,
            short_name,
        }),
        _ => Err(errors),
    }
}

/// The ИНН, of the kind the organisation's kind requires (an organisation's 10 digits, a sole
/// proprietor's own 12); a problem is added to `errors`.
fn inn_of(o: &NewOrganisation, errors: &mut Vec<FieldError>) -> Option<String> {
    match (Inn::parse(&o.inn), o.kind) {
        (Ok(i), OrgKind::LegalEntity) if i.kind() == InnKind::LegalEntity => {
            Some(i.as_str().to_string())
        }
        (Ok(i), OrgKind::SoleProprietor) if i.kind() == InnKind::Person => {
            Some(i.as_str().to_string())
        }
        (Ok(_), OrgKind::LegalEntity) => {
            errors.push(field(
                "inn",
                "organisation.inn_kind",
                "У юридического лица ИНН из 10 цифр.",
            ));
            None
        }
        (Ok(_), OrgKind::SoleProprietor) => {
            errors.push(field(
                "inn",
                "organisation.inn_kind",
                "ИНН индивидуального предпринимателя — его личный ИНН из 12 цифр.",
            ));
            None
        }
        (Err(e), _) => {
            errors.push(field("inn", e.code(), e.to_string()));
            None
        }
    }
}

/// The КПП: required of a legal entity, refused of a sole proprietor; a problem is added to
/// `errors`.
fn kpp_of(o: &NewOrganisation, errors: &mut Vec<FieldError>) -> Option<String> {
    let kpp_text = o.kpp.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (o.kind, kpp_text) {
        (OrgKind::LegalEntity, None) => {
            errors.push(field(
                "kpp",
                "organisation.kpp_required",
                "Укажите КПП организации.",
            ));
            None
        }
        (OrgKind::LegalEntity, Some(k)) => Kpp::parse(k)
            .map(|k| k.as_str().to_string())
            .map_err(|e| errors.push(field("kpp", e.code(), e.to_string())))
            .ok(),
        (OrgKind::SoleProprietor, Some(_)) => {
            errors.push(field(
                "kpp",
                "organisation.kpp_not_applicable",
                "У индивидуального предпринимателя нет КПП: оставьте поле пустым.",
            ));
            None
        }
        (OrgKind::SoleProprietor, None) => None,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn legal() -> NewOrganisation {
        NewOrganisation {
            kind: OrgKind::LegalEntity,
            ogrn: "1027700132195".into(),
            inn: "7707083893".into(),
            kpp: Some("773601001".into()),
            full_name: "Публичное акционерное общество «Сбербанк России»".into(),
            short_name: "ПАО Сбербанк".into(),
        }
    }

    fn codes(o: &NewOrganisation) -> Vec<(String, String)> {
        match validate(o) {
            Ok(_) => Vec::new(),
            Err(e) => e.into_iter().map(|e| (e.field, e.code)).collect(),
        }
    }

    #[test]
    fn a_valid_legal_entity_passes() {
        let c = validate(&legal()).unwrap();
        assert_eq!(
            (c.ogrn.as_str(), c.inn.as_str(), c.kpp.as_deref()),
            ("1027700132195", "7707083893", Some("773601001"))
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let o = NewOrganisation {
            ogrn: "1027700132194".into(),
            inn: "7707083894".into(),
            kpp: Some("77360100".into()),
            full_name: " ".into(),
            short_name: String::new(),
            ..legal()
        };
        let got = codes(&o);
        let want = [
            ("ogrn", "ogrn.checksum"),
            ("inn", "inn.checksum"),
            ("kpp", "kpp.format"),
            ("full_name", "organisation.name_required"),
            ("short_name", "organisation.name_required"),
        ];
        assert_eq!(
            got,
            want.map(|(f, c)| (f.to_string(), c.to_string())).to_vec()
        );
    }

    #[test]
    fn a_legal_entity_needs_a_kpp_and_an_organisations_inn() {
        let o = NewOrganisation {
            inn: "776613186006".into(),
            kpp: None,
            ..legal()
        };
        let got = codes(&o);
        assert!(got.contains(&("inn".into(), "organisation.inn_kind".into())));
        assert!(got.contains(&("kpp".into(), "organisation.kpp_required".into())));
    }

    #[test]
    fn a_sole_proprietor_has_an_ogrnip_a_persons_inn_and_no_kpp() {
        let ip = NewOrganisation {
            kind: OrgKind::SoleProprietor,
            ogrn: "304500116000157".into(),
            inn: "776613186006".into(),
            kpp: None,
            full_name: "Индивидуальный предприниматель Смирнова Анна Петровна".into(),
            short_name: "ИП Смирнова А. П.".into(),
        };
        assert!(validate(&ip).is_ok());
        let wrong = NewOrganisation {
            ogrn: "1027700132195".into(),
            inn: "7707083893".into(),
            kpp: Some("773601001".into()),
            ..ip
        };
        let fields: Vec<String> = codes(&wrong).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["ogrn", "inn", "kpp"]);
    }

    #[test]
    fn an_accountant_acts_in_payments_only() {
        assert!(OrgRole::for_topic(Topic::Payments).contains(&OrgRole::Accountant));
        assert!(!OrgRole::for_topic(Topic::Applications).contains(&OrgRole::Accountant));
        assert!(OrgRole::for_topic(Topic::Applications).contains(&OrgRole::Employee));
        for r in OrgRole::ALL {
            assert_eq!(OrgRole::parse(r.as_str()), Some(r));
        }
    }
}
