//! Identity types: account levels and statuses, the logins a person may sign in with, and the
//! second-factor setting. Parsed at the edge; the rest of the part only holds checked values.

use okno_kernel::actor::{Actor, ActorKind};
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_rules::{Inn, Phone, Snils};
use rand::RngCore;
use serde::Serialize;

use crate::password::{self, Policy};

/// How sure the platform is of who holds the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Registered; the phone and the e-mail are not both confirmed yet.
    Registered,
    /// Упрощённая: phone and e-mail confirmed by codes.
    Simplified,
    /// Стандартная: profile checked against the state registries.
    Standard,
    /// Подтверждённая: identity confirmed in person or through a bank.
    Confirmed,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Registered,
        Level::Simplified,
        Level::Standard,
        Level::Confirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Registered => "registered",
            Level::Simplified => "simplified",
            Level::Standard => "standard",
            Level::Confirmed => "confirmed",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Level::Registered => "Регистрация не завершена",
            Level::Simplified => "Упрощённая",
            Level::Standard => "Стандартная",
            Level::Confirmed => "Подтверждённая",
        }
    }

    /// What the level allows, for the account page.
    pub fn allows(self) -> &'static str {
        match self {
            Level::Registered => "Подтвердите телефон и электронную почту, чтобы пользоваться порталом.",
            Level::Simplified => "Справочная информация, обращения и сообщения о проблемах, оплата по квитанциям.",
            Level::Standard => "Всё, что доступно с упрощённой учётной записью, и часть государственных услуг онлайн.",
            Level::Confirmed => "Все государственные услуги онлайн, электронная подпись документов, доверенности.",
        }
    }

    /// How to reach the next level.
    pub fn next_step(self) -> Option<&'static str> {
        match self {
            Level::Registered => Some("Введите коды из SMS и письма на этой странице."),
            Level::Simplified => Some("Заполните профиль: ФИО, дату рождения, паспорт и СНИЛС; данные будут проверены в государственных реестрах."),
            Level::Standard => Some("Подтвердите личность в центре обслуживания (МФЦ, отделение Почты России, банк) с паспортом."),
            Level::Confirmed => None,
        }
    }
}

/// When the second factor is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    /// Never (only the password).
    Off,
    /// At every sign-in.
    Always,
    /// Only on a device the account has not signed in from before.
    NewDevice,
}

impl SecondFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            SecondFactor::Off => "off",
            SecondFactor::Always => "always",
            SecondFactor::NewDevice => "new_device",
        }
    }

    pub fn parse(s: &str) -> Option<SecondFactor> {
        [
            SecondFactor::Off,
            SecondFactor::Always,
            SecondFactor::NewDevice,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            SecondFactor::Off => "Не запрашивать",
            SecondFactor::Always => "При каждом входе",
            SecondFactor::NewDevice => "Только на новом устройстве",
        }
    }
}

/// What a person typed in the login field, understood as every identifier it can be: an e-mail,
/// a mobile phone, a СНИЛС (11 digits with a valid control number) or an ИНН of a person.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Login {
    pub email: Option<String>,
    pub phone: Option<Phone>,
    pub snils: Option<Snils>,
    pub inn: Option<Inn>,
}

impl Login {
    /// `None` when the text can be no login at all. An 11-digit number may be both a phone and a
    /// СНИЛС; both are then looked up.
    pub fn parse(input: &str) -> Option<Login> {
        let t = input.trim();
        if t.is_empty() || t.chars().count() > 254 {
            return None;
        }
        if t.contains('@') {
            return Some(Login {
                email: Some(normalise_email(t)?),
                ..Login::default()
            });
        }
        let login = Login {
            email: None,
            phone: Phone::parse(t).ok(),
            snils: Snils::parse(t).ok(),
            inn: Inn::parse(t).ok(),
        };
        (login.phone.is_some() || login.snils.is_some() || login.inn.is_some()).then_some(login)
    }

    /// A stable text of the login for keyed hashing (throttling of unknown logins).
    pub fn key(&self) -> String {
        let mut parts = Vec::new();
        if let Some(e) = &self.email {
            parts.push(format!("email:{e}"));
        }
        if let Some(p) = &self.phone {
            parts.push(format!("phone:{}", p.as_str()));
        }
        if let Some(s) = &self.snils {
            parts.push(format!("snils:{}", s.as_str()));
        }
        if let Some(i) = &self.inn {
            parts.push(format!("inn:{}", i.as_str()));
        }
        parts.join("|")
    }
}

/// An e-mail address trimmed and lower-cased, when it looks like one (`local@domain.tld`).
pub fn normalise_email(input: &str) -> Option<String> {
    let e = input.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
        && !domain.contains('@');
    ok.then_some(e)
}

/// `+7 916 ***-**-67`: a phone as shown to people other than its owner's full view.
pub fn mask_phone(e164: &str) -> String {
    let d: Vec<char> = e164.chars().collect();
    if d.len() != 12 {
        return "***".into();
    }
    format!("+7 {}{}{} ***-**-{}{}", d[2], d[3], d[4], d[10], d[11])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_login_is_lower_cased() {
        let l = Login::parse("  Ivan.Petrov@Example.RU ").unwrap();
        assert_eq!(l.email.as_deref(), Some("ivan.petrov@example.ru"));
        assert!(l.phone.is_none() && l.snils.is_none());
    }

    #[test]
    fn a_phone_login_is_normalised_and_a_valid_snils_is_recognised() {
        let l = Login::parse("8 (916) 123-45-67").unwrap();
        assert_eq!(l.phone.as_ref().map(|p| p.as_str()), Some("+79161234567"));
        let l = Login::parse("112-233-445 95").unwrap();
        assert_eq!(l.snils.as_ref().map(|s| s.as_str()), Some("11223344595"));
        assert!(l.phone.is_none());
    }

    #[test]
    fn text_that_is_no_identifier_is_no_login() {
        assert!(Login::parse("ivan").is_none());
        assert!(Login::parse("").is_none());
        assert!(Login::parse("12345").is_none());
    }

    #[test]
    fn bad_emails_are_refused() {
        for e in ["a@b", "@b.ru", "a b@c.ru", "a@.ru", "a@b.ru."] {
            assert!(normalise_email(e).is_none(), "{e}");
        }
        assert_eq!(normalise_email("A@B.RU").as_deref(), Some("a@b.ru"));
    }

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(mask_phone("+79161234567"), "+7 916 ***-**-67");
    }

    #[test]
    fn levels_are_ordered_and_round_trip() {
        assert!(Level::Registered < Level::Simplified && Level::Standard < Level::Confirmed);
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
    }
}

pub(crate) fn invalid(errors: Vec<FieldError>) -> Error {
    Problem::invalid_fields(errors).into()
}

pub(crate) fn field(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
    }
}

/// The password's failed rules as field errors on `field_name`, all at once.
pub(crate) fn password_errors(
    policy: &Policy,
    field_name: &str,
    password: &str,
    personal: &[&str],
) -> Vec<FieldError> {
    password::check(policy, password, personal)
        .into_iter()
        .map(|w| field(field_name, w.code(), w.message(policy)))
        .collect()
}

/// The account id of a signed-in person, or 401.
pub(crate) fn own_account(actor: &Actor) -> Result<&str> {
    match (&actor.kind, &actor.id) {
        (ActorKind::Account, Some(id)) => Ok(id),
        _ => Err(Problem::unauthenticated().into()),
    }
}

pub(crate) fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Why a confirmation was refused: stable codes the desk prints with a Russian reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    DataDiffer,
    PassportInvalid,
    Minor,
    AccountBlocked,
    NoProfile,
    /// The bank adapter confirms only accounts already checked against the registries.
    NotStandard,
    PassportExpired,
    OperatorLacksRight,
    RegistryUnavailable,
    RegistryNotFound,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::DataDiffer => "confirm.data_differ",
            Refusal::PassportInvalid => "confirm.passport_invalid",
            Refusal::Minor => "confirm.minor",
            Refusal::AccountBlocked => "confirm.account_blocked",
            Refusal::NoProfile => "confirm.no_profile",
            Refusal::NotStandard => "confirm.not_standard",
            Refusal::PassportExpired => "confirm.passport_expired",
            Refusal::OperatorLacksRight => "confirm.operator_lacks_right",
            Refusal::RegistryUnavailable => "confirm.registry_unavailable",
            Refusal::RegistryNotFound => "confirm.registry_not_found",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Refusal::DataDiffer => "Предъявленный паспорт не совпадает с данными учётной записи.",
            Refusal::PassportInvalid => "Серия и номер паспорта введены с ошибкой.",
            Refusal::Minor => "Заявитель младше 14 лет: учётную запись подтверждает законный представитель.",
            Refusal::AccountBlocked => "Учётная запись заблокирована.",
            Refusal::NoProfile => "В учётной записи не заполнен профиль с паспортом: сначала заполните его (или зарегистрируйте человека заново в центре).",
            Refusal::NotStandard => "Учётная запись ещё не стандартная: сначала заполните профиль и дождитесь проверки данных в государственных реестрах.",
            Refusal::PassportExpired => "Паспорт недействителен: после 20 и 45 лет его нужно заменить (в течение 90 дней). Обратитесь с действующим паспортом.",
            Refusal::OperatorLacksRight => "У оператора нет права на эту операцию в этом центре обслуживания или с этого рабочего места.",
            Refusal::RegistryUnavailable => "Государственный реестр сейчас недоступен: проверить данные нельзя. Попробуйте позже.",
            Refusal::RegistryNotFound => "Человек с такими СНИЛС и паспортом не найден в государственном реестре.",
        }
    }

    pub fn problem(self) -> Problem {
        Problem::new(422, self.code(), "Подтверждение невозможно").with_detail(self.reason())
    }
}

/// A second factor's method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Totp,
    Sms,
    Recovery,
    /// `code` is the JSON of the `PublicKeyCredential` that `navigator.credentials.get()` returned
    /// for the options of `POST /api/v1/identity/sign-in/passkey`.
    Passkey,
}

pub(crate) fn challenge_gone() -> Problem {
    Problem::new(
        401,
        "auth.challenge_expired",
        "Время на подтверждение входа истекло",
    )
    .with_detail("Время на ввод кода истекло или вход уже подтверждён. Войдите снова.")
}
