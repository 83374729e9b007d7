//! Paying a charge by card through the acquirer.
//!
//! 1. `pay_by_card`: an `Idempotency-Key` is claimed and the payment written in one transaction
//!    (at most one open payment per charge, so two tabs or two keys never take the money twice);
//!    only the request that made the payment asks the acquirer (`Init`, our payment id as its
//!    order id), so a hundred repeats make one payment and one `Init`.
//! 2. The payer pays on the acquirer's form (3-D Secure there too); the acquirer notifies us
//!    (`notification`, its token checked) and sends the browser back (`refresh` asks `GetState`).
//! 3. `settle` moves the payment by what the acquirer said, in one transaction: the status (a
//!    conditional update, so a notification and a page that answer together change it once),
//!    on capture the charge's paid amount and the ledger's balanced postings, the audit record,
//!    the events and the person's notice.
//! 4. The reconciliation (`reconcile`) asks the acquirer about every payment left open: an `Init`
//!    whose answer was lost is sent again with the same order id (the acquirer gives back the
//!    same payment), a pending one is asked its state, and one unpaid past the configured time is
//!    cancelled and expires. No payment stays open for ever.

use okno_acquirer::{Acquirer, AcquirerError, InitRequest, PayType, PaymentId, TBankClient};
use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::Actor;
use okno_kernel::clock::{local_date, new_id, now_ms};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::{audit, outbox, Platform};
use okno_rules::Kopecks;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::charges::{holder, summary};
use crate::model::{failure_text, ChargeRow, Outcome, PaymentRow, PaymentStatus, Status};
use crate::store;

/// How the payments part reaches its acquirer and the people's browsers.
#[derive(Clone)]
pub struct Settings {
    /// None: paying by card is switched off (pages say so).
    pub acquirer: Option<TBankClient>,
    /// The platform's public address, for the acquirer's return and notification URLs.
    pub public_url: String,
    /// An open payment older than this is cancelled and expires.
    pub expire_after_ms: i64,
    /// How long a payment stays quiet before the reconciliation asks the acquirer about it: long
    /// enough for the payer to be on the acquirer's form, and for its notification to come.
    pub quiet_ms: i64,
    /// Where the platform keeps files (receipts go where the services part's documents go, so the
    /// public check page finds them).
    pub files_dir: std::path::PathBuf,
}

/// The acquirer's name in the ledger and on payments.
const ACQUIRER: &str = "tbank";

/// A payment as its payer sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Payment)]
pub struct PaymentView {
    pub id: String,
    pub uin: String,
    pub status: String,
    pub status_title: String,
    pub amount_kopecks: i64,
    pub commission_kopecks: i64,
    /// Where to send the payer's browser: the acquirer's payment form (while pending).
    pub payment_url: Option<String>,
    /// Why it failed, in Russian.
    pub failure: Option<String>,
    /// The card, masked (`430000******0777`).
    pub card: Option<String>,
    /// The acquirer's reference (RRN) of the operation.
    pub rrn: Option<String>,
    pub created_at: i64,
    pub captured_at: Option<i64>,
    /// The signed receipt (PDF), once captured.
    pub receipt_url: Option<String>,
    /// The receipt's public check page.
    pub receipt_check_url: Option<String>,
}

impl From<&PaymentRow> for PaymentView {
    fn from(p: &PaymentRow) -> PaymentView {
        let s = p.status();
        PaymentView {
            id: p.id.clone(),
            uin: p.uin.clone(),
            status: s.as_str().into(),
            status_title: s.title().into(),
            amount_kopecks: p.amount_kopecks,
            commission_kopecks: p.commission_kopecks,
            payment_url: p.payment_url.clone().filter(|_| s.is_open()),
            failure: p.failure_message.clone(),
            card: p.card_pan.clone(),
            rrn: p.rrn.clone(),
            created_at: p.created_at,
            captured_at: p.captured_at,
            receipt_url: None,
            receipt_check_url: None,
        }
    }
}

fn acquirer(s: &Settings) -> Result<&TBankClient> {
    s.acquirer.as_ref().ok_or_else(|| {
        Problem::new(503, "payment.unavailable", "Оплата картой недоступна")
            .with_detail("Оплата картой сейчас не подключена. Оплатите по QR-коду или по реквизитам в своём банке.")
            .into()
    })
}

/// An idempotency key: 1–64 letters, digits, `-` and `_`.
fn check_key(key: &str) -> Result<()> {
    if key.is_empty()
        || key.len() > 64
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Problem::invalid_field(
            "Idempotency-Key",
            "payment.idempotency_key",
            "Заголовок Idempotency-Key: от 1 до 64 латинских букв, цифр, «-» и «_».",
        )
        .into());
    }
    Ok(())
}

/// Starts paying the charge by card under the idempotency `key`; a repeat with the same key
/// and charge answers with the same payment, another charge under the key is refused.
pub async fn pay_by_card(
    p: &Platform,
    s: &Settings,
    actor: &Actor,
    uin: &str,
    key: &str,
) -> Result<PaymentView> {
    check_key(key)?;
    let client = acquirer(s)?;
    let uin = okno_rules::Uin::parse(uin)
        .map_err(|e| Problem::invalid_field("uin", e.code(), e.to_string()))?;
    let c = {
        let mut conn = p.db.read().await?;
        store::charge_by_uin(&mut conn, uin.as_str()).await?
    }
    .ok_or_else(|| Problem::not_found("Начисление с таким УИН не найдено."))?;
    let scope = actor.id.clone().unwrap_or_else(|| "public".into());
    let hash = hex::encode(Sha256::digest(format!("card|{}", c.uin)));
    let (payment, made) = claim(p, actor, &c, &scope, key, &hash).await?;
    if !made {
        return Ok(PaymentView::from(&payment));
    }
    let payment = init(p, s, client, payment, &c).await?;
    Ok(PaymentView::from(&payment))
}

/// The payment the key stands for: made now (true), or made before under the key or open on
/// the charge (false).
async fn claim(
    p: &Platform,
    actor: &Actor,
    c: &ChargeRow,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<(PaymentRow, bool)> {
    // Read before the transaction: a request never holds one connection while waiting for another.
    let today = today_of(p, &c.agency_code).await?;
    let mut tx = p.db.begin().await?;
    if let Some((h, id)) = store::key_of(&mut tx, scope, key).await? {
        tx.rollback().await?;
        return repeat(p, hash, &h, &id).await;
    }
    c.status().may_pay()?;
    let amount = c.amount_due(today, okno_rules::ProductionCalendar::shared());
    if amount <= 0 {
        return Err(
            Problem::conflict("charge.nothing_due", "По начислению нечего платить.").into(),
        );
    }
    let now = now_ms();
    let payment = PaymentRow {
        id: new_id(),
        charge_id: c.id.clone(),
        uin: c.uin.clone(),
        account_id: actor
            .id
            .clone()
            .filter(|_| actor.kind == okno_kernel::actor::ActorKind::Account),
        method: "card".into(),
        amount_kopecks: amount,
        commission_kopecks: 0,
        status: PaymentStatus::Created.as_str().into(),
        open_charge_id: Some(c.id.clone()),
        acquirer: ACQUIRER.into(),
        acquirer_payment_id: None,
        payment_url: None,
        failure_code: None,
        failure_message: None,
        card_pan: None,
        card_exp: None,
        rrn: None,
        created_at: now,
        updated_at: now,
        captured_at: None,
    };
    if !store::claim_key(&mut tx, scope, key, hash, &payment.id, now).await? {
        // Another request with this key was a moment earlier.
        tx.rollback().await?;
        let mut conn = p.db.read().await?;
        let (h, id) = store::key_of(&mut conn, scope, key)
            .await?
            .ok_or_else(|| Error::internal("an idempotency key vanished"))?;
        drop(conn);
        return repeat(p, hash, &h, &id).await;
    }
    if !store::insert_payment(&mut tx, &payment).await? {
        // The charge is being paid already: this key continues that payment.
        let open = store::open_payment_of(&mut tx, &c.id)
            .await?
            .ok_or_else(|| Error::internal("an open payment vanished"))?;
        store::repoint_key(&mut tx, scope, key, &open.id).await?;
        tx.commit().await?;
        return Ok((open, false));
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "payments.payment.created",
            subject_type: "payment",
            subject_id: &payment.id,
            details: serde_json::json!({
                "uin": c.uin, "amount_kopecks": amount, "method": "card", "acquirer": ACQUIRER,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        "payments.payment.created",
        &serde_json::json!({ "payment_id": payment.id, "uin": c.uin, "amount_kopecks": amount }),
    )
    .await?;
    tx.commit().await?;
    Ok((payment, true))
}

/// A repeat of a claimed key: the same payment when the request is the same, else 409.
async fn repeat(p: &Platform, hash: &str, claimed: &str, id: &str) -> Result<(PaymentRow, bool)> {
    if hash != claimed {
        return Err(Problem::conflict(
            "payment.idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого запроса.",
        )
        .into());
    }
    let mut conn = p.db.read().await?;
    let payment = store::payment(&mut conn, id)
        .await?
        .ok_or_else(|| Error::internal("a keyed payment vanished"))?;
    Ok((payment, false))
}

async fn today_of(p: &Platform, agency: &str) -> Result<okno_kernel::clock::Date> {
    Ok(zone_of(p, agency).await?.1)
}

/// The agency's IANA time zone and its date today.
async fn zone_of(p: &Platform, agency: &str) -> Result<(String, okno_kernel::clock::Date)> {
    let a = okno_directory::service::agency(&p.db, agency).await?;
    let today = local_date(&a.time_zone, now_ms());
    Ok((a.time_zone, today))
}

/// Asks the acquirer to take the payment (again, after a lost answer: the same order id).
async fn init(
    p: &Platform,
    s: &Settings,
    client: &TBankClient,
    payment: PaymentRow,
    c: &ChargeRow,
) -> Result<PaymentRow> {
    let base = s.public_url.trim_end_matches('/');
    let back = format!("{base}/pay/return/{}", payment.id);
    let request = InitRequest {
        amount: payment.amount_kopecks,
        order_id: payment.id.clone(),
        description: format!("{}, УИН {}", c.kind().title(), c.uin),
        success_url: Some(back.clone()),
        fail_url: Some(back),
        notification_url: Some(format!("{base}/api/v1/payments/notifications")),
        pay_type: PayType::OneStage,
        customer_key: None,
    };
    match client.init(request).await {
        Ok(answer) => {
            let mut next = payment.clone();
            next.acquirer_payment_id = Some(answer.payment_id.as_str().to_string());
            next.payment_url = Some(answer.payment_url);
            settle(p, s, &payment, next, Outcome::Pending, None).await
        }
        Err(AcquirerError::Refused { code, message, .. }) => {
            tracing::warn!(payment = %payment.id, code = %code, message = %message, "the acquirer refused a payment");
            let next = PaymentRow {
                failure_code: Some(code.clone()),
                failure_message: Some(failure_text(&code).into()),
                ..payment.clone()
            };
            settle(p, s, &payment, next, Outcome::Failed, None).await
        }
        Err(e) if e.outcome_unknown() => {
            // The reconciliation sends the same Init again.
            tracing::warn!(payment = %payment.id, error = %e, "the acquirer did not answer an Init");
            Ok(payment)
        }
        Err(e) => Err(Error::internal(format!("acquirer: {e}"))),
    }
}

/// Card details the acquirer reported.
pub struct Card {
    pub pan: Option<String>,
    pub exp: Option<String>,
    pub rrn: Option<String>,
}

/// Moves `before` to `next` with the status `outcome` gives, if it still is as read; on capture
/// adds the money to the charge and posts it to the ledger. Gives the payment as it now stands.
pub async fn settle(
    p: &Platform,
    s: &Settings,
    before: &PaymentRow,
    mut next: PaymentRow,
    outcome: Outcome,
    card: Option<Card>,
) -> Result<PaymentRow> {
    let from = before.status();
    let to = match from.after(outcome) {
        Some(to) => to,
        None if next.acquirer_payment_id != before.acquirer_payment_id
            || next.payment_url != before.payment_url =>
        {
            from
        }
        None => return Ok(before.clone()),
    };
    let c = {
        let mut conn = p.db.read().await?;
        store::charge_by_id(&mut conn, &before.charge_id).await?
    }
    .ok_or_else(|| Error::internal("a payment's charge vanished"))?;
    let (zone, _) = zone_of(p, &c.agency_code).await?;
    let now = now_ms();
    next.status = to.as_str().into();
    next.open_charge_id = to.is_open().then(|| before.charge_id.clone());
    next.updated_at = now;
    if let Some(card) = card {
        next.card_pan = card.pan.or(next.card_pan);
        next.card_exp = card.exp.or(next.card_exp);
        next.rrn = card.rrn.or(next.rrn);
    }
    if to == PaymentStatus::Failed && next.failure_message.is_none() {
        next.failure_message =
            Some(failure_text(next.failure_code.as_deref().unwrap_or("")).into());
    }
    if to == PaymentStatus::Captured {
        next.captured_at = Some(now);
    }
    let mut tx = p.db.begin().await?;
    if !store::update_payment(&mut tx, &next, from.as_str()).await? {
        // Someone settled it first: answer with what they wrote.
        tx.rollback().await?;
        let mut conn = p.db.read().await?;
        return store::payment(&mut conn, &before.id)
            .await?
            .ok_or_else(|| Error::internal("a payment vanished"));
    }
    if to != from {
        let at = Moment { zone: &zone, now };
        record(&mut tx, (p, s), &c, &next, (from, to), at).await?;
    }
    tx.commit().await?;
    Ok(next)
}

/// When a transition happens: the agency's zone and the instant.
struct Moment<'a> {
    zone: &'a str,
    now: i64,
}

/// What a transition implies, in its transaction: on capture the charge, the ledger and the
/// receipt; the audit record, the event and the notice.
async fn record(
    tx: &mut okno_kernel::db::Tx,
    (p, s): (&Platform, &Settings),
    c: &ChargeRow,
    pay: &PaymentRow,
    (from, to): (PaymentStatus, PaymentStatus),
    at: Moment<'_>,
) -> Result<()> {
    let now = at.now;
    let actor = Actor::system("платежи");
    if to == PaymentStatus::Captured {
        super::receipt::issue(tx, p, (&s.public_url, &s.files_dir), c, pay, at.zone, now).await?;
        // The charge as it stands in this transaction: another payment may have been counted.
        let c = store::charge_by_id(tx, &c.id)
            .await?
            .ok_or_else(|| Error::internal("a charge vanished"))?;
        // Due as on the day the payment was made (its amount was computed then): a discounted
        // fine paid on the discount's last day is paid in full even if the bank reports the
        // capture after midnight.
        let made_on = local_date(at.zone, pay.created_at);
        let left =
            c.amount_due(made_on, okno_rules::ProductionCalendar::shared()) - pay.amount_kopecks;
        let status = if left <= 0 && c.status() == Status::Active {
            Status::Paid
        } else {
            c.status()
        };
        store::add_paid(tx, &c.id, pay.amount_kopecks, status.as_str(), now).await?;
        let mut postings = vec![
            (
                format!("acquirer:{}", pay.acquirer),
                pay.amount_kopecks + pay.commission_kopecks,
            ),
            (format!("payee:{}:{}", c.kbk, c.oktmo), -pay.amount_kopecks),
        ];
        if pay.commission_kopecks != 0 {
            postings.push(("commission_income".into(), -pay.commission_kopecks));
        }
        store::post(tx, &new_id(), "payment", &pay.id, &c.id, &postings, now).await?;
    }
    let action = format!("payments.payment.{}", to.as_str());
    audit::append(
        tx,
        audit::Entry {
            actor: &actor,
            action: &action,
            subject_type: "payment",
            subject_id: &pay.id,
            details: serde_json::json!({
                "uin": pay.uin, "from": from.as_str(), "to": to.as_str(),
                "amount_kopecks": pay.amount_kopecks, "acquirer_payment_id": pay.acquirer_payment_id,
                "failure_code": pay.failure_code,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        tx,
        &action,
        &serde_json::json!({
            "payment_id": pay.id, "charge_id": c.id, "uin": c.uin, "amount_kopecks": pay.amount_kopecks,
            "application_id": c.application_id,
        }),
    )
    .await?;
    let notice = match to {
        PaymentStatus::Captured => Some((
            "Платёж прошёл",
            format!(
                "Оплачено {}: {}. Квитанция — в разделе «Мои начисления».",
                Kopecks(pay.amount_kopecks),
                summary(c)
            ),
        )),
        PaymentStatus::Failed => Some((
            "Платёж не прошёл",
            format!(
                "Платёж {} по УИН {} не прошёл: {}",
                Kopecks(pay.amount_kopecks),
                c.uin,
                pay.failure_message.as_deref().unwrap_or("")
            ),
        )),
        _ => None,
    };
    if let Some((subject, text)) = notice {
        let account = match &pay.account_id {
            Some(a) => Some(a.clone()),
            None => holder(tx, c).await?,
        };
        if let Some(a) = account {
            notify_account(tx, &a, Topic::Payments, subject, &text).await?;
        }
    }
    Ok(())
}

/// A notification of the acquirer (its JSON body): checked by its token and against our record
/// of the payment, then settled. An error makes the acquirer send it again.
pub async fn notification(p: &Platform, s: &Settings, body: &serde_json::Value) -> Result<()> {
    let client = acquirer(s)?;
    let n = client.verify_notification(body).map_err(|e| {
        tracing::warn!(error = %e, "a payment notification refused");
        Problem::new(
            400,
            "payment.notification_refused",
            "Уведомление не принято",
        )
        .with_detail("Подпись уведомления не сошлась.")
    })?;
    let before = {
        let mut conn = p.db.read().await?;
        store::payment(&mut conn, &n.order_id).await?
    }
    .ok_or_else(|| Problem::not_found("Платёж не найден."))?;
    let same_payment = before
        .acquirer_payment_id
        .as_deref()
        .is_none_or(|id| id == n.payment_id.as_str());
    if !same_payment || n.amount != before.amount_kopecks {
        tracing::error!(payment = %before.id, "a notification disagrees with the payment's record");
        return Err(Problem::conflict(
            "payment.notification_mismatch",
            "Уведомление не совпадает с платежом.",
        )
        .into());
    }
    let next = PaymentRow {
        acquirer_payment_id: Some(n.payment_id.as_str().to_string()),
        failure_code: (!n.success || n.error_code != "0").then(|| n.error_code.clone()),
        ..before.clone()
    };
    let card = Card {
        pan: n.card.pan.clone(),
        exp: n.card.exp_date.clone(),
        rrn: n.card.rrn.clone(),
    };
    settle(p, s, &before, next, outcome_of(n.outcome()), Some(card)).await?;
    Ok(())
}

fn outcome_of(o: okno_acquirer::Outcome) -> Outcome {
    match o {
        okno_acquirer::Outcome::Pending => Outcome::Pending,
        okno_acquirer::Outcome::Authorised => Outcome::Authorised,
        okno_acquirer::Outcome::Captured => Outcome::Captured,
        okno_acquirer::Outcome::Failed { .. } => Outcome::Failed,
        okno_acquirer::Outcome::Cancelled => Outcome::Cancelled,
        // Refunds are not made here yet; a refund reported is the capture's business.
        okno_acquirer::Outcome::Refunded { .. } => Outcome::Captured,
    }
}

/// Asks the acquirer where an open payment stands and settles it (the return page, and the
/// reconciliation); an `Init` whose answer was lost is sent again.
pub async fn refresh(p: &Platform, s: &Settings, payment_id: &str) -> Result<PaymentRow> {
    let before = {
        let mut conn = p.db.read().await?;
        store::payment(&mut conn, payment_id).await?
    }
    .ok_or_else(|| Problem::not_found("Платёж не найден."))?;
    if !before.status().is_open() {
        return Ok(before);
    }
    let client = acquirer(s)?;
    let Some(acquirer_id) = before.acquirer_payment_id.clone() else {
        let c = {
            let mut conn = p.db.read().await?;
            store::charge_by_id(&mut conn, &before.charge_id).await?
        }
        .ok_or_else(|| Error::internal("a payment's charge vanished"))?;
        return init(p, s, client, before, &c).await;
    };
    let id = PaymentId::parse(&acquirer_id).map_err(|e| Error::internal(format!("{e}")))?;
    match client.state(&id).await {
        Ok(a) => {
            let next = PaymentRow {
                failure_code: (a.error_code != "0").then(|| a.error_code.clone()),
                ..before.clone()
            };
            let card = Card {
                pan: a.card.pan.clone(),
                exp: a.card.exp_date.clone(),
                rrn: a.card.rrn.clone(),
            };
            settle(p, s, &before, next, outcome_of(a.outcome()), Some(card)).await
        }
        Err(e) if e.outcome_unknown() => Ok(before),
        Err(e) => Err(Error::internal(format!("acquirer: {e}"))),
    }
}

/// What one reconciliation round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    pub asked: usize,
    pub expired: usize,
}

/// Asks the acquirer about every payment open and quiet for the configured time; cancels and expires
/// those open past the configured time.
pub async fn reconcile(p: &Platform, s: &Settings) -> Result<Reconciled> {
    let Some(client) = s.acquirer.as_ref() else {
        return Ok(Reconciled::default());
    };
    let now = now_ms();
    let open = {
        let mut conn = p.db.read().await?;
        store::open_payments(&mut conn, now - s.quiet_ms, 100).await?
    };
    let mut out = Reconciled::default();
    for before in open {
        let after = match refresh(p, s, &before.id).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(payment = %before.id, error = %e, "reconciliation of a payment failed");
                continue;
            }
        };
        out.asked += 1;
        if after.status().is_open() && now - after.created_at > s.expire_after_ms {
            if let Some(id) = after
                .acquirer_payment_id
                .as_deref()
                .and_then(|i| PaymentId::parse(i).ok())
            {
                match client.cancel(&id, None).await {
                    Ok(_) => {}
                    // The payer paid at the last moment: the next round finds the capture.
                    Err(AcquirerError::Refused { .. }) => continue,
                    Err(_) => continue,
                }
            }
            let next = PaymentRow {
                failure_code: Some("expired".into()),
                failure_message: Some(failure_text("expired").into()),
                ..after.clone()
            };
            let expired = expire(p, s, &after, next).await?;
            out.expired += usize::from(expired);
        }
    }
    Ok(out)
}

/// Marks an open payment expired (the platform's own decision, not an acquirer's outcome).
async fn expire(
    p: &Platform,
    s: &Settings,
    before: &PaymentRow,
    mut next: PaymentRow,
) -> Result<bool> {
    let from = before.status();
    let now = now_ms();
    next.status = PaymentStatus::Expired.as_str().into();
    next.open_charge_id = None;
    next.updated_at = now;
    let c = {
        let mut conn = p.db.read().await?;
        store::charge_by_id(&mut conn, &before.charge_id).await?
    }
    .ok_or_else(|| Error::internal("a payment's charge vanished"))?;
    let (zone, _) = zone_of(p, &c.agency_code).await?;
    let mut tx = p.db.begin().await?;
    if !store::update_payment(&mut tx, &next, from.as_str()).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let at = Moment { zone: &zone, now };
    record(
        &mut tx,
        (p, s),
        &c,
        &next,
        (from, PaymentStatus::Expired),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// One payment by its id. The id is the secret of the browser that started the payment (74 random
/// bits of a UUIDv7), and the bank sends the payer back to it by address, perhaps on another host
/// name where the person's session cookie is not sent; so the payment's status and details answer
/// anyone who holds the id. They name nobody: the receipt, which names the payer, is its owner's
/// ([`super::receipt::receipt_file`]).
pub async fn payment(p: &Platform, id: &str) -> Result<PaymentView> {
    let pay = {
        let mut conn = p.db.read().await?;
        store::payment(&mut conn, id).await?
    }
    .ok_or_else(|| Problem::not_found("Платёж не найден."))?;
    let mut view = PaymentView::from(&pay);
    if let Some(doc) = super::receipt::receipt_of(p, &pay.id).await? {
        view.receipt_url = Some(format!("/pay/receipt/{}", pay.id));
        view.receipt_check_url = Some(format!("/verify/{}", doc.id));
    }
    Ok(view)
}

/// What the ledger check found.
#[derive(Debug, Default)]
pub struct LedgerCheck {
    pub postings: i64,
    pub unbalanced: Vec<(String, i64)>,
    pub mismatched: Vec<(String, i64, i64)>,
}

impl LedgerCheck {
    pub fn ok(&self) -> bool {
        self.unbalanced.is_empty() && self.mismatched.is_empty()
    }
}

/// Every ledger transaction balances, and each charge's paid amount equals what the ledger
/// credited its payee.
pub async fn check_ledger(db: &okno_kernel::db::Db) -> Result<LedgerCheck> {
    let mut c = db.read().await?;
    Ok(LedgerCheck {
        postings: store::postings_count(&mut c).await?,
        unbalanced: store::unbalanced(&mut c).await?,
        mismatched: store::paid_against_ledger(&mut c).await?,
    })
}
