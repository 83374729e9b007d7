//! End-to-end tests of delivery: real e-mail to a real SMTP server, real SMS requests to a local HTTP
//! gateway, retries with back-off, the dead-letter state and its retry, and no loss and no double
//! sending across `kill -9`.

use std::collections::HashMap;

use okno_testkit::{engines, Engine, Options, SmsGateway, SmtpServer, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn start(engine: Engine, extra: Vec<String>) -> TestApp {
    let mut a = args(&[
        "--worker-poll-ms",
        "50",
        "--notify-retry-base-ms",
        "200",
        "--channel-timeout",
        "5",
    ]);
    a.extend(extra);
    TestApp::start(
        BIN,
        engine,
        Options {
            demo: true,
            args: a,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_email_goes_through_smtp_once_with_a_stable_message_id() {
    for engine in engines("an_email_goes_through_smtp_once_with_a_stable_message_id").await {
        let smtp = SmtpServer::start(None).unwrap();
        let app = start(
            engine,
            args(&[
                "--smtp-url",
                &smtp.url(),
                "--smtp-from",
                "Окно <noreply@okno.test>",
            ]),
        )
        .await;
        let r = app
            .admin_sends(json!([{"channel": "email", "to": "ivanova@example.ru", "subject": "Заявление принято", "text": "Ваше заявление № 1 принято.\nСрок — 10 рабочих дней."}]))
            .await;
        assert_eq!(r.status(), 202);
        let mail = smtp.wait_for(1, 20).await;
        assert_eq!(mail.len(), 1, "log:\n{}", app.log());
        let m = &mail[0];
        assert_eq!(m["rcpt_tos"], json!(["ivanova@example.ru"]));
        assert_eq!(m["subject"], "Заявление принято");
        assert!(m["text"]
            .as_str()
            .unwrap()
            .contains("Срок — 10 рабочих дней."));
        let d = app
            .wait_deliveries(10, "the delivery marked sent", |d| {
                d.iter().any(|x| x["status"] == "sent")
            })
            .await;
        assert_eq!(
            m["message_id"],
            format!("<{}@okno>", d[0]["id"].as_str().unwrap())
        );
        let detail = app.delivery(d[0]["id"].as_str().unwrap()).await;
        assert_eq!(detail["attempts"][0]["outcome"], "sent");
        assert!(detail["attempts"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("SMTP 250"));
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(smtp.messages().len(), 1, "sent once");
    }
}

#[tokio::test]
async fn an_sms_is_posted_as_json_and_retried_after_gateway_errors() {
    for engine in engines("an_sms_is_posted_as_json_and_retried_after_gateway_errors").await {
        let gw = SmsGateway::start(&[503, 500]).await.unwrap();
        let app = start(
            engine,
            args(&[
                "--sms-url",
                &gw.url(),
                "--sms-header",
                "Authorization: Bearer gw-secret",
            ]),
        )
        .await;
        let r = app
            .admin_sends(
                json!([{"channel": "sms", "to": "8 916 123-45-67", "text": "Код: 482910"}]),
            )
            .await;
        assert_eq!(r.status(), 202);
        let reqs = gw.wait_for(3, 30).await;
        assert_eq!(
            reqs.len(),
            3,
            "two failures then success; log:\n{}",
            app.log()
        );
        for q in &reqs {
            assert_eq!(
                q.json(),
                json!({"to": "+79161234567", "text": "Код: 482910"})
            );
            assert_eq!(q.headers["authorization"], "Bearer gw-secret");
            assert_eq!(q.headers["content-type"], "application/json");
        }
        let key = reqs[0].headers["idempotency-key"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            reqs.iter()
                .all(|q| q.headers["idempotency-key"] == key.as_str()),
            "one key across retries"
        );
        let d = app
            .wait_deliveries(10, "sent after retries", |d| {
                d.first().is_some_and(|x| x["status"] == "sent")
            })
            .await;
        let detail = app.delivery(d[0]["id"].as_str().unwrap()).await;
        let outcomes: Vec<&str> = detail["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["retry", "retry", "sent"]);
        let starts: Vec<i64> = detail["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["started_at"].as_i64().unwrap())
            .collect();
        assert!(
            starts[2] - starts[1] >= starts[1] - starts[0],
            "back-off does not shrink: {starts:?}"
        );
        assert!(
            starts[1] - starts[0] >= 200,
            "the first retry waits the base delay: {starts:?}"
        );
    }
}

#[tokio::test]
async fn a_form_encoded_gateway_gets_its_own_template() {
    let gw = SmsGateway::start(&[]).await.unwrap();
    let app = start(
        Engine::Sqlite,
        args(&[
            "--sms-url",
            &gw.url(),
            "--sms-content-type",
            "application/x-www-form-urlencoded",
            "--sms-body-template",
            "phone={{to}}&msg={{text}}&ref={{id}}",
        ]),
    )
    .await;
    app.admin_sends(json!([{"channel": "sms", "to": "+79161234567", "text": "Код 1&2"}]))
        .await;
    let reqs = gw.wait_for(1, 20).await;
    assert!(
        reqs[0]
            .body
            .starts_with("phone=%2B79161234567&msg=%D0%9A%D0%BE%D0%B4+1%262&ref="),
        "{}",
        reqs[0].body
    );
}

#[tokio::test]
async fn a_delivery_is_dead_after_the_last_attempt_and_an_administrator_can_retry_it() {
    for engine in
        engines("a_delivery_is_dead_after_the_last_attempt_and_an_administrator_can_retry_it").await
    {
        let gw = SmsGateway::start(&[500, 500, 500]).await.unwrap();
        let app = start(
            engine,
            args(&["--sms-url", &gw.url(), "--notify-max-attempts", "3"]),
        )
        .await;
        app.admin_sends(json!([{"channel": "sms", "to": "+79161234567", "text": "Напоминание"}]))
            .await;
        let d = app
            .wait_deliveries(30, "dead letter", |d| {
                d.first().is_some_and(|x| x["status"] == "dead")
            })
            .await;
        assert_eq!(d[0]["attempts"], 3);
        assert_eq!(gw.requests().len(), 3);
        let id = d[0]["id"].as_str().unwrap().to_string();

        // Retrying something that is not dead is a conflict; retrying the dead one sends it.
        let r = app
            .post_json(
                &format!("/api/v1/deliveries/{id}/retry"),
                app.auditor_token.as_deref(),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 403, "auditors read the journal but do not act");
        let r = app
            .post_json(
                &format!("/api/v1/deliveries/{id}/retry"),
                app.admin_token.as_deref(),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 204);
        app.wait_deliveries(20, "sent after a manual retry", |d| {
            d.first().is_some_and(|x| x["status"] == "sent")
        })
        .await;
        let r = app
            .post_json(
                &format!("/api/v1/deliveries/{id}/retry"),
                app.admin_token.as_deref(),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 409);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "notify.not_dead");
        let (code, out, _) = app.okno(&["audit", "verify"]);
        assert_eq!(code, 0, "{out}");
    }
}

#[tokio::test]
async fn a_permanent_refusal_is_not_retried() {
    let gw = SmsGateway::start(&[400]).await.unwrap();
    let app = start(Engine::Sqlite, args(&["--sms-url", &gw.url()])).await;
    app.admin_sends(json!([{"channel": "sms", "to": "+79161234567", "text": "x"}]))
        .await;
    let d = app
        .wait_deliveries(20, "dead at once", |d| {
            d.first().is_some_and(|x| x["status"] == "dead")
        })
        .await;
    assert_eq!(d[0]["attempts"], 1);
    assert!(d[0]["last_error"].as_str().unwrap().starts_with("HTTP 400"));
}

#[tokio::test]
async fn kill_9_between_commit_and_delivery_loses_nothing_and_sends_nothing_twice() {
    for engine in
        engines("kill_9_between_commit_and_delivery_loses_nothing_and_sends_nothing_twice").await
    {
        // The channels are down while messages are accepted, so none can be delivered yet.
        let smtp_port = okno_testkit::free_port();
        let gw_port = okno_testkit::free_port();
        let channel_args = |poll: &str| {
            args(&[
                "--smtp-url",
                &format!("smtp://127.0.0.1:{smtp_port}"),
                "--sms-url",
                &format!("http://127.0.0.1:{gw_port}/send"),
                "--worker-poll-ms",
                poll,
                "--notify-retry-base-ms",
                "300",
                "--notify-retry-max-ms",
                "1000",
                "--notify-max-attempts",
                "100",
                "--channel-timeout",
                "5",
            ])
        };
        let mut app = TestApp::start(
            BIN,
            engine,
            Options {
                demo: true,
                args: channel_args("50"),
            },
        )
        .await
        .unwrap();
        let n = 20;
        for i in 0..n {
            let r = app
                .admin_sends(json!([
                    {"channel": "email", "to": format!("user{i}@example.ru"), "subject": "Статус", "text": format!("Сообщение {i}")},
                    {"channel": "sms", "to": format!("+7916000{i:04}"), "text": format!("Сообщение {i}")},
                    {"channel": "inbox", "to": format!("account-{i}"), "subject": "Статус", "text": format!("Сообщение {i}")}
                ]))
                .await;
            assert_eq!(r.status(), 202, "accepted = committed");
        }
        app.kill_9();

        // The channels come up; a new process takes over the same database.
        let smtp = SmtpServer::start(Some(smtp_port)).unwrap();
        let gw = SmsGateway::start_on(gw_port, &[]).await.unwrap();
        app.restart(channel_args("50")).await.unwrap();
        let d = app
            .wait_deliveries(60, "every delivery sent after the restart", |d| {
                d.len() == 3 * n && d.iter().all(|x| x["status"] == "sent")
            })
            .await;
        assert_eq!(d.len(), 3 * n);
        let mail = smtp.wait_for(n, 10).await;
        let sms = gw.wait_for(n, 10).await;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let mail = if mail.len() < smtp.messages().len() {
            smtp.messages()
        } else {
            mail
        };
        let mut per_rcpt: HashMap<String, usize> = HashMap::new();
        for m in &mail {
            *per_rcpt
                .entry(m["rcpt_tos"][0].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert_eq!(per_rcpt.len(), n, "every address got mail");
        assert!(
            per_rcpt.values().all(|&c| c == 1),
            "nobody got mail twice: {per_rcpt:?}"
        );
        let mut per_phone: HashMap<String, usize> = HashMap::new();
        for q in gw.requests() {
            *per_phone
                .entry(q.json()["to"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert_eq!(per_phone.len(), n);
        assert!(
            per_phone.values().all(|&c| c == 1),
            "nobody got an SMS twice: {per_phone:?}"
        );
        assert_eq!(sms.len().max(per_phone.len()), n);
        let (code, out, _) = app.okno(&["audit", "verify"]);
        assert_eq!(code, 0, "{out}");
    }
}

#[tokio::test]
async fn messages_are_validated_before_anything_is_queued() {
    let app = start(Engine::Sqlite, Vec::new()).await;
    let r = app
        .admin_sends(json!([{"channel": "email", "to": "not an address", "text": "x"}, {"channel": "sms", "to": "+1 555 0100", "text": ""}]))
        .await;
    assert_eq!(r.status(), 400);
    let p: Value = r.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["messages[0].to", "messages[1].to", "messages[1].text"]
    );
    let r = app
        .admin_sends(json!([{"channel": "fax", "to": "x", "text": "x"}]))
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["field"],
        "messages[0].channel"
    );
    assert!(app.deliveries().await.is_empty());
}

#[tokio::test]
async fn an_unroutable_event_is_given_up_with_its_reason_and_the_messages_after_it_are_delivered() {
    for engine in engines(
        "an_unroutable_event_is_given_up_with_its_reason_and_the_messages_after_it_are_delivered",
    )
    .await
    {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, args(&["--sms-url", &gw.url()])).await;
        // Behind the platform's back: a message with a NUL (which PostgreSQL cannot store in a
        // text column, and no gateway should get) and a payload that is no JSON at all.
        okno_testkit::tamper(
            &app,
            r#"INSERT INTO outbox (id, created_at, kind, payload) VALUES
               ('poison-nul', 1, 'notify.message', '{"messages":[{"channel":"sms","to":"+79160000001","subject":"","text":"a\u0000b"}]}'),
               ('poison-json', 2, 'notify.message', 'not json')"#,
        )
        .await
        .unwrap();
        let r = app
            .admin_sends(
                json!([{"channel": "sms", "to": "+79160000002", "text": "После отравленного"}]),
            )
            .await;
        assert_eq!(r.status(), 202);
        let sms = gw.wait_for(1, 20).await;
        assert_eq!(sms.len(), 1, "log:\n{}", app.log());
        assert_eq!(sms[0].json()["to"], "+79160000002");
        let failures: Vec<Value> = loop {
            let f: Vec<Value> = app
                .get_as_admin("/api/v1/routing-failures")
                .await
                .json()
                .await
                .unwrap();
            if f.len() == 2 {
                break f;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let by_id: HashMap<&str, &Value> = failures
            .iter()
            .map(|f| (f["event_id"].as_str().unwrap(), f))
            .collect();
        assert_eq!(by_id["poison-nul"]["dead"], true);
        assert!(
            by_id["poison-nul"]["last_error"]
                .as_str()
                .unwrap()
                .contains("нулевой байт"),
            "{failures:?}"
        );
        assert_eq!(by_id["poison-json"]["dead"], true);
        assert!(
            by_id["poison-json"]["last_error"]
                .as_str()
                .unwrap()
                .starts_with("Содержимое события не удалось прочитать"),
            "{failures:?}"
        );
        // Both are routed (given up), so the backlog is empty and nothing is retried forever.
        let backlog = okno_testkit::query_text(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE routed_at IS NULL",
        )
        .await
        .unwrap();
        assert_eq!(backlog, "0");
        // The journal page names them in Russian.
        let html = app
            .get_as_admin("/admin/deliveries")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("События, которые не удалось разобрать"),
            "{html}"
        );
        // Anonymous and non-administrators learn nothing of them.
        assert_eq!(app.get("/api/v1/routing-failures").await.status(), 401);
    }
}

#[tokio::test]
async fn a_one_time_code_is_sent_before_a_mass_mailing_queued_ahead_of_it() {
    for engine in engines("a_one_time_code_is_sent_before_a_mass_mailing_queued_ahead_of_it").await
    {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, args(&["--sms-url", &gw.url()])).await;
        let bulk: Vec<Value> = (0..1500)
            .map(|i| json!({"channel": "sms", "to": format!("+7916{i:07}"), "subject": "", "text": "Рассылка"}))
            .collect();
        let bulk = json!({ "messages": bulk }).to_string();
        let code = json!({"messages": [{"channel": "sms", "to": "+79990000000", "subject": "", "text": "Код: 482910"}], "sensitive": true}).to_string();
        // Both committed together, the mailing first: the code must not wait behind it.
        okno_testkit::tamper(
            &app,
            &format!(
                "BEGIN;
                 INSERT INTO outbox (id, created_at, kind, payload) VALUES ('bulk', 1, 'notify.message', '{bulk}');
                 INSERT INTO outbox (id, created_at, kind, payload, priority) VALUES ('code', 2, 'notify.message', '{code}', 0);
                 COMMIT;"
            ),
        )
        .await
        .unwrap();
        let sms = gw.wait_for(1501, 60).await;
        assert_eq!(sms.len(), 1501, "log:\n{}", app.log());
        let at = sms
            .iter()
            .position(|q| q.json()["to"] == "+79990000000")
            .unwrap();
        assert!(at < 64, "the code was request {at} of 1501");
    }
}
