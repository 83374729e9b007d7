//! The administrator sets who receives an agency's payments: every requisite checked (ИНН, БИК
//! and the accounts by their control digits, КПП, КБК and ОКТМО by their formats) and every
//! problem named at once.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::{FieldError, Problem, Result};
use okno_kernel::{audit, outbox};
use serde::Deserialize;

use crate::store::{self, Payee};

/// What an administrator sends to set an agency's payee.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayee {
    /// Up to 160 characters (the payment QR code's limit).
    pub name: String,
    /// A legal entity's ИНН, 10 digits.
    pub inn: String,
    pub kpp: String,
    pub bik: String,
    /// Up to 45 characters (the payment QR code's limit).
    pub bank_name: String,
    pub account: String,
    pub corr_account: String,
    pub kbk: String,
    pub oktmo: String,
    /// Eight digits.
    pub uin_prefix: String,
}

fn push(e: &mut Vec<FieldError>, field: &str, code: &str, message: impl Into<String>) {
    e.push(FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
    });
}

fn text(e: &mut Vec<FieldError>, field: &str, v: &str, max: usize, what: &str) -> String {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        push(
            e,
            field,
            &format!("payee.{field}"),
            format!("Укажите {what} (до {max} символов)."),
        );
    }
    v.to_string()
}

fn rule<T>(
    e: &mut Vec<FieldError>,
    field: &str,
    r: std::result::Result<T, okno_rules::RuleError>,
) -> Option<T> {
    r.map_err(|err| push(e, field, err.code(), err.to_string()))
        .ok()
}

/// Checks every requisite and reports all problems together.
pub fn validate_payee(agency: &str, n: NewPayee) -> std::result::Result<Payee, Problem> {
    let mut e = Vec::new();
    let name = text(&mut e, "name", &n.name, 160, "наименование получателя");
    let bank_name = text(&mut e, "bank_name", &n.bank_name, 45, "наименование банка");
    let inn = rule(&mut e, "inn", okno_rules::Inn::parse(&n.inn));
    if inn.as_ref().is_some_and(|i| i.as_str().len() != 10) {
        push(
            &mut e,
            "inn",
            "payee.inn_person",
            "У получателя платежей ИНН организации из 10 цифр.",
        );
    }
    let kpp = rule(&mut e, "kpp", okno_rules::Kpp::parse(&n.kpp));
    let bik = rule(&mut e, "bik", okno_rules::Bik::parse(&n.bik));
    let (account, corr) = match &bik {
        Some(b) => (
            rule(
                &mut e,
                "account",
                okno_rules::Account::parse_with_bik(&n.account, b),
            ),
            rule(
                &mut e,
                "corr_account",
                okno_rules::Account::parse_correspondent(&n.corr_account, b),
            ),
        ),
        None => (None, None),
    };
    let kbk = rule(&mut e, "kbk", okno_rules::Kbk::parse(&n.kbk));
    let oktmo = rule(&mut e, "oktmo", okno_rules::Oktmo::parse(&n.oktmo));
    let prefix = n.uin_prefix.trim().to_string();
    if prefix.len() != 8 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        push(
            &mut e,
            "uin_prefix",
            "payee.uin_prefix",
            "Начало УИН — восемь цифр.",
        );
    }
    match (inn, kpp, bik, account, corr, kbk, oktmo) {
        (Some(inn), Some(kpp), Some(bik), Some(account), Some(corr), Some(kbk), Some(oktmo))
            if e.is_empty() =>
        {
            Ok(Payee {
                agency_code: agency.to_string(),
                name,
                inn: inn.as_str().into(),
                kpp: kpp.as_str().into(),
                bik: bik.as_str().into(),
                bank_name,
                account: account.as_str().into(),
                corr_account: corr.as_str().into(),
                kbk: kbk.as_str().into(),
                oktmo: oktmo.as_str().into(),
                uin_prefix: prefix,
                updated_by: String::new(),
                updated_at: 0,
            })
        }
        _ => Err(Problem::invalid_fields(e)),
    }
}

/// Sets (or replaces) the payee of an existing agency.
pub async fn put_payee(db: &Db, actor: &Actor, agency: &str, n: NewPayee) -> Result<Payee> {
    actor.require(Permission::PaymentsConfigure)?;
    okno_directory::service::agency(db, agency).await?;
    let mut p = validate_payee(agency, n)?;
    p.updated_by = actor.name.clone();
    p.updated_at = now_ms();
    let mut tx = db.begin().await?;
    let before = store::payee(&mut tx, agency).await?;
    store::put_payee(&mut tx, &p).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "payments.payee.set",
            subject_type: "agency",
            subject_id: agency,
            details: serde_json::json!({
                "replaced": before.is_some(), "inn": p.inn, "bik": p.bik, "account": p.account,
                "kbk": p.kbk, "oktmo": p.oktmo, "uin_prefix": p.uin_prefix,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        "payments.payee.set",
        &serde_json::json!({ "agency": agency }),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

/// Every agency's payee.
pub async fn payees(db: &Db) -> Result<Vec<Payee>> {
    let mut c = db.read().await?;
    Ok(store::payees(&mut c).await?)
}
