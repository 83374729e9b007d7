//! End-to-end tests of identity over HTTP on both engines: registration with codes that really
//! travel by SMS gateway and SMTP, the password policy, sign-in errors that never tell whether a
//! login exists, lockout under concurrent wrong passwords, TOTP, and signing out everywhere.

use okno_testkit::{engines, Engine, Options, SmsGateway, SmtpServer, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");
const PASSWORD: &str = "Лиса-На-Крыше7";

struct World {
    app: TestApp,
    gw: SmsGateway,
    smtp: SmtpServer,
}

async fn world(engine: Engine, extra: &[&str]) -> World {
    world_of(engine, false, extra).await
}

/// The app (with the demo data when `demo`), its SMS gateway and its SMTP server.
async fn world_of(engine: Engine, demo: bool, extra: &[&str]) -> World {
    let gw = SmsGateway::start(&[]).await.unwrap();
    let smtp = SmtpServer::start(None).unwrap();
    let mut args: Vec<String> = vec![
        "--sms-url".into(),
        gw.url(),
        "--smtp-url".into(),
        smtp.url(),
        "--worker-poll-ms".into(),
        "50".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let app = TestApp::start(BIN, engine, Options { demo, args })
        .await
        .unwrap();
    World { app, gw, smtp }
}

async fn post(app: &TestApp, path: &str, bearer: Option<&str>, body: Value) -> (u16, Value) {
    let r = app.post_json(path, bearer, &body).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The text field `field` of every item of the JSON list `list`.
fn strings<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|x| {
            x[field]
                .as_str()
                .unwrap_or_else(|| panic!("{field} in {x}"))
        })
        .collect()
}

/// Signs in with `login` and `password`: the status and the answer.
async fn sign_in(app: &TestApp, login: &str, password: &str) -> (u16, Value) {
    let credentials = json!({ "login": login, "password": password });
    post(app, "/api/v1/identity/sign-in", None, credentials).await
}

/// Answers a sign-in's second-factor `challenge` with `code` by `method`: the status and the answer.
async fn second_factor(app: &TestApp, challenge: &str, method: &str, code: &str) -> (u16, Value) {
    let answer = json!({ "challenge": challenge, "method": method, "code": code });
    post(app, "/api/v1/identity/sign-in/second-factor", None, answer).await
}

async fn get(app: &TestApp, path: &str, bearer: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The six digits in the last message that reached `to`.
fn code_in(text: &str) -> String {
    let digits: Vec<char> = text.chars().collect();
    for w in digits.windows(6) {
        if w.iter().all(|c| c.is_ascii_digit()) {
            return w.iter().collect();
        }
    }
    panic!("no code in {text}")
}

async fn sms_code(w: &World, n: usize) -> String {
    let reqs = w.gw.wait_for(n, 20).await;
    code_in(reqs[n - 1].json()["text"].as_str().unwrap())
}

async fn mail_code(w: &World, n: usize) -> String {
    let mails = w.smtp.wait_for(n, 20).await;
    code_in(mails[n - 1]["text"].as_str().unwrap())
}

async fn register(app: &TestApp, phone: &str, email: &str) -> (u16, Value) {
    post(
        app,
        "/api/v1/identity/register",
        None,
        json!({"full_name": "Смирнова Анна Петровна", "phone": phone, "email": email, "password": PASSWORD, "consent": true}),
    )
    .await
}

#[tokio::test]
async fn a_person_registers_and_reaches_the_simplified_level_with_codes_sent_by_sms_and_mail() {
    let test =
        "a_person_registers_and_reaches_the_simplified_level_with_codes_sent_by_sms_and_mail";
    for engine in engines(test).await {
        let w = world(engine, &[]).await;
        let (status, s) = register(&w.app, "8 916 555-44-33", "Anna@Example.RU").await;
        assert_eq!(status, 201, "{s}");
        let session = s["session"].as_str().unwrap().to_string();
        let (_, me) = get(&w.app, "/api/v1/identity/me", &session).await;
        assert_eq!(me["level"], "registered");
        assert_eq!(me["phone"], "+79165554433");
        assert_eq!(me["email"], "anna@example.ru");

        // A wrong code uses a try and says how many are left.
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/confirm",
            Some(&session),
            json!({"contact": "phone", "code": "000000"}),
        )
        .await;
        let right = sms_code(&w, 1).await;
        if right != "000000" {
            assert_eq!(status, 400, "{p}");
            assert_eq!(p["code"], "code.wrong");
            assert!(
                p["detail"]
                    .as_str()
                    .unwrap()
                    .contains("Осталось попыток: 2"),
                "{p}"
            );
        }
        let (status, l) = post(
            &w.app,
            "/api/v1/identity/confirm",
            Some(&session),
            json!({"contact": "phone", "code": right}),
        )
        .await;
        assert_eq!(status, 200, "{l}");
        assert_eq!(l["level"], "registered", "the e-mail is still unconfirmed");
        // A code works once.
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/confirm",
            Some(&session),
            json!({"contact": "phone", "code": right}),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("account.already_confirmed"))
        );

        let mail = mail_code(&w, 1).await;
        let (status, l) = post(
            &w.app,
            "/api/v1/identity/confirm",
            Some(&session),
            json!({"contact": "email", "code": mail}),
        )
        .await;
        assert_eq!(status, 200, "{l}");
        assert_eq!(l["level"], "simplified");
        assert_eq!(l["level_title"], "Упрощённая");

        // The same phone cannot register twice.
        let (status, p) = register(&w.app, "+79165554433", "other@example.ru").await;
        assert_eq!(status, 400);
        assert_eq!(p["errors"][0]["code"], "account.phone_taken");
    }
}

#[tokio::test]
async fn codes_expire_after_three_wrong_tries_and_cannot_be_resent_at_once() {
    let test = "codes_expire_after_three_wrong_tries_and_cannot_be_resent_at_once";
    for engine in engines(test).await {
        let w = world(engine, &[]).await;
        let (_, s) = register(&w.app, "+79160000001", "a1@example.ru").await;
        let session = s["session"].as_str().unwrap();
        let right = sms_code(&w, 1).await;
        let wrong = if right == "111111" {
            "222222"
        } else {
            "111111"
        };
        for _ in 0..3 {
            let (status, _) = post(
                &w.app,
                "/api/v1/identity/confirm",
                Some(session),
                json!({"contact": "phone", "code": wrong}),
            )
            .await;
            assert_eq!(status, 400);
        }
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/confirm",
            Some(session),
            json!({"contact": "phone", "code": right}),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (400, Some("code.attempts_exhausted")),
            "{p}"
        );
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/codes",
            Some(session),
            json!({"contact": "phone"}),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (429, Some("code.resend_too_soon")),
            "{p}"
        );
    }
}

#[tokio::test]
async fn a_weak_password_is_refused_with_every_failed_rule_at_once() {
    let w = world(Engine::Sqlite, &[]).await;
    let (status, p) = post(
        &w.app,
        "/api/v1/identity/register",
        None,
        json!({"full_name": "Иванов Иван", "phone": "+79160000002", "email": "ivanov@example.ru", "password": "qwerty", "consent": false}),
    )
    .await;
    assert_eq!(status, 400);
    let codes: Vec<&str> = strings(&p["errors"], "code");
    for c in [
        "password.too_short",
        "password.no_uppercase",
        "password.no_digit",
        "password.no_special",
        "password.keyboard_sequence",
        "account.consent_required",
    ] {
        assert!(codes.contains(&c), "{c} missing in {codes:?}");
    }
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('а'..='я').contains(&c)),
        "Russian messages"
    );
    // The person's own name is no password.
    let (_, p) = post(
        &w.app,
        "/api/v1/identity/register",
        None,
        json!({"full_name": "Иванов Иван", "phone": "+79160000002", "email": "ivanov@example.ru", "password": "Иванов1985!x", "consent": true}),
    )
    .await;
    let codes: Vec<&str> = strings(&p["errors"], "code");
    assert!(
        codes.contains(&"password.contains_personal_data"),
        "{codes:?}"
    );
}

#[tokio::test]
async fn sign_in_errors_never_tell_whether_the_login_exists() {
    let test = "sign_in_errors_never_tell_whether_the_login_exists";
    for engine in engines(test).await {
        let w = world(engine, &[]).await;
        register(&w.app, "+79160000003", "b@example.ru").await;
        let (s1, wrong_password) = sign_in(&w.app, "b@example.ru", "Неверный-Пароль1").await;
        let (s2, no_such_login) = sign_in(&w.app, "nobody@example.ru", "Неверный-Пароль1").await;
        assert_eq!((s1, s2), (401, 401));
        assert_eq!(wrong_password["code"], no_such_login["code"]);
        assert_eq!(wrong_password["detail"], no_such_login["detail"]);
        // The right password signs in with the phone in any spelling; passwords are case-sensitive.
        let (status, _) = sign_in(&w.app, "8 (916) 000-00-03", &PASSWORD.to_uppercase()).await;
        assert_eq!(status, 401);
        let (status, s) = sign_in(&w.app, "8 (916) 000-00-03", PASSWORD).await;
        assert_eq!(status, 200, "{s}");
        assert!(s["session"].as_str().unwrap().len() > 20);
    }
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_all_counted_and_lock_the_account() {
    let test = "concurrent_wrong_passwords_are_all_counted_and_lock_the_account";
    for engine in engines(test).await {
        let w = world(engine, &["--sign-in-rate", "0"]).await;
        register(&w.app, "+79160000004", "c@example.ru").await;
        let mut tasks = Vec::new();
        for i in 0..4 {
            let client = w.app.client.clone();
            let url = w.app.url("/api/v1/identity/sign-in");
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"login": "c@example.ru", "password": format!("Неверный-{i}!Aa")}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 401, "four failures do not lock yet");
        }
        // The fifth failure in a row locks, and then even the right password is refused.
        let (status, p) = sign_in(&w.app, "c@example.ru", "Неверный-5!Aa").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (429, Some("auth.locked")),
            "{p}"
        );
        let (status, p) = sign_in(&w.app, "c@example.ru", PASSWORD).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (429, Some("auth.locked")),
            "{p}"
        );
        assert!(p["detail"].as_str().unwrap().contains("15 мин"), "{p}");
        // An unknown login is throttled the same way: nothing tells the two apart.
        for _ in 0..5 {
            sign_in(&w.app, "ghost@example.ru", "Неверный-1!Aa").await;
        }
        let (status, p) = sign_in(&w.app, "ghost@example.ru", "Неверный-1!Aa").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (429, Some("auth.locked")),
            "{p}"
        );
    }
}

/// Sends `n` sign-ins at once, the i-th with `password(i)`; gives each answer's status and code.
async fn burst(
    app: &TestApp,
    login: &str,
    n: usize,
    password: fn(usize) -> String,
) -> Vec<(u16, String)> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let client = app.client.clone();
        let url = app.url("/api/v1/identity/sign-in");
        let body = json!({"login": login, "password": password(i)});
        tasks.push(tokio::spawn(async move {
            let r = client.post(url).json(&body).send().await.unwrap();
            let status = r.status().as_u16();
            let p: Value = r.json().await.unwrap_or(Value::Null);
            (status, p["code"].as_str().unwrap_or_default().to_string())
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}

/// How many answers had this status and code.
fn answered(answers: &[(u16, String)], status: u16, code: &str) -> usize {
    answers
        .iter()
        .filter(|(s, c)| *s == status && c == code)
        .count()
}

/// A number read from the app's database.
async fn count(app: &TestApp, sql: &str) -> i64 {
    okno_testkit::query_text(app, sql)
        .await
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Audit records of `action`, sealed or not yet (on PostgreSQL a committed record may still wait
/// in audit_pending for the sealer).
async fn audited(app: &TestApp, action: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT CAST((SELECT COUNT(*) FROM audit_log WHERE action = '{action}')
                       + (SELECT COUNT(*) FROM audit_pending WHERE action = '{action}') AS TEXT)"
        ),
    )
    .await
}

#[tokio::test]
async fn fifty_wrong_passwords_at_once_get_exactly_four_refusals_and_one_lockout() {
    let test = "fifty_wrong_passwords_at_once_get_exactly_four_refusals_and_one_lockout";
    for engine in engines(test).await {
        let w = world(engine, &["--sign-in-rate", "0"]).await;
        register(&w.app, "+79160000046", "burst@example.ru").await;
        let answers = burst(&w.app, "burst@example.ru", 50, |i| {
            format!("Неверный-{i}!Aa")
        })
        .await;
        let invalid = answered(&answers, 401, "auth.invalid_credentials");
        let locked = answered(&answers, 429, "auth.locked");
        eprintln!("{engine:?}, known login: {invalid} × 401, {locked} × 429");
        assert_eq!((invalid, locked), (4, 46), "{engine:?}: {answers:?}");
        // One lockout: one journal record, one alert, the first lockout's length.
        assert_eq!(audited(&w.app, "identity.account.locked").await, 1);
        assert_eq!(audited(&w.app, "identity.sign_in.failed").await, 4);
        let alerts = count(
            &w.app,
            "SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE kind = 'notify.message' AND payload LIKE '%Вход заблокирован%'",
        )
        .await;
        assert_eq!(alerts, 1, "one alert to the owner");
        assert_eq!(
            count(&w.app, "SELECT CAST(lockouts AS TEXT) FROM sign_in_throttle WHERE subject NOT LIKE 'login:%'").await,
            1
        );
        // The right password is refused while the lock lasts, and says for how long.
        let (status, p) = sign_in(&w.app, "burst@example.ru", PASSWORD).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (429, Some("auth.locked")),
            "{p}"
        );
        assert!(p["detail"].as_str().unwrap().contains("15 мин"), "{p}");

        // A login that belongs to no account is locked the same way, and nobody is told.
        let answers = burst(&w.app, "ghost@example.ru", 50, |i| {
            format!("Неверный-{i}!Aa")
        })
        .await;
        let invalid = answered(&answers, 401, "auth.invalid_credentials");
        let locked = answered(&answers, 429, "auth.locked");
        eprintln!("{engine:?}, unknown login: {invalid} × 401, {locked} × 429");
        assert_eq!((invalid, locked), (4, 46), "{engine:?}: {answers:?}");
        assert_eq!(
            count(
                &w.app,
                "SELECT CAST(lockouts AS TEXT) FROM sign_in_throttle WHERE subject LIKE 'login:%'"
            )
            .await,
            1
        );
        assert_eq!(audited(&w.app, "identity.account.locked").await, 1);
    }
}

#[tokio::test]
async fn a_right_password_in_flight_when_the_lock_falls_is_refused() {
    let test = "a_right_password_in_flight_when_the_lock_falls_is_refused";
    for engine in engines(test).await {
        // A hash made with light parameters, so a wrong password is checked at once...
        let w = world(
            engine,
            &["--argon2-memory-kib", "8192", "--argon2-iterations", "1"],
        )
        .await;
        register(&w.app, "+79160000047", "inflight@example.ru").await;
        // ...while the right one is then hashed again with heavy ones: it stays in flight.
        let mut app = w.app;
        app.restart(vec![
            "--sms-url".into(),
            w.gw.url(),
            "--smtp-url".into(),
            w.smtp.url(),
            "--sign-in-rate".into(),
            "0".into(),
            "--argon2-iterations".into(),
            "200".into(),
        ])
        .await
        .unwrap();
        let started = std::time::Instant::now();
        let right = {
            let client = app.client.clone();
            let url = app.url("/api/v1/identity/sign-in");
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .json(&json!({"login": "inflight@example.ru", "password": PASSWORD}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let p: Value = r.json().await.unwrap_or(Value::Null);
                (status, p, started.elapsed())
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let mut codes = Vec::new();
        for i in 0..5 {
            let (status, p) =
                sign_in(&app, "inflight@example.ru", &format!("Неверный-{i}!Aa")).await;
            codes.push((status, p["code"].as_str().unwrap_or_default().to_string()));
        }
        let lock_fell = started.elapsed();
        assert_eq!(
            answered(&codes, 401, "auth.invalid_credentials"),
            4,
            "{codes:?}"
        );
        assert_eq!(
            codes[4],
            (429, "auth.locked".to_string()),
            "the fifth locks"
        );
        let (status, p, answered_at) = right.await.unwrap();
        eprintln!("{engine:?}: lock fell at {lock_fell:?}, the right password answered at {answered_at:?}");
        assert!(
            answered_at > lock_fell,
            "the right password was still in flight"
        );
        assert_eq!(
            (status, p["code"].as_str()),
            (429, Some("auth.locked")),
            "{p}"
        );
        // Nothing of the success stayed: no session, the hash not replaced, the lock kept.
        assert_eq!(
            audited(&app, "identity.session.opened").await,
            1,
            "only at registration"
        );
        let hash = okno_testkit::query_text(
            &app,
            "SELECT password_hash FROM accounts WHERE email = 'inflight@example.ru'",
        )
        .await
        .unwrap();
        assert!(hash.contains("m=8192,t=1"), "{hash}");
        assert_eq!(audited(&app, "identity.account.locked").await, 1);
    }
}

#[tokio::test]
async fn with_an_authenticator_app_the_sign_in_needs_its_code_once() {
    let test = "with_an_authenticator_app_the_sign_in_needs_its_code_once";
    for engine in engines(test).await {
        let w = world(engine, &[]).await;
        let (_, s) = register(&w.app, "+79160000005", "d@example.ru").await;
        let session = s["session"].as_str().unwrap();
        let (status, e) = post(&w.app, "/api/v1/identity/totp", Some(session), json!({})).await;
        assert_eq!(status, 200, "{e}");
        assert!(e["uri"].as_str().unwrap().starts_with("otpauth://totp/"));
        assert!(e["qr_svg"].as_str().unwrap().contains("<svg"));
        let secret =
            okno_identity::totp::secret_from_base32(e["secret"].as_str().unwrap()).unwrap();
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        let (status, r) = post(
            &w.app,
            "/api/v1/identity/totp/confirm",
            Some(session),
            json!({"code": okno_identity::totp::code_at(&secret, now())}),
        )
        .await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["recovery_codes"].as_array().unwrap().len(), 10);
        let recovery = r["recovery_codes"][0].as_str().unwrap().to_string();

        let (status, c) = sign_in(&w.app, "d@example.ru", PASSWORD).await;
        assert_eq!(status, 202, "{c}");
        assert_eq!(c["methods"][0], "totp");
        let challenge = c["challenge"].as_str().unwrap();
        // The code of the step already used at enrolment is refused (no replay).
        let used = okno_identity::totp::code_at(&secret, now());
        let (status, _) = second_factor(&w.app, challenge, "totp", &used).await;
        assert_eq!(status, 400);
        let (status, s) = second_factor(&w.app, challenge, "recovery", &recovery).await;
        assert_eq!(status, 200, "{s}");
        // The challenge and the recovery code are spent.
        let (status, _) = second_factor(&w.app, challenge, "recovery", &recovery).await;
        assert_eq!(status, 401);
        let (_, me) = get(
            &w.app,
            "/api/v1/identity/me",
            s["session"].as_str().unwrap(),
        )
        .await;
        assert_eq!(me["totp_enabled"], true);
        assert_eq!(me["recovery_codes_left"], 9);
    }
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_and_a_password_change_ends_the_others() {
    let test = "signing_out_everywhere_ends_every_session_and_a_password_change_ends_the_others";
    for engine in engines(test).await {
        let w = world(engine, &[]).await;
        let (_, s) = register(&w.app, "+79160000006", "e@example.ru").await;
        let first = s["session"].as_str().unwrap().to_string();
        let (_, s) = sign_in(&w.app, "e@example.ru", PASSWORD).await;
        let second = s["session"].as_str().unwrap().to_string();
        let (_, list) = get(&w.app, "/api/v1/identity/sessions", &second).await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        // A reused password is refused; a new one ends the other session.
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/password",
            Some(&second),
            json!({"current": PASSWORD, "password": PASSWORD}),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (400, Some("password.reused")),
            "{p}"
        );
        let (status, _) = post(
            &w.app,
            "/api/v1/identity/password",
            Some(&second),
            json!({"current": PASSWORD, "password": "Корова-Пьёт-Чай9"}),
        )
        .await;
        assert_eq!(status, 204);
        assert_eq!(get(&w.app, "/api/v1/identity/me", &first).await.0, 401);
        assert_eq!(get(&w.app, "/api/v1/identity/me", &second).await.0, 200);
        let (status, r) = post(
            &w.app,
            "/api/v1/identity/sessions/revoke-all",
            Some(&second),
            json!({}),
        )
        .await;
        assert_eq!((status, r["sessions"].as_u64()), (200, Some(1)));
        assert_eq!(get(&w.app, "/api/v1/identity/me", &second).await.0, 401);
    }
}

/// Confirms both contacts of a freshly registered person with the codes that really arrived.
async fn confirm_contacts(w: &World, session: &str, nth: usize) {
    for contact in ["phone", "email"] {
        let code = match contact {
            "phone" => sms_code(w, nth).await,
            _ => mail_code(w, nth).await,
        };
        let confirmation = json!({ "contact": contact, "code": code });
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/confirm",
            Some(session),
            confirmation,
        )
        .await;
        assert_eq!(status, 200, "{p}");
    }
}

async fn put_profile(app: &TestApp, session: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .put(app.url("/api/v1/identity/profile"))
        .bearer_auth(session)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn anna(birth_date: &str) -> Value {
    // A person of the demo's reference registry (crates/identity/data/registry-demo.csv).
    json!({"last_name": "Смирнова", "first_name": "Анна", "middle_name": "Петровна", "birth_date": birth_date,
           "sex": "female", "passport": "42 04 514002", "snils": "018-159-083 49", "inn": "776613186006"})
}

#[tokio::test]
async fn a_profile_that_matches_the_registry_raises_the_account_to_standard_and_a_mismatch_names_the_field(
) {
    let test = "a_profile_that_matches_the_registry_raises_the_account_to_standard_and_a_mismatch_names_the_field";
    for engine in engines(test).await {
        // --demo: the demo's reference registry is the adapter.
        let w = world_of(engine, true, &[]).await;
        let (_, s) = register(&w.app, "+79160000007", "anna.s@example.ru").await;
        let session = s["session"].as_str().unwrap().to_string();
        confirm_contacts(&w, &session, 1).await;

        // Invalid documents are refused field by field before any registry is asked.
        let (status, p) = put_profile(&w.app, &session, json!({"last_name": "Смирнова", "first_name": "Анна",
            "birth_date": "1985-03-14", "sex": "female", "passport": "42 04", "snils": "018-159-083 48"})).await;
        assert_eq!(status, 400, "{p}");
        let fields: Vec<&str> = strings(&p["errors"], "field");
        assert_eq!(fields, ["passport", "snils"]);

        // A date of birth that differs from the registry's is named, and the level stays.
        let (status, o) = put_profile(&w.app, &session, anna("1985-03-15")).await;
        assert_eq!(status, 200, "{o}");
        assert_eq!(o["check"], "mismatch");
        assert_eq!(o["mismatch_field"], "birth_date");
        assert!(
            o["message"].as_str().unwrap().contains("дата рождения"),
            "{o}"
        );
        assert_eq!(o["level"], "simplified");

        let (status, o) = put_profile(&w.app, &session, anna("1985-03-14")).await;
        assert_eq!(status, 200, "{o}");
        assert_eq!(
            (o["check"].as_str(), o["level"].as_str()),
            (Some("match"), Some("standard")),
            "{o}"
        );
        let (_, me) = get(&w.app, "/api/v1/identity/me", &session).await;
        assert_eq!(me["level_title"], "Стандартная");
        // Documents come back masked, and are stored encrypted: the database never holds them in clear.
        let (_, view) = get(&w.app, "/api/v1/identity/profile", &session).await;
        assert_eq!(view["passport"], "42*****002");
        assert_eq!(view["snils"], "*********49");
        let dump = okno_testkit::query_text(&w.app, "SELECT COALESCE(passport_enc, '') || COALESCE(snils_enc, '') || COALESCE(inn_enc, '') FROM accounts").await.unwrap();
        assert!(
            !dump.contains("4204514002")
                && !dump.contains("01815908349")
                && !dump.contains("776613186006"),
            "{dump}"
        );
        // СНИЛС now signs in, as a login.
        let (status, _) = sign_in(&w.app, "018-159-083 49", PASSWORD).await;
        assert_eq!(status, 200);

        // Another account cannot take the same СНИЛС.
        let (_, s2) = register(&w.app, "+79160000008", "other.s@example.ru").await;
        let (status, p) =
            put_profile(&w.app, s2["session"].as_str().unwrap(), anna("1985-03-14")).await;
        assert_eq!(status, 400, "{p}");
        assert_eq!(p["errors"][0]["code"], "profile.taken");
    }
}

#[tokio::test]
async fn access_is_recovered_with_a_code_and_a_document_and_every_session_ends() {
    let test = "access_is_recovered_with_a_code_and_a_document_and_every_session_ends";
    for engine in engines(test).await {
        let w = world_of(engine, true, &[]).await;
        let (_, s) = register(&w.app, "+79160000009", "anna.r@example.ru").await;
        let session = s["session"].as_str().unwrap().to_string();
        confirm_contacts(&w, &session, 1).await;
        let (status, _) = put_profile(&w.app, &session, anna("1985-03-14")).await;
        assert_eq!(status, 200);

        // Unknown and known logins get the same answer.
        let (s1, unknown) = post(
            &w.app,
            "/api/v1/identity/recovery",
            None,
            json!({"login": "nobody@example.ru"}),
        )
        .await;
        let (s2, known) = post(
            &w.app,
            "/api/v1/identity/recovery",
            None,
            json!({"login": "+7 916 000-00-09"}),
        )
        .await;
        assert_eq!((s1, s2), (202, 202));
        assert_eq!(unknown["message"], known["message"]);
        let ticket = known["ticket"].as_str().unwrap();
        let code = sms_code(&w, 2).await;

        // The right code with a document that is not the profile's is refused, and so is a ticket of
        // an unknown login.
        let (status, p) = post(&w.app, "/api/v1/identity/recovery/complete", None,
            json!({"ticket": unknown["ticket"], "code": code, "document": "018-159-083 49", "password": "Корова-Пьёт-Чай9"})).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (400, Some("recovery.refused")),
            "{p}"
        );
        let (status, p) = post(&w.app, "/api/v1/identity/recovery/complete", None,
            json!({"ticket": ticket, "code": code, "document": "112-233-445 95", "password": "Корова-Пьёт-Чай9"})).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (400, Some("recovery.refused")),
            "{p}"
        );
        // A wrong document does not use up the code: with the right one it works.
        let (status, p) = post(&w.app, "/api/v1/identity/recovery/complete", None,
            json!({"ticket": ticket, "code": code, "document": "42 04 514002", "password": "Корова-Пьёт-Чай9"})).await;
        assert_eq!(status, 204, "{p}");
        assert_eq!(
            get(&w.app, "/api/v1/identity/me", &session).await.0,
            401,
            "every session ended"
        );
        let (status, _) = sign_in(&w.app, "anna.r@example.ru", "Корова-Пьёт-Чай9").await;
        assert_eq!(status, 200);
        // The ticket is spent.
        let (status, _) = post(&w.app, "/api/v1/identity/recovery/complete", None,
            json!({"ticket": ticket, "code": code, "document": "42 04 514002", "password": "Лиса-Под-Кустом8"})).await;
        assert_eq!(status, 400);
    }
}

async fn put_json(app: &TestApp, path: &str, session: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .put(app.url(path))
        .bearer_auth(session)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn security_alerts_follow_the_persons_channel_preferences_and_the_inbox_cannot_be_turned_off()
{
    let test =
        "security_alerts_follow_the_persons_channel_preferences_and_the_inbox_cannot_be_turned_off";
    for engine in engines(test).await {
        let w = world(engine, &[]).await;
        let (_, s) = register(&w.app, "+79160000010", "prefs@example.ru").await;
        let session = s["session"].as_str().unwrap().to_string();
        confirm_contacts(&w, &session, 1).await;
        let (_, prefs) = get(&w.app, "/api/v1/identity/preferences", &session).await;
        let on = |prefs: &Value, topic: &str, channel: &str| {
            prefs
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["topic"] == topic && p["channel"] == channel && p["enabled"] == true)
        };
        assert!(on(&prefs, "security", "sms") && on(&prefs, "security", "email"));
        assert!(
            !on(&prefs, "appeals", "sms"),
            "SMS for appeals is off by default"
        );
        let (status, p) = put_json(
            &w.app,
            "/api/v1/identity/preferences",
            &session,
            json!([{"topic": "security", "channel": "inbox", "enabled": false}]),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (400, Some("preferences.inbox_required"))
        );
        let (status, prefs) = put_json(
            &w.app,
            "/api/v1/identity/preferences",
            &session,
            json!([{"topic": "security", "channel": "sms", "enabled": false}]),
        )
        .await;
        assert_eq!(status, 200);
        assert!(!on(&prefs, "security", "sms") && on(&prefs, "security", "email"));

        // A sign-in from a new device alerts by e-mail only now.
        let sms_before = w.gw.requests().len();
        let mails_before = w.smtp.messages().len();
        let (status, _) = sign_in(&w.app, "prefs@example.ru", PASSWORD).await;
        assert_eq!(status, 200);
        let mails = w.smtp.wait_for(mails_before + 1, 20).await;
        assert!(
            mails.last().unwrap()["subject"]
                .as_str()
                .unwrap()
                .contains("нового устройства"),
            "{mails:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(
            w.gw.requests().len(),
            sms_before,
            "no SMS for security any more"
        );
    }
}

#[tokio::test]
async fn a_person_downloads_everything_held_about_them() {
    let test = "a_person_downloads_everything_held_about_them";
    for engine in engines(test).await {
        let w = world_of(engine, true, &[]).await;
        let (_, s) = register(&w.app, "+79160000011", "export@example.ru").await;
        let session = s["session"].as_str().unwrap().to_string();
        confirm_contacts(&w, &session, 1).await;
        put_profile(&w.app, &session, anna("1985-03-14")).await;
        let r = w
            .app
            .client
            .get(w.app.url("/api/v1/identity/export"))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment"));
        let doc: Value = r.json().await.unwrap();
        assert_eq!(doc["format"], "okno-personal-data/1");
        assert_eq!(doc["account"]["email"], "export@example.ru");
        assert_eq!(
            doc["profile"]["snils"], "01815908349",
            "the person's own documents, in clear"
        );
        assert_eq!(doc["consent"]["version"], "2026-11-1");
        assert!(doc["organisations"].is_array() && doc["powers_of_attorney"]["granted"].is_array());
        assert!(!doc["sessions"].as_array().unwrap().is_empty());
        assert_eq!(doc["passkeys"], json!([]));
        // The messages sent to the person, by SMS and e-mail: the codes masked as in the journal.
        let deliveries = doc["deliveries"].as_array().unwrap();
        let channels: Vec<&str> = deliveries
            .iter()
            .map(|d| d["channel"].as_str().unwrap())
            .collect();
        assert!(
            channels.contains(&"sms") && channels.contains(&"email"),
            "{deliveries:?}"
        );
        for d in deliveries {
            assert!(
                ["+79160000011", "export@example.ru"].contains(&d["recipient"].as_str().unwrap())
                    || d["channel"] == "inbox",
                "nobody else's messages: {d}"
            );
            if d["sensitive"] == true {
                let text = d["text"].as_str().unwrap();
                assert!(
                    text.starts_with("[скрыто"),
                    "a code is never exported: {text}"
                );
            }
        }
        let actions: Vec<&str> = strings(&doc["audit_records"], "action");
        for a in [
            "identity.account.registered",
            "identity.contact.confirmed",
            "identity.profile.updated",
        ] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        // Nobody else's records: the demo's own are not there.
        assert!(
            !actions.iter().any(|a| a.starts_with("directory.")),
            "{actions:?}"
        );
        // Anonymous: refused.
        let r = w
            .app
            .client
            .get(w.app.url("/api/v1/identity/export"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn a_representative_acts_for_a_confirmed_principal_within_the_scope_until_it_is_revoked() {
    let test =
        "a_representative_acts_for_a_confirmed_principal_within_the_scope_until_it_is_revoked";
    for engine in engines(test).await {
        let w = world_of(engine, true, &[]).await;
        // The principal: Анна, standard from the demo registry, then confirmed in person.
        let (_, s_mother) = register(&w.app, "+79160000012", "mother@example.ru").await;
        let mother = s_mother["session"].as_str().unwrap().to_string();
        confirm_contacts(&w, &mother, 1).await;
        put_profile(&w.app, &mother, anna("1985-03-14")).await;
        // The representative: Сергей Иванов, of the same registry.
        let (_, s) = register(&w.app, "+79160000013", "son@example.ru").await;
        let son = s["session"].as_str().unwrap().to_string();
        confirm_contacts(&w, &son, 2).await;
        let (_, o) = put_profile(&w.app, &son, json!({"last_name": "Иванов", "first_name": "Сергей", "middle_name": "Александрович",
            "birth_date": "1972-11-02", "sex": "male", "passport": "7303334083", "snils": "90996030843"})).await;
        assert_eq!(o["level"], "standard", "{o}");

        let until = jiff::Timestamp::now()
            .in_tz("UTC")
            .unwrap()
            .date()
            .checked_add(jiff::ToSpan::days(30))
            .unwrap()
            .to_string();
        let grant = json!({"representative_snils": "909-960-308 43", "scope": ["applications"], "valid_until": until});
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/powers",
            Some(&mother),
            grant.clone(),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("representation.level_required")),
            "{p}"
        );
        // She is confirmed in person by an operator who checks her passport, at a registered desk.
        let operator = operator_session(&w, "+79160000018", "operator@example.ru").await;
        let device = desk_of(&w.app, &operator, "mfc-tula-proletarsky").await;
        let mother_id = s_mother["account_id"].as_str().unwrap();
        let confirm = |passport: &str| {
            let (app, operator, passport) = (&w.app, operator.clone(), passport.to_string());
            let url = app.url(&format!("/api/v1/desk/people/{mother_id}/confirm"));
            let client = app.client.clone();
            let device = device.clone();
            async move {
                let r = client
                    .post(url)
                    .bearer_auth(operator)
                    .header("x-okno-device", device)
                    .json(&json!({"passport": passport}))
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let (status, p) = confirm("42 04 514003").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (422, Some("confirm.data_differ")),
            "{p}"
        );
        let (status, p) = confirm("42 04 514002").await;
        assert_eq!(
            (status, p["level"].as_str()),
            (200, Some("confirmed")),
            "{p}"
        );
        // A citizen holds no right to confirm anyone.
        let r = w
            .app
            .client
            .post(
                w.app
                    .url(&format!("/api/v1/desk/people/{mother_id}/confirm")),
            )
            .bearer_auth(&son)
            .header("x-okno-device", &device)
            .json(&json!({"passport": "42 04 514002"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let (status, power) = post(&w.app, "/api/v1/identity/powers", Some(&mother), grant).await;
        assert_eq!(status, 201, "{power}");
        assert_eq!(power["representative_name"], "Иванов Сергей Александрович");

        // Before switching, the son acts for himself.
        let r = w
            .app
            .client
            .post(w.app.url("/api/v1/identity/acting"))
            .bearer_auth(&son)
            .json(&json!({"principal_id": power["principal_id"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let scope = |topic: &str| {
            let (app, son) = (&w.app, son.clone());
            let url = app.url(&format!("/api/v1/identity/acting/scope/{topic}"));
            let client = app.client.clone();
            async move {
                client
                    .get(url)
                    .bearer_auth(son)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(scope("applications").await, 204);
        assert_eq!(scope("payments").await, 403, "not in the scope");

        // The journal names both.
        let records: Vec<Value> = w
            .app
            .client
            .get(w.app.url("/api/v1/audit?limit=50"))
            .bearer_auth(w.app.auditor_token.as_deref().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let started = records
            .iter()
            .find(|r| r["action"] == "identity.representation.started")
            .unwrap();
        assert_eq!(started["actor_name"], "Иванов Сергей Александрович");
        assert_eq!(started["on_behalf_of_name"], "Смирнова Анна Петровна");

        // Revoked: the son's session still names his mother but may do nothing in her name.
        let (status, _) = post(
            &w.app,
            &format!(
                "/api/v1/identity/powers/{}/revoke",
                power["id"].as_str().unwrap()
            ),
            Some(&mother),
            json!({}),
        )
        .await;
        assert_eq!(status, 204);
        assert_eq!(scope("applications").await, 403);
        let r = w
            .app
            .client
            .post(w.app.url("/api/v1/identity/acting"))
            .bearer_auth(&son)
            .json(&json!({"principal_id": power["principal_id"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "no live power to switch to");
        let r = w
            .app
            .client
            .post(w.app.url("/api/v1/identity/acting"))
            .bearer_auth(&son)
            .json(&json!({"principal_id": null}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(scope("applications").await, 204, "for himself again");
    }
}

#[tokio::test]
async fn a_staff_account_signs_in_with_its_temporary_password_and_a_second_factor_and_holds_no_role_until_it_changes_it(
) {
    let test = "a_staff_account_signs_in_with_its_temporary_password_and_a_second_factor_and_holds_no_role_until_it_changes_it";
    for engine in engines(test).await {
        let w = world(engine, &[]).await;
        let temporary = w.app.staff_account(
            "Орлова Нина Андреевна",
            "+79160000014",
            "orlova@example.ru",
            "administrator",
        );
        assert!(temporary.len() >= 12, "{temporary}");

        // The password alone is not enough: staff always need the second factor (SMS here).
        let (status, c) = sign_in(&w.app, "orlova@example.ru", &temporary).await;
        assert_eq!(status, 202, "{c}");
        assert_eq!(c["methods"], json!(["sms"]));
        let sms = sms_code(&w, 1).await;
        let (status, s) =
            second_factor(&w.app, c["challenge"].as_str().unwrap(), "sms", &sms).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["must_change_password"], true);
        let session = s["session"].as_str().unwrap().to_string();

        // With the temporary password the account holds none of its roles.
        let r = w
            .app
            .client
            .get(w.app.url("/api/v1/deliveries"))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let (status, _) = post(
            &w.app,
            "/api/v1/identity/password",
            Some(&session),
            json!({"current": temporary, "password": "Корова-Пьёт-Чай9"}),
        )
        .await;
        assert_eq!(status, 204);
        let r = w
            .app
            .client
            .get(w.app.url("/api/v1/deliveries"))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the administrator role now holds");

        // An administrator creates an operator over the API; a role they do not hold is refused.
        let (status, p) = post(&w.app, "/api/v1/identity/staff", Some(&session),
            json!({"full_name": "Ким Олег", "phone": "+79160000015", "email": "kim@example.ru", "roles": ["auditor"]})).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("staff.role_not_held")),
            "{p}"
        );
        let (status, p) = post(&w.app, "/api/v1/identity/staff", Some(&session),
            json!({"full_name": "Ким Олег", "phone": "+79160000015", "email": "kim@example.ru", "roles": ["administrator"]})).await;
        assert_eq!(status, 201, "{p}");
        assert!(p["temporary_password"].as_str().unwrap().len() >= 12);
        // A citizen cannot create staff.
        let (_, citizen) = register(&w.app, "+79160000016", "citizen@example.ru").await;
        let (status, _) = post(&w.app, "/api/v1/identity/staff", citizen["session"].as_str(),
            json!({"full_name": "Ким Олег", "phone": "+79160000017", "email": "kim2@example.ru", "roles": ["operator"]})).await;
        assert_eq!(status, 403);
    }
}

/// A staff operator created on the server, signed in with the SMS second factor and a changed
/// password: the session of someone working at a service-point desk.
/// The demo administrator registers a desk at `office` and binds the operator to it; gives the
/// desk's credential.
async fn desk_of(app: &TestApp, operator: &str, office: &str) -> String {
    let admin = app.admin_token.clone().unwrap();
    let (status, d) = post(
        app,
        &format!("/api/v1/offices/{office}/devices"),
        Some(&admin),
        json!({"kind": "desk", "name": "Окно 1"}),
    )
    .await;
    assert_eq!(status, 201, "{d}");
    let (_, me) = get(app, "/api/v1/identity/me", operator).await;
    let r = app
        .client
        .put(app.url(&format!(
            "/api/v1/offices/{office}/operators/{}",
            me["id"].as_str().unwrap()
        )))
        .bearer_auth(&admin)
        .json(&json!({"role": "operator"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    d["credential"].as_str().unwrap().to_string()
}

async fn operator_session(w: &World, phone: &str, email: &str) -> String {
    let temporary = w
        .app
        .staff_account("Орлов Павел Ильич", phone, email, "operator");
    let sms_before = w.gw.requests().len();
    let (status, c) = sign_in(&w.app, email, &temporary).await;
    assert_eq!(status, 202, "{c}");
    let code = sms_code(w, sms_before + 1).await;
    let (status, s) = second_factor(&w.app, c["challenge"].as_str().unwrap(), "sms", &code).await;
    assert_eq!(status, 200, "{s}");
    let session = s["session"].as_str().unwrap().to_string();
    let (status, _) = post(
        &w.app,
        "/api/v1/identity/password",
        Some(&session),
        json!({"current": temporary, "password": "Оператор-Окна-2026"}),
    )
    .await;
    assert_eq!(status, 204);
    session
}

#[tokio::test]
async fn a_hash_made_with_weaker_parameters_is_replaced_at_the_next_sign_in() {
    let w = world(
        Engine::Sqlite,
        &["--argon2-memory-kib", "8192", "--argon2-iterations", "1"],
    )
    .await;
    register(&w.app, "+79160000019", "rehash@example.ru").await;
    let stored = || async {
        okno_testkit::query_text(
            &w.app,
            "SELECT password_hash FROM accounts WHERE email = 'rehash@example.ru'",
        )
        .await
        .unwrap()
    };
    assert!(stored().await.contains("m=8192,t=1"));
    // The operator raises the parameters to the defaults and restarts.
    let mut app = w.app;
    app.restart(vec![
        "--sms-url".into(),
        w.gw.url(),
        "--smtp-url".into(),
        w.smtp.url(),
    ])
    .await
    .unwrap();
    let w = World {
        app,
        gw: w.gw,
        smtp: w.smtp,
    };
    let (status, _) = sign_in(&w.app, "rehash@example.ru", PASSWORD).await;
    assert_eq!(status, 200);
    let after = okno_testkit::query_text(
        &w.app,
        "SELECT password_hash FROM accounts WHERE email = 'rehash@example.ru'",
    )
    .await
    .unwrap();
    assert!(after.contains("m=19456,t=2"), "{after}");
    let (status, _) = sign_in(&w.app, "rehash@example.ru", PASSWORD).await;
    assert_eq!(status, 200, "the new hash verifies");
}

#[tokio::test]
async fn a_sign_in_from_a_known_device_but_a_new_network_is_told_to_the_person() {
    let test = "a_sign_in_from_a_known_device_but_a_new_network_is_told_to_the_person";
    for engine in engines(test).await {
        let w = world(engine, &[]).await;
        let (_, s) = register(&w.app, "+79160000020", "network@example.ru").await;
        let session = s["session"].as_str().unwrap().to_string();
        let device = s["device"].as_str().unwrap().to_string();
        confirm_contacts(&w, &session, 1).await;
        let mails_before = w.smtp.messages().len();
        // The same device from the same network: no alert.
        let (status, _) = post(
            &w.app,
            "/api/v1/identity/sign-in",
            None,
            json!({"login": "network@example.ru", "password": PASSWORD, "device": device}),
        )
        .await;
        assert_eq!(status, 200);
        // The same device from another network (another /24 of the loopback range).
        let elsewhere = reqwest::Client::builder()
            .local_address("127.0.1.1".parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap();
        let r = elsewhere
            .post(w.app.url("/api/v1/identity/sign-in"))
            .json(&json!({"login": "network@example.ru", "password": PASSWORD, "device": device}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let mails = w.smtp.wait_for(mails_before + 1, 20).await;
        assert_eq!(
            mails.len(),
            mails_before + 1,
            "one alert, for the new network only"
        );
        assert_eq!(mails.last().unwrap()["subject"], "Вход из новой сети");
    }
}

#[tokio::test]
async fn passkey_ceremonies_are_single_use_and_a_forged_answer_is_refused() {
    let test = "passkey_ceremonies_are_single_use_and_a_forged_answer_is_refused";
    for engine in engines(test).await {
        let w = world(engine, &["--public-url", "http://localhost:{port}"]).await;
        let (_, s) = register(&w.app, "+79160000031", "pk@example.ru").await;
        let session = s["session"].as_str().unwrap();
        let (status, start) = post(
            &w.app,
            "/api/v1/identity/passkeys/registration",
            Some(session),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{start}");
        let pk = &start["options"]["publicKey"];
        assert_eq!(pk["rp"]["id"], "localhost");
        assert_eq!(pk["user"]["name"], "pk@example.ru");
        assert_eq!(pk["user"]["displayName"], "Смирнова Анна Петровна");
        let ceremony = start["ceremony"].as_str().unwrap();

        // An answer the browser could not have produced: refused, and the ceremony is spent.
        let forged = json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"}, "extensions": {}});
        let add = json!({"ceremony": ceremony, "name": "Телефон", "credential": forged});
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/passkeys",
            Some(session),
            add.clone(),
        )
        .await;
        assert_eq!(status, 400, "{p}");
        assert_eq!(p["code"], "passkey.refused");
        let (status, p) = post(&w.app, "/api/v1/identity/passkeys", Some(session), add).await;
        assert_eq!(status, 409, "{p}");
        assert_eq!(p["code"], "passkey.ceremony_expired");
        let (status, list) = get(&w.app, "/api/v1/identity/passkeys", session).await;
        assert_eq!(status, 200);
        assert_eq!(list, json!([]));
        let r = w
            .app
            .client
            .delete(w.app.url("/api/v1/identity/passkeys/nope"))
            .bearer_auth(session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        // A sign-in waiting for its second factor: no passkey to offer, and an assertion without
        // options is refused and counted.
        let (_, e) = post(&w.app, "/api/v1/identity/totp", Some(session), json!({})).await;
        let secret =
            okno_identity::totp::secret_from_base32(e["secret"].as_str().unwrap()).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let (status, _) = post(
            &w.app,
            "/api/v1/identity/totp/confirm",
            Some(session),
            json!({"code": okno_identity::totp::code_at(&secret, now)}),
        )
        .await;
        assert_eq!(status, 200);
        let (status, c) = sign_in(&w.app, "pk@example.ru", PASSWORD).await;
        assert_eq!(status, 202, "{c}");
        assert!(!c["methods"].as_array().unwrap().contains(&json!("passkey")));
        let challenge = c["challenge"].as_str().unwrap();
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/sign-in/passkey",
            None,
            json!({"challenge": challenge}),
        )
        .await;
        assert_eq!(status, 409, "{p}");
        assert_eq!(p["code"], "auth.no_passkey");
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/sign-in/passkey",
            None,
            json!({"challenge": "0000"}),
        )
        .await;
        assert_eq!(status, 401, "{p}");
        assert_eq!(p["code"], "auth.challenge_expired");
        let (status, p) = post(
            &w.app,
            "/api/v1/identity/sign-in/second-factor",
            None,
            json!({"challenge": challenge, "method": "passkey", "credential": forged}),
        )
        .await;
        assert_eq!(status, 400, "{p}");
        assert_eq!(p["code"], "passkey.refused");
        let failed = okno_testkit::query_text(
            &w.app,
            // On PostgreSQL a committed record may still wait in audit_pending for the sealer.
            "SELECT details FROM audit_log WHERE action = 'identity.second_factor.failed'
             UNION ALL SELECT details FROM audit_pending WHERE action = 'identity.second_factor.failed'",
        )
        .await
        .unwrap();
        assert!(failed.contains("passkey"), "{failed}");
    }
}

#[tokio::test]
async fn a_partner_bank_confirms_a_standard_account_only_when_every_document_field_matches() {
    let test = "a_partner_bank_confirms_a_standard_account_only_when_every_document_field_matches";
    for engine in engines(test).await {
        // --demo: the demo's reference registry raises Anna's profile to standard.
        let w = world_of(engine, true, &[]).await;
        let (code, out, err) = w.app.okno(&[
            "admin",
            "token",
            "create",
            "--name",
            "Банк «Пример»",
            "--role",
            "bank",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let bank = out.lines().last().unwrap().trim().to_string();
        let sent = json!({"snils": "018-159-083 49", "passport": "4204 514002", "last_name": "СМИРНОВА",
            "first_name": "Анна", "middle_name": "Петровна", "birth_date": "1985-03-14", "reference": "KYC-77"});
        let confirm = |body: Value, token: String| {
            let app = &w.app;
            async move {
                post(
                    app,
                    "/api/v1/identity/bank-confirmations",
                    Some(&token),
                    body,
                )
                .await
            }
        };

        // Nobody with that СНИЛС yet.
        let (status, p) = confirm(sent.clone(), bank.clone()).await;
        assert_eq!(status, 404, "{p}");
        assert_eq!(p["code"], "confirm.account_not_found");

        let (_, s) = register(&w.app, "+79160000041", "bank@example.ru").await;
        let session = s["session"].as_str().unwrap().to_string();
        confirm_contacts(&w, &session, 1).await;
        // A profile that the registry does not confirm stays simplified: the bank may not lift it.
        let (_, o) = put_profile(&w.app, &session, anna("1985-03-15")).await;
        assert_ne!(o["level"], "standard", "{o}");
        let (status, p) = confirm(sent.clone(), bank.clone()).await;
        assert_eq!(status, 422, "{p}");
        assert_eq!(p["code"], "confirm.not_standard");

        let (_, o) = put_profile(&w.app, &session, anna("1985-03-14")).await;
        assert_eq!(o["level"], "standard", "{o}");
        // Each differing field refuses; nothing changes.
        for (field, value) in [
            ("passport", "4204 514003"),
            ("first_name", "Анастасия"),
            ("birth_date", "1985-04-14"),
        ] {
            let mut body = sent.clone();
            body[field] = json!(value);
            let (status, p) = confirm(body, bank.clone()).await;
            assert_eq!(status, 422, "{field}: {p}");
            assert_eq!(p["code"], "confirm.data_differ", "{field}");
        }
        // Only a bank's token: the administrator is refused.
        let admin = w.app.admin_token.clone().unwrap();
        let (status, p) = confirm(sent.clone(), admin).await;
        assert_eq!(status, 403, "{p}");
        let (_, me) = get(&w.app, "/api/v1/identity/me", &session).await;
        assert_eq!(me["level"], "standard");

        // Everything matches (case and «ё» aside): confirmed, told, journalled with the bank's name.
        let (status, ok) = confirm(sent.clone(), bank.clone()).await;
        assert_eq!(status, 200, "{ok}");
        assert_eq!(ok["level"], "confirmed");
        let (_, me) = get(&w.app, "/api/v1/identity/me", &session).await;
        assert_eq!(me["level"], "confirmed");
        let journal = okno_testkit::query_text(
            &w.app,
            "SELECT details FROM audit_log WHERE action = 'identity.confirmation.bank'",
        )
        .await
        .unwrap();
        assert!(
            journal.contains("Банк «Пример»") && journal.contains("KYC-77"),
            "{journal}"
        );
        let refused = okno_testkit::query_text(
            &w.app,
            "SELECT details FROM audit_log WHERE action = 'identity.confirmation.refused'",
        )
        .await
        .unwrap();
        assert!(refused.contains("confirm.data_differ"), "{refused}");
        let texts: Vec<Value> = w.smtp.wait_for(2, 20).await;
        assert!(
            texts
                .iter()
                .any(|m| m["text"].as_str().unwrap_or("").contains("через банк")),
            "the person is told"
        );
    }
}

#[tokio::test]
async fn a_person_made_on_the_command_line_is_audited_signs_in_with_the_printed_session_and_a_taken_id_is_refused(
) {
    for engine in engines("identity person create").await {
        let w = world(engine, &[]).await;
        let session = w.app.person("seeded-1", "Пётр Тестовый", "confirmed").await;
        let (s, me) = get(&w.app, "/api/v1/identity/me", &session).await;
        assert_eq!(s, 200, "{me}");
        assert_eq!(me["level"], "confirmed", "{me}");
        assert_eq!(audited(&w.app, "identity.person.seeded").await, 1);

        // The same id again, a bad level and a name of digits are refused with a message.
        let (code, out, err) = w.app.okno(&[
            "admin", "person", "create", "--id", "seeded-1", "--name", "Пётр", "--level",
            "standard",
        ]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains("уже есть"), "{err}");
        let (code, _, err) = w.app.okno(&[
            "admin", "person", "create", "--name", "Пётр", "--level", "gold",
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("неизвестный уровень gold"), "{err}");
        let (code, _, err) = w.app.okno(&[
            "admin", "person", "create", "--name", "12345", "--level", "standard",
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("буквами"), "{err}");
        assert_eq!(audited(&w.app, "identity.person.seeded").await, 1);
    }
}
