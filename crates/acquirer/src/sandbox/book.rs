//! The sandbox's book of payments, in memory: one function per transition of a payment's
//! status, each returning the payment as it now is or the refusal T-Bank would answer, and the
//! journal of operations that the daily registry is read from.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use super::messages::{self, Refusal};
use crate::model::{AcquirerStatus, Outcome, PayType};

/// The card a payment was paid with, as kept: masked, never the full number.
#[derive(Clone, Debug)]
pub(crate) struct CardRecord {
    pub card_id: String,
    pub pan: String,
    /// `MMYY`.
    pub exp_date: String,
    pub rrn: String,
}

/// One payment at the sandbox bank.
#[derive(Clone, Debug)]
pub(crate) struct Payment {
    pub id: String,
    pub terminal: String,
    pub order_id: String,
    /// The amount of Init, in kopecks.
    pub amount: i64,
    pub description: String,
    pub pay_type: PayType,
    pub success_url: Option<String>,
    pub fail_url: Option<String>,
    pub notification_url: Option<String>,
    pub customer_key: Option<String>,
    pub status: AcquirerStatus,
    /// `0`, or the reason of the failure.
    pub error: Option<Refusal>,
    /// Held on the card and not yet taken or released.
    pub held: i64,
    /// Taken by Confirm (or at once, one-stage).
    pub captured: i64,
    /// Returned after capture.
    pub refunded: i64,
    pub card: Option<CardRecord>,
    /// Paid with the slow test card: its Confirm is slow too.
    pub slow: bool,
}

impl Payment {
    pub fn error_code(&self) -> &'static str {
        self.error.map_or("0", |r| r.code)
    }

    pub fn outcome(&self) -> Outcome {
        self.status.outcome(self.error_code())
    }

    /// Whether the payer may still enter a card.
    pub fn awaits_card(&self) -> bool {
        matches!(
            self.status,
            AcquirerStatus::New | AcquirerStatus::FormShowed
        )
    }
}

/// What Init asks for.
#[derive(Clone, Debug)]
pub(crate) struct NewPayment {
    pub terminal: String,
    pub order_id: String,
    pub amount: i64,
    pub description: String,
    pub pay_type: PayType,
    pub success_url: Option<String>,
    pub fail_url: Option<String>,
    pub notification_url: Option<String>,
    pub customer_key: Option<String>,
}

/// One line of the daily registry: an operation that changed where money stands.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    pub payment_id: String,
    pub order_id: String,
    pub status: AcquirerStatus,
    /// The operation's own amount (the refund's, the capture's…), in kopecks.
    pub amount: i64,
    pub at: SystemTime,
}

/// Every payment of the sandbox, by PaymentId.
#[derive(Debug)]
pub(crate) struct Book {
    payments: HashMap<String, Payment>,
    /// (TerminalKey, OrderId) → PaymentId of the latest Init.
    orders: HashMap<(String, String), String>,
    journal: Vec<Operation>,
    next_id: u64,
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}

impl Book {
    pub fn new() -> Self {
        // Numeric ids like T-Bank's, starting from the clock so that a restarted sandbox does
        // not hand out ids a platform still keeps.
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_millis() as u64);
        Self {
            payments: HashMap::new(),
            orders: HashMap::new(),
            journal: Vec::new(),
            next_id: start,
        }
    }

    /// The payment `id` of `terminal` (another terminal's payment is not found).
    pub fn get(&self, terminal: &str, id: &str) -> Result<&Payment, Refusal> {
        self.payments
            .get(id)
            .filter(|p| p.terminal == terminal)
            .ok_or(messages::NOT_FOUND)
    }

    /// A payment by id alone, for the payer's pages.
    pub fn by_id(&self, id: &str) -> Option<&Payment> {
        self.payments.get(id)
    }

    fn payment_mut(&mut self, id: &str) -> Result<&mut Payment, Refusal> {
        self.payments.get_mut(id).ok_or(messages::NOT_FOUND)
    }

    fn record(&mut self, p: &Payment, amount: i64) {
        self.journal.push(Operation {
            payment_id: p.id.clone(),
            order_id: p.order_id.clone(),
            status: p.status.clone(),
            amount,
            at: SystemTime::now(),
        });
    }

    /// Init. Idempotent by OrderId per terminal while the payment is NEW or FORM_SHOWED: the
    /// same OrderId with the same Amount gives the same payment back; with another Amount, or
    /// once the payer has gone further, it is refused (ErrorCode 20). T-Bank itself may accept
    /// a repeated OrderId, depending on the terminal's settings (NOT VERIFIED): this stricter
    /// rule is the sandbox's, so that a platform retrying a lost Init is tested.
    pub fn init(&mut self, n: NewPayment) -> Result<Payment, Refusal> {
        if n.amount <= 0 {
            return Err(messages::BAD_AMOUNT);
        }
        if n.order_id.is_empty() || n.order_id.chars().count() > 36 {
            return Err(messages::MISSING);
        }
        let key = (n.terminal.clone(), n.order_id.clone());
        if let Some(existing) = self.orders.get(&key).and_then(|id| self.payments.get(id)) {
            return if existing.awaits_card() && existing.amount == n.amount {
                Ok(existing.clone())
            } else {
                Err(messages::ORDER_REPEATED)
            };
        }
        self.next_id += 1;
        let p = Payment {
            id: self.next_id.to_string(),
            terminal: n.terminal,
            order_id: n.order_id,
            amount: n.amount,
            description: n.description,
            pay_type: n.pay_type,
            success_url: n.success_url,
            fail_url: n.fail_url,
            notification_url: n.notification_url,
            customer_key: n.customer_key,
            status: AcquirerStatus::New,
            error: None,
            held: 0,
            captured: 0,
            refunded: 0,
            card: None,
            slow: false,
        };
        self.orders.insert(key, p.id.clone());
        self.payments.insert(p.id.clone(), p.clone());
        Ok(p)
    }

    /// The payer opened the form: NEW → FORM_SHOWED.
    pub fn show_form(&mut self, id: &str) -> Result<Payment, Refusal> {
        let p = self.payment_mut(id)?;
        if p.status == AcquirerStatus::New {
            p.status = AcquirerStatus::FormShowed;
        }
        Ok(p.clone())
    }

    /// The payer entered a card: the payment goes to 3DS_CHECKING, AUTHORIZING, or straight to
    /// its end (authorised, or REJECTED with `decline`).
    pub fn card_entered(
        &mut self,
        id: &str,
        card: CardRecord,
        next: CardStep,
    ) -> Result<Payment, Refusal> {
        let p = self.payment_mut(id)?;
        if !p.awaits_card() {
            return Err(messages::WRONG_STATUS);
        }
        p.card = Some(card);
        match next {
            CardStep::Authorise => return self.authorise(id),
            CardStep::ThreeDs => p.status = AcquirerStatus::ThreeDsChecking,
            CardStep::Slow => {
                p.status = AcquirerStatus::Authorizing;
                p.slow = true;
            }
            CardStep::Decline(r) => {
                p.status = AcquirerStatus::Rejected;
                p.error = Some(r);
                let (p, amount) = (p.clone(), p.amount);
                self.record(&p, amount);
                return Ok(p);
            }
        }
        Ok(p.clone())
    }

    /// The payer answered the 3-D Secure challenge: 3DS_CHECKED and authorised, or AUTH_FAIL.
    pub fn three_ds_answered(&mut self, id: &str, passed: bool) -> Result<Payment, Refusal> {
        let p = self.payment_mut(id)?;
        if p.status != AcquirerStatus::ThreeDsChecking {
            return Err(messages::WRONG_STATUS);
        }
        if passed {
            p.status = AcquirerStatus::ThreeDsChecked;
            return self.authorise(id);
        }
        p.status = AcquirerStatus::AuthFail;
        p.error = Some(messages::THREE_DS_FAILED);
        let (p, amount) = (p.clone(), p.amount);
        self.record(&p, amount);
        Ok(p)
    }

    /// The card is authorised: two-stage → AUTHORIZED (held), one-stage → CONFIRMED (taken).
    pub fn authorise(&mut self, id: &str) -> Result<Payment, Refusal> {
        let p = self.payment_mut(id)?;
        if !matches!(
            p.status,
            AcquirerStatus::New
                | AcquirerStatus::FormShowed
                | AcquirerStatus::Authorizing
                | AcquirerStatus::ThreeDsChecked
        ) {
            return Err(messages::WRONG_STATUS);
        }
        match p.pay_type {
            PayType::TwoStage => {
                p.status = AcquirerStatus::Authorized;
                p.held = p.amount;
            }
            PayType::OneStage => {
                p.status = AcquirerStatus::Confirmed;
                p.captured = p.amount;
            }
        }
        let (p, amount) = (p.clone(), p.amount);
        self.record(&p, amount);
        Ok(p)
    }

    /// Confirm begins: AUTHORIZED or PARTIAL_REVERSED → CONFIRMING; returns the amount to
    /// take (all of the hold, or `amount` of it).
    pub fn confirm_begin(&mut self, id: &str, amount: Option<i64>) -> Result<i64, Refusal> {
        let p = self.payment_mut(id)?;
        if !matches!(
            p.status,
            AcquirerStatus::Authorized | AcquirerStatus::PartialReversed
        ) {
            return Err(messages::WRONG_STATUS);
        }
        let take = amount.unwrap_or(p.held);
        if take <= 0 {
            return Err(messages::BAD_AMOUNT);
        }
        if take > p.held {
            return Err(messages::TOO_MUCH);
        }
        p.status = AcquirerStatus::Confirming;
        Ok(take)
    }

    /// Confirm ends: CONFIRMING → CONFIRMED with `take` taken and the rest of the hold
    /// released.
    pub fn confirm_end(&mut self, id: &str, take: i64) -> Result<Payment, Refusal> {
        let p = self.payment_mut(id)?;
        if p.status != AcquirerStatus::Confirming {
            return Err(messages::WRONG_STATUS);
        }
        p.status = AcquirerStatus::Confirmed;
        p.captured = take;
        p.held = 0;
        let p = p.clone();
        self.record(&p, take);
        Ok(p)
    }

    /// Cancel: a NEW payment → CANCELED; a hold → REVERSED or PARTIAL_REVERSED; taken money →
    /// REFUNDED or PARTIAL_REFUNDED. Never more than what is left. Returns the payment and the
    /// amount left before the operation (OriginalAmount).
    pub fn cancel(&mut self, id: &str, amount: Option<i64>) -> Result<(Payment, i64), Refusal> {
        let p = self.payment_mut(id)?;
        if amount.is_some_and(|a| a <= 0) {
            return Err(messages::BAD_AMOUNT);
        }
        let (left, full, partial) = match p.status {
            AcquirerStatus::New | AcquirerStatus::FormShowed => {
                (p.amount, AcquirerStatus::Canceled, AcquirerStatus::Canceled)
            }
            AcquirerStatus::Authorized | AcquirerStatus::PartialReversed => (
                p.held,
                AcquirerStatus::Reversed,
                AcquirerStatus::PartialReversed,
            ),
            AcquirerStatus::Confirmed | AcquirerStatus::PartialRefunded => (
                p.captured - p.refunded,
                AcquirerStatus::Refunded,
                AcquirerStatus::PartialRefunded,
            ),
            _ => return Err(messages::WRONG_STATUS),
        };
        let give = amount.unwrap_or(left);
        if give > left {
            return Err(messages::TOO_MUCH);
        }
        if p.awaits_card() && give != left {
            // A payment nobody paid yet is cancelled whole.
            return Err(messages::BAD_AMOUNT);
        }
        p.status = if give == left { full } else { partial };
        match p.status {
            AcquirerStatus::Reversed | AcquirerStatus::PartialReversed => p.held -= give,
            AcquirerStatus::Refunded | AcquirerStatus::PartialRefunded => p.refunded += give,
            _ => {}
        }
        let p = p.clone();
        self.record(&p, give);
        Ok((p, left))
    }

    /// The amount left after the last operation: held, or taken and not returned.
    pub fn left(p: &Payment) -> i64 {
        match p.status {
            AcquirerStatus::Authorized | AcquirerStatus::PartialReversed => p.held,
            AcquirerStatus::Confirmed
            | AcquirerStatus::PartialRefunded
            | AcquirerStatus::Refunded => p.captured - p.refunded,
            AcquirerStatus::New | AcquirerStatus::FormShowed => p.amount,
            _ => 0,
        }
    }

    /// The operations of one UTC day, oldest first.
    pub fn operations_on(&self, day: super::clock::Date) -> Vec<Operation> {
        self.journal
            .iter()
            .filter(|o| super::clock::date(o.at) == day)
            .cloned()
            .collect()
    }
}

/// What entering a card leads to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CardStep {
    Authorise,
    ThreeDs,
    Slow,
    Decline(Refusal),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(order: &str, amount: i64, pay_type: PayType) -> NewPayment {
        NewPayment {
            terminal: "T".into(),
            order_id: order.into(),
            amount,
            description: "Пошлина".into(),
            pay_type,
            success_url: None,
            fail_url: None,
            notification_url: None,
            customer_key: None,
        }
    }

    fn card() -> CardRecord {
        CardRecord {
            card_id: "1".into(),
            pan: "430000******0777".into(),
            exp_date: "1230".into(),
            rrn: "1".into(),
        }
    }

    #[test]
    fn a_repeated_init_gives_the_same_payment_while_new() {
        let mut b = Book::new();
        let a = b.init(new("o-1", 100, PayType::OneStage)).unwrap();
        let again = b.init(new("o-1", 100, PayType::OneStage)).unwrap();
        assert_eq!(a.id, again.id);
        assert_eq!(
            b.init(new("o-1", 200, PayType::OneStage)).unwrap_err(),
            messages::ORDER_REPEATED
        );
        b.card_entered(&a.id, card(), CardStep::Authorise).unwrap();
        assert_eq!(
            b.init(new("o-1", 100, PayType::OneStage)).unwrap_err(),
            messages::ORDER_REPEATED
        );
    }

    #[test]
    fn partial_refunds_never_exceed_what_was_taken() {
        let mut b = Book::new();
        let p = b.init(new("o-2", 1000, PayType::OneStage)).unwrap();
        b.card_entered(&p.id, card(), CardStep::Authorise).unwrap();
        let (r, left) = b.cancel(&p.id, Some(300)).unwrap();
        assert_eq!((r.status, left), (AcquirerStatus::PartialRefunded, 1000));
        assert_eq!(b.cancel(&p.id, Some(701)).unwrap_err(), messages::TOO_MUCH);
        let (r, left) = b.cancel(&p.id, Some(700)).unwrap();
        assert_eq!((r.status, left), (AcquirerStatus::Refunded, 700));
        assert_eq!(b.cancel(&p.id, None).unwrap_err(), messages::WRONG_STATUS);
    }

    #[test]
    fn a_hold_is_confirmed_or_reversed() {
        let mut b = Book::new();
        let p = b.init(new("o-3", 1000, PayType::TwoStage)).unwrap();
        b.card_entered(&p.id, card(), CardStep::Authorise).unwrap();
        assert_eq!(
            b.confirm_begin(&p.id, Some(1001)).unwrap_err(),
            messages::TOO_MUCH
        );
        let take = b.confirm_begin(&p.id, Some(800)).unwrap();
        let c = b.confirm_end(&p.id, take).unwrap();
        assert_eq!((c.status, c.captured), (AcquirerStatus::Confirmed, 800));

        let q = b.init(new("o-4", 1000, PayType::TwoStage)).unwrap();
        b.card_entered(&q.id, card(), CardStep::Authorise).unwrap();
        let (r, _) = b.cancel(&q.id, None).unwrap();
        assert_eq!(r.status, AcquirerStatus::Reversed);
        assert_eq!(
            b.confirm_begin(&q.id, None).unwrap_err(),
            messages::WRONG_STATUS
        );
    }

    #[test]
    fn a_new_payment_is_cancelled_whole_only() {
        let mut b = Book::new();
        let p = b.init(new("o-5", 1000, PayType::OneStage)).unwrap();
        assert_eq!(b.cancel(&p.id, Some(10)).unwrap_err(), messages::BAD_AMOUNT);
        let (r, _) = b.cancel(&p.id, None).unwrap();
        assert_eq!(r.status, AcquirerStatus::Canceled);
    }

    #[test]
    fn another_terminals_payment_is_not_found() {
        let mut b = Book::new();
        let p = b.init(new("o-6", 1000, PayType::OneStage)).unwrap();
        assert!(b.get("T", &p.id).is_ok());
        assert_eq!(b.get("U", &p.id).unwrap_err(), messages::NOT_FOUND);
    }
}
