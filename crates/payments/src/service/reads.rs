//! What people read: a charge found by its УИН on the public page (nothing personal), a person's
//! charges in the cabinet, an agency's charges on its officials' page.

use okno_identity::profile::checked_documents;
use okno_kernel::actor::Actor;
use okno_kernel::clock::{local_date, now_ms};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::Platform;
use okno_rules::calendar::ProductionCalendar;
use serde::Serialize;

use super::access::check_agency;
use crate::model::{ChargeRow, PayerKind, Status};
use crate::store;

/// The payee's requisites as a payment order needs them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayeeView {
    pub name: String,
    pub inn: String,
    pub kpp: String,
    pub bik: String,
    pub bank_name: String,
    pub account: String,
    pub corr_account: String,
    pub kbk: String,
    pub oktmo: String,
}

/// A fine's discount for paying early.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiscountView {
    pub percent: i64,
    pub days: i64,
    /// `YYYY-MM-DD`.
    pub ruling_date: String,
    /// The last day the discount holds (`YYYY-MM-DD`, moved past non-working days).
    pub last_day: String,
    /// The amount while the discount holds.
    pub amount_kopecks: i64,
}

/// A charge as its payer and its agency see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Charge)]
pub struct ChargeView {
    pub uin: String,
    pub kind: String,
    pub kind_title: String,
    pub status: String,
    pub status_title: String,
    pub agency_code: String,
    pub agency_name: String,
    pub payee: PayeeView,
    pub purpose: String,
    pub amount_kopecks: i64,
    /// What is to be paid today (the discount applied while it holds), less what was paid.
    pub amount_due_kopecks: i64,
    pub paid_kopecks: i64,
    pub discount: Option<DiscountView>,
    /// `YYYY-MM-DD` in the agency's time zone.
    pub issued_on: String,
    pub due_date: String,
    pub application_id: Option<String>,
    pub application_number: Option<String>,
    pub payer_kind: String,
    pub payer_name: String,
    /// The ГОСТ Р 56042-2014 payload for paying today's amount by a bank transfer; none when
    /// nothing is to be paid.
    pub payment_qr: Option<String>,
    /// Why the agency changed or annulled it last.
    pub reason: Option<String>,
    pub revision: i64,
}

/// A charge found by its УИН without signing in: nothing about the payer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCharge {
    pub uin: String,
    /// The agency's IANA time zone: its dates are in it.
    pub time_zone: String,
    pub kind: String,
    pub kind_title: String,
    pub status: String,
    pub status_title: String,
    pub agency_name: String,
    pub payee: PayeeView,
    pub purpose: String,
    pub amount_kopecks: i64,
    pub amount_due_kopecks: i64,
    pub discount: Option<DiscountView>,
    pub issued_on: String,
    pub due_date: String,
    pub payment_qr: Option<String>,
}

/// The agency's short name, today's date in its time zone, and the zone.
async fn agency_and_today(
    p: &Platform,
    code: &str,
) -> Result<(String, okno_kernel::clock::Date, String)> {
    let a = okno_directory::service::agency(&p.db, code).await?;
    Ok((
        a.short_name,
        local_date(&a.time_zone, now_ms()),
        a.time_zone,
    ))
}

fn payee_of(c: &ChargeRow) -> PayeeView {
    PayeeView {
        name: c.payee_name.clone(),
        inn: c.payee_inn.clone(),
        kpp: c.payee_kpp.clone(),
        bik: c.payee_bik.clone(),
        bank_name: c.payee_bank.clone(),
        account: c.payee_account.clone(),
        corr_account: c.payee_corr_account.clone(),
        kbk: c.kbk.clone(),
        oktmo: c.oktmo.clone(),
    }
}

fn discount_of(c: &ChargeRow, cal: &ProductionCalendar) -> Option<DiscountView> {
    let d = c.discount()?;
    Some(DiscountView {
        percent: i64::from(d.percent),
        days: i64::from(d.days),
        ruling_date: d.ruling.to_string(),
        last_day: d.last_day(cal).to_string(),
        amount_kopecks: d.amount_due(c.amount_kopecks, d.ruling, cal),
    })
}

/// Today's amount and its payment QR payload (none when nothing is to be paid).
fn due_today(c: &ChargeRow, today: okno_kernel::clock::Date) -> (i64, Option<String>) {
    let cal = ProductionCalendar::shared();
    let due = if c.status() == Status::Active {
        c.amount_due(today, cal)
    } else {
        0
    };
    let qr = (due > 0).then(|| c.payment_qr(due).ok()).flatten();
    (due, qr)
}

/// The full view of a charge; the payer's name only when `with_payer`.
pub(super) async fn view(p: &Platform, c: ChargeRow, with_payer: bool) -> Result<ChargeView> {
    let (agency_name, today, _) = agency_and_today(p, &c.agency_code).await?;
    let (amount_due_kopecks, payment_qr) = due_today(&c, today);
    let payer_name = if with_payer {
        p.secrets
            .decrypt(&c.payer_name_enc)
            .map_err(Error::internal)?
    } else {
        String::new()
    };
    Ok(ChargeView {
        kind_title: c.kind().title().into(),
        status_title: c.status().title().into(),
        payee: payee_of(&c),
        discount: discount_of(&c, ProductionCalendar::shared()),
        uin: c.uin,
        kind: c.kind,
        status: c.status,
        agency_code: c.agency_code,
        agency_name,
        purpose: c.purpose,
        amount_kopecks: c.amount_kopecks,
        amount_due_kopecks,
        paid_kopecks: c.paid_kopecks,
        issued_on: c.issued_on,
        due_date: c.due_date,
        application_id: c.application_id,
        application_number: c.application_number,
        payer_kind: c.payer_kind,
        payer_name,
        payment_qr,
        reason: c.reason,
        revision: c.revision,
    })
}

/// A charge by its УИН, for anyone: what and how much to pay, to whom; nothing about the payer.
pub async fn find_public(p: &Platform, uin: &str) -> Result<PublicCharge> {
    let uin = okno_rules::Uin::parse(uin)
        .map_err(|e| Problem::invalid_field("uin", e.code(), e.to_string()))?;
    let c = {
        let mut conn = p.db.read().await?;
        store::charge_by_uin(&mut conn, uin.as_str()).await?
    }
    .ok_or_else(|| Problem::not_found("Начисление с таким УИН не найдено. Проверьте номер."))?;
    let (agency_name, today, time_zone) = agency_and_today(p, &c.agency_code).await?;
    let (amount_due_kopecks, payment_qr) = due_today(&c, today);
    Ok(PublicCharge {
        time_zone,
        kind_title: c.kind().title().into(),
        status_title: c.status().title().into(),
        payee: payee_of(&c),
        discount: discount_of(&c, ProductionCalendar::shared()),
        uin: c.uin,
        kind: c.kind,
        status: c.status,
        agency_name,
        purpose: c.purpose,
        amount_kopecks: c.amount_kopecks,
        amount_due_kopecks,
        issued_on: c.issued_on,
        due_date: c.due_date,
        payment_qr,
    })
}

/// The signed-in person's account id, or 401.
fn own(actor: &Actor) -> Result<&str> {
    match actor.id.as_deref() {
        Some(id) if actor.kind == okno_kernel::actor::ActorKind::Account => Ok(id),
        _ => Err(Problem::unauthenticated().into()),
    }
}

/// The blind indexes under which the person's charges by СНИЛС and ИНН are kept (once their
/// profile is checked).
async fn my_keys(p: &Platform, account: &str) -> Result<Vec<String>> {
    let mut c = p.db.read().await?;
    let d = checked_documents(&mut c, account).await?;
    // Identity indexes the same digits under the same names as the charges do.
    debug_assert_eq!(PayerKind::Snils.as_str(), "snils");
    debug_assert_eq!(PayerKind::Inn.as_str(), "inn");
    Ok([d.snils_idx, d.inn_idx].into_iter().flatten().collect())
}

/// The person's charges: the fees of their applications and the charges for their checked
/// СНИЛС and ИНН, newest first.
pub async fn mine(p: &Platform, actor: &Actor) -> Result<Vec<ChargeView>> {
    let me = own(actor)?;
    let keys = my_keys(p, me).await?;
    let rows = {
        let mut c = p.db.read().await?;
        store::charges_of(&mut c, me, &keys, 200).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(p, r, true).await?);
    }
    Ok(out)
}

/// One charge, for its payer or an official of its agency (404 for anyone else).
pub async fn charge(p: &Platform, actor: &Actor, uin: &str) -> Result<ChargeView> {
    let not_found = || Error::from(Problem::not_found("Начисление не найдено."));
    let c = {
        let mut conn = p.db.read().await?;
        store::charge_by_uin(&mut conn, uin.trim()).await?
    }
    .ok_or_else(not_found)?;
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    let mine = match own(actor) {
        Ok(me) => {
            c.account_id.as_deref() == Some(me)
                || my_keys(p, me)
                    .await?
                    .iter()
                    .any(|k| c.payer_idx.as_deref() == Some(k.as_str()))
        }
        Err(_) => false,
    };
    if !mine && check_agency(&p.db, actor, &c.agency_code).await.is_err() {
        return Err(not_found());
    }
    view(p, c, true).await
}

/// An agency's charges, newest first, for its officials.
pub async fn agency_charges(p: &Platform, actor: &Actor, agency: &str) -> Result<Vec<ChargeView>> {
    check_agency(&p.db, actor, agency).await?;
    let rows = {
        let mut c = p.db.read().await?;
        store::charges_of_agency(&mut c, agency, 500).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(p, r, true).await?);
    }
    Ok(out)
}
