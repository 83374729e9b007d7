//! The state fee of an application becomes a charge: the services part announces
//! `application.fee_due` through the outbox, and this consumer takes each event exactly once
//! (whichever node takes it) and issues the charge with a УИН of the agency's payee.

use jiff::ToSpan;
use okno_kernel::actor::Actor;
use okno_kernel::clock::{local_date, new_id, now_ms};
use okno_kernel::error::Result;
use okno_kernel::{outbox, Platform};
use serde::Deserialize;

use super::charges::record_new;
use crate::model::{ChargeRow, Kind, PayerKind, Status};
use crate::store;

/// This part's name as a consumer of other parts' events.
pub const CONSUMER: &str = "payments.fees";
/// Days a state fee's charge gives for paying (it may be paid later too: the application waits).
pub const FEE_DAYS: i64 = 30;

#[derive(Deserialize)]
struct FeeDue {
    application_id: String,
    number: Option<String>,
    service: String,
    agency: String,
    amount_kopecks: i64,
    payer: Payer,
    /// The account told about the application (events from before it was added name the payer).
    notify_account: Option<String>,
}

#[derive(Deserialize)]
struct Payer {
    kind: String,
    id: String,
    name: String,
}

/// What became of one event.
enum Taken {
    Charged,
    /// Taken and set aside (malformed, or the application has its charge already).
    SetAside,
    /// Left for a later round: the agency has no payee yet.
    Waiting,
}

/// Takes the fees announced since the last round; gives how many charges it issued.
pub async fn take_fees(p: &Platform) -> Result<usize> {
    let events = {
        let mut c = p.db.read().await?;
        outbox::unconsumed(&mut c, CONSUMER, "application.fee_due", 200).await?
    };
    let mut charged = 0;
    for e in &events {
        // One event's failure leaves it for the next round and does not stop the others.
        match take(p, e).await {
            Ok(Taken::Charged) => charged += 1,
            Ok(Taken::SetAside) => {}
            Ok(Taken::Waiting) => {
                tracing::warn!(event = %e.id, "a state fee waits: its agency has no payee")
            }
            Err(err) => tracing::warn!(event = %e.id, error = %err, "a state fee failed"),
        }
    }
    Ok(charged)
}

async fn take(p: &Platform, e: &outbox::Event) -> Result<Taken> {
    let fee: FeeDue = match serde_json::from_str(&e.payload) {
        Ok(f) => f,
        Err(err) => {
            tracing::warn!(event = %e.id, error = %err, "a malformed application.fee_due event");
            let mut tx = p.db.begin().await?;
            outbox::consume(&mut tx, CONSUMER, e).await?;
            tx.commit().await?;
            return Ok(Taken::SetAside);
        }
    };
    let service = okno_services::service::service(&p.db, &fee.service).await?;
    let mut tx = p.db.begin().await?;
    let Some(payee) = store::payee(&mut tx, &fee.agency).await? else {
        tx.rollback().await?;
        return Ok(Taken::Waiting);
    };
    if !outbox::consume(&mut tx, CONSUMER, e).await? {
        tx.rollback().await?;
        return Ok(Taken::SetAside);
    }
    let number = store::next_uin_number(&mut tx, &payee.uin_prefix).await?;
    let Some(uin) = u64::try_from(number)
        .ok()
        .and_then(|n| okno_rules::Uin::issue(&payee.uin_prefix, n))
    else {
        tracing::error!(prefix = %payee.uin_prefix, "the УИН numbers of a payee are exhausted");
        tx.rollback().await?;
        return Ok(Taken::Waiting);
    };
    let today = local_date(&service.time_zone, now_ms());
    let account = fee
        .notify_account
        .clone()
        .or_else(|| (fee.payer.kind == "person").then(|| fee.payer.id.clone()));
    let purpose = match &fee.number {
        Some(n) => format!("Госпошлина: {} (заявление № {n})", service.title),
        None => format!("Госпошлина: {}", service.title),
    };
    let now = now_ms();
    let c = ChargeRow {
        id: new_id(),
        uin: uin.as_str().to_string(),
        agency_code: fee.agency.clone(),
        kind: Kind::Fee.as_str().into(),
        source: "application".into(),
        application_id: Some(fee.application_id.clone()),
        application_number: fee.number.clone(),
        payee_name: payee.name.clone(),
        payee_inn: payee.inn.clone(),
        payee_kpp: payee.kpp.clone(),
        payee_bik: payee.bik.clone(),
        payee_bank: payee.bank_name.clone(),
        payee_account: payee.account.clone(),
        payee_corr_account: payee.corr_account.clone(),
        kbk: payee.kbk.clone(),
        oktmo: payee.oktmo.clone(),
        purpose: purpose.chars().take(210).collect(),
        amount_kopecks: fee.amount_kopecks,
        discount_percent: None,
        discount_days: None,
        ruling_date: None,
        issued_on: today.to_string(),
        due_date: today.saturating_add(FEE_DAYS.days()).to_string(),
        payer_kind: PayerKind::Account.as_str().into(),
        payer_idx: None,
        payer_enc: None,
        payer_name_enc: p.secrets.encrypt(&fee.payer.name),
        account_id: account,
        status: Status::Active.as_str().into(),
        paid_kopecks: 0,
        revision: 0,
        reason: None,
        created_by: "система: госпошлины".into(),
        created_at: now,
        updated_at: now,
    };
    if fee.amount_kopecks <= 0 || !record_new(&mut tx, &Actor::system("госпошлины"), &c).await?
    {
        // No amount, or the application has its charge already: the event is taken all the same.
        tx.commit().await?;
        return Ok(Taken::SetAside);
    }
    tx.commit().await?;
    Ok(Taken::Charged)
}
