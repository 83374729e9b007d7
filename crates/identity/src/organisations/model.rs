//! What an organisation is (its kind, its members' roles), the forms and views of its use cases,
//! and the registration form's checks.

use okno_kernel::clock::rfc3339;
use okno_kernel::error::{Error, FieldError, Result};
use okno_kernel::pii::Secrets;
use okno_rules::{Inn, InnKind, Kpp, Ogrn, Ogrnip};
use serde::{Deserialize, Serialize};

use crate::model::field;
use crate::privacy::Topic;
use crate::store::{MemberRow, MembershipRow};

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
    pub(super) fn role(&self) -> OrgRole {
        // Only this module writes roles; an unknown one grants the least.
        OrgRole::parse(&self.role).unwrap_or(OrgRole::Accountant)
    }

    pub(super) fn view(
        self,
        secrets: &Secrets,
        acting_for: Option<&str>,
    ) -> Result<OrganisationView> {
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
    pub(super) fn view(self) -> MemberView {
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

/// The form checked field by field; every problem is reported at once.
pub(super) struct Checked {
    pub(super) kind: OrgKind,
    pub(super) ogrn: String,
    pub(super) inn: String,
    pub(super) kpp: Option<String>,
    pub(super) full_name: String,
    pub(super) short_name: String,
}

pub(super) fn validate(o: &NewOrganisation) -> std::result::Result<Checked, Vec<FieldError>> {
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
