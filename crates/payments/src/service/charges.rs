//! An agency's charges: one loaded through the API (a CSV file is `csv_load`), changed or annulled
//! with a reason; each step audited and the person told.

use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::Actor;
use okno_kernel::clock::{date_text, local_date, new_id, now_ms, parse_date, Date};
use okno_kernel::db::Tx;
use okno_kernel::error::{FieldError, Problem, Result};
use okno_kernel::pii::Secrets;
use okno_kernel::{audit, outbox, Platform};
use okno_rules::Kopecks;
use serde::Deserialize;

use super::access::check_agency;
use super::reads::{view, ChargeView};
use crate::model::{ChargeRow, Kind, PayerKind, Status};
use crate::store::{self, Payee};

/// The largest amount a charge may have: one billion roubles.
pub const MAX_KOPECKS: i64 = 100_000_000_000;
const PURPOSE_MAX: usize = 210;
const NAME_MAX: usize = 300;
const REASON_MAX: usize = 1000;

/// A charge an agency loads: its own УИН, whom it is for, what and how much.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCharge {
    /// The agency's code.
    pub agency: String,
    /// 20 or 25 digits with the control digit.
    pub uin: String,
    /// `fee`, `fine`, `tax` or `other`.
    pub kind: String,
    /// `snils`, `inn`, `driver_licence` or `vehicle_certificate`.
    pub payer_kind: String,
    pub payer_id: String,
    pub payer_name: String,
    /// The payment's purpose, up to 210 characters.
    pub purpose: String,
    pub amount_kopecks: i64,
    /// `YYYY-MM-DD`, not before today.
    pub due_date: String,
    /// The budget code; the payee's when not given.
    pub kbk: Option<String>,
    /// The territory code; the payee's when not given.
    pub oktmo: Option<String>,
    /// A fine's ruling date (`YYYY-MM-DD`), with the discount for paying early.
    pub ruling_date: Option<String>,
    /// Percent off when paid early (1–99; 50 by КоАП ст. 32.2 ч. 1.3).
    pub discount_percent: Option<i64>,
    /// Days from the day after the ruling the discount holds (20 by КоАП ст. 32.2 ч. 1.3).
    pub discount_days: Option<i64>,
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
            &format!("charge.{field}"),
            format!("Укажите {what} (до {max} символов)."),
        );
    }
    v.to_string()
}

fn amount(e: &mut Vec<FieldError>, field: &str, k: i64) {
    if !(1..=MAX_KOPECKS).contains(&k) {
        push(
            e,
            field,
            "charge.amount",
            "Сумма — от 1 копейки до 1 000 000 000 ₽, в копейках.",
        );
    }
}

/// An optional text field, trimmed; `None` when empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn due(e: &mut Vec<FieldError>, v: &str, today: Date) -> Option<Date> {
    match parse_date(v.trim()) {
        Some(d) if d >= today => Some(d),
        Some(_) => {
            push(
                e,
                "due_date",
                "charge.due_date_past",
                "Срок оплаты не может быть в прошлом.",
            );
            None
        }
        None => {
            push(
                e,
                "due_date",
                "charge.due_date",
                "Срок оплаты — дата в виде ГГГГ-ММ-ДД.",
            );
            None
        }
    }
}

/// The fine's discount: all three of ruling date, percent and days, or none.
fn discount(
    e: &mut Vec<FieldError>,
    n: &NewCharge,
    kind: Option<Kind>,
    today: Date,
) -> (Option<i64>, Option<i64>, Option<String>) {
    let ruling = n
        .ruling_date
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (ruling, n.discount_percent, n.discount_days) {
        (None, None, None) => (None, None, None),
        (Some(r), Some(p), Some(d)) => {
            let mut ok = true;
            if kind != Some(Kind::Fine) {
                push(
                    e,
                    "discount_percent",
                    "charge.discount_not_fine",
                    "Скидка за раннюю оплату бывает только у штрафа.",
                );
                ok = false;
            }
            if !(1..=99).contains(&p) {
                push(
                    e,
                    "discount_percent",
                    "charge.discount_percent",
                    "Скидка — от 1 до 99 процентов.",
                );
                ok = false;
            }
            if !(1..=366).contains(&d) {
                push(
                    e,
                    "discount_days",
                    "charge.discount_days",
                    "Срок скидки — от 1 до 366 дней.",
                );
                ok = false;
            }
            match parse_date(r) {
                Some(day) if day <= today => {}
                Some(_) => {
                    push(
                        e,
                        "ruling_date",
                        "charge.ruling_future",
                        "Дата постановления не может быть в будущем.",
                    );
                    ok = false;
                }
                None => {
                    push(
                        e,
                        "ruling_date",
                        "charge.ruling_date",
                        "Дата постановления — дата в виде ГГГГ-ММ-ДД.",
                    );
                    ok = false;
                }
            }
            if ok {
                (Some(p), Some(d), Some(r.to_string()))
            } else {
                (None, None, None)
            }
        }
        _ => {
            push(
                e,
                "ruling_date",
                "charge.discount_incomplete",
                "Для скидки укажите дату постановления, процент и срок в днях вместе.",
            );
            (None, None, None)
        }
    }
}

/// Checks a charge against the agency's payee on the agency's `today`; every problem named.
pub fn check_charge(
    n: &NewCharge,
    payee: &Payee,
    secrets: &Secrets,
    today: Date,
    source: &str,
    created_by: &str,
) -> std::result::Result<ChargeRow, Vec<FieldError>> {
    let mut e = Vec::new();
    let uin = okno_rules::Uin::parse(&n.uin)
        .map_err(|err| push(&mut e, "uin", err.code(), err.to_string()))
        .ok();
    let kind = Kind::parse(n.kind.trim());
    if kind.is_none() {
        push(
            &mut e,
            "kind",
            "charge.kind",
            "Вид начисления: fee, fine, tax или other.",
        );
    }
    let payer_kind = PayerKind::parse(n.payer_kind.trim()).filter(|k| *k != PayerKind::Account);
    let payer = match payer_kind {
        None => {
            push(
                &mut e,
                "payer_kind",
                "charge.payer_kind",
                "Плательщик: snils, inn, driver_licence или vehicle_certificate.",
            );
            None
        }
        Some(k) => k
            .identifier(&n.payer_id)
            .map_err(|(code, message)| push(&mut e, "payer_id", code, message))
            .ok(),
    };
    let payer_name = text(&mut e, "payer_name", &n.payer_name, NAME_MAX, "плательщика");
    let purpose = text(
        &mut e,
        "purpose",
        &n.purpose,
        PURPOSE_MAX,
        "назначение платежа",
    );
    amount(&mut e, "amount_kopecks", n.amount_kopecks);
    let due_date = due(&mut e, &n.due_date, today);
    let kbk = match given(&n.kbk) {
        None => Some(payee.kbk.clone()),
        Some(v) => okno_rules::Kbk::parse(v)
            .map(|k| k.as_str().to_string())
            .map_err(|err| push(&mut e, "kbk", err.code(), err.to_string()))
            .ok(),
    };
    let oktmo = match given(&n.oktmo) {
        None => Some(payee.oktmo.clone()),
        Some(v) => okno_rules::Oktmo::parse(v)
            .map(|k| k.as_str().to_string())
            .map_err(|err| push(&mut e, "oktmo", err.code(), err.to_string()))
            .ok(),
    };
    let (discount_percent, discount_days, ruling_date) = discount(&mut e, n, kind, today);
    let (
        Some(uin),
        Some(kind),
        Some(payer_kind),
        Some(payer),
        Some(due_date),
        Some(kbk),
        Some(oktmo),
    ) = (uin, kind, payer_kind, payer, due_date, kbk, oktmo)
    else {
        return Err(e);
    };
    if !e.is_empty() {
        return Err(e);
    }
    let now = now_ms();
    Ok(ChargeRow {
        id: new_id(),
        uin: uin.as_str().to_string(),
        agency_code: payee.agency_code.clone(),
        kind: kind.as_str().into(),
        source: source.into(),
        application_id: None,
        application_number: None,
        payee_name: payee.name.clone(),
        payee_inn: payee.inn.clone(),
        payee_kpp: payee.kpp.clone(),
        payee_bik: payee.bik.clone(),
        payee_bank: payee.bank_name.clone(),
        payee_account: payee.account.clone(),
        payee_corr_account: payee.corr_account.clone(),
        kbk,
        oktmo,
        purpose,
        amount_kopecks: n.amount_kopecks,
        discount_percent,
        discount_days,
        ruling_date,
        issued_on: today.to_string(),
        due_date: due_date.to_string(),
        payer_kind: payer_kind.as_str().into(),
        payer_idx: Some(secrets.index(payer_kind.as_str(), &payer)),
        payer_enc: Some(secrets.encrypt(&payer)),
        payer_name_enc: secrets.encrypt(&payer_name),
        account_id: None,
        status: Status::Active.as_str().into(),
        paid_kopecks: 0,
        revision: 0,
        reason: None,
        created_by: created_by.into(),
        created_at: now,
        updated_at: now,
    })
}

/// The agency's payee, or the refusal that names what is missing.
pub(super) async fn payee_of(p: &Platform, agency: &str) -> Result<Payee> {
    let mut c = p.db.read().await?;
    store::payee(&mut c, agency).await?.ok_or_else(|| {
        Problem::conflict(
            "charge.no_payee",
            "Для ведомства не указаны реквизиты получателя платежей. Обратитесь к администратору.",
        )
        .into()
    })
}

/// The agency's local date today.
pub(super) async fn agency_today(p: &Platform, agency: &str) -> Result<Date> {
    let a = okno_directory::service::agency(&p.db, agency).await?;
    Ok(local_date(&a.time_zone, now_ms()))
}

/// The account to tell about a charge: the fee's, or the person whose checked profile holds its
/// СНИЛС or ИНН.
pub(super) async fn holder(tx: &mut Tx, c: &ChargeRow) -> Result<Option<String>> {
    if let Some(a) = &c.account_id {
        return Ok(Some(a.clone()));
    }
    match (c.payer_kind.as_str(), c.payer_idx.as_deref()) {
        (kind @ ("snils" | "inn"), Some(idx)) => {
            okno_identity::profile::checked_holder(tx, kind, idx).await
        }
        _ => Ok(None),
    }
}

/// Tells the charge's holder (if known) `subject` and `text`.
pub(super) async fn tell(tx: &mut Tx, c: &ChargeRow, subject: &str, text: &str) -> Result<()> {
    if let Some(account) = holder(tx, c).await? {
        notify_account(tx, &account, Topic::Payments, subject, text).await?;
    }
    Ok(())
}

/// «Штраф 1 500,00 ₽: назначение. УИН …, оплатить до 18 декабря 2026 г.»
pub(super) fn summary(c: &ChargeRow) -> String {
    let due = parse_date(&c.due_date)
        .map(date_text)
        .unwrap_or_else(|| c.due_date.clone());
    format!(
        "{} {}: {}. УИН {}, оплатить до {due}",
        c.kind().title(),
        Kopecks(c.amount_kopecks),
        c.purpose.trim_end_matches('.'),
        c.uin
    )
}

/// Writes a new charge with its audit record, event and notice, in the caller's transaction.
/// False when its УИН is taken (nothing written).
pub async fn record_new(tx: &mut Tx, actor: &Actor, c: &ChargeRow) -> Result<bool> {
    if !store::insert_charge(tx, c).await? {
        return Ok(false);
    }
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "payments.charge.created",
            subject_type: "charge",
            subject_id: &c.id,
            details: serde_json::json!({
                "uin": c.uin, "agency": c.agency_code, "kind": c.kind, "source": c.source,
                "amount_kopecks": c.amount_kopecks, "due_date": c.due_date,
                "payer_kind": c.payer_kind, "application": c.application_number,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        tx,
        "payments.charge.created",
        &serde_json::json!({
            "charge_id": c.id, "uin": c.uin, "agency": c.agency_code,
            "application_id": c.application_id, "amount_kopecks": c.amount_kopecks,
        }),
    )
    .await?;
    tell(tx, c, "Новое начисление", &format!("{}.", summary(c))).await?;
    Ok(true)
}

fn uin_taken(uin: &str) -> Problem {
    Problem::conflict(
        "charge.uin_taken",
        format!("Начисление с УИН {uin} уже есть."),
    )
}

/// An official of the agency loads one charge.
pub async fn create(p: &Platform, actor: &Actor, n: NewCharge) -> Result<ChargeView> {
    let agency = n.agency.trim().to_string();
    check_agency(&p.db, actor, &agency).await?;
    let payee = payee_of(p, &agency).await?;
    let today = agency_today(p, &agency).await?;
    let c = check_charge(&n, &payee, &p.secrets, today, "api", &actor.name)
        .map_err(Problem::invalid_fields)?;
    let mut tx = p.db.begin().await?;
    if !record_new(&mut tx, actor, &c).await? {
        return Err(uin_taken(&c.uin).into());
    }
    tx.commit().await?;
    view(p, c, true).await
}

/// What the agency changes in an unpaid charge, and why.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeEdit {
    pub amount_kopecks: Option<i64>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub purpose: Option<String>,
    /// Why (shown to the person).
    pub reason: String,
}

/// Why the agency annuls a charge (shown to the person).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Annulment {
    pub reason: String,
}

fn reason_of(e: &mut Vec<FieldError>, r: &str) -> String {
    text(e, "reason", r, REASON_MAX, "причину")
}

/// Loads the charge for a change by an official of its agency.
async fn for_change(p: &Platform, actor: &Actor, uin: &str) -> Result<ChargeRow> {
    let c = {
        let mut conn = p.db.read().await?;
        store::charge_by_uin(&mut conn, uin.trim()).await?
    }
    .ok_or_else(|| Problem::not_found("Начисление не найдено."))?;
    check_agency(&p.db, actor, &c.agency_code).await?;
    Ok(c)
}

/// Writes the changed charge if nobody changed it meanwhile, with its audit record and notice.
async fn commit_change(
    p: &Platform,
    actor: &Actor,
    before: &ChargeRow,
    after: ChargeRow,
    action: &str,
    notice: (&str, String),
) -> Result<ChargeView> {
    let mut tx = p.db.begin().await?;
    if !store::update_charge(&mut tx, &after, before.revision).await? {
        return Err(Problem::conflict(
            "charge.changed",
            "Начисление только что изменилось. Обновите страницу и повторите.",
        )
        .into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action,
            subject_type: "charge",
            subject_id: &after.id,
            details: serde_json::json!({
                "uin": after.uin, "reason": after.reason, "revision": after.revision,
                "amount_before": before.amount_kopecks, "amount_after": after.amount_kopecks,
                "due_before": before.due_date, "due_after": after.due_date,
                "purpose_changed": before.purpose != after.purpose, "status": after.status,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        action,
        &serde_json::json!({ "charge_id": after.id, "uin": after.uin, "agency": after.agency_code }),
    )
    .await?;
    tell(&mut tx, &after, notice.0, &notice.1).await?;
    tx.commit().await?;
    view(p, after, true).await
}

/// The agency changes the amount, the due date or the purpose of an unpaid charge.
pub async fn change(
    p: &Platform,
    actor: &Actor,
    uin: &str,
    edit: ChargeEdit,
) -> Result<ChargeView> {
    let before = for_change(p, actor, uin).await?;
    let today = agency_today(p, &before.agency_code).await?;
    let mut e = Vec::new();
    let reason = reason_of(&mut e, &edit.reason);
    let mut after = before.clone();
    if let Some(k) = edit.amount_kopecks {
        amount(&mut e, "amount_kopecks", k);
        after.amount_kopecks = k;
    }
    if let Some(d) = edit.due_date.as_deref() {
        if let Some(d) = due(&mut e, d, today) {
            after.due_date = d.to_string();
        }
    }
    if let Some(v) = edit.purpose.as_deref() {
        after.purpose = text(&mut e, "purpose", v, PURPOSE_MAX, "назначение платежа");
    }
    if !e.is_empty() {
        return Err(Problem::invalid_fields(e).into());
    }
    after.status = before.status().change()?.as_str().into();
    after.reason = Some(reason.clone());
    after.revision = before.revision + 1;
    after.updated_at = now_ms();
    let text = format!("{}. Причина: {reason}.", summary(&after));
    commit_change(
        p,
        actor,
        &before,
        after,
        "payments.charge.changed",
        ("Начисление изменено", text),
    )
    .await
}

/// The agency annuls an unpaid charge.
pub async fn annul(p: &Platform, actor: &Actor, uin: &str, a: Annulment) -> Result<ChargeView> {
    let before = for_change(p, actor, uin).await?;
    let mut e = Vec::new();
    let reason = reason_of(&mut e, &a.reason);
    if !e.is_empty() {
        return Err(Problem::invalid_fields(e).into());
    }
    let mut after = before.clone();
    after.status = before.status().annul()?.as_str().into();
    after.reason = Some(reason.clone());
    after.revision = before.revision + 1;
    after.updated_at = now_ms();
    let text = format!(
        "Начисление аннулировано, оплачивать его не нужно: {}. Причина: {reason}.",
        summary(&after)
    );
    commit_change(
        p,
        actor,
        &before,
        after,
        "payments.charge.annulled",
        ("Начисление аннулировано", text),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn payee() -> Payee {
        Payee {
            agency_code: "gibdd".into(),
            name: "УФК по Тульской области (УМВД России по Тульской области)".into(),
            inn: "7106003011".into(),
            kpp: "710601001".into(),
            bik: "017003983".into(),
            bank_name: "ОТДЕЛЕНИЕ ТУЛА БАНКА РОССИИ".into(),
            account: "03100643000000016600".into(),
            corr_account: "40102810445370000059".into(),
            kbk: "18811601123010001140".into(),
            oktmo: "70701000".into(),
            uin_prefix: "18810471".into(),
            updated_by: String::new(),
            updated_at: 0,
        }
    }

    fn fine() -> NewCharge {
        NewCharge {
            agency: "gibdd".into(),
            uin: okno_rules::Uin::issue("18810471", 7).unwrap().to_string(),
            kind: "fine".into(),
            payer_kind: "driver_licence".into(),
            payer_id: "77 07 123456".into(),
            payer_name: "Иванов Иван Иванович".into(),
            purpose: "Штраф по постановлению 18810471260000000079".into(),
            amount_kopecks: 150_000,
            due_date: "2027-02-01".into(),
            ruling_date: Some("2026-12-01".into()),
            discount_percent: Some(50),
            discount_days: Some(20),
            ..NewCharge::default()
        }
    }

    fn secrets() -> Secrets {
        Secrets::from_master(&[7; 32])
    }

    #[test]
    fn a_fine_with_its_discount_takes_the_payees_requisites() {
        let c = check_charge(&fine(), &payee(), &secrets(), date(2026, 12, 2), "api", "t").unwrap();
        assert_eq!(c.kbk, "18811601123010001140");
        assert_eq!(c.payee_account, "03100643000000016600");
        assert_eq!(c.discount_percent, Some(50));
        let cal = okno_rules::ProductionCalendar::shared();
        assert_eq!(c.amount_due(date(2026, 12, 21), cal), 75_000);
        assert_eq!(c.amount_due(date(2026, 12, 22), cal), 150_000);
        assert_ne!(c.payer_enc.as_deref(), Some("7707123456"), "encrypted");
        let qr = okno_rules::PaymentQr::parse(&c.payment_qr(75_000).unwrap()).unwrap();
        assert_eq!(qr.get("UIN"), Some(c.uin.as_str()));
        assert_eq!(qr.get("Sum"), Some("75000"));
        assert_eq!(qr.get("CBC"), Some("18811601123010001140"));
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = NewCharge {
            uin: "18810471000000000000000071".into(),
            kind: "gift".into(),
            payer_kind: "snils".into(),
            payer_id: "112-233-445 96".into(),
            amount_kopecks: 0,
            due_date: "2026-11-30".into(),
            kbk: Some("123".into()),
            ruling_date: Some("2026-12-01".into()),
            ..fine()
        };
        let e =
            check_charge(&bad, &payee(), &secrets(), date(2026, 12, 2), "api", "t").unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        for f in [
            "uin",
            "kind",
            "payer_id",
            "amount_kopecks",
            "due_date",
            "kbk",
        ] {
            assert!(fields.contains(&f), "{f} missing in {fields:?}");
        }
        assert!(e.iter().all(|f| !f.message.is_empty()));
    }

    #[test]
    fn a_discount_is_all_or_nothing_and_only_for_fines() {
        let half = NewCharge {
            discount_days: None,
            ..fine()
        };
        let e =
            check_charge(&half, &payee(), &secrets(), date(2026, 12, 2), "api", "t").unwrap_err();
        assert_eq!(e[0].code, "charge.discount_incomplete");
        let tax = NewCharge {
            kind: "tax".into(),
            ..fine()
        };
        let e =
            check_charge(&tax, &payee(), &secrets(), date(2026, 12, 2), "api", "t").unwrap_err();
        assert_eq!(e[0].code, "charge.discount_not_fine");
        let future = NewCharge {
            ruling_date: Some("2026-12-03".into()),
            ..fine()
        };
        let e =
            check_charge(&future, &payee(), &secrets(), date(2026, 12, 2), "api", "t").unwrap_err();
        assert_eq!(e[0].code, "charge.ruling_future");
    }
}
