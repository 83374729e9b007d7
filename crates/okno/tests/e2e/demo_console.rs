//! End-to-end tests of the console channels: with `serve --demo` and no SMTP server or SMS gateway,
//! e-mail and SMS (one-time codes included) are printed to the server's standard output, so a person
//! trying the demo can finish registration; without `--demo` nothing is printed and the deliveries
//! are refused as before.

use std::time::{Duration, Instant};

use okno_testkit::{query_text, Engine, Options, SmsGateway, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

const SMS_LINE: &str = "[демо] SMS для +79165554433: ";
const MAIL_LINE: &str = "[демо] Письмо для anna@example.ru — «Подтверждение электронной почты»:";

async fn start(demo: bool, extra: &[&str]) -> TestApp {
    let mut args = vec!["--worker-poll-ms".to_string(), "50".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    TestApp::start(BIN, Engine::Sqlite, Options { demo, args })
        .await
        .unwrap()
}

/// Registers Смирнова Анна Петровна; gives the session token.
async fn register(app: &TestApp) -> String {
    let r = app
        .post_json(
            "/api/v1/identity/register",
            None,
            &json!({"full_name": "Смирнова Анна Петровна", "phone": "+79165554433", "email": "anna@example.ru", "password": "Лиса-На-Крыше7", "consent": true}),
        )
        .await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["session"].as_str().unwrap().to_string()
}

/// The first run of 6 digits in `text`.
fn six_digits(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(6).enumerate().find_map(|(i, w)| {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 6);
        let bounded = !before.is_some_and(|c| c.is_ascii_digit())
            && !after.is_some_and(|c| c.is_ascii_digit());
        (bounded && w.iter().all(|c| c.is_ascii_digit())).then(|| w.iter().collect())
    })
}

/// Polls the app's stdout until `f` finds what it wants, or panics after `secs`.
async fn wait_stdout<T>(app: &TestApp, secs: u64, what: &str, f: impl Fn(&str) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let out = app.stdout();
        if let Some(t) = f(&out) {
            return t;
        }
        if Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}; stdout:\n{out}\nlog:\n{}",
                app.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_demo_prints_sms_and_mail_so_registration_can_be_completed() {
    let app = start(true, &[]).await;
    assert!(
        app.stdout()
            .contains("SMS и письма не уходят наружу, а печатаются здесь"),
        "{}",
        app.stdout()
    );
    let session = register(&app).await;

    let (sms_code, mail_code) = wait_stdout(&app, 20, "the SMS and the e-mail", |out| {
        let sms = out.lines().find_map(|l| {
            l.strip_prefix(SMS_LINE)
                .filter(|t| t.starts_with("Код подтверждения телефона:"))
                .and_then(six_digits)
        })?;
        // The e-mail is a header line and the text indented below it.
        let (_, after) = out.split_once(MAIL_LINE)?;
        let mail = after
            .lines()
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with("  "))
            .find_map(|l| {
                l.contains("Код подтверждения электронной почты")
                    .then(|| six_digits(l))
                    .flatten()
            })?;
        Some((sms, mail))
    })
    .await;

    let confirm = |contact: &'static str, code: String| {
        let (app, session) = (&app, &session);
        async move {
            let r = app
                .post_json(
                    "/api/v1/identity/confirm",
                    Some(session),
                    &json!({"contact": contact, "code": code}),
                )
                .await;
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            assert_eq!(status, 200, "{contact}: {body}");
        }
    };
    confirm("phone", sms_code).await;
    confirm("email", mail_code).await;

    // The journal counts both as sent, by the console, and keeps no code.
    let d = app
        .wait_deliveries(10, "both deliveries sent", |d| {
            d.len() >= 2 && d.iter().all(|x| x["status"] == "sent")
        })
        .await;
    for x in d.iter().filter(|x| x["channel"] != "inbox") {
        assert_eq!(x["sensitive"], true, "{x}");
        let detail = app.delivery(x["id"].as_str().unwrap()).await;
        assert_eq!(detail["attempts"][0]["outcome"], "sent", "{detail}");
        assert_eq!(
            detail["attempts"][0]["detail"], "выведено в консоль (демо)",
            "{detail}"
        );
    }
    // Printed to stdout, not logged.
    assert!(!app.log().contains("[демо]"), "{}", app.log());
}

#[tokio::test]
async fn a_real_gateway_still_gets_the_sms_while_the_mail_is_printed() {
    let gw = SmsGateway::start(&[]).await.unwrap();
    let app = start(true, &["--sms-url", &gw.url()]).await;
    assert!(
        app.stdout()
            .contains("Письма не уходят наружу, а печатаются здесь"),
        "{}",
        app.stdout()
    );
    register(&app).await;
    let reqs = gw.wait_for(1, 20).await;
    assert!(reqs[0].json()["text"]
        .as_str()
        .unwrap()
        .starts_with("Код подтверждения телефона:"));
    wait_stdout(&app, 20, "the e-mail", |out| {
        out.contains(MAIL_LINE).then_some(())
    })
    .await;
    assert!(!app.stdout().contains("[демо] SMS"), "{}", app.stdout());
}

#[tokio::test]
async fn without_the_demo_nothing_is_printed_and_the_codes_are_refused_as_before() {
    let app = start(false, &[]).await;
    register(&app).await;
    // Both deliveries end dead: the channels are not configured.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let states = query_text(
            &app,
            "SELECT channel || ' ' || status || ' ' || COALESCE(last_error, '') FROM deliveries \
             WHERE channel <> 'inbox' ORDER BY channel",
        )
        .await
        .unwrap();
        if states
            == "email dead канал e-mail не настроен (smtp_url)\nsms dead канал SMS не настроен (sms_url)"
        {
            break;
        }
        assert!(Instant::now() < deadline, "deliveries: {states}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = app.stdout();
    assert!(
        !out.contains("[демо]") && !out.contains("Демо:"),
        "nothing printed without --demo:\n{out}"
    );
}
