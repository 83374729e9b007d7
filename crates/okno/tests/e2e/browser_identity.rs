//! The identity flow in a real browser: headless Chromium over WebDriver (chromedriver) registers a
//! person on `/register`, confirms the phone and the e-mail with the codes that really travel by the
//! SMS gateway and SMTP, enables an authenticator app on `/account/security`, signs out, is refused
//! a wrong password, and signs in again with the password and a TOTP code (and once more with a
//! recovery code).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::{Client, Locator};
use okno_identity::totp;
use okno_testkit::browser::{click, code_in, fill, sign_in, text, wait_url};
use okno_testkit::{Engine, Options, SmsGateway, SmtpServer, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_okno");
const PASSWORD: &str = "Лиса-На-Крыше7";
const NAME: &str = "Петров Пётр Петрович";

async fn browser() -> Option<(okno_testkit::browser::Driver, fantoccini::Client)> {
    okno_testkit::browser::start("the browser identity test").await
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn sign_out(c: &Client, app: &TestApp) {
    click(c, ".user-box form[action='/logout'] button[type=submit]").await;
    wait_url(c, &app.url("/")).await;
    assert_eq!(text(c, ".user-box a[href='/login']").await, "Войти");
}

/// `/login` with the phone written the way people write it, then `/login/code`.
async fn sign_in_to_the_code_page(c: &Client, app: &TestApp) {
    sign_in(c, &app.url("/login"), "8 916 111-22-33", PASSWORD).await;
    wait_url(c, &app.url("/login/code")).await;
}

async fn enter_second_factor(c: &Client, app: &TestApp, method: &str, code: &str) {
    click(c, &format!("input[name=method][value={method}]")).await;
    fill(c, "#code", code).await;
    click(c, "form[action='/login/code'] button[type=submit]").await;
    wait_url(c, &app.url("/account")).await;
    assert_eq!(text(c, ".user-box .user-name").await, NAME);
    assert_eq!(text(c, "main h1").await, NAME);
}

#[tokio::test]
async fn a_person_registers_confirms_the_phone_enables_totp_and_signs_in_with_a_code_in_the_browser(
) {
    let started = Instant::now();
    let gw = SmsGateway::start(&[]).await.unwrap();
    let smtp = SmtpServer::start(None).unwrap();
    let args = vec![
        "--sms-url".into(),
        gw.url(),
        "--smtp-url".into(),
        smtp.url(),
        "--worker-poll-ms".into(),
        "50".into(),
    ];
    let app = TestApp::start(BIN, Engine::Sqlite, Options { demo: false, args })
        .await
        .unwrap();
    let Some((_driver, c)) = browser().await else {
        return;
    };

    // 1. Registration.
    c.goto(&app.url("/register")).await.unwrap();
    assert_eq!(c.title().await.unwrap(), "Регистрация — Окно");
    fill(&c, "#full_name", NAME).await;
    fill(&c, "#phone", "+79161112233").await;
    fill(&c, "#email", "petrov@example.ru").await;
    fill(&c, "#password", PASSWORD).await;
    fill(&c, "#password_repeat", PASSWORD).await;
    click(&c, "input[type=checkbox][name=consent]").await;
    click(&c, "form[action='/register'] button[type=submit]").await;
    wait_url(&c, &app.url("/account")).await;
    assert_eq!(text(&c, "#level").await, "Регистрация не завершена");
    assert_eq!(text(&c, ".user-box .user-name").await, NAME);

    // 2. The phone, then the e-mail, confirmed with the codes that arrived.
    let sms = gw.wait_for(1, 20).await;
    assert!(!sms.is_empty(), "no SMS reached the gateway");
    let code = code_in(sms[0].json()["text"].as_str().unwrap());
    fill(&c, "#code-phone", &code).await;
    click(
        &c,
        "#contact-phone form[action='/account/confirm'] button[type=submit]",
    )
    .await;
    assert_eq!(text(&c, "#contact-phone .badge.ok").await, "Подтверждён");
    assert_eq!(text(&c, "#level").await, "Регистрация не завершена");

    let mails = smtp.wait_for(1, 20).await;
    assert!(!mails.is_empty(), "no e-mail reached the SMTP server");
    let code = code_in(mails[0]["text"].as_str().unwrap());
    fill(&c, "#code-email", &code).await;
    click(
        &c,
        "#contact-email form[action='/account/confirm'] button[type=submit]",
    )
    .await;
    assert_eq!(text(&c, "#contact-email .badge.ok").await, "Подтверждён");
    assert_eq!(text(&c, "#level").await, "Упрощённая");

    // 3. The authenticator app: QR code and key, confirmed with a code; ten recovery codes.
    c.goto(&app.url("/account/security")).await.unwrap();
    click(&c, "#totp-begin").await;
    let secret = text(&c, "#totp-secret").await;
    let secret = totp::secret_from_base32(&secret)
        .unwrap_or_else(|| panic!("the page shows a base32 key, not {secret:?}"));
    let qr = c
        .find(Locator::Css("figure[role=img] svg"))
        .await
        .expect("the QR code is on the page");
    let (_, _, w, h) = qr.rectangle().await.unwrap();
    assert!(w >= 100.0 && h >= 100.0, "the QR code is {w}×{h} px");
    // Only the viewport is captured: bring the whole QR code into it if it is not.
    c.execute(
        "const r = document.querySelector('figure[role=img]').getBoundingClientRect();
         if (r.bottom > window.innerHeight) window.scrollBy(0, r.bottom - window.innerHeight + 16);",
        vec![],
    )
    .await
    .unwrap();
    let png = c.screenshot().await.unwrap();
    assert!(
        png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "a PNG screenshot"
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("identity-security-totp.png");
    std::fs::write(&shot, &png).unwrap();
    eprintln!("screenshot: {}", shot.display());

    let now = unix_now();
    let enrolment_step = now / 30;
    fill(&c, "#totp-code", &totp::code_at(&secret, now)).await;
    click(
        &c,
        "form[action='/account/security/totp/confirm'] button[type=submit]",
    )
    .await;
    let recovery = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#recovery-codes"))
        .await
        .expect("the recovery codes are shown");
    let items = recovery.find_all(Locator::Css("li")).await.unwrap();
    assert_eq!(items.len(), 10);
    let mut recovery_codes = Vec::new();
    for li in items {
        recovery_codes.push(li.text().await.unwrap());
    }
    assert!(
        text(&c, "#security-notice").await.contains("подключено"),
        "the notice says the app is enabled"
    );

    // 4. Sign out with the header's button.
    sign_out(&c, &app).await;
    c.goto(&app.url("/account")).await.unwrap();
    wait_url(&c, &app.url("/login")).await;

    // A wrong password: the same page, the error, and the typed login kept.
    fill(&c, "#login", "8 916 111-22-33").await;
    fill(&c, "#password", "Неверный-Пароль9").await;
    click(&c, "form[action='/login'] button[type=submit]").await;
    assert!(
        text(&c, "#login-error")
            .await
            .contains("Неверный логин или пароль"),
        "the wrong password is refused"
    );
    let kept = c
        .find(Locator::Id("login"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("8 916 111-22-33"));

    // 5. The password, then a TOTP code. A step is accepted once, and enrolment used the current
    // one: take the next step's code while still in it (the server accepts ±1 step).
    sign_in_to_the_code_page(&c, &app).await;
    let step = (unix_now() / 30).max(enrolment_step + 1);
    let code = totp::code_at(&secret, step * 30);
    enter_second_factor(&c, &app, "totp", &code).await;

    // And once more with a recovery code, which then counts as used.
    sign_out(&c, &app).await;
    sign_in_to_the_code_page(&c, &app).await;
    enter_second_factor(&c, &app, "recovery", &recovery_codes[0]).await;
    c.goto(&app.url("/account/security")).await.unwrap();
    let main = text(&c, "main").await;
    assert!(main.contains("Резервных кодов осталось: 9"), "{main}");

    c.close().await.unwrap();
    eprintln!("the browser identity flow took {:?}", started.elapsed());
}
