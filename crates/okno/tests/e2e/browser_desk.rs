//! The operator's desk in a real browser (headless Chromium): the office's terminal is enrolled
//! with its credential, an operator signs in with a second factor, registers a person present and
//! opens the справка (a PDF); the person then signs in with the СНИЛС and the temporary password and
//! is made to change it before anything else.

use fantoccini::Client;
use okno_testkit::browser::{self, click, code_in, fill, sign_in, text, wait_url};
use okno_testkit::{Engine, SmsGateway, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");
const OFFICE: &str = "mfc-tula-proletarsky";

async fn change_password(c: &Client, current: &str, new: &str) {
    fill(c, "#current", current).await;
    fill(c, "#new-password", new).await;
    fill(c, "#password-repeat", new).await;
    click(
        c,
        "form[action='/account/security/password'] button[type=submit]",
    )
    .await;
    let notice = text(c, "#security-notice").await;
    assert!(notice.contains("Пароль изменён"), "{notice}");
}

#[tokio::test]
async fn an_operator_at_a_registered_desk_registers_a_person_who_must_change_the_temporary_password(
) {
    let gw = SmsGateway::start(&[]).await.unwrap();
    let sms = gw.url();
    let app = TestApp::demo(
        BIN,
        Engine::Sqlite,
        &["--sms-url", &sms, "--worker-poll-ms", "50"],
    )
    .await;
    let Some((_driver, c)) = browser::start("the browser desk test").await else {
        return;
    };
    let admin = app.admin_token.clone().unwrap();

    // The office's administrator registered this terminal; its credential is put on the machine.
    let d: Value = app
        .post_json(
            &format!("/api/v1/offices/{OFFICE}/devices"),
            Some(&admin),
            &json!({"kind": "desk", "name": "Окно 4"}),
        )
        .await
        .json()
        .await
        .unwrap();
    c.goto(&app.url("/operator/enrol")).await.unwrap();
    fill(&c, "#credential", d["credential"].as_str().unwrap()).await;
    click(&c, "form[action='/operator/enrol'] button[type=submit]").await;

    // The operator: a staff account, a second factor by SMS, and a password of their own.
    let temporary = app.staff_account(
        "Орлова Вера Павловна",
        "+79161004444",
        "vera@example.ru",
        "operator",
    );
    sign_in(&c, &app.url("/login"), "vera@example.ru", &temporary).await;
    wait_url(&c, &app.url("/login/code")).await;
    let sms = gw.wait_for(1, 20).await;
    click(&c, "input[name=method][value=sms]").await;
    fill(
        &c,
        "#code",
        &code_in(sms[0].json()["text"].as_str().unwrap()),
    )
    .await;
    click(&c, "form[action='/login/code'] button[type=submit]").await;
    wait_url(&c, &app.url("/account/security")).await;
    change_password(&c, &temporary, "Оператор-Окна-2026").await;
    let operator_id = okno_testkit::query_text(
        &app,
        "SELECT id FROM accounts WHERE email = 'vera@example.ru'",
    )
    .await
    .unwrap();
    let r = app
        .client
        .put(app.url(&format!("/api/v1/offices/{OFFICE}/operators/{operator_id}")))
        .bearer_auth(&admin)
        .json(&json!({"role": "operator"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // At the desk: the office and the terminal are named; the person is registered.
    c.goto(&app.url("/operator")).await.unwrap();
    let at = text(&c, "#desk-where").await;
    assert!(at.contains("Окно 4") && at.contains("Пролетарский"), "{at}");
    fill(&c, "#reg-last_name", "Попова").await;
    fill(&c, "#reg-first_name", "Ольга").await;
    fill(&c, "#reg-middle_name", "Викторовна").await;
    fill(&c, "#reg-passport", "9212 801133").await;
    fill(&c, "#reg-snils", "507-529-170 86").await;
    fill(&c, "#reg-phone", "+7 916 700-80-90").await;
    c.execute(
        "document.getElementById('reg-birth_date').value = '1955-12-17';",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "input[name=sex][value=female]").await;
    // Without the consent ticked, the form comes back with the error and the typed data. The
    // error is waited for by its own element: the section itself is on the page before the post
    // too, and reading it while the page reloads gives a stale element.
    click(&c, "#register-submit").await;
    let refused = text(&c, "#register .field.invalid .error").await;
    assert!(refused.contains("согласия"), "{refused}");
    click(&c, "input[name=consent]").await;
    c.execute(
        "document.getElementById('reg-birth_date').value = '1955-12-17';",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "input[name=sex][value=female]").await;
    click(&c, "#register-submit").await;
    assert_eq!(text(&c, "#issued-login").await, "507-529-170 86");
    let password = text(&c, "#issued-password").await;
    assert!(password.len() >= 12, "{password}");

    // The справка opens as a PDF.
    let href = browser::href(&c, "#receipt-link").await;
    let got = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.headers.get('content-type'),
               String.fromCharCode(...new Uint8Array(b.slice(0, 5)))])));",
            vec![json!(href)],
        )
        .await
        .unwrap();
    assert_eq!(got, json!(["application/pdf", "%PDF-"]));

    // The person signs in with the СНИЛС and the temporary password: first, a new password.
    click(&c, ".user-box form[action='/logout'] button[type=submit]").await;
    wait_url(&c, &app.url("/")).await;
    sign_in(&c, &app.url("/login"), "50752917086", &password).await;
    wait_url(&c, &app.url("/account/security")).await;
    assert!(text(&c, "main .alert.danger")
        .await
        .contains("временным паролем"));
    change_password(&c, &password, "Синий-Трамвай-48").await;
    c.goto(&app.url("/account")).await.unwrap();
    assert_eq!(text(&c, "#level").await, "Подтверждённая");
    c.close().await.unwrap();
}
