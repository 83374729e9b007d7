//! What an operator at a service point does for a person present with their passport: registers a
//! new account at level «подтверждённая» with the СНИЛС as login and a temporary password, and
//! restores access with a new temporary password. The offices part checks the operator's office
//! and registered desk before it calls these; every act is audited with the operator, the office
//! and the device.

use jiff::ToSpan;
use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms, Date};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::pii::Secrets;
use okno_rules::{PassportRf, Phone, Snils};
use serde::{Deserialize, Serialize};

use crate::model::Refusal;
use crate::privacy::alert;
use crate::profile::{self, Profile};
use crate::register::CONSENT_VERSION;
use crate::registry::{Answer, PersonData};
use crate::settings::Identity;
use crate::staff::{temporary_password, TEMPORARY_PASSWORD_MS};
use crate::store::{self, load, AccountRow, DeskRepresentative, RestoreDocs};

/// The desk an act is done at: checked by the offices part, recorded in the journal.
#[derive(Debug, Clone, Serialize)]
pub struct Desk {
    /// The office's code in the directory.
    pub office: String,
    /// The registered device's id.
    pub device: String,
    /// Who came for the person, when it was not the person themself.
    #[serde(skip)]
    pub representative: Option<Representative>,
}

/// Someone who comes to the desk for the person under a power of attorney (доверенность, ГК РФ
/// ст. 185) shown on paper: the operator checks the representative's own passport and the
/// original of the power, and enters both. Every act done on it is recorded with it and audited.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Representative {
    /// The representative's full name, as in their passport.
    pub full_name: String,
    /// Series and number of the representative's own passport.
    pub passport: String,
    /// The power's number (for a notarised one, its number in the notary's register).
    pub power_number: String,
    /// Who issued or certified it: a notary, or the organisation.
    pub power_issuer: String,
    /// The date it was made, `YYYY-MM-DD`.
    pub power_issued_on: String,
    /// The last day it is valid, `YYYY-MM-DD`; without one it lasts a year from the date it was made
    /// (ГК РФ ст. 186 п. 1).
    #[serde(default)]
    pub power_valid_until: Option<String>,
}

/// A representative whose data and power were checked.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    full_name: String,
    passport: PassportRf,
    number: String,
    issuer: String,
    issued_on: Date,
    valid_until: Date,
}

fn ymd(s: &str) -> Option<Date> {
    okno_kernel::clock::parse_date(s.trim())
}

/// `YYYY-MM-DD`.
fn ymd_text(d: Date) -> String {
    d.to_string()
}

/// A problem with what the operator entered about the representative (`representative.<field>`).
fn rep_error(errors: &mut Vec<FieldError>, field: &str, code: &str, message: &str) {
    errors.push(FieldError {
        field: format!("representative.{field}"),
        code: code.into(),
        message: message.into(),
    })
}

impl Representative {
    /// Checks what the operator entered: every error by field (`representative.*`), and a power
    /// not yet made or already ended refused as such.
    pub(crate) fn check(&self, today: Date) -> Result<Checked> {
        let mut errors = Vec::new();
        let mut err =
            |field: &str, code: &str, message: &str| rep_error(&mut errors, field, code, message);
        let full_name = self
            .full_name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if full_name.chars().count() < 3 || full_name.chars().count() > 200 {
            err(
                "full_name",
                "representative.name_invalid",
                "Укажите фамилию, имя и отчество представителя, как в его паспорте.",
            );
        }
        let passport = PassportRf::parse(&self.passport)
            .map_err(|e| err("passport", e.code(), &e.to_string()))
            .ok();
        let number = self.power_number.trim().to_string();
        if number.is_empty() || number.chars().count() > 60 {
            err(
                "power_number",
                "representative.power_number_invalid",
                "Укажите номер доверенности (для нотариальной — номер в реестре нотариуса).",
            );
        }
        let issuer = self
            .power_issuer
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if issuer.is_empty() || issuer.chars().count() > 200 {
            err(
                "power_issuer",
                "representative.power_issuer_invalid",
                "Укажите, кто удостоверил доверенность: нотариус или организация.",
            );
        }
        let (issued_on, until) = self.power_term(today, &mut errors);
        match (passport, issued_on, until, errors.is_empty()) {
            (Some(passport), Some(issued_on), Some(valid_until), true) => Ok(Checked {
                full_name,
                passport,
                number,
                issuer,
                issued_on,
                valid_until,
            }),
            _ => Err(Problem::invalid_fields(errors).into()),
        }
    }

    /// The power's dates: the day it was made (not in the future) and its last day (given, or a
    /// year later), checked to be in order and not past; a problem is added to `errors`.
    fn power_term(
        &self,
        today: Date,
        errors: &mut Vec<FieldError>,
    ) -> (Option<Date>, Option<Date>) {
        let mut err =
            |field: &str, code: &str, message: &str| rep_error(errors, field, code, message);
        let issued_on = ymd(&self.power_issued_on);
        match issued_on {
            None => err(
                "power_issued_on",
                "representative.power_date_invalid",
                "Укажите дату доверенности в формате ГГГГ-ММ-ДД.",
            ),
            Some(d) if d > today => err(
                "power_issued_on",
                "representative.power_not_yet",
                "Дата доверенности ещё не наступила.",
            ),
            Some(_) => {}
        }
        let until = match self
            .power_valid_until
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            // ГК РФ ст. 186 п. 1: without a term, a power lasts a year from the day it was made;
            // ст. 192 п. 3: a year from 29 February ends on 28 February.
            None => issued_on.and_then(|d| d.checked_add(1.year()).ok()),
            Some(s) => match ymd(s) {
                Some(d) => Some(d),
                None => {
                    err(
                        "power_valid_until",
                        "representative.power_date_invalid",
                        "Укажите срок действия доверенности в формате ГГГГ-ММ-ДД.",
                    );
                    None
                }
            },
        };
        if let (Some(from), Some(to)) = (issued_on, until) {
            if to < from {
                err(
                    "power_valid_until",
                    "representative.power_term_invalid",
                    "Срок действия доверенности кончается раньше, чем она выдана.",
                );
            } else if to < today {
                err(
                    "power_valid_until",
                    "representative.power_expired",
                    "Срок действия доверенности истёк: по ней действовать нельзя.",
                );
            }
        }
        (issued_on, until)
    }
}

impl Desk {
    /// The representative's checked data, when one came.
    pub(crate) fn representative(&self) -> Result<Option<Checked>> {
        self.representative
            .as_ref()
            .map(|r| r.check(crate::profile::today()))
            .transpose()
    }
}

fn representative_is_person() -> Error {
    Problem::new(
        422,
        "representative.is_the_person",
        "Представитель — это сам заявитель",
    )
    .with_detail("Паспорт представителя совпадает с паспортом заявителя: уберите представителя или введите его собственный паспорт.")
    .into()
}

/// Records that the representative did `act` for the account on their power: written in the act's
/// transaction, before its audit record, which names the record. Refuses a representative who
/// shows the person's own passport.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_representative(
    tx: &mut okno_kernel::db::Tx,
    secrets: &Secrets,
    operator: &Actor,
    desk: &Desk,
    r: &Checked,
    account_id: &str,
    act: &str,
    person_passport_idx: Option<&str>,
) -> Result<serde_json::Value> {
    let passport_idx = crate::profile::passport_index(secrets, &r.passport);
    if person_passport_idx == Some(passport_idx.as_str()) {
        return Err(representative_is_person());
    }
    let id = new_id();
    store::insert_desk_representative(
        tx,
        &DeskRepresentative {
            id: &id,
            account_id,
            act,
            office_code: &desk.office,
            device_id: &desk.device,
            operator_id: operator.id.as_deref().unwrap_or_default(),
            full_name_enc: secrets.encrypt(&r.full_name),
            passport_enc: secrets.encrypt(&r.passport.formatted()),
            passport_idx: &passport_idx,
            power_number: &r.number,
            power_issuer: &r.issuer,
            power_issued_on: ymd_text(r.issued_on),
            power_valid_until: ymd_text(r.valid_until),
            created_at: now_ms(),
        },
    )
    .await?;
    Ok(
        serde_json::json!({ "record": id, "power_number": r.number, "power_valid_until": ymd_text(r.valid_until) }),
    )
}

impl Checked {
    /// The line the person's notice and the справка carry.
    pub(crate) fn line(&self) -> String {
        format!(
            "{} по доверенности № {} от {} ({}), действительной до {}",
            self.full_name,
            self.number,
            ymd_text(self.issued_on),
            self.issuer,
            ymd_text(self.valid_until)
        )
    }
}

/// What the operator enters for a new person.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub last_name: String,
    pub first_name: String,
    #[serde(default)]
    pub middle_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `male` or `female`.
    pub sex: String,
    pub passport: String,
    pub snils: String,
    #[serde(default)]
    pub inn: Option<String>,
    pub phone: String,
    /// The person agreed, on paper at the desk, to the processing of their data (152-ФЗ).
    #[serde(default)]
    pub consent: bool,
    /// Who came for the person under a power of attorney, when the person did not come themself.
    /// The offices part moves it into the [`Desk`] the act is done at.
    #[serde(default)]
    pub representative: Option<Representative>,
}

/// A login and temporary password for the справка; the password is shown only now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Issued {
    pub account_id: String,
    pub full_name: String,
    /// The СНИЛС, formatted `XXX-XXX-XXX YY`.
    pub login: String,
    /// A temporary password (24 hours), unless a one-time sign-in code was asked for.
    pub temporary_password: Option<String>,
    /// The secret of a one-time sign-in link (`/login/link/{code}`, 5 minutes), when asked for.
    pub sign_in_code: Option<String>,
    /// Until when the temporary password or the code is accepted (ms since the epoch).
    pub valid_until: i64,
    /// Who acted for the person and on which power of attorney, when it was a representative.
    pub representative: Option<String>,
}

/// What the person leaves with after an in-person recovery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestoreMethod {
    /// A temporary password valid 24 hours, printed on the справка.
    #[default]
    TemporaryPassword,
    /// A one-time QR code valid 5 minutes, scanned at the desk; the person sets a new password.
    QrCode,
}

fn operator_account(operator: &Actor) -> Result<()> {
    operator.require(Permission::IdentityConfirm)?;
    if operator.kind != ActorKind::Account {
        return Err(Problem::new(403, "confirm.operator_account_required", "Нужна учётная запись оператора")
            .with_detail("Это может сделать только оператор, вошедший со своей учётной записью и вторым фактором, а не по токену.")
            .into());
    }
    Ok(())
}

fn refusal(r: Refusal) -> Error {
    Problem::new(422, r.code(), "Операция невозможна")
        .with_detail(r.reason())
        .into()
}

/// The person's data, phone, consent and representative checked together, every error at once.
fn checked_person(desk: &Desk, p: NewPerson) -> Result<(PersonData, Phone, Option<Checked>)> {
    let profile = Profile {
        last_name: p.last_name,
        first_name: p.first_name,
        middle_name: p.middle_name,
        birth_date: p.birth_date,
        sex: p.sex,
        passport: p.passport,
        snils: p.snils,
        inn: p.inn,
    };
    let (person, mut errors) = match profile::validate(&profile, profile::today()) {
        Ok(person) => (Some(person), Vec::new()),
        Err(e) => (None, e),
    };
    let phone = Phone::parse(&p.phone)
        .map_err(|e| {
            errors.push(FieldError {
                field: "phone".into(),
                code: e.code().into(),
                message: e.to_string(),
            })
        })
        .ok();
    let rep = match desk.representative() {
        Ok(r) => r,
        Err(e) => {
            errors.extend(e.to_problem().errors);
            None
        }
    };
    if !p.consent {
        errors.push(FieldError {
            field: "consent".into(),
            code: "desk.consent_required".into(),
            message: "Без согласия на обработку персональных данных учётную запись не создать."
                .into(),
        });
    }
    match (person, phone, errors.is_empty()) {
        (Some(person), Some(phone), true) => Ok((person, phone, rep)),
        _ => Err(Problem::invalid_fields(errors).into()),
    }
}

/// The state registry knows the person with exactly these data; refused with the field that
/// differs, or when the registry does not answer.
async fn registry_agrees(idn: &Identity, person: &PersonData) -> Result<()> {
    match idn.registry.check(person).await {
        Ok(Answer::Match) => Ok(()),
        Ok(Answer::Mismatch { field }) => {
            Err(
                Problem::new(422, Refusal::DataDiffer.code(), "Операция невозможна")
                    .with_detail(format!(
                        "Данные не совпадают с государственным реестром: отличается поле «{}».",
                        crate::registry::field_title(&field)
                    ))
                    .into(),
            )
        }
        Ok(Answer::NotFound) => Err(refusal(Refusal::RegistryNotFound)),
        Err(e) => {
            tracing::warn!(error = %e.0, "registry check failed at the desk");
            Err(refusal(Refusal::RegistryUnavailable))
        }
    }
}

/// Registers a person present at the desk: their passport data and СНИЛС checked against the state
/// registries, their consent recorded. The account is «подтверждённая» at once (the operator has
/// seen the passport); the login is the СНИЛС, the temporary password lasts 24 hours and must be
/// changed at the first sign-in.
pub async fn register_in_person(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    operator: &Actor,
    desk: &Desk,
    p: NewPerson,
) -> Result<Issued> {
    operator_account(operator)?;
    let (person, phone, rep) = checked_person(desk, p)?;
    // Asked before the transaction: a slow registry must not hold the writer.
    registry_agrees(idn, &person).await?;
    let password = temporary_password(idn);
    let hash = idn.hasher.hash(&password).await.map_err(Error::internal)?;
    let mut tx = db.begin().await?;
    let now = now_ms();
    let (id, full_name) = insert_person(&mut tx, secrets, &person, &phone, &hash, now).await?;
    let representative = match &rep {
        Some(r) => {
            let own = PassportRf::parse(&person.passport)
                .ok()
                .map(|p| profile::passport_index(secrets, &p));
            let own = own.as_deref();
            let record =
                record_representative(&mut tx, secrets, operator, desk, r, &id, "registered", own);
            Some(record.await?)
        }
        None => None,
    };
    audit::append(
        &mut tx,
        audit::Entry {
            actor: operator,
            action: "identity.account.registered_in_person",
            subject_type: "account",
            subject_id: &id,
            details: serde_json::json!({ "office": desk.office, "device": desk.device, "consent_version": CONSENT_VERSION, "representative": representative }),
        },
    )
    .await?;
    tx.commit().await?;
    let login = Snils::parse(&person.snils)
        .map(|s| s.formatted())
        .unwrap_or(person.snils);
    Ok(Issued {
        account_id: id,
        full_name,
        login,
        temporary_password: Some(password),
        sign_in_code: None,
        valid_until: now + TEMPORARY_PASSWORD_MS,
        representative: rep.map(|r| r.line()),
    })
}

/// The person's account, unless one already holds their СНИЛС, passport or phone: confirmed, with
/// the temporary password (kept in its history). Gives its id and full name.
async fn insert_person(
    tx: &mut Tx,
    secrets: &Secrets,
    person: &PersonData,
    phone: &Phone,
    hash: &str,
    now: i64,
) -> Result<(String, String)> {
    let snils_idx = secrets.index("snils", &person.snils);
    let passport_idx = secrets.index("passport", &person.passport);
    let inn_idx = person.inn.as_ref().map(|i| secrets.index("inn", i));
    if store::identity_taken(tx, &snils_idx, &passport_idx, phone.as_str()).await? {
        return Err(Problem::conflict(
            "desk.person_exists",
            "У человека с этим СНИЛС, паспортом или телефоном уже есть учётная запись: найдите её, чтобы подтвердить или восстановить доступ.",
        )
        .into());
    }
    let id = new_id();
    let full_name = [&person.last_name, &person.first_name, &person.middle_name]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    store::insert_person_seen_at_desk(
        tx,
        &store::PersonSeenAtDesk {
            id: &id,
            full_name: &full_name,
            phone: phone.as_str(),
            password_hash: hash,
            now,
            password_expires_at: now + TEMPORARY_PASSWORD_MS,
            consent_version: CONSENT_VERSION,
            person,
            passport_enc: secrets.encrypt(&person.passport),
            passport_idx: &passport_idx,
            snils_enc: secrets.encrypt(&person.snils),
            snils_idx: &snils_idx,
            inn_enc: person.inn.as_deref().map(|i| secrets.encrypt(i)),
            inn_idx: inn_idx.as_deref(),
        },
    )
    .await?;
    store::remember_password(tx, &id, hash, now).await?;
    Ok((id, full_name))
}

/// Restores access after the operator compared the passport shown with the profile: a new
/// temporary password (24 hours, to be changed at the first sign-in), every session ended, the
/// lockout lifted, and the person told. A mismatch refuses with a reason, audited.
#[allow(clippy::too_many_arguments)]
pub async fn restore_in_person(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    operator: &Actor,
    desk: &Desk,
    account_id: &str,
    passport: &str,
    method: RestoreMethod,
) -> Result<Issued> {
    operator_account(operator)?;
    let rep = desk.representative()?;
    // With a QR code the password becomes one nobody knows, and the person sets their own after
    // signing in with the code.
    let password = temporary_password(idn);
    let hash = idn.hasher.hash(&password).await.map_err(Error::internal)?;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, account_id).await?;
    let docs = store::restore_docs(&mut tx, account_id).await?;
    let refused = restore_refusal(secrets, &a, passport, docs.as_ref());
    let representative = match &rep {
        Some(r) => {
            let act = if refused.is_some() {
                "restore_refused"
            } else {
                "restored"
            };
            let own = docs.as_ref().and_then(|d| d.passport_idx.as_deref());
            let record =
                record_representative(&mut tx, secrets, operator, desk, r, account_id, act, own);
            Some(record.await?)
        }
        None => None,
    };
    audit::append(
        &mut tx,
        audit::Entry {
            actor: operator,
            action: if refused.is_some() {
                "identity.recovery.in_person_refused"
            } else {
                "identity.recovery.in_person"
            },
            subject_type: "account",
            subject_id: account_id,
            details: serde_json::json!({ "office": desk.office, "device": desk.device, "refusal": refused.map(Refusal::code), "method": method, "representative": representative }),
        },
    )
    .await?;
    if let Some(r) = refused {
        tx.commit().await?;
        return Err(refusal(r));
    }
    let now = now_ms();
    let (valid_until, code) = issue_access(&mut tx, method, account_id, now).await?;
    let given = code.is_none();
    store::set_temporary_password(&mut tx, &hash, now, valid_until, account_id, given).await?;
    restored(&mut tx, &a, rep.as_ref(), now).await?;
    tx.commit().await?;
    let snils = docs
        .and_then(|d| d.snils_enc)
        .and_then(|e| secrets.decrypt(&e).ok())
        .and_then(|s| Snils::parse(&s).ok())
        .map(|s| s.formatted());
    Ok(Issued {
        account_id: a.id.clone(),
        full_name: a.display_name.clone(),
        login: snils.or(a.phone.clone()).unwrap_or_else(|| a.id.clone()),
        temporary_password: code.is_none().then_some(password),
        sign_in_code: code,
        valid_until,
        representative: rep.map(|r| r.line()),
    })
}

/// Why access cannot be restored for the passport shown, if it cannot.
fn restore_refusal(
    secrets: &Secrets,
    a: &AccountRow,
    passport: &str,
    docs: Option<&RestoreDocs>,
) -> Option<Refusal> {
    match (PassportRf::parse(passport), docs) {
        _ if a.status == "blocked" => Some(Refusal::AccountBlocked),
        _ if a.kind != "person" => Some(Refusal::OperatorLacksRight),
        (Err(_), _) => Some(Refusal::PassportInvalid),
        (
            _,
            None
            | Some(RestoreDocs {
                passport_idx: None, ..
            }),
        ) => Some(Refusal::NoProfile),
        (Ok(p), Some(d)) => (Some(crate::profile::passport_index(secrets, &p)) != d.passport_idx)
            .then_some(Refusal::DataDiffer),
    }
}

/// Until when what the person leaves with is accepted, and the one-time sign-in code when that
/// is what they leave with (its link kept for [`crate::sign_in::SIGN_IN_LINK_MS`]).
async fn issue_access(
    tx: &mut Tx,
    method: RestoreMethod,
    account_id: &str,
    now: i64,
) -> Result<(i64, Option<String>)> {
    Ok(match method {
        RestoreMethod::TemporaryPassword => (now + TEMPORARY_PASSWORD_MS, None),
        RestoreMethod::QrCode => {
            let code = crate::model::random_token();
            let hash = okno_kernel::auth::secret_hash(&code);
            let expires_at = now + crate::sign_in::SIGN_IN_LINK_MS;
            store::insert_sign_in_link(tx, &hash, account_id, now, expires_at).await?;
            (now + crate::sign_in::SIGN_IN_LINK_MS, Some(code))
        }
    })
}

/// After the new password is stored: every session ended, the lockout lifted, and the person told.
async fn restored(tx: &mut Tx, a: &AccountRow, rep: Option<&Checked>, now: i64) -> Result<()> {
    let ended = okno_kernel::auth::revoke_sessions(tx, "account", &a.id, None, now).await?;
    store::lift_throttle(tx, &a.id).await?;
    let by = match rep {
        Some(r) => format!("по обращению представителя: {}", r.line()),
        None => "по паспорту".to_string(),
    };
    alert(
        tx,
        a,
        "Доступ восстановлен в центре обслуживания",
        &format!("Доступ к вашей учётной записи восстановлен в центре обслуживания {by}. Все сеансы завершены ({ended}). Если это были не вы, обратитесь в центр обслуживания."),
    )
    .await
}

/// An account the operator found, as the desk shows it (documents masked).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Found {
    pub account_id: String,
    pub full_name: String,
    pub level: String,
    pub status: String,
    pub birth_date: Option<String>,
}

/// Finds an account by СНИЛС, phone or passport number (what the person shows at the desk). The
/// search is audited: the operator looked someone up.
pub async fn find(
    db: &Db,
    secrets: &Secrets,
    operator: &Actor,
    desk: &Desk,
    query: &str,
) -> Result<Vec<Found>> {
    operator_account(operator)?;
    let snils = Snils::parse(query)
        .ok()
        .map(|s| secrets.index("snils", s.as_str()));
    let passport = PassportRf::parse(query)
        .ok()
        .map(|p| crate::profile::passport_index(secrets, &p));
    let phone = Phone::parse(query).ok().map(|p| p.as_str().to_string());
    if snils.is_none() && passport.is_none() && phone.is_none() {
        return Err(Problem::invalid_field(
            "query",
            "desk.query_invalid",
            "Введите СНИЛС, номер телефона или серию и номер паспорта.",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let rows = store::find_people(
        &mut tx,
        snils.as_deref(),
        passport.as_deref(),
        phone.as_deref(),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor: operator,
            action: "identity.account.looked_up",
            subject_type: "office",
            subject_id: &desk.office,
            details: serde_json::json!({ "device": desk.device, "found": rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| Found {
            account_id: r.id,
            full_name: r.display_name,
            level: r.level,
            status: r.status,
            birth_date: r.birth_date,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn power(issued_on: &str, valid_until: Option<&str>) -> Representative {
        Representative {
            full_name: "Смирнов Пётр Иванович".into(),
            passport: "4510 123456".into(),
            power_number: "77 АА 1234567".into(),
            power_issuer: "Нотариус г. Тулы Иванова И. И.".into(),
            power_issued_on: issued_on.into(),
            power_valid_until: valid_until.map(str::to_string),
        }
    }

    #[test]
    fn a_power_without_a_term_lasts_a_year_and_one_made_on_29_february_ends_on_28_february() {
        let today = date(2024, 3, 1);
        let c = power("2024-02-29", None).check(today).unwrap();
        assert_eq!(c.valid_until, date(2025, 2, 28));
        let c = power("2023-06-15", None).check(today).unwrap();
        assert_eq!(c.valid_until, date(2024, 6, 15));
        let c = power("2024-01-10", Some("2026-01-10"))
            .check(today)
            .unwrap();
        assert_eq!(c.valid_until, date(2026, 1, 10));
    }

    #[test]
    fn a_power_made_tomorrow_or_already_over_or_written_otherwise_is_refused_by_field() {
        let today = date(2024, 3, 1);
        let fields = |r: Representative| -> Vec<String> {
            let p = r.check(today).unwrap_err().to_problem();
            p.errors.into_iter().map(|e| e.code).collect()
        };
        assert_eq!(
            fields(power("2024-03-02", None)),
            ["representative.power_not_yet"]
        );
        assert_eq!(
            fields(power("01.02.2024", None)),
            ["representative.power_date_invalid"]
        );
        assert_eq!(
            fields(power("2022-01-10", Some("2024-02-29"))),
            ["representative.power_expired"]
        );
    }
}
