//! In-person identity confirmation: an operator at a service point, signed in with their own staff
//! account (so with a second factor), compares the passport shown with the account's profile and
//! raises the account to «подтверждённая», or refuses with a reason the operator can print. The
//! offices part builds its desk on this.

use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};
use okno_kernel::pii::Secrets;
use okno_kernel::{audit, q_exec, q_opt};
use okno_rules::PassportRf;
use serde::{Deserialize, Serialize};

use crate::model::Level;
use crate::privacy::{notify_person, Topic};
use crate::service::load;

/// What the operator enters at the desk.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InPerson {
    /// Series and number of the passport shown.
    pub passport: String,
    /// The service point (its code in the directory).
    pub office: String,
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
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::DataDiffer => "confirm.data_differ",
            Refusal::PassportInvalid => "confirm.passport_invalid",
            Refusal::Minor => "confirm.minor",
            Refusal::AccountBlocked => "confirm.account_blocked",
            Refusal::NoProfile => "confirm.no_profile",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Refusal::DataDiffer => "Предъявленный паспорт не совпадает с данными учётной записи.",
            Refusal::PassportInvalid => "Серия и номер паспорта введены с ошибкой.",
            Refusal::Minor => "Заявитель младше 14 лет: учётную запись подтверждает законный представитель.",
            Refusal::AccountBlocked => "Учётная запись заблокирована.",
            Refusal::NoProfile => "В учётной записи не заполнен профиль с паспортом: сначала заполните его (или зарегистрируйте человека заново в центре).",
        }
    }

    fn problem(self) -> Problem {
        Problem::new(422, self.code(), "Подтверждение невозможно").with_detail(self.reason())
    }
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Docs {
    passport_idx: Option<String>,
    birth_date: Option<String>,
}

/// Confirms the account's identity in person. Refusals are audited too, with their reason.
pub async fn in_person(
    db: &Db,
    secrets: &Secrets,
    operator: &Actor,
    account_id: &str,
    c: InPerson,
) -> Result<Level> {
    operator.require(Permission::IdentityConfirm)?;
    if operator.kind != ActorKind::Account {
        return Err(Problem::new(403, "confirm.operator_account_required", "Нужна учётная запись оператора")
            .with_detail("Подтверждать личность может только оператор, вошедший со своей учётной записью и вторым фактором, а не по токену.")
            .into());
    }
    let office = c.office.trim();
    if office.is_empty() {
        return Err(Problem::invalid_field(
            "office",
            "confirm.office_required",
            "Укажите центр обслуживания.",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let a = load(&mut tx, account_id).await?;
    let docs = q_opt!(
        &mut tx,
        Docs,
        "SELECT passport_idx, birth_date FROM accounts WHERE id = $1",
        account_id
    )?;
    let refusal = match (PassportRf::parse(&c.passport), docs) {
        _ if a.status == "blocked" => Some(Refusal::AccountBlocked),
        (Err(_), _) => Some(Refusal::PassportInvalid),
        (_, None) => Some(Refusal::NoProfile),
        (
            _,
            Some(Docs {
                passport_idx: None, ..
            }),
        ) => Some(Refusal::NoProfile),
        (Ok(p), Some(d)) => {
            let typed = secrets.index("passport", &format!("{}{}", p.series(), p.number()));
            if Some(typed) != d.passport_idx {
                Some(Refusal::DataDiffer)
            } else if d.birth_date.as_deref().is_some_and(is_minor) {
                Some(Refusal::Minor)
            } else {
                None
            }
        }
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
            details: serde_json::json!({ "office": office, "refusal": refusal.map(Refusal::code) }),
        },
    )
    .await?;
    if let Some(r) = refusal {
        tx.commit().await?;
        return Err(r.problem().into());
    }
    q_exec!(
        &mut tx,
        "UPDATE accounts SET level = 'confirmed', registry_checked_at = $1 WHERE id = $2",
        now_ms(),
        account_id
    )?;
    notify_person(
        &mut tx,
        &a,
        Topic::Security,
        "Учётная запись подтверждена",
        "Ваша личность подтверждена в центре обслуживания: учётная запись стала подтверждённой. Теперь доступны все услуги онлайн.",
    )
    .await?;
    tx.commit().await?;
    Ok(Level::Confirmed)
}

/// Younger than 14 today (a date that cannot be read is not taken as a minor's).
fn is_minor(birth_date: &str) -> bool {
    let Ok(d) = time::Date::parse(
        birth_date,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) else {
        return false;
    };
    let today = time::OffsetDateTime::now_utc().date();
    let years = today.year()
        - d.year()
        - i32::from((today.month() as u8, today.day()) < (d.month() as u8, d.day()));
    years < 14
}
