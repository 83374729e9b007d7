//! The person's profile (ФИО, date of birth, sex, passport, СНИЛС, ИНН), validated with `rules`,
//! stored with the passport, СНИЛС and ИНН encrypted and indexed, and checked against the state
//! registries: a match raises a «упрощённая» account to «стандартная».

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::clock::Date;
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::pii::Secrets;
use okno_rules::{Inn, InnKind, PassportRf, Snils};
use serde::{Deserialize, Serialize};

use crate::model::Level;
use crate::model::{field, own_account};
use crate::registry::{field_title, Answer, PersonData};
use crate::settings::Identity;
use crate::store::{self, load, DocumentIndex, ProfileUpdate};

/// What the person fills in.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub last_name: String,
    pub first_name: String,
    #[serde(default)]
    pub middle_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `male` or `female`.
    pub sex: String,
    /// Series and number, «45 08 123456» or «4508123456».
    pub passport: String,
    pub snils: String,
    /// The person's ИНН (12 digits), optional.
    #[serde(default)]
    pub inn: Option<String>,
}

/// The outcome of saving the profile.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfileOutcome {
    pub level: Level,
    pub level_title: &'static str,
    /// `match`, `mismatch`, `not_found` or `unavailable`.
    pub check: &'static str,
    /// The field the registry holds differently, on a mismatch.
    pub mismatch_field: Option<String>,
    /// What happened, in Russian.
    pub message: String,
}

fn name_ok(s: &str) -> bool {
    let s = s.trim();
    let n = s.chars().count();
    (1..=60).contains(&n)
        && s.chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == ' ' || c == '\'')
        && s.chars().any(char::is_alphabetic)
}

/// The date of birth when it is a real date, in the past, of a person 14 to 130 years old on
/// `today` (a passport of a citizen of the Russian Federation is issued from 14).
fn birth_date(s: &str, today: Date) -> std::result::Result<Date, &'static str> {
    let d = okno_kernel::clock::parse_date(s.trim())
        .ok_or("Укажите дату рождения в формате ГГГГ-ММ-ДД.")?;
    let years = okno_kernel::clock::full_years(d, today);
    if d > today {
        return Err("Дата рождения не может быть в будущем.");
    }
    if years < 14 {
        return Err("Учётную запись с паспортом можно завести с 14 лет.");
    }
    if years > 130 {
        return Err("Проверьте год рождения.");
    }
    Ok(d)
}

/// The profile checked field by field; every problem is reported at once.
pub(crate) fn validate(
    p: &Profile,
    today: Date,
) -> std::result::Result<PersonData, Vec<FieldError>> {
    let mut errors = Vec::new();
    for (name, value, required) in [
        ("last_name", p.last_name.as_str(), true),
        ("first_name", p.first_name.as_str(), true),
        ("middle_name", p.middle_name.as_deref().unwrap_or(""), false),
    ] {
        if (required || !value.trim().is_empty()) && !name_ok(value) {
            errors.push(field(
                name,
                "profile.name_invalid",
                "Только буквы, дефис, пробел и апостроф, до 60 символов.",
            ));
        }
    }
    if let Err(m) = birth_date(&p.birth_date, today) {
        errors.push(field("birth_date", "profile.birth_date_invalid", m));
    }
    if p.sex != "male" && p.sex != "female" {
        errors.push(field("sex", "profile.sex_invalid", "Укажите пол."));
    }
    let passport = PassportRf::parse(&p.passport)
        .map_err(|e| errors.push(field("passport", e.code(), e.to_string())))
        .ok();
    let snils = Snils::parse(&p.snils)
        .map_err(|e| errors.push(field("snils", e.code(), e.to_string())))
        .ok();
    let inn = match p.inn.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => match Inn::parse(v) {
            Ok(i) if i.kind() == InnKind::Person => Some(i),
            Ok(_) => {
                errors.push(field(
                    "inn",
                    "profile.inn_not_personal",
                    "Укажите ИНН физического лица (12 цифр), а не организации.",
                ));
                None
            }
            Err(e) => {
                errors.push(field("inn", e.code(), e.to_string()));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(passport), Some(snils)) = (passport, snils) else {
        return Err(errors);
    };
    Ok(PersonData {
        last_name: p.last_name.trim().to_string(),
        first_name: p.first_name.trim().to_string(),
        middle_name: p.middle_name.as_deref().unwrap_or("").trim().to_string(),
        birth_date: p.birth_date.trim().to_string(),
        sex: p.sex.clone(),
        passport: format!("{}{}", passport.series(), passport.number()),
        snils: snils.as_str().to_string(),
        inn: inn.map(|i| i.as_str().to_string()),
    })
}

/// The keyed index of a passport (series and number), as the profile stores it.
pub(crate) fn passport_index(secrets: &Secrets, p: &PassportRf) -> String {
    secrets.index("passport", &format!("{}{}", p.series(), p.number()))
}

pub(crate) fn today() -> Date {
    okno_kernel::clock::today_utc()
}

/// Saves the profile and checks it against the registries. A match raises «упрощённая» to
/// «стандартная»; a mismatch (or a new profile of a «стандартная» account that no longer matches)
/// leaves or puts the account at «упрощённая» and names the field. A confirmed account's data are
/// changed only at a service point.
pub async fn update(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    p: Profile,
) -> Result<ProfileOutcome> {
    let id = own_account(actor)?.to_string();
    let person = validate(&p, today()).map_err(|e| Error::from(Problem::invalid_fields(e)))?;
    not_confirmed(db, &id).await?;
    let idx = Indexes {
        snils: secrets.index("snils", &person.snils),
        passport: secrets.index("passport", &person.passport),
        inn: person.inn.as_ref().map(|i| secrets.index("inn", i)),
    };
    // Asked before the transaction: a slow registry must not hold the writer.
    let (check, mismatch_field) = registry_check(idn, &person).await;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, &id).await?;
    documents_free(&mut tx, &id, &idx).await?;
    let contacts_confirmed = a.phone_confirmed_at.is_some() && a.email_confirmed_at.is_some();
    let level = level_after(check, a.level());
    let now = now_ms();
    let full_name = [&person.last_name, &person.first_name, &person.middle_name]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    store::update_profile(
        &mut tx,
        &ProfileUpdate {
            id: &id,
            last_name: &person.last_name,
            first_name: &person.first_name,
            middle_name: Some(person.middle_name.as_str()).filter(|s| !s.is_empty()),
            birth_date: &person.birth_date,
            sex: &person.sex,
            passport_enc: secrets.encrypt(&person.passport),
            passport_idx: &idx.passport,
            snils_enc: secrets.encrypt(&person.snils),
            snils_idx: &idx.snils,
            inn_enc: person.inn.as_deref().map(|i| secrets.encrypt(i)),
            inn_idx: idx.inn.as_deref(),
            display_name: &full_name,
            level: level.as_str(),
            registry_check: check,
            registry_checked_at: now,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.profile.updated",
            subject_type: "account",
            subject_id: &id,
            // Field names and outcomes only: never the values.
            details: serde_json::json!({
                "registry_check": check,
                "mismatch_field": mismatch_field,
                "level_before": a.level().as_str(),
                "level": level.as_str(),
                "inn_given": person.inn.is_some(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    let message = outcome_message(check, mismatch_field.as_deref(), level, contacts_confirmed);
    Ok(ProfileOutcome {
        level,
        level_title: level.title(),
        check,
        mismatch_field,
        message,
    })
}

/// The blind indexes of the profile's documents.
struct Indexes {
    snils: String,
    passport: String,
    inn: Option<String>,
}

/// A confirmed account's data change only at a service point.
async fn not_confirmed(db: &Db, id: &str) -> Result<()> {
    let level_before = {
        let mut tx = db.begin().await?;
        load(&mut tx, id).await?.level()
    };
    if level_before == Level::Confirmed {
        return Err(Problem::conflict(
            "profile.confirmed",
            "Данные подтверждённой учётной записи меняются только в центре обслуживания, по паспорту.",
        )
        .into());
    }
    Ok(())
}

/// The registries' answer about the person: `match`, `mismatch` (with the field), `not_found`
/// or `unavailable`.
async fn registry_check(idn: &Identity, person: &PersonData) -> (&'static str, Option<String>) {
    match idn.registry.check(person).await {
        Ok(Answer::Match) => ("match", None),
        Ok(Answer::Mismatch { field }) => ("mismatch", Some(field)),
        Ok(Answer::NotFound) => ("not_found", None),
        Err(e) => {
            tracing::warn!(error = %e, "registry check failed");
            ("unavailable", None)
        }
    }
}

/// Refused, every document at once, when another account holds one of these documents.
async fn documents_free(tx: &mut Tx, id: &str, idx: &Indexes) -> Result<()> {
    let mut taken = Vec::new();
    for (name, document, idx) in [
        ("snils", DocumentIndex::Snils, Some(idx.snils.as_str())),
        (
            "passport",
            DocumentIndex::Passport,
            Some(idx.passport.as_str()),
        ),
        ("inn", DocumentIndex::Inn, idx.inn.as_deref()),
    ] {
        let Some(idx) = idx else { continue };
        if store::document_held_by_another(tx, document, idx, id).await? {
            taken.push(field(
                name,
                "profile.taken",
                format!(
                    "{} уже указан в другой учётной записи. Если это ваш документ, обратитесь в центр обслуживания.",
                    field_title(name)
                ),
            ));
        }
    }
    if !taken.is_empty() {
        return Err(Problem::invalid_fields(taken).into());
    }
    Ok(())
}

/// A match raises «упрощённая» to «стандартная»; anything else puts «стандартная» back at
/// «упрощённая».
fn level_after(check: &str, level: Level) -> Level {
    match (check, level) {
        ("match", Level::Simplified | Level::Standard) => Level::Standard,
        ("match", l) => l,
        (_, Level::Standard) => Level::Simplified,
        (_, l) => l,
    }
}

/// What the person is told after saving.
fn outcome_message(
    check: &str,
    mismatch_field: Option<&str>,
    level: Level,
    contacts_confirmed: bool,
) -> String {
    match (check, mismatch_field) {
        ("match", _) if level == Level::Standard => {
            "Данные подтверждены в государственных реестрах. Учётная запись стала стандартной.".to_string()
        }
        ("match", _) if !contacts_confirmed => {
            "Данные подтверждены в реестрах. Подтвердите телефон и почту, затем сохраните профиль ещё раз, чтобы учётная запись стала стандартной.".to_string()
        }
        ("match", _) => "Данные подтверждены в государственных реестрах.".to_string(),
        ("mismatch", Some(f)) => format!(
            "Данные сохранены, но не совпали с государственными реестрами: отличается поле «{}». Проверьте его по документу.",
            field_title(f)
        ),
        ("not_found", _) => {
            "Данные сохранены, но СНИЛС не найден в реестре. Проверьте номер по документу.".to_string()
        }
        _ => "Данные сохранены. Реестры сейчас недоступны — проверка будет выполнена, когда вы сохраните профиль позже.".to_string(),
    }
}

/// The profile as its owner sees it: names and dates in full, documents masked.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub birth_date: String,
    pub sex: String,
    /// «42*****002».
    pub passport: String,
    /// «*********49».
    pub snils: String,
    /// «7766******06» (empty when not given).
    pub inn: String,
    pub registry_check: Option<String>,
}

/// The account's profile as a registry is asked about it, or `None` without a full profile
/// (no passport or СНИЛС).
pub(crate) async fn person_data(
    db: &Db,
    secrets: &Secrets,
    account_id: &str,
) -> Result<Option<PersonData>> {
    let mut c = db.read().await?;
    let Some(r) = store::profile_of(&mut c, account_id).await? else {
        return Ok(None);
    };
    let open = |v: &Option<String>| -> Result<Option<String>> {
        v.as_ref()
            .map(|e| secrets.decrypt(e).map_err(Error::internal))
            .transpose()
    };
    let (Some(passport), Some(snils)) = (open(&r.passport_enc)?, open(&r.snils_enc)?) else {
        return Ok(None);
    };
    Ok(Some(PersonData {
        last_name: r.last_name.unwrap_or_default(),
        first_name: r.first_name.unwrap_or_default(),
        middle_name: r.middle_name.unwrap_or_default(),
        birth_date: r.birth_date.unwrap_or_default(),
        sex: r.sex.unwrap_or_default(),
        passport,
        snils,
        inn: open(&r.inn_enc)?,
    }))
}

pub async fn view(db: &Db, secrets: &Secrets, actor: &Actor) -> Result<ProfileView> {
    let id = own_account(actor)?;
    let mut c = db.read().await?;
    let r = store::profile_of(&mut c, id)
        .await?
        .ok_or_else(|| Problem::not_found("Учётная запись не найдена."))?;
    let open = |v: &Option<String>| -> Result<String> {
        match v {
            Some(e) => secrets.decrypt(e).map_err(Error::internal),
            None => Ok(String::new()),
        }
    };
    let passport = open(&r.passport_enc)?;
    let snils = open(&r.snils_enc)?;
    let inn = open(&r.inn_enc)?;
    Ok(ProfileView {
        last_name: r.last_name.unwrap_or_default(),
        first_name: r.first_name.unwrap_or_default(),
        middle_name: r.middle_name.unwrap_or_default(),
        birth_date: r.birth_date.unwrap_or_default(),
        sex: r.sex.unwrap_or_default(),
        passport: mask(&passport, 2, 3),
        snils: mask(&snils, 0, 2),
        inn: mask(&inn, 4, 2),
        registry_check: r.registry_check,
    })
}

/// Keeps `head` and `tail` characters, hides the rest.
fn mask(s: &str, head: usize, tail: usize) -> String {
    let n = s.chars().count();
    if n == 0 {
        return String::new();
    }
    if n <= head + tail {
        return "*".repeat(n);
    }
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// The blind indexes of a person's СНИЛС and ИНН, for the parts that find what is theirs by a
/// document (charges of the payments part). Empty until the profile was checked against the
/// registries or in person (standard or confirmed level), so that a СНИЛС typed into an unchecked
/// profile shows nothing of another person's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckedDocuments {
    pub snils_idx: Option<String>,
    pub inn_idx: Option<String>,
}

pub async fn checked_documents(
    c: &mut impl okno_kernel::db::AsConn,
    account_id: &str,
) -> Result<CheckedDocuments> {
    let Some(k) = store::document_keys(c, account_id).await? else {
        return Ok(CheckedDocuments::default());
    };
    if Level::parse(&k.level).is_none_or(|l| l < Level::Standard) {
        return Ok(CheckedDocuments::default());
    }
    Ok(CheckedDocuments {
        snils_idx: k.snils_idx,
        inn_idx: k.inn_idx,
    })
}

/// The account whose checked profile holds the СНИЛС (`document` `snils`) or ИНН (`inn`) with
/// this blind index (`Secrets::index(document, digits)`); `None` for another document.
pub async fn checked_holder(
    c: &mut impl okno_kernel::db::AsConn,
    document: &str,
    idx: &str,
) -> Result<Option<String>> {
    let document = match document {
        "snils" => DocumentIndex::Snils,
        "inn" => DocumentIndex::Inn,
        _ => return Ok(None),
    };
    store::checked_holder(c, document, idx).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn anna() -> Profile {
        Profile {
            last_name: "Смирнова".into(),
            first_name: "Анна".into(),
            middle_name: Some("Петровна".into()),
            birth_date: "1985-03-14".into(),
            sex: "female".into(),
            passport: "42 04 514002".into(),
            snils: "018-159-083 49".into(),
            inn: None,
        }
    }

    #[test]
    fn a_valid_profile_is_normalised() {
        let p = validate(&anna(), date(2026, 11, 24)).unwrap();
        assert_eq!(p.passport, "4204514002");
        assert_eq!(p.snils, "01815908349");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut p = anna();
        p.last_name = "Smith1".into();
        p.birth_date = "2020-01-01".into();
        p.sex = "x".into();
        p.snils = "018-159-083 48".into();
        p.inn = Some("7707083893".into());
        let e = validate(&p, date(2026, 11, 24)).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["last_name", "birth_date", "sex", "snils", "inn"]);
        assert_eq!(
            e[1].message,
            "Учётную запись с паспортом можно завести с 14 лет."
        );
    }

    #[test]
    fn age_counts_whole_years_to_the_day() {
        let today = date(2026, 11, 24);
        assert!(birth_date("2012-11-24", today).is_ok(), "14 today");
        assert!(birth_date("2012-11-25", today).is_err(), "14 tomorrow");
        assert!(birth_date("2027-01-01", today).is_err());
        assert!(birth_date("24.11.2000", today).is_err());
    }

    #[test]
    fn documents_are_masked() {
        assert_eq!(mask("4204514002", 2, 3), "42*****002");
        assert_eq!(mask("01815908349", 0, 2), "*********49");
        assert_eq!(mask("", 2, 2), "");
    }
}
