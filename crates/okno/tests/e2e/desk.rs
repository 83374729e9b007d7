//! End-to-end tests of the operator's desk over HTTP on both engines: an operator acts only from a
//! registered, unrevoked device of an office they are bound to; registers a person present (a
//! confirmed account, the СНИЛС as login, a temporary password on a PDF справка) who must change
//! the password at the first sign-in; confirms and restores access against the passport shown,
//! with every refusal named by its code.

use okno_testkit::{engines, tamper, Engine, SmsGateway, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");
const OFFICE: &str = "mfc-tula-proletarsky";

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    device: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(bearer);
    if let Some(d) = device {
        r = r.header("x-okno-device", d);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post(
    app: &TestApp,
    path: &str,
    bearer: &str,
    device: Option<&str>,
    body: Value,
) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, bearer, device, Some(body)).await
}

/// A desk act on the person's account `account` (`confirm`, `restore`) by the operator `op` at the
/// desk `dev`: the status and the answer.
async fn for_person(
    app: &TestApp,
    op: &str,
    dev: &str,
    account: &str,
    act: &str,
    body: Value,
) -> (u16, Value) {
    let path = format!("/api/v1/desk/people/{account}/{act}");
    post(app, &path, op, Some(dev), body).await
}

/// Asserts a refusal by its status and stable code.
fn refused_with(r: &(u16, Value), status: u16, code: &str) {
    assert_eq!((r.0, r.1["code"].as_str()), (status, Some(code)), "{}", r.1);
}

fn code_in(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    c.windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .unwrap_or_else(|| panic!("no code in {text}"))
}

/// An operator's staff account, signed in with the SMS second factor and its own password.
async fn operator(app: &TestApp, gw: &SmsGateway, n: u32) -> (String, String) {
    let email = format!("operator{n}@example.ru");
    let temporary = app.staff_account(
        "Орлова Вера Павловна",
        &format!("+7916100{n:04}"),
        &email,
        "operator",
    );
    let before = gw.requests().len();
    let (status, c) = app
        .post_json(
            "/api/v1/identity/sign-in",
            None,
            &json!({"login": email, "password": temporary}),
        )
        .await
        .json::<Value>()
        .await
        .map(|v| (202u16, v))
        .unwrap();
    assert_eq!(status, 202);
    // The code's SMS, not an alert of an earlier operator's password change arriving meanwhile.
    let mut code = None;
    for n in before + 1..before + 4 {
        let sms = gw.wait_for(n, 20).await;
        let text = sms[n - 1].json()["text"].as_str().unwrap().to_string();
        if text.contains("код") || text.contains("Код") {
            code = Some(code_in(&text));
            break;
        }
    }
    let code = code.expect("the sign-in code by SMS");
    let s: Value = app
        .post_json(
            "/api/v1/identity/sign-in/second-factor",
            None,
            &json!({"challenge": c["challenge"], "method": "sms", "code": code}),
        )
        .await
        .json()
        .await
        .unwrap();
    let session = s["session"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            "/api/v1/identity/password",
            Some(&session),
            &json!({"current": temporary, "password": "Оператор-Окна-2026"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let (_, me) = okno_testkit::http::get(app, "/api/v1/identity/me", &session).await;
    (session, me["id"].as_str().unwrap().to_string())
}

async fn device(app: &TestApp, office: &str, name: &str) -> (String, String) {
    let admin = app.admin_token.clone().unwrap();
    let (status, d) = post(
        app,
        &format!("/api/v1/offices/{office}/devices"),
        &admin,
        None,
        json!({"kind": "desk", "name": name}),
    )
    .await;
    assert_eq!(status, 201, "{d}");
    (
        d["device"]["id"].as_str().unwrap().to_string(),
        d["credential"].as_str().unwrap().to_string(),
    )
}

async fn bind(app: &TestApp, office: &str, account: &str) {
    let admin = app.admin_token.clone().unwrap();
    let (status, e) = call(
        app,
        reqwest::Method::PUT,
        &format!("/api/v1/offices/{office}/operators/{account}"),
        &admin,
        None,
        Some(json!({"role": "operator"})),
    )
    .await;
    assert_eq!(status, 204, "{e}");
}

async fn start(engine: Engine, gw: &SmsGateway) -> TestApp {
    let sms = gw.url();
    TestApp::demo(BIN, engine, &["--sms-url", &sms, "--worker-poll-ms", "50"]).await
}

fn maria() -> Value {
    // A person of the demo's reference registry (crates/identity/data/registry-demo.csv).
    json!({"last_name": "Кузнецова", "first_name": "Мария", "middle_name": "Игоревна", "birth_date": "1990-07-21",
           "sex": "female", "passport": "14 18 698951", "snils": "351-819-093 83", "phone": "+7 916 222-33-44", "consent": true})
}

#[tokio::test]
async fn an_operator_acts_only_from_a_registered_device_of_an_office_they_are_bound_to() {
    for engine in engines("desk binding").await {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, &gw).await;
        let (op, op_id) = operator(&app, &gw, 1).await;
        let find = |device: Option<String>| {
            let (app, op) = (&app, op.clone());
            async move {
                call(
                    app,
                    reqwest::Method::GET,
                    "/api/v1/desk/people?query=35181909383",
                    &op,
                    device.as_deref(),
                    None,
                )
                .await
            }
        };
        refused_with(&find(None).await, 403, "desk.device_required");
        let (_, forged) = (0, "okno_dev_0000".to_string());
        refused_with(&find(Some(forged)).await, 403, "desk.device_required");
        let (_, elsewhere) = device(&app, "mfc-tula-centr", "Окно 9").await;
        bind(&app, "mfc-tula-centr", &op_id).await;
        let (id, here) = device(&app, OFFICE, "Окно 1").await;
        refused_with(&find(Some(here.clone())).await, 403, "desk.not_your_office");
        bind(&app, OFFICE, &op_id).await;
        let (s, e) = find(Some(here.clone())).await;
        assert_eq!((s, e), (200, json!([])));
        // The other office's device works there, not here.
        let (s, _) = find(Some(elsewhere.clone())).await;
        assert_eq!(s, 200);
        refused_with(
            &post(
                &app,
                &format!("/api/v1/offices/{OFFICE}/queue/tickets"),
                &op,
                Some(&elsewhere),
                json!({"service": "passport-rf"}),
            )
            .await,
            403,
            "desk.other_office",
        );
        let (s, e) = call(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/offices/{OFFICE}/queue"),
            &op,
            Some(&here),
            None,
        )
        .await;
        assert_eq!(s, 200, "{e}");
        // A citizen at a registered device holds no right.
        let (_, citizen) = app.post_json("/api/v1/identity/register", None,
            &json!({"full_name": "Житель Тулы", "phone": "+79165550001", "email": "z@example.ru", "password": "Лиса-На-Крыше7", "consent": true}))
            .await.json::<Value>().await.map(|v| (0, v)).unwrap();
        let (s, _) = call(
            &app,
            reqwest::Method::GET,
            "/api/v1/desk/people?query=35181909383",
            citizen["session"].as_str().unwrap(),
            Some(&here),
            None,
        )
        .await;
        assert_eq!(s, 403);
        // Revoked: refused from the next request on, and journalled.
        let admin = app.admin_token.clone().unwrap();
        let (s, _) = post(
            &app,
            &format!("/api/v1/offices/{OFFICE}/devices/{id}/revoke"),
            &admin,
            None,
            json!({}),
        )
        .await;
        assert_eq!(s, 204);
        refused_with(&find(Some(here)).await, 403, "desk.device_revoked");
        let steps = [
            "offices.device.registered",
            "offices.operator.assigned",
            "offices.device.revoked",
        ];
        crate::assert_journal_has(&app, "offices.%", &steps).await;
    }
}

#[tokio::test]
async fn a_person_registered_at_the_desk_signs_in_with_the_temporary_password_and_must_change_it() {
    for engine in engines("desk registration").await {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, &gw).await;
        let (op, op_id) = operator(&app, &gw, 2).await;
        let (_, dev) = device(&app, OFFICE, "Окно 2").await;
        bind(&app, OFFICE, &op_id).await;
        let register = |body: Value| {
            let (app, op, dev) = (&app, op.clone(), dev.clone());
            async move { post(app, "/api/v1/desk/people", &op, Some(&dev), body).await }
        };

        // Every field problem at once; no consent, no account.
        let mut bad = maria();
        bad["consent"] = json!(false);
        bad["snils"] = json!("351-819-093 84");
        bad["phone"] = json!("123");
        let (s, e) = register(bad).await;
        assert_eq!(s, 400, "{e}");
        let fields: Vec<&str> = e["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        for f in ["consent", "snils", "phone"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        // The registry disagrees: refused with the reason's code.
        let mut other = maria();
        other["birth_date"] = json!("1990-07-22");
        refused_with(&register(other).await, 422, "confirm.data_differ");

        let (s, issued) = register(maria()).await;
        assert_eq!(s, 201, "{issued}");
        assert_eq!(issued["login"], "351-819-093 83");
        let password = issued["temporary_password"].as_str().unwrap().to_string();
        refused_with(&register(maria()).await, 409, "desk.person_exists");

        // The справка: a PDF, for this operator only.
        let url = issued["receipt_url"].as_str().unwrap();
        let r = app
            .client
            .get(app.url(url))
            .bearer_auth(&op)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let pdf = r.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let r = app.client.get(app.url(url)).send().await.unwrap();
        assert_eq!(r.status(), 404, "nobody else downloads it");

        // The person signs in with the СНИЛС and the temporary password: confirmed, no rights
        // until the password is changed.
        let s: Value = app
            .post_json(
                "/api/v1/identity/sign-in",
                None,
                &json!({"login": "35181909383", "password": password}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(s["must_change_password"], true, "{s}");
        let session = s["session"].as_str().unwrap().to_string();
        let (_, me) = okno_testkit::http::get(&app, "/api/v1/identity/me", &session).await;
        assert_eq!(me["level"], "confirmed");
        let apply = || {
            let body = json!({"service": "passport-rf"});
            okno_testkit::http::post(&app, "/api/v1/applications", session.as_str(), body)
        };
        okno_testkit::http::refused(&apply().await, 403, "auth.password_change_required");
        let r = app
            .post_json(
                "/api/v1/identity/password",
                Some(&session),
                &json!({"current": password, "password": "Новый-Пароль-Марии5"}),
            )
            .await;
        assert_eq!(r.status(), 204);
        let (s, draft) = apply().await;
        assert_eq!(
            s, 201,
            "the new password gives the account its rights: {draft}"
        );

        // Confirmation of the existing account: an expired passport and a wrong one are refused.
        let account = issued["account_id"].as_str().unwrap();
        let body = json!({"passport": "1418 698951", "passport_issued": "2004-08-01"});
        let r = for_person(&app, &op, &dev, account, "confirm", body).await;
        refused_with(&r, 422, "confirm.passport_expired");
        let body = json!({"passport": "1418 698952"});
        let r = for_person(&app, &op, &dev, account, "confirm", body).await;
        refused_with(&r, 422, "confirm.data_differ");

        // Access restored after the passport check: a new temporary password, the sessions end.
        let body = json!({"passport": "1418 698952"});
        let r = for_person(&app, &op, &dev, account, "restore", body).await;
        refused_with(&r, 422, "confirm.data_differ");
        let (s, restored) = for_person(
            &app,
            &op,
            &dev,
            account,
            "restore",
            json!({"passport": "1418 698951"}),
        )
        .await;
        assert_eq!(s, 200, "{restored}");
        assert_ne!(restored["temporary_password"], json!(password));
        let r = app
            .client
            .get(app.url("/api/v1/identity/me"))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "the person's sessions ended");
        let s: Value = app
            .post_json(
                "/api/v1/identity/sign-in",
                None,
                &json!({"login": "+79162223344", "password": restored["temporary_password"]}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(s["must_change_password"], true, "{s}");

        // Or a one-time QR code: a sign-in link valid 5 minutes, used once; the temporary password
        // given before no longer works.
        let (st, qr) = for_person(
            &app,
            &op,
            &dev,
            account,
            "restore",
            json!({"passport": "1418 698951", "method": "qr_code"}),
        )
        .await;
        assert_eq!(st, 200, "{qr}");
        assert_eq!(qr["temporary_password"], Value::Null, "{qr}");
        let link = qr["sign_in_url"]
            .as_str()
            .expect("a sign-in link")
            .to_string();
        let path = &link[link.find("/login/link/").expect("the link path")..];
        let r = app
            .post_json(
                "/api/v1/identity/sign-in",
                None,
                &json!({"login": "+79162223344", "password": restored["temporary_password"]}),
            )
            .await;
        assert_eq!(r.status(), 401, "the earlier temporary password is gone");
        let page = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Вход по QR-коду"), "{html}");
        let csrf = okno_testkit::csrf_token(&html);
        let use_link = || {
            app.client
                .post(app.url(path))
                .form(&[("csrf_token", csrf.as_str())])
                .send()
        };
        let r = use_link().await.unwrap();
        assert_eq!(r.status(), 303, "signed in");
        assert_eq!(
            r.headers()["location"],
            "/account/security",
            "must set a password"
        );
        // Nothing else opens before it; the page asks for the new password only, since the
        // person never had one.
        let get = |path: &'static str| app.client.get(app.url(path)).send();
        let r = get("/account").await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/account/security");
        let html = get("/account/security")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Вы вошли по QR-коду"), "{html}");
        assert!(
            !html.contains(r#"name="current""#),
            "no current password asked"
        );
        let token = okno_testkit::csrf_token(&html);
        let new = "Свой-Пароль-Марии7";
        let form = [
            ("csrf_token", token.as_str()),
            ("password", new),
            ("password_repeat", new),
        ];
        let r = app
            .client
            .post(app.url("/account/security/password"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Пароль изменён"));
        assert_eq!(
            get("/account").await.unwrap().status(),
            200,
            "the cabinet opens"
        );
        // Used again from another device (this browser's form went stale at sign-in, as every
        // form does: the CSRF token rotates with the session).
        let r = use_link().await.unwrap();
        assert_eq!(r.status(), 403, "the form read before sign-in is stale");
        let other = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let html = other
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let other_csrf = okno_testkit::csrf_token(&html);
        let r = other
            .post(app.url(path))
            .form(&[("csrf_token", other_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "used once");
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("действует 5 минут и только один раз"));
        // An expired code is refused the same way.
        let (_, qr) = for_person(
            &app,
            &op,
            &dev,
            account,
            "restore",
            json!({"passport": "1418 698951", "method": "qr_code"}),
        )
        .await;
        let link = qr["sign_in_url"].as_str().unwrap().to_string();
        let path = link[link.find("/login/link/").unwrap()..].to_string();
        tamper(
            &app,
            "UPDATE sign_in_links SET expires_at = 1 WHERE used_at IS NULL",
        )
        .await
        .unwrap();
        let r = other
            .post(app.url(&path))
            .form(&[("csrf_token", other_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "expired");

        let journal = okno_testkit::query_text(&app,
            "SELECT details FROM audit_log WHERE action IN ('identity.account.registered_in_person', 'identity.recovery.in_person') ORDER BY seq").await.unwrap();
        assert!(journal.contains(OFFICE), "office recorded: {journal}");
        let refusals = okno_testkit::query_text(&app,
            "SELECT details FROM audit_log WHERE action IN ('identity.confirmation.refused', 'identity.recovery.in_person_refused')").await.unwrap();
        assert!(
            refusals.contains("confirm.passport_expired")
                && refusals.contains("confirm.data_differ"),
            "{refusals}"
        );
    }
}

/// Confirms an account at the desk: the status and the problem's code.
async fn confirm(
    app: &TestApp,
    op: &str,
    dev: &str,
    account: String,
    passport: &str,
) -> (u16, String) {
    let (s, e) = for_person(
        app,
        op,
        dev,
        &account,
        "confirm",
        json!({ "passport": passport }),
    )
    .await;
    (s, e["code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn every_confirmation_refusal_is_named_by_its_code_journalled_and_printable() {
    for engine in engines("desk refusals").await {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let mut app = start(engine, &gw).await;
        let (op, op_id) = operator(&app, &gw, 3).await;
        let (_, dev) = device(&app, OFFICE, "Окно 3").await;
        bind(&app, OFFICE, &op_id).await;
        let (s, maria) = post(&app, "/api/v1/desk/people", &op, Some(&dev), self::maria()).await;
        assert_eq!(s, 201, "{maria}");
        let maria = maria["account_id"].as_str().unwrap().to_string();
        let refused = |code: &str| (422, code.to_string());

        // A person who registered online: no passport in the profile yet, then one the state
        // registry does not know.
        let r: Value = app
            .post_json("/api/v1/identity/register", None,
                &json!({"full_name": "Гость Тулы", "phone": "+79165550002", "email": "g@example.ru", "password": "Лиса-На-Крыше7", "consent": true}))
            .await
            .json()
            .await
            .unwrap();
        let session = r["session"].as_str().unwrap().to_string();
        let (_, me) = okno_testkit::http::get(&app, "/api/v1/identity/me", &session).await;
        let guest = me["id"].as_str().unwrap().to_string();
        assert_eq!(
            confirm(&app, &op, &dev, guest.clone(), "4509 123456").await,
            refused("confirm.no_profile")
        );
        let r = app
            .client
            .put(app.url("/api/v1/identity/profile"))
            .bearer_auth(&session)
            .json(&json!({"last_name": "Гостева", "first_name": "Ольга", "middle_name": "Ивановна",
                "birth_date": "1980-02-02", "sex": "female", "passport": "4509 123456", "snils": "112-233-445 95"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        assert_eq!(
            confirm(&app, &op, &dev, guest.clone(), "4509 123456").await,
            refused("confirm.registry_not_found")
        );

        // The passport shown cannot be a passport; the operator's own account, or a staff one,
        // is not confirmed at a desk.
        assert_eq!(
            confirm(&app, &op, &dev, maria.clone(), "14 18 69895").await,
            refused("confirm.passport_invalid")
        );
        assert_eq!(
            confirm(&app, &op, &dev, op_id.clone(), "1418 698951").await,
            refused("confirm.operator_lacks_right")
        );

        // A minor: the legal representative confirms the account.
        tamper(
            &app,
            &format!("UPDATE accounts SET birth_date = '2016-05-01' WHERE id = '{maria}'"),
        )
        .await
        .unwrap();
        assert_eq!(
            confirm(&app, &op, &dev, maria.clone(), "1418 698951").await,
            refused("confirm.minor")
        );
        tamper(
            &app,
            &format!("UPDATE accounts SET birth_date = '1990-07-21' WHERE id = '{maria}'"),
        )
        .await
        .unwrap();

        // A blocked account is refused whatever is shown.
        tamper(
            &app,
            &format!("UPDATE accounts SET status = 'blocked' WHERE id = '{guest}'"),
        )
        .await
        .unwrap();
        assert_eq!(
            confirm(&app, &op, &dev, guest.clone(), "4509 123456").await,
            refused("confirm.account_blocked")
        );

        // The registry cannot be asked: refused, nothing confirmed; the desk page prints it.
        app.restart(vec![
            "--sms-url".into(),
            gw.url(),
            "--worker-poll-ms".into(),
            "50".into(),
            "--registry-url".into(),
            "http://127.0.0.1:9/".into(),
        ])
        .await
        .unwrap();
        assert_eq!(
            confirm(&app, &op, &dev, maria.clone(), "1418 698951").await,
            refused("confirm.registry_unavailable")
        );
        let page = app
            .client
            .get(app.url("/operator?query=351-819-093%2083"))
            .bearer_auth(&op)
            .header("x-okno-device", &dev)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let csrf = okno_testkit::csrf_token(&page.text().await.unwrap());
        let html = app
            .client
            .post(app.url(&format!("/operator/people/{maria}/confirm")))
            .bearer_auth(&op)
            .header("x-okno-device", &dev)
            .form(&[("csrf_token", csrf.as_str()), ("passport", "1418 698951")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("<code id=\"desk-refusal\">confirm.registry_unavailable</code>")
                && html.contains("Распечатать отказ"),
            "{html}"
        );

        let journal = okno_testkit::query_text(
            &app,
            "SELECT CAST(details AS TEXT) FROM audit_log WHERE action = 'identity.confirmation.refused' UNION ALL SELECT CAST(details AS TEXT) FROM audit_pending WHERE action = 'identity.confirmation.refused'",
        )
        .await
        .unwrap();
        for code in [
            "confirm.no_profile",
            "confirm.registry_not_found",
            "confirm.passport_invalid",
            "confirm.operator_lacks_right",
            "confirm.minor",
            "confirm.account_blocked",
            "confirm.registry_unavailable",
        ] {
            assert!(journal.contains(code), "{code} journalled: {journal}");
        }
        let level = okno_testkit::query_text(
            &app,
            &format!("SELECT level FROM accounts WHERE id = '{guest}'"),
        )
        .await
        .unwrap();
        assert_ne!(level, "confirmed", "no refusal confirms");
    }
}

#[tokio::test]
async fn a_person_takes_a_ticket_at_a_registered_kiosk_without_an_operator() {
    for engine in engines("kiosk tickets").await {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, &gw).await;
        let admin = app.admin_token.clone().unwrap();
        let (status, k) = post(
            &app,
            &format!("/api/v1/offices/{OFFICE}/devices"),
            &admin,
            None,
            json!({"kind": "kiosk", "name": "Терминал в холле"}),
        )
        .await;
        assert_eq!(status, 201, "{k}");
        let kiosk = k["credential"].as_str().unwrap().to_string();
        let kiosk_id = k["device"]["id"].as_str().unwrap().to_string();
        let (_, desk) = device(&app, OFFICE, "Окно 2").await;
        let page = |cred: Option<String>| {
            let mut r = app.client.get(app.url("/kiosk/queue"));
            if let Some(c) = cred {
                r = r.header("x-okno-device", c);
            }
            async move { r.send().await.unwrap() }
        };
        // Nobody signed in and no kiosk: refused with a Russian page; a desk terminal is no kiosk.
        for cred in [None, Some(desk.clone())] {
            let r = page(cred).await;
            assert_eq!(r.status(), 403);
            assert!(r
                .text()
                .await
                .unwrap()
                .contains("терминал самообслуживания"));
        }
        let r = page(Some(kiosk.clone())).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("Выберите услугу"), "{html}");
        let field = "name=\"service\" value=\"";
        let at = html.find(field).expect("a service to choose") + field.len();
        let service = html[at..at + html[at..].find('"').unwrap()].to_string();
        let csrf = okno_testkit::csrf_token(&html);
        let take = || {
            app.client
                .post(app.url("/kiosk/queue"))
                .header("x-okno-device", &kiosk)
                .form(&[("csrf_token", csrf.as_str()), ("service", service.as_str())])
                .send()
        };
        let first = take().await.unwrap().text().await.unwrap();
        assert!(
            first.contains("Ваш талон") && first.contains("Перед вами: 0"),
            "{first}"
        );
        let second = take().await.unwrap().text().await.unwrap();
        assert!(second.contains("Перед вами: 1"), "{second}");
        // A booking code that does not exist: a human message on the kiosk, no ticket.
        let r = app
            .client
            .post(app.url("/kiosk/queue"))
            .header("x-okno-device", &kiosk)
            .form(&[("csrf_token", csrf.as_str()), ("booking_code", "ZZZ-9999")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            r.contains("kiosk-error") && r.contains("Действующей записи"),
            "{r}"
        );
        // The operator at a desk of the office calls the next ticket to a window from the queue
        // page and moves it on.
        let (op, op_id) = operator(&app, &gw, 2).await;
        bind(&app, OFFICE, &op_id).await;
        let page = |path: String, form: Option<Vec<(&'static str, String)>>| {
            let mut r = match &form {
                None => app.client.get(app.url(&path)),
                Some(f) => app.client.post(app.url(&path)).form(f),
            };
            r = r.bearer_auth(&op).header("x-okno-device", &desk);
            async move {
                let r = r.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let (s, html) = page("/operator/queue".into(), None).await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("ждут: <strong id=\"queue-waiting\">2</strong>"),
            "{html}"
        );
        let token = okno_testkit::csrf_token(&html);
        let (s, html) = page(
            "/operator/queue/call".into(),
            Some(vec![("csrf_token", token.clone()), ("window", "3".into())]),
        )
        .await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("в окно 3") && html.contains("Начать приём"),
            "{html}"
        );
        let at = html.find("/operator/queue/tickets/").unwrap() + "/operator/queue/tickets/".len();
        let id = html[at..at + html[at..].find('/').unwrap()].to_string();
        let (_, html) = page(
            format!("/operator/queue/tickets/{id}/start"),
            Some(vec![("csrf_token", token.clone()), ("window", "3".into())]),
        )
        .await;
        assert!(html.contains("Завершить"), "{html}");
        // Without a registered device of the office: refused.
        let r = app
            .client
            .get(app.url("/operator/queue"))
            .bearer_auth(&op)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // The tickets are the office's queue, journalled with the kiosk that issued them.
        let issued = okno_testkit::query_text(
            &app,
            "SELECT CAST(details AS TEXT) FROM audit_log WHERE action = 'offices.ticket.issued' UNION ALL SELECT CAST(details AS TEXT) FROM audit_pending WHERE action = 'offices.ticket.issued'",
        )
        .await
        .unwrap();
        let by_kiosk = issued
            .lines()
            .filter(|d| d.contains(OFFICE) && d.contains(&kiosk_id))
            .count();
        assert_eq!(by_kiosk, 2, "{issued}");
    }
}

/// A representative's part of a desk request: a notarised power of attorney made `issued` and
/// valid until `until`.
fn representative(passport: &str, issued: &str, until: Option<&str>) -> Value {
    json!({"full_name": "Кузнецов Игорь Петрович", "passport": passport, "power_number": "77/123-н/77-2026-1-512",
           "power_issuer": "нотариус г. Тулы Смирнова А. В.", "power_issued_on": issued, "power_valid_until": until})
}

fn day(offset_days: i64) -> String {
    let today = jiff::Timestamp::now().in_tz("UTC").unwrap().date();
    today
        .checked_add(jiff::ToSpan::days(offset_days))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_desk_act_can_be_done_by_a_representative_with_a_power_of_attorney() {
    for engine in engines("desk representative").await {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, &gw).await;
        let (op, op_id) = operator(&app, &gw, 4).await;
        let (_, dev) = device(&app, OFFICE, "Окно 4").await;
        bind(&app, OFFICE, &op_id).await;

        // An ended power (a year from the day it was made when it names no term) is refused by
        // field, with the person's errors at once; so is a representative with the person's own
        // passport.
        let mut body = maria();
        body["representative"] = representative("4510 123456", &day(-400), None);
        body["phone"] = json!("123");
        let (s, e) = post(&app, "/api/v1/desk/people", &op, Some(&dev), body).await;
        assert_eq!(s, 400, "{e}");
        let codes: Vec<(&str, &str)> = e["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
            .collect();
        assert!(
            codes.contains(&(
                "representative.power_valid_until",
                "representative.power_expired"
            )) && codes.iter().any(|(f, _)| *f == "phone"),
            "{codes:?}"
        );
        let mut body = maria();
        body["representative"] = representative("4510 123456", &day(3), None);
        let (s, e) = post(&app, "/api/v1/desk/people", &op, Some(&dev), body).await;
        assert_eq!(
            (s, e["errors"][0]["code"].as_str()),
            (400, Some("representative.power_not_yet")),
            "{e}"
        );
        let mut body = maria();
        body["representative"] = representative("14 18 698951", &day(-10), None);
        refused_with(
            &post(&app, "/api/v1/desk/people", &op, Some(&dev), body).await,
            422,
            "representative.is_the_person",
        );

        // Registration for the person: the справка names the representative and the power.
        let mut body = maria();
        body["representative"] = representative("4510 123456", &day(-10), Some(&day(300)));
        let (s, issued) = post(&app, "/api/v1/desk/people", &op, Some(&dev), body).await;
        assert_eq!(s, 201, "{issued}");
        let line = issued["representative"]
            .as_str()
            .expect("the representative");
        assert!(
            line.contains("Кузнецов Игорь Петрович")
                && line.contains("№ 77/123-н/77-2026-1-512")
                && line.contains(&day(300)),
            "{line}"
        );
        let account = issued["account_id"].as_str().unwrap().to_string();

        // Restoring access for the person: the person is told who came and on which power.
        let (s, restored) = for_person(
            &app,
            &op,
            &dev,
            &account,
            "restore",
            json!({"passport": "1418 698951",
                   "representative": representative("4510 123456", &day(-10), None)}),
        )
        .await;
        assert_eq!(s, 200, "{restored}");
        assert!(restored["representative"].is_string(), "{restored}");
        let told = okno_testkit::query_text(
            &app,
            "SELECT payload FROM outbox WHERE kind = 'notify.message'",
        )
        .await
        .unwrap();
        assert!(
            told.contains("по обращению представителя: Кузнецов Игорь Петрович"),
            "{told}"
        );

        // Confirmation through the desk page's form, with the representative's part ticked; a
        // mismatched passport is refused and the refusal is recorded with the representative.
        let page = app
            .client
            .get(app.url("/operator?query=351-819-093%2083"))
            .bearer_auth(&op)
            .header("x-okno-device", &dev)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Обращается представитель по доверенности"),
            "{html}"
        );
        let csrf = okno_testkit::csrf_token(&html);
        let confirm = |passport: &'static str| {
            let form = vec![
                ("csrf_token", csrf.clone()),
                ("passport", passport.to_string()),
                ("by_representative", "yes".to_string()),
                ("rep_full_name", "Кузнецов Игорь Петрович".to_string()),
                ("rep_passport", "4510 123456".to_string()),
                ("rep_power_number", "77/123-н/77-2026-1-512".to_string()),
                ("rep_power_issuer", "нотариус Смирнова А. В.".to_string()),
                ("rep_power_issued_on", day(-10)),
                ("rep_power_valid_until", String::new()),
            ];
            app.client
                .post(app.url(&format!("/operator/people/{account}/confirm")))
                .bearer_auth(&op)
                .header("x-okno-device", &dev)
                .form(&form)
                .send()
        };
        let html = confirm("1418 000001").await.unwrap().text().await.unwrap();
        assert!(html.contains("confirm.data_differ"), "{html}");
        let html = confirm("1418 698951").await.unwrap().text().await.unwrap();
        assert!(html.contains("Личность подтверждена"), "{html}");

        // Each act is recorded with its representative (their name and passport encrypted) and
        // the audit record names the record.
        let acts = okno_testkit::query_text(
            &app,
            &format!("SELECT act || ' ' || power_number || ' ' || power_valid_until || ' ' || full_name_enc FROM desk_representatives WHERE account_id = '{account}' ORDER BY created_at"),
        )
        .await
        .unwrap();
        assert!(
            acts.starts_with(&format!("registered 77/123-н/77-2026-1-512 {}", day(300))),
            "{acts}"
        );
        for act in ["restored", "confirmation_refused", "confirmed"] {
            assert!(acts.contains(act), "{act} in {acts}");
        }
        assert!(!acts.contains("Кузнецов"), "the name is encrypted: {acts}");
        let audit = okno_testkit::query_text(
            &app,
            &format!("SELECT action || ' ' || CAST(details AS TEXT) FROM audit_log WHERE subject_id = '{account}'
              UNION ALL SELECT action || ' ' || CAST(details AS TEXT) FROM audit_pending WHERE subject_id = '{account}'"),
        )
        .await
        .unwrap();
        for action in [
            "identity.account.registered_in_person",
            "identity.recovery.in_person",
            "identity.confirmation.refused",
            "identity.confirmation.in_person",
        ] {
            assert!(
                audit
                    .lines()
                    .any(|l| l.starts_with(action) && l.contains("\"record\"")),
                "{action} names the representative's record: {audit}"
            );
        }
        // The whole number, with or without its space: four digits alone turn up by chance in
        // the records' ids and hashes.
        assert!(
            !audit.contains("4510 123456") && !audit.contains("4510123456"),
            "no passport in the journal"
        );
    }
}

#[tokio::test]
async fn an_office_administrator_manages_its_devices_and_operators_on_the_office_page() {
    for engine in engines("office management pages").await {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, &gw).await;
        let admin = app.admin_token.clone().unwrap();
        // The platform administrator lists the offices.
        let r = app
            .client
            .get(app.url("/admin/offices"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("/admin/offices/{OFFICE}")), "{html}");

        let (chief, chief_id) = operator(&app, &gw, 5).await;
        let (_, desk) = device(&app, OFFICE, "Окно администратора").await;
        let (s, e) = call(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/offices/{OFFICE}/operators/{chief_id}"),
            &admin,
            None,
            Some(json!({"role": "office_admin"})),
        )
        .await;
        assert_eq!(s, 204, "{e}");
        let page = |bearer: String, path: String, form: Option<Vec<(&'static str, String)>>| {
            let mut r = match &form {
                None => app.client.get(app.url(&path)),
                Some(f) => app.client.post(app.url(&path)).form(f),
            };
            r = r.bearer_auth(&bearer).header("x-okno-device", &desk);
            okno_testkit::http::sent(r)
        };
        let (s, _, html) = page(chief.clone(), "/operator".into(), None).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("id=\"desk-manage\""), "{html}");
        let path = format!("/admin/offices/{OFFICE}");
        let (s, _, html) = page(chief.clone(), path.clone(), None).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("Окно администратора"), "{html}");
        let token = okno_testkit::csrf_token(&html);
        let form = |pairs: &[(&'static str, &str)]| {
            let mut f = vec![("csrf_token", token.clone())];
            f.extend(pairs.iter().map(|(k, v)| (*k, v.to_string())));
            Some(f)
        };

        // A kiosk registered here shows its credential once, and it works at once.
        let (s, _, html) = page(
            chief.clone(),
            format!("{path}/devices"),
            form(&[("kind", "kiosk"), ("name", "Киоск в холле")]),
        )
        .await;
        assert_eq!(s, 201, "{html}");
        let mark = "<code id=\"manage-credential\">";
        let at = html.find(mark).expect("the credential shown") + mark.len();
        let kiosk = html[at..at + html[at..].find('<').unwrap()].to_string();
        assert!(kiosk.starts_with("okno_dev_"), "{kiosk}");
        let kiosk_page = || {
            app.client
                .get(app.url("/kiosk/queue"))
                .header("x-okno-device", &kiosk)
                .send()
        };
        assert_eq!(kiosk_page().await.unwrap().status(), 200);
        let (_, _, html) = page(chief.clone(), path.clone(), None).await;
        assert!(!html.contains(&kiosk), "shown only once");
        // A nameless terminal is refused with a human message.
        let (s, _, html) = page(
            chief.clone(),
            format!("{path}/devices"),
            form(&[("kind", "desk"), ("name", "  ")]),
        )
        .await;
        assert_eq!(s, 400, "{html}");
        assert!(html.contains("Название рабочего места"), "{html}");
        // Revoked from the page: refused from the next request on.
        let (_, devices) = call(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/offices/{OFFICE}/devices"),
            &admin,
            None,
            None,
        )
        .await;
        let id = devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "Киоск в холле")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, location, _) = page(
            chief.clone(),
            format!("{path}/devices/{id}/revoke"),
            form(&[]),
        )
        .await;
        assert_eq!(
            (s, location.as_deref()),
            (303, Some(format!("{path}?done=revoked").as_str()))
        );
        assert_ne!(kiosk_page().await.unwrap().status(), 200, "revoked");
        let (_, _, html) = page(chief.clone(), format!("{path}?done=revoked"), None).await;
        assert!(
            html.contains("больше не принимается") && html.contains("отозвано"),
            "{html}"
        );

        // An operator bound by e-mail works at the office's desk until unbound.
        let (clerk, clerk_id) = operator(&app, &gw, 6).await;
        let (s, _, html) = page(
            chief.clone(),
            format!("{path}/operators"),
            form(&[("email", "nobody@example.ru"), ("role", "operator")]),
        )
        .await;
        assert_eq!(s, 400, "{html}");
        assert!(
            html.contains("не найден") && html.contains("nobody@example.ru"),
            "{html}"
        );
        let (s, _, _) = page(
            chief.clone(),
            format!("{path}/operators"),
            form(&[("email", "Operator6@Example.ru"), ("role", "senior")]),
        )
        .await;
        assert_eq!(s, 303);
        let (s, _, html) = page(clerk.clone(), "/operator".into(), None).await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("старший оператор") && !html.contains("desk-manage"),
            "{html}"
        );
        let (s, _, html) = page(clerk.clone(), path.clone(), None).await;
        assert_eq!(
            s, 403,
            "a senior operator does not manage the office: {html}"
        );
        let (s, _, _) = page(
            chief.clone(),
            format!("{path}/operators/{clerk_id}/remove"),
            form(&[]),
        )
        .await;
        assert_eq!(s, 303);
        let (s, _, _) = page(clerk.clone(), "/operator".into(), None).await;
        assert_eq!(s, 403, "unbound");
        // Nobody unbinds themself, and an office's administrator manages only that office.
        let (s, _, html) = page(
            chief.clone(),
            format!("{path}/operators/{chief_id}/remove"),
            form(&[]),
        )
        .await;
        assert_eq!(s, 409, "{html}");
        assert!(html.contains("самого себя"), "{html}");
        let (s, _, _) = page(chief.clone(), "/admin/offices/mfc-tula-centr".into(), None).await;
        assert_eq!(s, 403);
        let (s, _, _) = page(chief.clone(), "/admin/offices".into(), None).await;
        assert_eq!(s, 403);

        let journal = okno_testkit::query_text(
            &app,
            "SELECT action FROM audit_log WHERE action LIKE 'offices.%' UNION ALL SELECT action FROM audit_pending WHERE action LIKE 'offices.%'",
        )
        .await
        .unwrap();
        for a in [
            "offices.device.revoked",
            "offices.operator.assigned",
            "offices.operator.removed",
        ] {
            assert!(journal.contains(a), "{a} in {journal}");
        }
    }
}

#[tokio::test]
async fn an_operator_files_an_application_for_a_person_present_only_from_a_desk_of_that_office() {
    for engine in engines("desk filing").await {
        let gw = SmsGateway::start(&[]).await.unwrap();
        let app = start(engine, &gw).await;
        let (op, op_id) = operator(&app, &gw, 7).await;
        let (_, desk) = device(&app, OFFICE, "Окно 7").await;
        bind(&app, OFFICE, &op_id).await;
        let (s, issued) = post(&app, "/api/v1/desk/people", &op, Some(&desk), maria()).await;
        assert_eq!(s, 201, "{issued}");
        let person = issued["account_id"].as_str().unwrap().to_string();

        // The desk page offers it for a found account; the form starts a draft for the person.
        let r = app
            .client
            .get(app.url("/operator?query=35181909383"))
            .bearer_auth(&op)
            .header("x-okno-device", &desk)
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("/operator/people/{person}/apply")),
            "{html}"
        );
        let path = format!("/operator/people/{person}/apply");
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&op)
            .header("x-okno-device", &desk)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Кузнецова") && html.contains("desk-apply-form"),
            "{html}"
        );
        let token = okno_testkit::csrf_token(&html);
        let start = |service: &'static str, device: Option<String>| {
            let mut r = app
                .client
                .post(app.url(&path))
                .bearer_auth(&op)
                .form(&[("csrf_token", token.as_str()), ("service", service)]);
            if let Some(d) = device {
                r = r.header("x-okno-device", d);
            }
            okno_testkit::http::sent(r)
        };
        let (s, _, html) = start("no-such-service", Some(desk.clone())).await;
        assert_eq!(s, 404, "{html}");
        assert!(html.contains("desk-apply-error"), "{html}");
        let (s, location, _) = start("pension-info", Some(desk.clone())).await;
        assert_eq!(s, 303);
        let location = location.unwrap();
        let id = location
            .trim_start_matches("/account/applications/")
            .to_string();

        // The operator fills it in with the person and submits it, from the desk.
        let values = json!({"last_name": "Кузнецова", "first_name": "Мария", "middle_name": "Игоревна",
            "birth_date": "1990-07-21", "snils": "351-819-093 83", "kind": "amount", "consent": true});
        let (s, a) = call(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/applications/{id}/data"),
            &op,
            Some(&desk),
            Some(json!({"data": values})),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        // Away from the desk the operator can do nothing with it.
        refused_with(
            &post(
                &app,
                &format!("/api/v1/applications/{id}/submit"),
                &op,
                None,
                json!({}),
            )
            .await,
            403,
            "desk.device_required",
        );
        let (s, a) = post(
            &app,
            &format!("/api/v1/applications/{id}/submit"),
            &op,
            Some(&desk),
            json!({}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "submitted", "{a}");
        assert!(a["number"].as_str().is_some(), "{a}");
        assert_eq!(a["desk_office"], OFFICE, "{a}");
        assert!(
            a["applicant_name"].as_str().unwrap().contains("Кузнецова"),
            "{a}"
        );
        let filed = a["filed_by_name"].as_str().unwrap();
        assert!(
            filed.contains("оператор") && filed.contains("Орлова"),
            "{a}"
        );

        // The person is the applicant and the one told; the journal names the office and desk.
        let row = okno_testkit::query_text(
            &app,
            &format!("SELECT applicant_id || ' ' || notify_account || ' ' || filed_by FROM applications WHERE id = '{id}'"),
        )
        .await
        .unwrap();
        assert_eq!(row, format!("{person} {person} {op_id}"));
        let journal = okno_testkit::query_text(
            &app,
            &format!("SELECT CAST(details AS TEXT) FROM audit_log WHERE subject_id = '{id}' AND action = 'services.application.started'
                      UNION ALL SELECT CAST(details AS TEXT) FROM audit_pending WHERE subject_id = '{id}' AND action = 'services.application.started'"),
        )
        .await
        .unwrap();
        assert!(
            journal.contains("at_desk") && journal.contains(OFFICE),
            "{journal}"
        );
    }
}
