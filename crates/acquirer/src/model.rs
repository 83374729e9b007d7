//! Our own words for card acquiring, apart from any one bank's protocol: the `Acquirer` trait,
//! the acquirer's statuses and their coarse `Outcome`, requests, answers, notifications, errors.

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// The acquirer's identifier of a payment (T-Bank: `PaymentId`, up to 20 digits, sent as a
/// string in API answers and as a number in notifications; kept here as text).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PaymentId(String);

impl PaymentId {
    /// A payment id as the acquirer gave it. Refuses an empty one.
    pub fn parse(s: &str) -> Result<Self, AcquirerError> {
        let s = s.trim();
        if s.is_empty() || s.len() > 64 {
            return Err(AcquirerError::Malformed(
                "PaymentId is empty or too long".into(),
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One-stage (`PayType=O`: the money is taken at once) or two-stage (`PayType=T`: the money is
/// held and taken by a later `confirm`; T-Bank keeps a hold up to 7 days including the day of
/// authorisation).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PayType {
    OneStage,
    TwoStage,
}

impl PayType {
    /// The protocol's letter.
    pub fn code(self) -> &'static str {
        match self {
            PayType::OneStage => "O",
            PayType::TwoStage => "T",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "O" => Some(PayType::OneStage),
            "T" => Some(PayType::TwoStage),
            _ => None,
        }
    }
}

/// The status of a payment at the acquirer, every one of T-Bank's
/// (<https://developer.tbank.ru/eacq/intro/developer/operation-statuses>), plus the text of a
/// status this crate does not know yet (treated as still in progress, never as final).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum AcquirerStatus {
    /// Created by Init; the payer has not opened the form yet.
    New,
    /// The payer opened the payment form (`FORM_SHOWED`; some SDKs spell it `FORMSHOWED`).
    FormShowed,
    Authorizing,
    /// Waiting for the payer's 3-D Secure check.
    ThreeDsChecking,
    ThreeDsChecked,
    /// The money is held (two-stage) and waits for Confirm.
    Authorized,
    Confirming,
    ConfirmChecking,
    /// The money is taken.
    Confirmed,
    Reversing,
    PartialReversed,
    /// The whole hold is released.
    Reversed,
    Refunding,
    AsyncRefunding,
    PartialRefunded,
    Refunded,
    /// Cancelled before authorisation.
    Canceled,
    /// The payer did not pay in time.
    DeadlineExpired,
    /// The payer used up the attempts.
    AttemptsExpired,
    /// The issuer or the acquirer declined.
    Rejected,
    /// Authentication (3-D Secure) failed.
    AuthFail,
    /// A status this crate does not know; its text as given.
    Unrecognised(String),
}

impl AcquirerStatus {
    /// The status from the protocol's text.
    pub fn parse(s: &str) -> Self {
        use AcquirerStatus::*;
        match s {
            "NEW" => New,
            "FORM_SHOWED" | "FORMSHOWED" => FormShowed,
            "AUTHORIZING" => Authorizing,
            "3DS_CHECKING" => ThreeDsChecking,
            "3DS_CHECKED" => ThreeDsChecked,
            "AUTHORIZED" => Authorized,
            "CONFIRMING" => Confirming,
            "CONFIRM_CHECKING" => ConfirmChecking,
            "CONFIRMED" => Confirmed,
            "REVERSING" => Reversing,
            "PARTIAL_REVERSED" => PartialReversed,
            "REVERSED" => Reversed,
            "REFUNDING" => Refunding,
            "ASYNC_REFUNDING" => AsyncRefunding,
            "PARTIAL_REFUNDED" => PartialRefunded,
            "REFUNDED" => Refunded,
            "CANCELED" => Canceled,
            "DEADLINE_EXPIRED" => DeadlineExpired,
            "ATTEMPTS_EXPIRED" => AttemptsExpired,
            "REJECTED" => Rejected,
            "AUTH_FAIL" => AuthFail,
            other => Unrecognised(other.to_string()),
        }
    }

    /// The protocol's text (`FORM_SHOWED` for both spellings).
    pub fn as_str(&self) -> &str {
        use AcquirerStatus::*;
        match self {
            New => "NEW",
            FormShowed => "FORM_SHOWED",
            Authorizing => "AUTHORIZING",
            ThreeDsChecking => "3DS_CHECKING",
            ThreeDsChecked => "3DS_CHECKED",
            Authorized => "AUTHORIZED",
            Confirming => "CONFIRMING",
            ConfirmChecking => "CONFIRM_CHECKING",
            Confirmed => "CONFIRMED",
            Reversing => "REVERSING",
            PartialReversed => "PARTIAL_REVERSED",
            Reversed => "REVERSED",
            Refunding => "REFUNDING",
            AsyncRefunding => "ASYNC_REFUNDING",
            PartialRefunded => "PARTIAL_REFUNDED",
            Refunded => "REFUNDED",
            Canceled => "CANCELED",
            DeadlineExpired => "DEADLINE_EXPIRED",
            AttemptsExpired => "ATTEMPTS_EXPIRED",
            Rejected => "REJECTED",
            AuthFail => "AUTH_FAIL",
            Unrecognised(s) => s,
        }
    }

    /// The coarse outcome. `error_code` is the acquirer's `ErrorCode` that came with the status;
    /// a failure carries it, or the status's own name where the acquirer gave `0` (an expiry).
    ///
    /// Transitional statuses (…ING, …CHECKING, and any unknown one) are `Pending`: an operation
    /// is under way and the caller asks `state` again later. `PARTIAL_REVERSED` leaves a
    /// smaller hold, so it is still `Authorised`.
    pub fn outcome(&self, error_code: &str) -> Outcome {
        use AcquirerStatus::*;
        match self {
            New | FormShowed | Authorizing | ThreeDsChecking | ThreeDsChecked | Confirming
            | ConfirmChecking | Reversing | Refunding | AsyncRefunding | Unrecognised(_) => {
                Outcome::Pending
            }
            Authorized | PartialReversed => Outcome::Authorised,
            Confirmed => Outcome::Captured,
            Reversed | Canceled => Outcome::Cancelled,
            PartialRefunded => Outcome::Refunded { partial: true },
            Refunded => Outcome::Refunded { partial: false },
            DeadlineExpired | AttemptsExpired | Rejected | AuthFail => Outcome::Failed {
                code: match error_code {
                    "" | "0" => self.as_str().to_string(),
                    code => code.to_string(),
                },
            },
        }
    }

    /// Whether no further change is expected without a new request from the merchant
    /// (`AUTHORIZED` and `PARTIAL_*` wait for one; they count as settled here).
    pub fn is_settled(&self) -> bool {
        !matches!(self.outcome("0"), Outcome::Pending)
    }
}

impl fmt::Display for AcquirerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a status means for the platform.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Not decided yet: ask `state` again later (or wait for the notification).
    Pending,
    /// The money is held; `confirm` takes it, `cancel` releases it.
    Authorised,
    /// The money is taken.
    Captured,
    /// The payment failed; `code` is the acquirer's ErrorCode (or the status's name).
    Failed { code: String },
    /// Cancelled before capture: nothing was taken.
    Cancelled,
    /// Money was returned after capture, all of it or a part.
    Refunded { partial: bool },
}

/// A request to create a payment (T-Bank `Init`,
/// <https://developer.tbank.ru/eacq/api/init>).
#[derive(Clone, Debug)]
pub struct InitRequest {
    /// In kopecks, above zero.
    pub amount: i64,
    /// Our id of the order, unique per terminal (T-Bank: up to 36 characters).
    pub order_id: String,
    /// Shown to the payer on the form.
    pub description: String,
    /// Where the payer's browser goes after a successful payment.
    pub success_url: Option<String>,
    /// Where the payer's browser goes after a failed one.
    pub fail_url: Option<String>,
    /// Where the acquirer POSTs notifications.
    pub notification_url: Option<String>,
    pub pay_type: PayType,
    /// Our id of the payer, for the acquirer to bind the card to (CardId in answers).
    pub customer_key: Option<String>,
}

impl InitRequest {
    /// Checks what can be checked before anything is sent.
    pub fn check(&self) -> Result<(), AcquirerError> {
        if self.amount <= 0 {
            return Err(AcquirerError::InvalidRequest(
                "amount must be above zero".into(),
            ));
        }
        if self.order_id.trim().is_empty() || self.order_id.chars().count() > 36 {
            return Err(AcquirerError::InvalidRequest(
                "order id must have 1 to 36 characters".into(),
            ));
        }
        Ok(())
    }
}

/// The answer to `init`: the payment exists at the acquirer and the payer pays at `payment_url`.
#[derive(Clone, Debug)]
pub struct InitAnswer {
    pub payment_id: PaymentId,
    pub order_id: String,
    pub status: AcquirerStatus,
    /// In kopecks.
    pub amount: i64,
    /// The acquirer's payment page for the payer's browser.
    pub payment_url: String,
}

/// What the acquirer tells about the card (masked; the full number never reaches us).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct CardInfo {
    /// The acquirer's id of a card bound to the customer key.
    pub card_id: Option<String>,
    /// Masked number, e.g. `430000******0777`.
    pub pan: Option<String>,
    /// `MMYY`.
    pub exp_date: Option<String>,
    /// The retrieval reference number of the card operation, where given.
    pub rrn: Option<String>,
}

impl CardInfo {
    pub fn is_empty(&self) -> bool {
        self.card_id.is_none()
            && self.pan.is_none()
            && self.exp_date.is_none()
            && self.rrn.is_none()
    }
}

/// The answer to `state`, `confirm` and `cancel`: where the payment stands.
#[derive(Clone, Debug)]
pub struct PaymentAnswer {
    pub payment_id: PaymentId,
    pub order_id: Option<String>,
    pub status: AcquirerStatus,
    /// In kopecks, where given.
    pub amount: Option<i64>,
    /// `0` when all is well; the reason of a failure otherwise.
    pub error_code: String,
    pub message: Option<String>,
    pub details: Option<String>,
    /// `Cancel` only: the amount before and after this cancellation, in kopecks.
    pub original_amount: Option<i64>,
    pub new_amount: Option<i64>,
    pub card: CardInfo,
}

impl PaymentAnswer {
    pub fn outcome(&self) -> Outcome {
        self.status.outcome(&self.error_code)
    }
}

/// A notification the acquirer POSTed to our NotificationURL, its token checked. The caller
/// still checks `order_id` and `amount` against its own record of the payment, then answers
/// [`NOTIFICATION_REPLY`].
#[derive(Clone, Debug)]
pub struct Notification {
    pub terminal_key: String,
    pub order_id: String,
    pub success: bool,
    pub status: AcquirerStatus,
    pub payment_id: PaymentId,
    pub error_code: String,
    /// In kopecks.
    pub amount: i64,
    /// For recurring payments (`Recurrent=Y`), where given.
    pub rebill_id: Option<String>,
    pub card: CardInfo,
}

impl Notification {
    pub fn outcome(&self) -> Outcome {
        self.status.outcome(&self.error_code)
    }
}

/// The body, as plain text with HTTP 200, the merchant answers a notification with once it has
/// stored it; T-Bank repeats the notification until it gets it. NOT VERIFIED against the
/// documentation text (FACTS-payments.md §2a): taken from the shared facts and common SDKs.
pub const NOTIFICATION_REPLY: &str = "OK";

/// Why an acquirer call did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum AcquirerError {
    /// The acquirer could not be reached, answered too late, or the answer was lost (a 5xx
    /// without a body). The operation may or may not have been done: ask `state` later (after
    /// a lost `init`, repeat it with the same order id and amount).
    #[error("the acquirer's answer did not arrive ({detail}); the outcome is unknown")]
    OutcomeUnknown { timed_out: bool, detail: String },
    /// The acquirer answered and refused (`Success=false`, `ErrorCode` other than `0`).
    #[error("the acquirer refused: {code} {message}")]
    Refused {
        code: String,
        message: String,
        details: Option<String>,
    },
    /// The signature does not match: the acquirer refused our token (wrong password or
    /// terminal), or a notification's token is wrong.
    #[error("bad token: {0}")]
    BadToken(String),
    /// The answer is not what the protocol says it is.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// The request was not sent: it cannot be valid.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl AcquirerError {
    /// Whether the operation may have happened although no answer came: the caller must find
    /// out with `state` before doing it again.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, AcquirerError::OutcomeUnknown { .. })
    }

    /// A stable `snake.case` code for logs and the platform's own error codes.
    pub fn code(&self) -> &'static str {
        match self {
            AcquirerError::OutcomeUnknown { .. } => "acquirer.outcome_unknown",
            AcquirerError::Refused { .. } => "acquirer.refused",
            AcquirerError::BadToken(_) => "acquirer.bad_token",
            AcquirerError::Malformed(_) => "acquirer.malformed_answer",
            AcquirerError::InvalidRequest(_) => "acquirer.invalid_request",
        }
    }
}

/// Timeouts of an acquirer client.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// For the whole call, from sending to the last byte of the answer.
    pub request: Duration,
    /// For opening the connection.
    pub connect: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            request: Duration::from_secs(30),
            connect: Duration::from_secs(5),
        }
    }
}

/// A card acquirer. Every call that changes money may time out with the outcome unknown
/// ([`AcquirerError::OutcomeUnknown`]); the caller then asks `state`.
///
/// Not object-safe (its methods return `impl Future`): use it as a generic parameter.
pub trait Acquirer: Send + Sync {
    /// Creates a payment; the payer pays at the answer's `payment_url`.
    fn init(
        &self,
        request: InitRequest,
    ) -> impl Future<Output = Result<InitAnswer, AcquirerError>> + Send;

    /// Where the payment stands now.
    fn state(
        &self,
        payment_id: &PaymentId,
    ) -> impl Future<Output = Result<PaymentAnswer, AcquirerError>> + Send;

    /// Takes held money (two-stage), all of it or `amount` kopecks.
    fn confirm(
        &self,
        payment_id: &PaymentId,
        amount: Option<i64>,
    ) -> impl Future<Output = Result<PaymentAnswer, AcquirerError>> + Send;

    /// Cancels a new payment, releases a hold (reversal) or returns taken money (refund); all
    /// of what is left, or `amount` kopecks of it.
    fn cancel(
        &self,
        payment_id: &PaymentId,
        amount: Option<i64>,
    ) -> impl Future<Output = Result<PaymentAnswer, AcquirerError>> + Send;

    /// Checks a notification's token and reads it.
    fn verify_notification(&self, body: &serde_json::Value) -> Result<Notification, AcquirerError>;
}

impl<A: Acquirer> Acquirer for std::sync::Arc<A> {
    fn init(
        &self,
        request: InitRequest,
    ) -> impl Future<Output = Result<InitAnswer, AcquirerError>> + Send {
        A::init(self, request)
    }

    fn state(
        &self,
        payment_id: &PaymentId,
    ) -> impl Future<Output = Result<PaymentAnswer, AcquirerError>> + Send {
        A::state(self, payment_id)
    }

    fn confirm(
        &self,
        payment_id: &PaymentId,
        amount: Option<i64>,
    ) -> impl Future<Output = Result<PaymentAnswer, AcquirerError>> + Send {
        A::confirm(self, payment_id, amount)
    }

    fn cancel(
        &self,
        payment_id: &PaymentId,
        amount: Option<i64>,
    ) -> impl Future<Output = Result<PaymentAnswer, AcquirerError>> + Send {
        A::cancel(self, payment_id, amount)
    }

    fn verify_notification(&self, body: &serde_json::Value) -> Result<Notification, AcquirerError> {
        A::verify_notification(self, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[&str] = &[
        "NEW",
        "FORM_SHOWED",
        "AUTHORIZING",
        "3DS_CHECKING",
        "3DS_CHECKED",
        "AUTHORIZED",
        "CONFIRMING",
        "CONFIRM_CHECKING",
        "CONFIRMED",
        "REVERSING",
        "PARTIAL_REVERSED",
        "REVERSED",
        "REFUNDING",
        "ASYNC_REFUNDING",
        "PARTIAL_REFUNDED",
        "REFUNDED",
        "CANCELED",
        "DEADLINE_EXPIRED",
        "ATTEMPTS_EXPIRED",
        "REJECTED",
        "AUTH_FAIL",
    ];

    #[test]
    fn every_documented_status_is_known_and_round_trips() {
        for s in ALL {
            let status = AcquirerStatus::parse(s);
            assert!(
                !matches!(status, AcquirerStatus::Unrecognised(_)),
                "{s} unknown"
            );
            assert_eq!(status.as_str(), *s);
        }
        assert_eq!(
            AcquirerStatus::parse("FORMSHOWED"),
            AcquirerStatus::FormShowed
        );
    }

    #[test]
    fn statuses_map_to_outcomes() {
        let o = |s: &str, code: &str| AcquirerStatus::parse(s).outcome(code);
        assert_eq!(o("NEW", "0"), Outcome::Pending);
        assert_eq!(o("3DS_CHECKING", "0"), Outcome::Pending);
        assert_eq!(o("CONFIRMING", "0"), Outcome::Pending);
        assert_eq!(o("AUTHORIZED", "0"), Outcome::Authorised);
        assert_eq!(o("CONFIRMED", "0"), Outcome::Captured);
        assert_eq!(o("REVERSED", "0"), Outcome::Cancelled);
        assert_eq!(o("CANCELED", "0"), Outcome::Cancelled);
        assert_eq!(
            o("PARTIAL_REFUNDED", "0"),
            Outcome::Refunded { partial: true }
        );
        assert_eq!(o("REFUNDED", "0"), Outcome::Refunded { partial: false });
        assert_eq!(
            o("REJECTED", "1051"),
            Outcome::Failed {
                code: "1051".into()
            }
        );
        assert_eq!(
            o("DEADLINE_EXPIRED", "0"),
            Outcome::Failed {
                code: "DEADLINE_EXPIRED".into()
            }
        );
        assert_eq!(o("SOMETHING_NEW", "0"), Outcome::Pending);
        assert!(!AcquirerStatus::parse("SOMETHING_NEW").is_settled());
        assert!(AcquirerStatus::parse("AUTH_FAIL").is_settled());
    }

    #[test]
    fn an_init_request_is_checked_before_sending() {
        let mut r = InitRequest {
            amount: 100,
            order_id: "o-1".into(),
            description: "Пошлина".into(),
            success_url: None,
            fail_url: None,
            notification_url: None,
            pay_type: PayType::OneStage,
            customer_key: None,
        };
        assert!(r.check().is_ok());
        r.amount = 0;
        assert!(r.check().is_err());
        r.amount = 1;
        r.order_id = "x".repeat(37);
        assert!(r.check().is_err());
    }
}
