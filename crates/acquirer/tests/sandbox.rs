//! The T-Bank client against the sandbox bank over real HTTP on 127.0.0.1: every test card
//! driven through the payment pages as a browser would, tokens refused and checked,
//! notifications, partial cancels, the slow card, and injected faults.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use okno_acquirer::sandbox::{
    CARD_3DS, CARD_DECLINED, CARD_NO_FUNDS, CARD_SLOW, CARD_SUCCESS, THREE_DS_CODE,
};
use okno_acquirer::{
    serve_sandbox, Acquirer, AcquirerError, AcquirerStatus, InitAnswer, InitRequest, Notification,
    Outcome, PayType, PaymentAnswer, PaymentId, SandboxConfig, TBankClient, TBankConfig, Timeouts,
    NOTIFICATION_REPLY,
};
use serde_json::{json, Value};
use tokio::net::TcpListener;

const TERMINAL: &str = "OknoTestTerminal";
const PASSWORD: &str = "sandbox-password";
const SUCCESS_URL: &str = "https://okno.test/payments/done";
const FAIL_URL: &str = "https://okno.test/payments/failed";
/// Used by the tests for the slow card: long enough to see AUTHORIZING, short for the run.
const SLOW_MS: u64 = 600;

/// The merchant's notification endpoint: keeps every body, answers `OK` (or, for the first
/// `refuse` ones, something else).
#[derive(Clone, Default)]
struct Inbox {
    got: Arc<Mutex<Vec<Value>>>,
    refuse: Arc<AtomicUsize>,
}

async fn receive(State(inbox): State<Inbox>, Json(body): Json<Value>) -> &'static str {
    inbox.got.lock().unwrap().push(body);
    let refused = inbox
        .refuse
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if refused {
        "NOT YET"
    } else {
        NOTIFICATION_REPLY
    }
}

async fn listen() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

/// A sandbox bank, a merchant's notification endpoint, a client and a browser.
struct Bank {
    url: String,
    client: TBankClient,
    browser: reqwest::Client,
    inbox: Inbox,
    notification_url: String,
}

impl Bank {
    async fn start() -> Self {
        let inbox = Inbox::default();
        let merchant = Router::new()
            .route("/notify", post(receive))
            .with_state(inbox.clone());
        let (l, merchant_url) = listen().await;
        tokio::spawn(async move { axum::serve(l, merchant).await });

        let mut cfg = SandboxConfig::new(TERMINAL, PASSWORD);
        cfg.slow_ms = SLOW_MS;
        cfg.notify_retry_ms = 20;
        let (l, url) = listen().await;
        tokio::spawn(serve_sandbox(l, cfg));
        Bank {
            client: client(&url, TERMINAL, PASSWORD, Duration::from_secs(5)),
            url,
            browser: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            inbox,
            notification_url: format!("{merchant_url}/notify"),
        }
    }

    /// A client that gives up after `timeout`.
    fn impatient_client(&self, timeout: Duration) -> TBankClient {
        client(&self.url, TERMINAL, PASSWORD, timeout)
    }

    fn request(&self, order_id: &str, amount: i64, pay_type: PayType) -> InitRequest {
        InitRequest {
            amount,
            order_id: order_id.into(),
            description: "Госпошлина за выдачу паспорта".into(),
            success_url: Some(SUCCESS_URL.into()),
            fail_url: Some(FAIL_URL.into()),
            notification_url: Some(self.notification_url.clone()),
            pay_type,
            customer_key: Some("person-42".into()),
        }
    }

    async fn init(&self, order_id: &str, amount: i64, pay_type: PayType) -> InitAnswer {
        self.client
            .init(self.request(order_id, amount, pay_type))
            .await
            .unwrap()
    }

    async fn state(&self, id: &PaymentId) -> PaymentAnswer {
        self.client.state(id).await.unwrap()
    }

    /// The payer opens the PaymentURL; the page's text.
    async fn payer_opens(&self, a: &InitAnswer) -> String {
        let r = self.browser.get(&a.payment_url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    /// The payer fills in the card form and presses «Оплатить».
    async fn payer_pays(&self, a: &InitAnswer, card: &str) -> reqwest::Response {
        self.browser
            .post(&a.payment_url)
            .form(&[("card", card), ("exp", "12/35"), ("cvc", "123")])
            .send()
            .await
            .unwrap()
    }

    async fn payer_enters_code(&self, a: &InitAnswer, code: &str) -> reqwest::Response {
        self.browser
            .post(format!("{}/3ds/{}", self.url, a.payment_id))
            .form(&[("code", code)])
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.browser
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    async fn fault(&self, fault: Value) {
        let r = self
            .browser
            .post(format!("{}/sandbox/faults", self.url))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    /// The raw notification bodies received for a payment so far.
    fn raw_notifications(&self, id: &PaymentId) -> Vec<Value> {
        self.inbox
            .got
            .lock()
            .unwrap()
            .iter()
            .filter(|n| n["PaymentId"].to_string().trim_matches('"') == id.as_str())
            .cloned()
            .collect()
    }

    /// Waits until `count` notifications came for the payment; each is verified.
    async fn notifications(&self, id: &PaymentId, count: usize) -> Vec<Notification> {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let got = self.raw_notifications(id);
            if got.len() >= count || Instant::now() > deadline {
                assert_eq!(got.len(), count, "notifications for {id}: {got:?}");
                return got
                    .iter()
                    .map(|n| self.client.verify_notification(n).unwrap())
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Asks `state` until the payment reaches `status`.
    async fn wait_for(&self, id: &PaymentId, status: AcquirerStatus) -> PaymentAnswer {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let s = self.state(id).await;
            if s.status == status || Instant::now() > deadline {
                assert_eq!(s.status, status);
                return s;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn client(url: &str, terminal: &str, password: &str, timeout: Duration) -> TBankClient {
    TBankClient::new(TBankConfig {
        base_url: url.into(),
        terminal_key: terminal.into(),
        password: password.into(),
        timeouts: Timeouts {
            request: timeout,
            connect: Duration::from_secs(2),
        },
    })
    .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), 303, "a redirect after the form");
    r.headers()["location"].to_str().unwrap().to_string()
}

fn refused_code(e: AcquirerError) -> String {
    match e {
        AcquirerError::Refused { code, .. } => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_one_stage_payment_with_the_success_card_is_confirmed_and_notified() {
    let bank = Bank::start().await;
    let a = bank.init("order-success", 123_456, PayType::OneStage).await;
    assert_eq!(a.status, AcquirerStatus::New);
    assert_eq!(a.amount, 123_456);
    assert_eq!(a.payment_url, format!("{}/pay/{}", bank.url, a.payment_id));

    let page = bank.payer_opens(&a).await;
    assert!(page.contains("Тестовый банк — оплата картой"));
    assert!(
        page.contains("1\u{a0}234,56\u{a0}₽"),
        "the amount in rubles"
    );
    assert!(page.contains("Госпошлина за выдачу паспорта"));
    assert!(page.contains("Оплатить"));
    assert!(page.contains("тестовый банк"));
    assert_eq!(
        bank.state(&a.payment_id).await.status,
        AcquirerStatus::FormShowed
    );

    let r = bank.payer_pays(&a, "4300 0000 0000 0777").await;
    assert_eq!(location(&r), SUCCESS_URL);

    let s = bank.state(&a.payment_id).await;
    assert_eq!(s.status, AcquirerStatus::Confirmed);
    assert_eq!(s.outcome(), Outcome::Captured);
    assert_eq!(s.order_id.as_deref(), Some("order-success"));
    assert_eq!(s.card.pan.as_deref(), Some("430000******0777"));
    assert_eq!(s.card.exp_date.as_deref(), Some("1235"));
    assert!(s.card.card_id.is_some() && s.card.rrn.is_some());

    let n = bank.notifications(&a.payment_id, 1).await;
    assert_eq!(n[0].status, AcquirerStatus::Confirmed);
    assert!(n[0].success);
    assert_eq!(
        (n[0].amount, n[0].order_id.as_str()),
        (123_456, "order-success")
    );
    assert_eq!(n[0].card.pan.as_deref(), Some("430000******0777"));
    assert_eq!(n[0].outcome(), Outcome::Captured);
    let raw = &bank.raw_notifications(&a.payment_id)[0];
    assert!(
        !raw.to_string().contains(CARD_SUCCESS),
        "never the full card number"
    );

    // Back on the form later: the browser goes to the result.
    let r = bank.browser.get(&a.payment_url).send().await.unwrap();
    assert_eq!(location(&r), SUCCESS_URL);
}

#[tokio::test]
async fn a_two_stage_payment_is_held_then_confirmed_for_less_and_refunded() {
    let bank = Bank::start().await;
    let a = bank.init("order-hold", 10_000, PayType::TwoStage).await;
    assert_eq!(
        location(&bank.payer_pays(&a, CARD_SUCCESS).await),
        SUCCESS_URL
    );
    let s = bank.state(&a.payment_id).await;
    assert_eq!(
        (s.status.clone(), s.outcome()),
        (AcquirerStatus::Authorized, Outcome::Authorised)
    );
    assert_eq!(
        bank.notifications(&a.payment_id, 1).await[0].status,
        AcquirerStatus::Authorized
    );

    let c = bank
        .client
        .confirm(&a.payment_id, Some(8_000))
        .await
        .unwrap();
    assert_eq!(c.status, AcquirerStatus::Confirmed);
    assert_eq!(c.amount, Some(8_000));
    assert_eq!(
        bank.notifications(&a.payment_id, 2).await[1].status,
        AcquirerStatus::Confirmed
    );
    // A second Confirm is refused: the payment is no longer AUTHORIZED.
    let again = bank.client.confirm(&a.payment_id, None).await.unwrap_err();
    assert_eq!(refused_code(again), "8");

    let r = bank.client.cancel(&a.payment_id, None).await.unwrap();
    assert_eq!(r.status, AcquirerStatus::Refunded);
    assert_eq!((r.original_amount, r.new_amount), (Some(8_000), Some(0)));
    assert_eq!(r.outcome(), Outcome::Refunded { partial: false });
}

#[tokio::test]
async fn cancelling_a_hold_reverses_it() {
    let bank = Bank::start().await;
    let a = bank.init("order-reverse", 5_000, PayType::TwoStage).await;
    bank.payer_pays(&a, CARD_SUCCESS).await;
    let r = bank.client.cancel(&a.payment_id, None).await.unwrap();
    assert_eq!(
        (r.status.clone(), r.outcome()),
        (AcquirerStatus::Reversed, Outcome::Cancelled)
    );
    let n = bank.notifications(&a.payment_id, 2).await;
    assert!(n.iter().any(|n| n.status == AcquirerStatus::Reversed));
}

#[tokio::test]
async fn a_payment_nobody_paid_is_cancelled() {
    let bank = Bank::start().await;
    let a = bank.init("order-unpaid", 5_000, PayType::OneStage).await;
    let r = bank.client.cancel(&a.payment_id, None).await.unwrap();
    assert_eq!(r.status, AcquirerStatus::Canceled);
    // The payer comes too late: the form sends them to FailURL.
    let r = bank.browser.get(&a.payment_url).send().await.unwrap();
    assert_eq!(location(&r), FAIL_URL);
}

#[tokio::test]
async fn the_3ds_card_asks_for_a_code_and_a_wrong_code_fails_the_payment() {
    let bank = Bank::start().await;
    let a = bank.init("order-3ds-wrong", 1_000, PayType::OneStage).await;
    let challenge = location(&bank.payer_pays(&a, CARD_3DS).await);
    assert_eq!(challenge, format!("{}/3ds/{}", bank.url, a.payment_id));
    assert_eq!(
        bank.state(&a.payment_id).await.status,
        AcquirerStatus::ThreeDsChecking
    );
    let page = bank.browser.get(&challenge).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("3-D Secure") && page.contains(r#"name="code""#));
    assert_eq!(
        location(&bank.payer_enters_code(&a, "0000").await),
        FAIL_URL
    );
    let s = bank.state(&a.payment_id).await;
    assert_eq!(s.status, AcquirerStatus::AuthFail);
    assert_eq!(s.outcome(), Outcome::Failed { code: "101".into() });
    let n = bank.notifications(&a.payment_id, 1).await;
    assert_eq!((n[0].success, n[0].error_code.as_str()), (false, "101"));

    let b = bank.init("order-3ds-right", 1_000, PayType::OneStage).await;
    bank.payer_pays(&b, CARD_3DS).await;
    assert_eq!(
        location(&bank.payer_enters_code(&b, THREE_DS_CODE).await),
        SUCCESS_URL
    );
    assert_eq!(
        bank.state(&b.payment_id).await.status,
        AcquirerStatus::Confirmed
    );
}

#[tokio::test]
async fn declined_and_insufficient_funds_cards_are_rejected_with_their_codes() {
    let bank = Bank::start().await;
    for (card, code, message) in [
        (CARD_DECLINED, "1005", "Операция отклонена банком-эмитентом"),
        (CARD_NO_FUNDS, "1051", "Недостаточно средств на карте"),
    ] {
        let a = bank
            .init(&format!("order-{code}"), 2_500, PayType::OneStage)
            .await;
        assert_eq!(location(&bank.payer_pays(&a, card).await), FAIL_URL);
        let s = bank.state(&a.payment_id).await;
        assert_eq!(s.status, AcquirerStatus::Rejected);
        assert_eq!(s.error_code, code);
        assert_eq!(s.message.as_deref(), Some(message));
        assert_eq!(s.outcome(), Outcome::Failed { code: code.into() });
        let n = bank.notifications(&a.payment_id, 1).await;
        assert_eq!(n[0].status, AcquirerStatus::Rejected);
        assert!(!n[0].success);
        // A rejected payment cannot be paid again on the same PaymentId.
        assert_eq!(location(&bank.payer_pays(&a, CARD_SUCCESS).await), FAIL_URL);
    }
}

#[tokio::test]
async fn a_card_failing_luhn_or_not_a_test_card_is_refused_on_the_form() {
    let bank = Bank::start().await;
    let a = bank.init("order-luhn", 1_000, PayType::OneStage).await;
    let r = bank.payer_pays(&a, "4300000000000778").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Проверьте номер карты"));
    assert!(
        !page.contains("4300000000000778"),
        "a wrong number is not echoed"
    );

    let r = bank.payer_pays(&a, "4111111111111111").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("только тестовые карты"));

    let r = bank
        .browser
        .post(&a.payment_url)
        .form(&[("card", CARD_SUCCESS), ("exp", "01/20"), ("cvc", "123")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("истёк"));
    // Nothing was sent to the form at all: a page, not a crash.
    let r = bank
        .browser
        .post(&a.payment_url)
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    assert_eq!(
        bank.state(&a.payment_id).await.status,
        AcquirerStatus::New,
        "still open to pay"
    );
    assert_eq!(bank.get("/pay/0").await.status(), 404);
}

#[tokio::test]
async fn a_wrong_password_or_terminal_is_refused_as_a_bad_token() {
    let bank = Bank::start().await;
    let wrong = client(
        &bank.url,
        TERMINAL,
        "not-the-password",
        Duration::from_secs(5),
    );
    let e = wrong
        .init(bank.request("order-bad-token", 100, PayType::OneStage))
        .await
        .unwrap_err();
    assert!(matches!(e, AcquirerError::BadToken(_)), "{e:?}");

    let stranger = client(
        &bank.url,
        "NoSuchTerminal",
        PASSWORD,
        Duration::from_secs(5),
    );
    let e = stranger
        .init(bank.request("order-bad-terminal", 100, PayType::OneStage))
        .await
        .unwrap_err();
    assert!(matches!(e, AcquirerError::BadToken(_)), "{e:?}");

    // Raw: a request with a token over other values answers ErrorCode 204.
    let r: Value = bank
        .browser
        .post(format!("{}/v2/GetState", bank.url))
        .json(&json!({"TerminalKey": TERMINAL, "PaymentId": "1", "Token": "00"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["Success"].clone(), r["ErrorCode"].clone()),
        (json!(false), json!("204"))
    );
    // Not JSON at all: a refusal, not a crash.
    let r = bank
        .browser
        .post(format!("{}/v2/Init", bank.url))
        .body("{{{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["Success"], json!(false));
}

#[tokio::test]
async fn a_notification_is_verified_and_a_tampered_one_refused() {
    let bank = Bank::start().await;
    let a = bank.init("order-tamper", 777, PayType::OneStage).await;
    bank.payer_pays(&a, CARD_SUCCESS).await;
    bank.notifications(&a.payment_id, 1).await;
    let genuine = bank.raw_notifications(&a.payment_id)[0].clone();
    assert!(bank.client.verify_notification(&genuine).is_ok());

    let mut more = genuine.clone();
    more["Amount"] = json!(77_700);
    let mut other_status = genuine.clone();
    other_status["Status"] = json!("REFUNDED");
    let mut unsigned = genuine.clone();
    unsigned.as_object_mut().unwrap().remove("Token");
    for tampered in [more, other_status, unsigned] {
        assert!(matches!(
            bank.client.verify_notification(&tampered),
            Err(AcquirerError::BadToken(_))
        ));
    }
    let other_terminal = client(&bank.url, "Other", PASSWORD, Duration::from_secs(1));
    assert!(other_terminal.verify_notification(&genuine).is_err());
}

#[tokio::test]
async fn partial_refunds_never_exceed_the_amount() {
    let bank = Bank::start().await;
    let a = bank.init("order-partial", 1_000, PayType::OneStage).await;
    bank.payer_pays(&a, CARD_SUCCESS).await;

    let r = bank.client.cancel(&a.payment_id, Some(300)).await.unwrap();
    assert_eq!(r.status, AcquirerStatus::PartialRefunded);
    assert_eq!((r.original_amount, r.new_amount), (Some(1_000), Some(700)));
    assert_eq!(r.outcome(), Outcome::Refunded { partial: true });

    let e = bank
        .client
        .cancel(&a.payment_id, Some(701))
        .await
        .unwrap_err();
    assert_eq!(refused_code(e), "330");

    let r = bank.client.cancel(&a.payment_id, Some(400)).await.unwrap();
    assert_eq!((r.original_amount, r.new_amount), (Some(700), Some(300)));
    let r = bank.client.cancel(&a.payment_id, Some(300)).await.unwrap();
    assert_eq!(r.status, AcquirerStatus::Refunded);
    assert_eq!(r.new_amount, Some(0));

    let e = bank
        .client
        .cancel(&a.payment_id, Some(1))
        .await
        .unwrap_err();
    assert_eq!(refused_code(e), "8");
    let statuses: Vec<_> = bank
        .notifications(&a.payment_id, 4)
        .await
        .into_iter()
        .map(|n| n.status)
        .collect();
    assert!(statuses.contains(&AcquirerStatus::Refunded));
}

#[tokio::test]
async fn the_slow_card_stays_authorizing_and_a_short_client_timeout_leaves_the_outcome_unknown() {
    let bank = Bank::start().await;
    let a = bank.init("order-slow", 4_200, PayType::TwoStage).await;
    let processing = location(&bank.payer_pays(&a, CARD_SLOW).await);
    assert_eq!(processing, a.payment_url);
    let page = bank.browser.get(&processing).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Банк обрабатывает платёж"));
    let s = bank.state(&a.payment_id).await;
    assert_eq!(
        (s.status.clone(), s.outcome()),
        (AcquirerStatus::Authorizing, Outcome::Pending)
    );
    assert!(
        bank.raw_notifications(&a.payment_id).is_empty(),
        "no notification before the end"
    );
    bank.wait_for(&a.payment_id, AcquirerStatus::Authorized)
        .await;
    bank.notifications(&a.payment_id, 1).await;

    // Its Confirm is slow too: a client that waits less than slow_ms learns nothing.
    let impatient = bank.impatient_client(Duration::from_millis(SLOW_MS / 4));
    let e = impatient.confirm(&a.payment_id, None).await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    assert!(matches!(
        e,
        AcquirerError::OutcomeUnknown {
            timed_out: true,
            ..
        }
    ));
    let s = bank.state(&a.payment_id).await;
    assert_eq!(
        (s.status.clone(), s.outcome()),
        (AcquirerStatus::Confirming, Outcome::Pending)
    );
    let s = bank
        .wait_for(&a.payment_id, AcquirerStatus::Confirmed)
        .await;
    assert_eq!(s.outcome(), Outcome::Captured);
}

#[tokio::test]
async fn a_dropped_answer_leaves_the_outcome_unknown_though_the_operation_was_done() {
    let bank = Bank::start().await;
    let a = bank.init("order-drop", 3_000, PayType::TwoStage).await;
    bank.payer_pays(&a, CARD_SUCCESS).await;

    bank.fault(json!({"method": "Confirm", "mode": "drop_answer", "times": 1}))
        .await;
    let e = bank.client.confirm(&a.payment_id, None).await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    assert_eq!(
        bank.state(&a.payment_id).await.status,
        AcquirerStatus::Confirmed,
        "the operation happened at the bank"
    );

    // A lost Init: repeating it with the same order and amount finds the same payment.
    bank.fault(json!({"method": "Init", "mode": "drop_answer"}))
        .await;
    let e = bank
        .client
        .init(bank.request("order-lost-init", 900, PayType::OneStage))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown());
    let first = bank.init("order-lost-init", 900, PayType::OneStage).await;
    let second = bank.init("order-lost-init", 900, PayType::OneStage).await;
    assert_eq!(first.payment_id, second.payment_id);
    let e = bank
        .client
        .init(bank.request("order-lost-init", 901, PayType::OneStage))
        .await
        .unwrap_err();
    assert_eq!(refused_code(e), "20");
}

#[tokio::test]
async fn a_delayed_answer_times_out_but_the_operation_is_done() {
    let bank = Bank::start().await;
    let a = bank.init("order-delay", 3_000, PayType::OneStage).await;
    bank.payer_pays(&a, CARD_SUCCESS).await;
    bank.fault(json!({"method": "Cancel", "mode": "delay", "ms": 300, "times": 1}))
        .await;
    let impatient = bank.impatient_client(Duration::from_millis(100));
    let e = impatient.cancel(&a.payment_id, None).await.unwrap_err();
    assert!(matches!(
        e,
        AcquirerError::OutcomeUnknown {
            timed_out: true,
            ..
        }
    ));
    bank.wait_for(&a.payment_id, AcquirerStatus::Refunded).await;
}

#[tokio::test]
async fn notifications_are_repeated_until_ok_and_a_fault_sends_one_twice() {
    let bank = Bank::start().await;
    bank.inbox.refuse.store(2, Ordering::SeqCst);
    let a = bank.init("order-retry", 100, PayType::OneStage).await;
    bank.payer_pays(&a, CARD_SUCCESS).await;
    let n = bank.notifications(&a.payment_id, 3).await;
    assert!(n.iter().all(|n| n.status == AcquirerStatus::Confirmed));

    bank.fault(json!({"mode": "duplicate_notification"})).await;
    let b = bank.init("order-twice", 100, PayType::OneStage).await;
    bank.payer_pays(&b, CARD_SUCCESS).await;
    let n = bank.notifications(&b.payment_id, 2).await;
    assert_eq!(n[0].payment_id, n[1].payment_id);
}

#[tokio::test]
async fn bad_faults_are_refused() {
    let bank = Bank::start().await;
    let r = bank
        .browser
        .post(format!("{}/sandbox/faults", bank.url))
        .json(&json!({"method": "Init", "mode": "explode"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_registry_lists_the_days_operations_as_csv() {
    let bank = Bank::start().await;
    let a = bank.init("order-registry", 1_000, PayType::OneStage).await;
    bank.payer_pays(&a, CARD_SUCCESS).await;
    bank.client.cancel(&a.payment_id, Some(250)).await.unwrap();

    let r = bank.get("/sandbox/registry").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "PaymentId;OrderId;Status;Amount;Time");
    let id = a.payment_id.as_str();
    assert!(lines[1].starts_with(&format!("{id};order-registry;CONFIRMED;1000;")));
    assert!(lines[2].starts_with(&format!("{id};order-registry;PARTIAL_REFUNDED;250;")));
    let time = lines[1].rsplit(';').next().unwrap();
    assert!(time.ends_with('Z') && time.len() == 20, "{time}");

    let day = &time[..10];
    let same = bank
        .get(&format!("/sandbox/registry?date={day}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(same, csv);
    let other = bank.get("/sandbox/registry?date=2001-01-01").await;
    assert_eq!(
        other.text().await.unwrap(),
        "PaymentId;OrderId;Status;Amount;Time\n"
    );
    assert_eq!(
        bank.get("/sandbox/registry?date=2001-02-30").await.status(),
        400
    );
}

#[tokio::test]
async fn a_request_that_cannot_be_valid_is_not_sent() {
    let bank = Bank::start().await;
    let e = bank
        .client
        .init(bank.request("order-zero", 0, PayType::OneStage))
        .await
        .unwrap_err();
    assert!(matches!(e, AcquirerError::InvalidRequest(_)));
    let unknown = PaymentId::parse("999").unwrap();
    let e = bank.client.state(&unknown).await.unwrap_err();
    assert_eq!(refused_code(e), "255");
}

#[tokio::test]
async fn an_unreachable_acquirer_leaves_the_outcome_unknown() {
    let (l, url) = listen().await;
    drop(l);
    let c = client(&url, TERMINAL, PASSWORD, Duration::from_secs(1));
    let e = c.state(&PaymentId::parse("1").unwrap()).await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
}

#[tokio::test]
async fn the_sandbox_works_nested_under_a_path_of_another_server() {
    let (l, url) = listen().await;
    let mut cfg = SandboxConfig::new(TERMINAL, PASSWORD);
    cfg.public_url = Some(format!("{url}/bank"));
    let app = Router::new().nest("/bank", okno_acquirer::sandbox_router(cfg));
    tokio::spawn(async move { axum::serve(l, app).await });
    let client = client(
        &format!("{url}/bank"),
        TERMINAL,
        PASSWORD,
        Duration::from_secs(5),
    );
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = InitRequest {
        amount: 100,
        order_id: "order-nested".into(),
        description: "Пошлина".into(),
        success_url: None,
        fail_url: None,
        notification_url: None,
        pay_type: PayType::OneStage,
        customer_key: None,
    };
    let a = client.init(request.clone()).await.unwrap();
    assert!(a.payment_url.starts_with(&format!("{url}/bank/pay/")));
    let form = browser.get(&a.payment_url).send().await.unwrap();
    let form = form.text().await.unwrap();
    assert!(form.contains(&format!(r#"action="{url}/bank/pay/{}""#, a.payment_id)));
    let r = browser
        .post(&a.payment_url)
        .form(&[("card", CARD_3DS), ("exp", "12/35"), ("cvc", "123")])
        .send()
        .await
        .unwrap();
    let challenge = location(&r);
    assert_eq!(challenge, format!("{url}/bank/3ds/{}", a.payment_id));
    let r = browser
        .post(&challenge)
        .form(&[("code", THREE_DS_CODE)])
        .send()
        .await
        .unwrap();
    // No SuccessURL: the bank's own result page.
    assert_eq!(location(&r), a.payment_url);
    let result = browser.get(&a.payment_url).send().await.unwrap();
    assert!(result
        .text()
        .await
        .unwrap()
        .contains("Оплата прошла успешно"));
    request.order_id = "order-nested-2".into();
    assert!(client.init(request).await.is_ok());
}

#[tokio::test]
async fn a_one_stage_payment_with_the_slow_card_is_confirmed_only_after_the_delay() {
    let bank = Bank::start().await;
    let a = bank.init("order-slow-one", 1_500, PayType::OneStage).await;
    assert_eq!(
        location(&bank.payer_pays(&a, CARD_SLOW).await),
        a.payment_url
    );
    assert_eq!(
        bank.state(&a.payment_id).await.status,
        AcquirerStatus::Authorizing
    );
    // The browser keeps the processing page until the bank is done, then goes to SuccessURL.
    let r = bank.browser.get(&a.payment_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(bank.raw_notifications(&a.payment_id).is_empty());
    bank.wait_for(&a.payment_id, AcquirerStatus::Confirmed)
        .await;
    let n = bank.notifications(&a.payment_id, 1).await;
    assert_eq!(n[0].status, AcquirerStatus::Confirmed);
    let r = bank.browser.get(&a.payment_url).send().await.unwrap();
    assert_eq!(location(&r), SUCCESS_URL);
}
