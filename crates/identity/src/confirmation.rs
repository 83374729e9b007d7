//! In-person identity confirmation: an operator at a service point, signed in with their own staff
//! account (so with a second factor), compares the passport shown with the account's profile and
//! raises the account to «подтверждённая», or refuses with a reason the operator can print. The
//! offices part builds its desk on this. A partner bank's integration does the same for a client it
//! identified in person (the bank adapter).

use jiff::ToSpan;
use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{now_ms, Date};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Problem, Result};
use okno_kernel::pii::Secrets;
use okno_rules::PassportRf;
use serde::{Deserialize, Serialize};

use crate::model::Level;
use crate::model::Refusal;
use crate::privacy::{notify_person, Topic};
use crate::registry::Answer;
use crate::store::{self, load, AccountRow, BankDocs, PassportAndBirth};

/// What the operator enters at the desk.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InPerson {
    /// Series and number of the passport shown.
    pub passport: String,
    /// The date of issue printed in the passport (`YYYY-MM-DD`), to check it is still valid.
    #[serde(default)]
    pub passport_issued: Option<String>,
}

/// Confirms the account's identity in person. Refusals are audited too, with their reason.
pub async fn in_person(
    db: &Db,
    secrets: &Secrets,
    idn: &crate::settings::Identity,
    operator: &Actor,
    account_id: &str,
    desk: &crate::desk::Desk,
    c: InPerson,
) -> Result<Level> {
    require_operator(operator)?;
    let rep = desk.representative()?;
    let issued = issued_on(c.passport_issued.as_deref())?;
    // The profile is checked against the state registry as at registration, asked before the
    // transaction (a slow registry must not hold the writer).
    let registry = registry_refusal(db, secrets, idn, account_id).await?;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, account_id).await?;
    let docs = store::passport_and_birth(&mut tx, account_id).await?;
    let seen = Seen {
        passport: &c.passport,
        issued,
        registry,
    };
    let (refusal, person_passport_idx) = in_person_refusal(secrets, operator, &a, docs, seen);
    let representative = match &rep {
        Some(r) => {
            let act = if refusal.is_some() {
                "confirmation_refused"
            } else {
                "confirmed"
            };
            let own = person_passport_idx.as_deref();
            let record = crate::desk::record_representative(
                &mut tx, secrets, operator, desk, r, account_id, act, own,
            );
            Some(record.await?)
        }
        None => None,
    };
    audit::append(
        &mut tx,
        audit::Entry {
            actor: operator,
            action: if refusal.is_some() {
                "identity.confirmation.refused"
            } else {
                "identity.confirmation.in_person"
            },
            subject_type: "account",
            subject_id: account_id,
            details: serde_json::json!({ "office": desk.office, "device": desk.device, "refusal": refusal.map(Refusal::code), "representative": representative }),
        },
    )
    .await?;
    if let Some(r) = refusal {
        tx.commit().await?;
        return Err(r.problem().into());
    }
    confirm_in_person(&mut tx, &a, rep.as_ref()).await?;
    tx.commit().await?;
    Ok(Level::Confirmed)
}

/// Only an operator signed in with their own account (so with a second factor) confirms.
fn require_operator(operator: &Actor) -> Result<()> {
    operator.require(Permission::IdentityConfirm)?;
    if operator.kind != ActorKind::Account {
        return Err(Problem::new(403, "confirm.operator_account_required", "Нужна учётная запись оператора")
            .with_detail("Подтверждать личность может только оператор, вошедший со своей учётной записью и вторым фактором, а не по токену.")
            .into());
    }
    Ok(())
}

/// The passport's date of issue, when the operator entered one.
fn issued_on(text: Option<&str>) -> Result<Option<Date>> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) => Ok(Some(parse_date(d).ok_or_else(|| {
            Problem::invalid_field(
                "passport_issued",
                "confirm.passport_issued_invalid",
                "Укажите дату выдачи паспорта в формате ГГГГ-ММ-ДД.",
            )
        })?)),
    }
}

/// The registry's answer about the account's profile: `None` without a full profile, else the
/// refusal it implies (`None` on a match).
async fn registry_refusal(
    db: &Db,
    secrets: &Secrets,
    idn: &crate::settings::Identity,
    account_id: &str,
) -> Result<Option<Option<Refusal>>> {
    let Some(person) = crate::profile::person_data(db, secrets, account_id).await? else {
        return Ok(None);
    };
    Ok(Some(match idn.registry.check(&person).await {
        Ok(Answer::Match) => None,
        Ok(Answer::Mismatch { .. }) => Some(Refusal::DataDiffer),
        Ok(Answer::NotFound) => Some(Refusal::RegistryNotFound),
        Err(e) => {
            tracing::warn!(error = %e.0, "registry check failed at the desk");
            Some(Refusal::RegistryUnavailable)
        }
    }))
}

/// What the operator saw and learnt: the passport shown, its date of issue, the registry's answer.
struct Seen<'a> {
    passport: &'a str,
    issued: Option<Date>,
    registry: Option<Option<Refusal>>,
}

/// Why the account cannot be confirmed in person, if it cannot: the first reason found; and the
/// blind index of the person's passport once the passport shown was compared with it (a
/// representative may not show the person's own).
fn in_person_refusal(
    secrets: &Secrets,
    operator: &Actor,
    a: &AccountRow,
    docs: Option<PassportAndBirth>,
    seen: Seen<'_>,
) -> (Option<Refusal>, Option<String>) {
    let mut person_passport_idx = None;
    let refusal = match (PassportRf::parse(seen.passport), docs) {
        _ if a.status == "blocked" => Some(Refusal::AccountBlocked),
        // A desk confirms a person's own account: not a staff account, not the operator's own.
        _ if a.kind != "person" || operator.id.as_deref() == Some(a.id.as_str()) => {
            Some(Refusal::OperatorLacksRight)
        }
        (Err(_), _) => Some(Refusal::PassportInvalid),
        (_, None) => Some(Refusal::NoProfile),
        (
            _,
            Some(PassportAndBirth {
                passport_idx: None, ..
            }),
        ) => Some(Refusal::NoProfile),
        (Ok(p), Some(d)) => {
            person_passport_idx = d.passport_idx.clone();
            let typed = crate::profile::passport_index(secrets, &p);
            if Some(typed) != d.passport_idx {
                Some(Refusal::DataDiffer)
            } else if d.birth_date.as_deref().is_some_and(is_minor) {
                Some(Refusal::Minor)
            } else if let (Some(issued), Some(born)) =
                (seen.issued, d.birth_date.as_deref().and_then(parse_date))
            {
                passport_expired(born, issued, today())
                    .then_some(Refusal::PassportExpired)
                    .or(seen.registry.flatten())
            } else {
                seen.registry.flatten()
            }
        }
    };
    (refusal, person_passport_idx)
}

/// The change: the account becomes «подтверждённая», and the person is told (with who came for
/// them, when a representative did).
async fn confirm_in_person(
    tx: &mut Tx,
    a: &AccountRow,
    rep: Option<&crate::desk::Checked>,
) -> Result<()> {
    store::mark_confirmed(tx, now_ms(), &a.id).await?;
    let (by, warn) = match rep {
        Some(r) => (
            format!(" по обращению представителя: {}", r.line()),
            " Если вы никого не уполномочивали, обратитесь в центр обслуживания.",
        ),
        None => (String::new(), ""),
    };
    notify_person(
        tx,
        a,
        Topic::Security,
        "Учётная запись подтверждена",
        &format!("Ваша личность подтверждена в центре обслуживания{by}: учётная запись стала подтверждённой. Теперь доступны все услуги онлайн.{warn}"),
    )
    .await
}

/// What a partner bank sends about a client it identified in person (115-ФЗ ст. 7 obliges a bank to
/// identify its clients by an identity document; the bank answers for that check).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ByBank {
    pub snils: String,
    /// Series and number of the passport the bank checked.
    pub passport: String,
    pub last_name: String,
    pub first_name: String,
    #[serde(default)]
    pub middle_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// The bank's own reference of its check, kept in the audit journal.
    #[serde(default)]
    pub reference: String,
}

/// The outcome for the bank.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BankOutcome {
    pub account_id: String,
    pub level: Level,
}

/// The bank adapter: a partner bank's integration (an API token with the `bank` role) confirms a
/// client it identified in person. The account is found by СНИЛС and must already be
/// «стандартная» (its profile checked against the state registries); the passport, the full name
/// and the date of birth the bank sends must all match the profile. Then the account becomes
/// «подтверждённая». Refusals carry the same codes as at a service point, and are audited.
pub async fn by_bank(db: &Db, secrets: &Secrets, bank: &Actor, b: ByBank) -> Result<BankOutcome> {
    bank.require(Permission::IdentityConfirmByBank)?;
    if bank.kind != ActorKind::Token {
        return Err(Problem::new(403, "confirm.bank_token_required", "Нужен токен банка")
            .with_detail("Подтверждать личность через банк может только интеграция банка со своим токеном.")
            .into());
    }
    let snils = okno_rules::Snils::parse(&b.snils)
        .map_err(|e| Problem::invalid_field("snils", e.code(), e.to_string()))?;
    let mut tx = db.begin().await?;
    let docs = store::bank_docs(&mut tx, &secrets.index("snils", snils.as_str()))
        .await?
        .ok_or_else(|| {
        Problem::new(404, "confirm.account_not_found", "Учётная запись не найдена")
            .with_detail("Учётной записи с таким СНИЛС нет или профиль не заполнен: клиенту нужно зарегистрироваться и заполнить профиль.")
    })?;
    let a = load(&mut tx, &docs.id).await?;
    let level = a.level();
    let refusal = bank_refusal(secrets, &a, &docs, &b);
    let reference: String = b.reference.chars().take(100).collect();
    audit::append(
        &mut tx,
        audit::Entry {
            actor: bank,
            action: if refusal.is_some() {
                "identity.confirmation.refused"
            } else {
                "identity.confirmation.bank"
            },
            subject_type: "account",
            subject_id: &a.id,
            details: serde_json::json!({ "bank": bank.name, "reference": reference, "refusal": refusal.map(Refusal::code) }),
        },
    )
    .await?;
    if let Some(r) = refusal {
        tx.commit().await?;
        return Err(r.problem().into());
    }
    if level != Level::Confirmed {
        store::mark_confirmed(&mut tx, now_ms(), &a.id).await?;
        notify_person(
            &mut tx,
            &a,
            Topic::Security,
            "Учётная запись подтверждена",
            &format!("Ваша личность подтверждена через банк ({}): учётная запись стала подтверждённой. Если вы не обращались в банк, сообщите нам и смените пароль.", bank.name),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(BankOutcome {
        account_id: a.id,
        level: Level::Confirmed,
    })
}

/// Why the bank's client cannot be confirmed, if they cannot: the account must be «стандартная»
/// (or already confirmed) and everything the bank sends must match the profile.
fn bank_refusal(secrets: &Secrets, a: &AccountRow, docs: &BankDocs, b: &ByBank) -> Option<Refusal> {
    let same = |ours: &Option<String>, theirs: &str| {
        crate::registry::same("_name", ours.as_deref().unwrap_or(""), theirs)
    };
    let level = a.level();
    match PassportRf::parse(&b.passport) {
        _ if a.status == "blocked" => Some(Refusal::AccountBlocked),
        _ if docs.passport_idx.is_none() => Some(Refusal::NoProfile),
        _ if level == Level::Confirmed => None,
        _ if level != Level::Standard => Some(Refusal::NotStandard),
        Err(_) => Some(Refusal::PassportInvalid),
        Ok(p) => {
            let typed = crate::profile::passport_index(secrets, &p);
            if Some(typed) != docs.passport_idx
                || !same(&docs.last_name, &b.last_name)
                || !same(&docs.first_name, &b.first_name)
                || !same(&docs.middle_name, &b.middle_name)
                || docs.birth_date.as_deref() != Some(b.birth_date.trim())
            {
                Some(Refusal::DataDiffer)
            } else if docs.birth_date.as_deref().is_some_and(is_minor) {
                Some(Refusal::Minor)
            } else {
                None
            }
        }
    }
}

fn parse_date(s: &str) -> Option<Date> {
    okno_kernel::clock::parse_date(s.trim())
}

fn today() -> Date {
    okno_kernel::clock::today_utc()
}

/// Whether a passport issued on `issued` to a person born on `born` is no longer valid on `today`.
/// A citizen's passport is replaced on reaching 20 and 45 years (Положение о паспорте гражданина
/// Российской Федерации, утв. Постановлением Правительства РФ от 08.07.1997 № 828, п. 7), and the
/// old one stays valid for 90 days after that birthday while the new one is made (п. 7, abs. 4).
pub fn passport_expired(born: Date, issued: Date, today: Date) -> bool {
    [20, 45].into_iter().any(|age| {
        let year = born.year() + age;
        // Born on 29 February: the birthday of a common year is 1 March.
        let Ok(birthday) =
            Date::new(year, born.month(), born.day()).or_else(|_| Date::new(year, 3, 1))
        else {
            return false;
        };
        issued < birthday
            && birthday
                .checked_add(90.days())
                .is_ok_and(|lapse| today > lapse)
    })
}

/// Younger than 14 today (a date that cannot be read is not taken as a minor's).
fn is_minor(birth_date: &str) -> bool {
    let Some(d) = okno_kernel::clock::parse_date(birth_date) else {
        return false;
    };
    okno_kernel::clock::full_years(d, today()) < 14
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_passport_lapses_90_days_after_the_20th_and_45th_birthdays_unless_issued_after_them() {
        let born = date(2000, 6, 15);
        let at_14 = date(2014, 7, 1);
        assert!(!passport_expired(born, at_14, date(2020, 6, 14)));
        assert!(
            !passport_expired(born, at_14, date(2020, 9, 13)),
            "within 90 days"
        );
        assert!(passport_expired(born, at_14, date(2020, 9, 14)));
        // Replaced at 20: valid until 45 (and 90 days).
        let at_20 = date(2020, 7, 1);
        assert!(!passport_expired(born, at_20, date(2045, 6, 15)));
        assert!(passport_expired(born, at_20, date(2045, 9, 14)));
        // Issued after 45: valid for life.
        assert!(!passport_expired(born, date(2045, 7, 1), date(2090, 1, 1)));
    }

    #[test]
    fn a_person_born_on_29_february_reaches_20_on_1_march() {
        let born = date(2004, 2, 29);
        assert!(!passport_expired(
            born,
            date(2018, 3, 10),
            date(2024, 5, 29)
        ));
        assert!(passport_expired(born, date(2018, 3, 10), date(2024, 5, 31)));
    }
}
