//! `TBankClient`: the [`Acquirer`] over T-Bank's acquiring API v2 (POST JSON to
//! `<base>/v2/<Method>`, every request signed with `Token`), and the reading of its answers.
//!
//! Documentation: <https://developer.tbank.ru/eacq/api/init>, the token at
//! <https://developer.tbank.ru/eacq/intro/developer/token>, statuses at
//! <https://developer.tbank.ru/eacq/intro/developer/operation-statuses> (FACTS-payments.md §2a).
//! The pages of GetState, Confirm and Cancel are cited below as …/eacq/api/get-state,
//! …/confirm, …/cancel: those addresses, and the answer fields beyond PaymentId, Status,
//! Amount, ErrorCode, Message, Details (OriginalAmount/NewAmount of Cancel, the card fields),
//! are NOT VERIFIED against the pages themselves.

use std::fmt;

use serde_json::{Map, Value};
use tracing::Instrument;

use crate::model::{
    Acquirer, AcquirerError, AcquirerStatus, CardInfo, InitAnswer, InitRequest, Notification,
    PaymentAnswer, PaymentId, Timeouts,
};
use crate::token;

/// T-Bank's production host; requests go to `<base>/v2/<Method>`.
pub const PRODUCTION_BASE_URL: &str = "https://securepay.tinkoff.ru";
/// T-Bank's test host (FACTS-payments.md §2a; NOT VERIFIED that it still answers).
pub const TEST_BASE_URL: &str = "https://rest-api-test.tinkoff.ru";

/// The ErrorCodes by which T-Bank says the token or the terminal is wrong ("Неверный токен.
/// Проверьте пару TerminalKey/SecretKey"). NOT VERIFIED against the official list of codes:
/// taken from a third-party transcription of it and from SDK tests.
pub const BAD_TOKEN_CODES: &[&str] = &["204", "205"];

/// Where and as whom the client calls the acquirer.
#[derive(Clone)]
pub struct TBankConfig {
    /// Without the `/v2` path, e.g. [`PRODUCTION_BASE_URL`] or a sandbox's address.
    pub base_url: String,
    pub terminal_key: String,
    /// The terminal's password (secret key). Never logged; `Debug` hides it.
    pub password: String,
    pub timeouts: Timeouts,
}

impl fmt::Debug for TBankConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TBankConfig")
            .field("base_url", &self.base_url)
            .field("terminal_key", &self.terminal_key)
            .field("password", &"<hidden>")
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

/// The T-Bank acquiring API v2 client.
#[derive(Clone)]
pub struct TBankClient {
    cfg: TBankConfig,
    http: reqwest::Client,
}

impl fmt::Debug for TBankClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TBankClient")
            .field("cfg", &self.cfg)
            .finish()
    }
}

impl TBankClient {
    /// A client with its own connection pool and the configured timeouts.
    pub fn new(cfg: TBankConfig) -> Result<Self, AcquirerError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeouts.request)
            .connect_timeout(cfg.timeouts.connect)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AcquirerError::InvalidRequest(format!("http client: {e}")))?;
        Ok(Self { cfg, http })
    }

    pub fn config(&self) -> &TBankConfig {
        &self.cfg
    }

    /// Signs `fields`, POSTs them to `<base>/v2/<method>` and returns the answer's JSON object
    /// if the acquirer accepted (`Success=true`, `ErrorCode=0`). With `keep_status`, an answer
    /// that refuses but still names the payment's `Status` is returned too (GetState of a
    /// declined payment carries the decline's code).
    async fn call(
        &self,
        method: &'static str,
        mut fields: Map<String, Value>,
        keep_status: bool,
    ) -> Result<Map<String, Value>, AcquirerError> {
        fields.insert(
            "TerminalKey".into(),
            Value::String(self.cfg.terminal_key.clone()),
        );
        let signature = token::sign(&fields, &self.cfg.password);
        fields.insert(token::TOKEN_FIELD.into(), Value::String(signature));
        let url = format!("{}/v2/{method}", self.cfg.base_url.trim_end_matches('/'));
        let span = tracing::info_span!("acquirer_call", method, terminal = %self.cfg.terminal_key);
        async move {
            let unknown = |e: reqwest::Error| AcquirerError::OutcomeUnknown {
                timed_out: e.is_timeout(),
                detail: without_url(&e),
            };
            let response = self
                .http
                .post(&url)
                .json(&fields)
                .send()
                .await
                .map_err(unknown)?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(unknown)?;
            if status.is_server_error() {
                tracing::warn!(
                    http_status = status.as_u16(),
                    "acquirer answered a server error"
                );
                return Err(AcquirerError::OutcomeUnknown {
                    timed_out: false,
                    detail: format!("HTTP {status}"),
                });
            }
            let answer: Value = serde_json::from_slice(&bytes)
                .map_err(|_| AcquirerError::Malformed(format!("HTTP {status}, not JSON")))?;
            let Value::Object(answer) = answer else {
                return Err(AcquirerError::Malformed("not a JSON object".into()));
            };
            let code = text(&answer, "ErrorCode").unwrap_or_default();
            let success = answer.get("Success").and_then(Value::as_bool);
            if success == Some(true) && (code.is_empty() || code == "0") {
                return Ok(answer);
            }
            if BAD_TOKEN_CODES.contains(&code.as_str()) {
                tracing::warn!(code, "acquirer refused our token");
                return Err(AcquirerError::BadToken(
                    text(&answer, "Details")
                        .or_else(|| text(&answer, "Message"))
                        .unwrap_or_else(|| format!("ErrorCode {code}")),
                ));
            }
            if keep_status && answer.contains_key("Status") && answer.contains_key("PaymentId") {
                return Ok(answer);
            }
            if success.is_none() && code.is_empty() {
                return Err(AcquirerError::Malformed(
                    "neither Success nor ErrorCode".into(),
                ));
            }
            tracing::info!(code, "acquirer refused");
            Err(AcquirerError::Refused {
                code: if code.is_empty() {
                    "unknown".into()
                } else {
                    code
                },
                message: text(&answer, "Message").unwrap_or_default(),
                details: text(&answer, "Details"),
            })
        }
        .instrument(span)
        .await
    }

    fn payment_fields(payment_id: &PaymentId, amount: Option<i64>) -> Map<String, Value> {
        let mut f = Map::new();
        f.insert(
            "PaymentId".into(),
            Value::String(payment_id.as_str().to_string()),
        );
        if let Some(a) = amount {
            f.insert("Amount".into(), Value::from(a));
        }
        f
    }
}

/// A transport error's text without its URL (which holds nothing secret, but is noise).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "transport"
    };
    let mut source = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    match last {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_string(),
    }
}

/// A root field as text: strings as they are, numbers and booleans rendered.
pub(crate) fn text(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A root field as an amount in kopecks (a JSON integer, or digits in a string).
fn kopecks(m: &Map<String, Value>, key: &str) -> Result<Option<i64>, AcquirerError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| AcquirerError::Malformed(format!("{key} is not an integer"))),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| AcquirerError::Malformed(format!("{key} is not an integer"))),
        Some(_) => Err(AcquirerError::Malformed(format!("{key} is not a number"))),
    }
}

fn required(m: &Map<String, Value>, key: &str) -> Result<String, AcquirerError> {
    text(m, key).ok_or_else(|| AcquirerError::Malformed(format!("no {key}")))
}

fn card(m: &Map<String, Value>) -> CardInfo {
    CardInfo {
        card_id: text(m, "CardId"),
        pan: text(m, "Pan"),
        exp_date: text(m, "ExpDate"),
        rrn: text(m, "RRN").or_else(|| text(m, "Rrn")),
    }
}

/// Reads a GetState, Confirm or Cancel answer.
pub(crate) fn payment_answer(m: &Map<String, Value>) -> Result<PaymentAnswer, AcquirerError> {
    Ok(PaymentAnswer {
        payment_id: PaymentId::parse(&required(m, "PaymentId")?)?,
        order_id: text(m, "OrderId"),
        status: AcquirerStatus::parse(&required(m, "Status")?),
        amount: kopecks(m, "Amount")?,
        error_code: text(m, "ErrorCode").unwrap_or_else(|| "0".into()),
        message: text(m, "Message"),
        details: text(m, "Details"),
        original_amount: kopecks(m, "OriginalAmount")?,
        new_amount: kopecks(m, "NewAmount")?,
        card: card(m),
    })
}

/// Checks a notification's token with `password` and `terminal_key`, then reads it. Used by
/// [`TBankClient::verify_notification`]; public for a platform that keeps several terminals.
///
/// What is checked: the body is a JSON object from our terminal, its `Token` equals the one
/// recomputed over its root scalar fields (minus `Token`) with our password (constant-time).
/// NOT VERIFIED against the documentation text (FACTS-payments.md §2a): that booleans such as
/// `Success` enter the token as `true`/`false`, and that the reply is the plain text `OK`.
/// Not checked here: that `OrderId` and `Amount` match our own record of the payment — the
/// caller does that.
pub fn verify_notification_with(
    body: &Value,
    terminal_key: &str,
    password: &str,
) -> Result<Notification, AcquirerError> {
    let Value::Object(m) = body else {
        return Err(AcquirerError::Malformed(
            "notification is not a JSON object".into(),
        ));
    };
    let terminal = required(m, "TerminalKey")?;
    if !token::constant_time_eq(terminal.as_bytes(), terminal_key.as_bytes()) {
        return Err(AcquirerError::BadToken(
            "notification for another terminal".into(),
        ));
    }
    if !token::verify(m, password) {
        return Err(AcquirerError::BadToken(
            "notification token does not match".into(),
        ));
    }
    let success = match m.get("Success") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        _ => return Err(AcquirerError::Malformed("no Success".into())),
    };
    Ok(Notification {
        terminal_key: terminal,
        order_id: required(m, "OrderId")?,
        success,
        status: AcquirerStatus::parse(&required(m, "Status")?),
        payment_id: PaymentId::parse(&required(m, "PaymentId")?)?,
        error_code: text(m, "ErrorCode").unwrap_or_else(|| "0".into()),
        amount: kopecks(m, "Amount")?
            .ok_or_else(|| AcquirerError::Malformed("no Amount".into()))?,
        rebill_id: text(m, "RebillId"),
        card: card(m),
    })
}

impl Acquirer for TBankClient {
    /// `Init` (<https://developer.tbank.ru/eacq/api/init>): TerminalKey, Amount, OrderId,
    /// Description, PayType, NotificationURL, SuccessURL, FailURL, CustomerKey → PaymentId,
    /// Status, Amount, PaymentURL.
    async fn init(&self, r: InitRequest) -> Result<InitAnswer, AcquirerError> {
        r.check()?;
        let mut f = Map::new();
        f.insert("Amount".into(), Value::from(r.amount));
        f.insert("OrderId".into(), Value::String(r.order_id.clone()));
        f.insert("Description".into(), Value::String(r.description.clone()));
        f.insert("PayType".into(), Value::String(r.pay_type.code().into()));
        let optional = [
            ("NotificationURL", &r.notification_url),
            ("SuccessURL", &r.success_url),
            ("FailURL", &r.fail_url),
            ("CustomerKey", &r.customer_key),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                f.insert(key.into(), Value::String(v.clone()));
            }
        }
        let m = self.call("Init", f, false).await?;
        Ok(InitAnswer {
            payment_id: PaymentId::parse(&required(&m, "PaymentId")?)?,
            order_id: text(&m, "OrderId").unwrap_or(r.order_id),
            status: AcquirerStatus::parse(&required(&m, "Status")?),
            amount: kopecks(&m, "Amount")?.unwrap_or(r.amount),
            payment_url: required(&m, "PaymentURL")?,
        })
    }

    /// `GetState` (<https://developer.tbank.ru/eacq/api/get-state>). A declined payment's state
    /// is an answer, not an error: its `error_code` says why.
    async fn state(&self, payment_id: &PaymentId) -> Result<PaymentAnswer, AcquirerError> {
        let m = self
            .call("GetState", Self::payment_fields(payment_id, None), true)
            .await?;
        payment_answer(&m)
    }

    /// `Confirm` (<https://developer.tbank.ru/eacq/api/confirm>): takes a two-stage hold.
    async fn confirm(
        &self,
        payment_id: &PaymentId,
        amount: Option<i64>,
    ) -> Result<PaymentAnswer, AcquirerError> {
        if amount.is_some_and(|a| a <= 0) {
            return Err(AcquirerError::InvalidRequest(
                "amount must be above zero".into(),
            ));
        }
        let m = self
            .call("Confirm", Self::payment_fields(payment_id, amount), false)
            .await?;
        payment_answer(&m)
    }

    /// `Cancel` (<https://developer.tbank.ru/eacq/api/cancel>): cancels a NEW payment, reverses
    /// an AUTHORIZED one, refunds a CONFIRMED one; `amount` for a partial reversal or refund.
    async fn cancel(
        &self,
        payment_id: &PaymentId,
        amount: Option<i64>,
    ) -> Result<PaymentAnswer, AcquirerError> {
        if amount.is_some_and(|a| a <= 0) {
            return Err(AcquirerError::InvalidRequest(
                "amount must be above zero".into(),
            ));
        }
        let m = self
            .call("Cancel", Self::payment_fields(payment_id, amount), false)
            .await?;
        payment_answer(&m)
    }

    fn verify_notification(&self, body: &Value) -> Result<Notification, AcquirerError> {
        verify_notification_with(body, &self.cfg.terminal_key, &self.cfg.password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_password_is_not_in_debug() {
        let cfg = TBankConfig {
            base_url: TEST_BASE_URL.into(),
            terminal_key: "TinkoffBankTest".into(),
            password: "s3cr3t-pw".into(),
            timeouts: Timeouts::default(),
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("s3cr3t-pw"));
        assert!(shown.contains("TinkoffBankTest"));
        let client = TBankClient::new(cfg).unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t-pw"));
    }

    #[test]
    fn a_notification_with_numbers_as_ids_is_read() {
        let mut body = json!({
            "TerminalKey": "T", "OrderId": "o-1", "Success": true, "Status": "CONFIRMED",
            "PaymentId": 13660, "ErrorCode": "0", "Amount": 10000, "CardId": 123456,
            "Pan": "430000******0777", "ExpDate": "1230"
        });
        let t = token::sign(body.as_object().unwrap(), "pw");
        body["Token"] = Value::String(t);
        let n = verify_notification_with(&body, "T", "pw").unwrap();
        assert_eq!(n.payment_id.as_str(), "13660");
        assert_eq!(n.card.card_id.as_deref(), Some("123456"));
        assert_eq!(n.amount, 10000);
        assert!(matches!(
            verify_notification_with(&body, "Other", "pw"),
            Err(AcquirerError::BadToken(_))
        ));
        body["Status"] = json!("REFUNDED");
        assert!(matches!(
            verify_notification_with(&body, "T", "pw"),
            Err(AcquirerError::BadToken(_))
        ));
        assert!(matches!(
            verify_notification_with(&json!([1]), "T", "pw"),
            Err(AcquirerError::Malformed(_))
        ));
    }

    #[test]
    fn a_get_state_answer_is_read() {
        let m = json!({"Success": false, "ErrorCode": "1051", "Message": "Недостаточно средств",
                       "Status": "REJECTED", "PaymentId": "77", "Amount": 500, "OrderId": "o"});
        let a = payment_answer(m.as_object().unwrap()).unwrap();
        assert_eq!(a.status, AcquirerStatus::Rejected);
        assert_eq!(
            a.outcome(),
            crate::model::Outcome::Failed {
                code: "1051".into()
            }
        );
        let bad = json!({"Status": "NEW", "PaymentId": "1", "Amount": "x"});
        assert!(payment_answer(bad.as_object().unwrap()).is_err());
    }
}
