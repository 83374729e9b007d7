//! The administrator creates an agency: every field checked (ИНН and ОГРН by their control
//! digits) and every problem named at once.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{FieldError, Problem, Result};
use okno_kernel::{audit, outbox};
use serde::Deserialize;

use super::base::{field, is_code, is_time_zone};
use crate::model::Agency;
use crate::store;

/// What an administrator sends to create an agency.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgency {
    /// Latin letters, digits and hyphens, 2–40 characters.
    pub code: String,
    pub name: String,
    pub short_name: String,
    /// `federal`, `regional` or `municipal`.
    pub level: String,
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub region: String,
    pub time_zone: String,
    pub website: Option<String>,
}

/// Checks every field and reports all problems together; ИНН and ОГРН are checked by their
/// control digits.
pub fn validate_agency(n: NewAgency) -> std::result::Result<Agency, Problem> {
    let mut e = Vec::new();
    let code = n.code.trim().to_ascii_lowercase();
    if !is_code(&code) {
        field(
            &mut e,
            "code",
            "agency.code",
            "Код — от 2 до 40 латинских букв, цифр и дефисов.",
        );
    }
    let name = required_text(&mut e, "name", &n.name, 300, "полное наименование");
    let short_name = required_text(
        &mut e,
        "short_name",
        &n.short_name,
        100,
        "краткое наименование",
    );
    let region = required_text(&mut e, "region", &n.region, 100, "регион");
    if !crate::model::LEVELS.iter().any(|(k, _)| *k == n.level) {
        field(
            &mut e,
            "level",
            "agency.level",
            "Уровень: federal, regional или municipal.",
        );
    }
    let inn = agency_inn(&mut e, n.inn.as_deref());
    let ogrn = agency_ogrn(&mut e, n.ogrn.as_deref());
    if !is_time_zone(&n.time_zone) {
        field(
            &mut e,
            "time_zone",
            "agency.time_zone",
            "Часовой пояс в формате IANA, например Europe/Moscow.",
        );
    }
    let website = agency_website(&mut e, n.website);
    if !e.is_empty() {
        return Err(Problem::invalid_fields(e));
    }
    Ok(Agency {
        id: okno_kernel::clock::new_id(),
        code,
        name,
        short_name,
        level: n.level,
        inn,
        ogrn,
        region,
        time_zone: n.time_zone,
        website,
        created_at: okno_kernel::clock::now_ms(),
    })
}

/// A text field that must be there and not too long, trimmed.
fn required_text(e: &mut Vec<FieldError>, f: &str, v: &str, max: usize, what: &str) -> String {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        field(
            e,
            f,
            &format!("agency.{f}"),
            format!("Укажите {what} (до {max} символов)."),
        );
    }
    v.to_string()
}

/// The agency's ИНН, when given: a legal entity's (10 digits), with a valid control digit.
fn agency_inn(e: &mut Vec<FieldError>, inn: Option<&str>) -> Option<String> {
    match inn.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => match okno_rules::Inn::parse(v) {
            Ok(inn) if inn.as_str().len() == 10 => Some(inn.as_str().to_string()),
            Ok(_) => {
                field(
                    e,
                    "inn",
                    "agency.inn_person",
                    "У органа власти ИНН из 10 цифр.",
                );
                None
            }
            Err(err) => {
                field(e, "inn", err.code(), err.to_string());
                None
            }
        },
    }
}

/// The agency's ОГРН, when given, with a valid control digit.
fn agency_ogrn(e: &mut Vec<FieldError>, ogrn: Option<&str>) -> Option<String> {
    match ogrn.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => match okno_rules::Ogrn::parse(v) {
            Ok(o) => Some(o.as_str().to_string()),
            Err(err) => {
                field(e, "ogrn", err.code(), err.to_string());
                None
            }
        },
    }
}

/// The agency's website, when given: an `http(s)://` address of at most 300 characters.
fn agency_website(e: &mut Vec<FieldError>, website: Option<String>) -> Option<String> {
    let website = website
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty());
    if let Some(w) = &website {
        if !(w.starts_with("https://") || w.starts_with("http://")) || w.len() > 300 {
            field(
                e,
                "website",
                "agency.website",
                "Адрес сайта начинается с https://.",
            );
        }
    }
    website
}

/// An administrator creates an agency.
pub async fn create_agency(db: &Db, actor: &Actor, new: NewAgency) -> Result<Agency> {
    actor.require(Permission::DirectoryManage)?;
    let agency = validate_agency(new)?;
    let mut tx = db.begin().await?;
    if !store::insert_agency(&mut tx, &agency).await? {
        return Err(Problem::conflict(
            "agency.code_taken",
            format!("Ведомство с кодом «{}» уже есть.", agency.code),
        )
        .into());
    }
    record_agency_created(&mut tx, actor, &agency).await?;
    tx.commit().await?;
    Ok(agency)
}

/// The outbox event and the audit record of an agency created (in this order).
async fn record_agency_created(tx: &mut Tx, actor: &Actor, agency: &Agency) -> Result<()> {
    outbox::enqueue(
        tx,
        "directory.agency.created",
        &serde_json::json!({ "id": agency.id, "code": agency.code }),
    )
    .await?;
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "directory.agency.created",
            subject_type: "agency",
            subject_id: &agency.id,
            details: serde_json::json!({ "code": agency.code, "short_name": agency.short_name, "level": agency.level }),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewAgency {
        NewAgency {
            code: "fns".into(),
            name: "Федеральная налоговая служба".into(),
            short_name: "ФНС России".into(),
            level: "federal".into(),
            inn: Some("7707329152".into()),
            ogrn: Some("1047707030513".into()),
            region: "Российская Федерация".into(),
            time_zone: "Europe/Moscow".into(),
            website: None,
        }
    }

    #[test]
    fn a_valid_agency_passes() {
        let a = validate_agency(new()).unwrap();
        assert_eq!(a.inn.as_deref(), Some("7707329152"));
    }

    #[test]
    fn every_invalid_field_is_named() {
        let mut n = new();
        n.code = "ФНС".into();
        n.inn = Some("7707329153".into());
        n.time_zone = "Moscow".into();
        n.level = "galactic".into();
        let p = validate_agency(n).unwrap_err();
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "level", "inn", "time_zone"]);
        assert_eq!(p.errors[2].code, "inn.checksum");
    }
}
