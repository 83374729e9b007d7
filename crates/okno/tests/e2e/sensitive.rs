//! End-to-end tests of sensitive messages on both engines, driven by the real registration flow
//! (which queues one-time codes by SMS and e-mail): the SMS gateway gets the real code, but neither
//! the delivery journal (API and pages, as an administrator) nor the stored outbox payload or
//! delivery text shows it, and a dead code cannot be sent again by hand.

use okno_testkit::{engines, Engine, Options, SmsGateway, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");
const REDACTED: &str = "[скрыто: одноразовый код]";
const MASKED: &str = "[скрыто]";

/// Starts the demo (for the administrator's token) with an SMS gateway, no SMTP and the console
/// channels off, so the e-mail code is refused for good at its first attempt (not printed).
async fn start(engine: Engine, gw: &SmsGateway, retry_base_ms: &str) -> TestApp {
    let args = [
        "--console-channels",
        "false",
        "--sms-url",
        &gw.url(),
        "--worker-poll-ms",
        "50",
        "--notify-retry-base-ms",
        retry_base_ms,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    TestApp::start(BIN, engine, Options { demo: true, args })
        .await
        .unwrap()
}

async fn register(app: &TestApp) {
    let r = app
        .post_json(
            "/api/v1/identity/register",
            None,
            &json!({"full_name": "Смирнова Анна Петровна", "phone": "+79165554433", "email": "anna@example.ru", "password": "Лиса-На-Крыше7", "consent": true}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
}

/// The first run of six digits in `text`, if any.
fn six_digits(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(6)
        .find(|w| w.iter().all(|c| c.is_ascii_digit()))
        .map(|w| w.iter().collect())
}

/// The code in the `n`-th SMS the gateway received.
async fn sms_code(gw: &SmsGateway, n: usize) -> String {
    let reqs = gw.wait_for(n, 20).await;
    assert!(reqs.len() >= n, "{} SMS, wanted {n}", reqs.len());
    let text = reqs[n - 1].json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("Код подтверждения телефона"), "{text}");
    six_digits(&text).unwrap_or_else(|| panic!("no code in {text}"))
}

/// What the database holds, read behind the platform's back: every outbox payload of a
/// `notify.message` and every delivery's subject and text.
async fn stored(app: &TestApp) -> (Vec<String>, Vec<String>) {
    use sqlx::Connection;
    const PAYLOADS: &str = "SELECT payload FROM outbox WHERE kind = 'notify.message'";
    const TEXTS: &str = "SELECT subject || ' ' || body FROM deliveries";
    match &app.db.url {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            (
                sqlx::query_scalar(PAYLOADS)
                    .fetch_all(&mut c)
                    .await
                    .unwrap(),
                sqlx::query_scalar(TEXTS).fetch_all(&mut c).await.unwrap(),
            )
        }
        None => {
            let path = app.data_dir.join("okno.db");
            let mut c =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
                    .await
                    .unwrap();
            (
                sqlx::query_scalar(PAYLOADS)
                    .fetch_all(&mut c)
                    .await
                    .unwrap(),
                sqlx::query_scalar(TEXTS).fetch_all(&mut c).await.unwrap(),
            )
        }
    }
}

fn by_channel<'a>(d: &'a [Value], channel: &str) -> &'a Value {
    d.iter()
        .find(|x| x["channel"] == channel)
        .unwrap_or_else(|| panic!("no {channel} delivery in {d:#?}"))
}

async fn page(app: &TestApp, path: &str) -> String {
    let r = app.get_as_admin(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_one_time_code_reaches_the_phone_but_never_the_journal_nor_the_outbox() {
    for engine in
        engines("a_one_time_code_reaches_the_phone_but_never_the_journal_nor_the_outbox").await
    {
        // The gateway fails once, so the SMS waits pending for its second attempt.
        let gw = SmsGateway::start(&[503]).await.unwrap();
        let app = start(engine, &gw, "1500").await;
        register(&app).await;
        let code = sms_code(&gw, 1).await;

        // Pending: the journal masks the text; the outbox no longer holds it.
        let d = app
            .wait_deliveries(20, "the SMS pending after a failed attempt", |d| {
                d.iter().any(|x| {
                    x["channel"] == "sms" && x["status"] == "pending" && x["attempts"] == 1
                })
            })
            .await;
        let sms = by_channel(&d, "sms");
        assert_eq!(sms["sensitive"], true);
        assert_eq!(sms["text"], MASKED);
        let list = serde_json::to_string(&d).unwrap();
        assert!(!list.contains(&code), "{list}");
        let id = sms["id"].as_str().unwrap().to_string();
        let detail = app
            .get_as_admin(&format!("/api/v1/deliveries/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!detail.contains(&code), "{detail}");
        let html = page(&app, &format!("/admin/deliveries/{id}")).await;
        assert!(!html.contains(&code) && html.contains(MASKED), "{html}");
        let (payloads, _) = stored(&app).await;
        assert_eq!(payloads.len(), 2, "one event per code");
        for p in &payloads {
            assert!(
                !p.contains(&code) && !p.contains("Код подтверждения") && p.contains(REDACTED),
                "{p}"
            );
        }

        // Sent: the gateway got the real code again; the stored text is the marker.
        assert_eq!(
            sms_code(&gw, 2).await,
            code,
            "the retry sends the same text"
        );
        let d = app
            .wait_deliveries(20, "the SMS sent and the e-mail dead", |d| {
                d.len() == 2
                    && d.iter()
                        .any(|x| x["channel"] == "sms" && x["status"] == "sent")
                    && d.iter()
                        .any(|x| x["channel"] == "email" && x["status"] == "dead")
            })
            .await;
        for x in &d {
            assert_eq!(x["sensitive"], true, "{x}");
            let text = x["text"].as_str().unwrap();
            assert_eq!(text, REDACTED, "{x}");
            assert_eq!(six_digits(text), None);
        }
        assert_eq!(by_channel(&d, "email")["subject"], REDACTED);
        let list = serde_json::to_string(&d).unwrap();
        assert!(!list.contains(&code), "{list}");
        for path in [
            "/admin/deliveries".to_string(),
            format!("/admin/deliveries/{id}"),
        ] {
            let html = page(&app, &path).await;
            assert!(!html.contains(&code), "{path}: {html}");
        }
        let (payloads, texts) = stored(&app).await;
        for s in payloads.iter().chain(&texts) {
            assert!(
                !s.contains(&code) && !s.contains("Код подтверждения") && s.contains(REDACTED),
                "{s}"
            );
        }
    }
}

#[tokio::test]
async fn a_dead_one_time_code_cannot_be_sent_again_by_hand() {
    for engine in engines("a_dead_one_time_code_cannot_be_sent_again_by_hand").await {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, &gw, "200").await;
        register(&app).await;
        let d = app
            .wait_deliveries(20, "the e-mail code dead (no SMTP)", |d| {
                d.iter()
                    .any(|x| x["channel"] == "email" && x["status"] == "dead")
            })
            .await;
        let email = by_channel(&d, "email");
        assert_eq!(email["text"], REDACTED);
        let id = email["id"].as_str().unwrap().to_string();
        let r = app
            .post_json(
                &format!("/api/v1/deliveries/{id}/retry"),
                app.admin_token.as_deref(),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 409);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["code"], "notify.delivery_sensitive");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("запросить новый код"),
            "{p}"
        );
        let html = page(&app, &format!("/admin/deliveries/{id}")).await;
        assert!(!html.contains("Отправить ещё раз"), "no retry button");
        assert!(html.contains("одноразовый код"));
        let after = app.deliveries().await;
        assert_eq!(
            by_channel(&after, "email")["status"],
            "dead",
            "not requeued"
        );
        let (code, out, _) = app.okno(&["audit", "verify"]);
        assert_eq!(code, 0, "{out}");
    }
}
