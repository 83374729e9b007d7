//! Passkeys in a real browser: headless Chromium with Chrome's virtual WebAuthn authenticator (a
//! platform authenticator whose user verification always succeeds, as a phone's fingerprint reader
//! would). A person adds a passkey on `/account/security`, signs out, signs in with the password
//! and completes the sign-in with the passkey instead of a code; then removes it.

use fantoccini::{Client, Locator};
use okno_testkit::browser::{self, click, fill, sign_in, text, wait_url};
use okno_testkit::{Engine, TestApp};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_okno");
const PASSWORD: &str = "Лиса-На-Крыше7";
const NAME: &str = "Смирнова Анна Петровна";

/// Passkeys need a host name: the browser talks to `localhost`, not `127.0.0.1`.
fn at(app: &TestApp, path: &str) -> String {
    format!("http://localhost:{}{path}", app.port)
}

async fn sign_in_with_password(c: &Client, app: &TestApp) {
    sign_in(c, &at(app, "/login"), "+79161112244", PASSWORD).await;
}

#[tokio::test]
async fn a_person_adds_a_passkey_and_completes_the_sign_in_with_it_in_the_browser() {
    let app = TestApp::plain(
        BIN,
        Engine::Sqlite,
        &["--public-url", "http://localhost:{port}"],
    )
    .await;
    let Some((_driver, c)) = browser::start("the browser passkey test").await else {
        return;
    };
    let authenticator = browser::add_virtual_authenticator(&c).await;

    // A registered person (the registration itself is covered by browser_identity.rs).
    let r = app
        .post_json(
            "/api/v1/identity/register",
            None,
            &json!({"full_name": NAME, "phone": "+79161112244", "email": "anna@example.ru", "password": PASSWORD, "consent": true}),
        )
        .await;
    assert_eq!(r.status(), 201);
    sign_in_with_password(&c, &app).await;
    wait_url(&c, &at(&app, "/account")).await;

    // 1. Add a passkey: the page asks the authenticator, which creates a credential.
    c.goto(&at(&app, "/account/security")).await.unwrap();
    fill(&c, "#passkey-name", "Телефон").await;
    click(&c, "#passkey-add button[type=submit]").await;
    let notice = text(&c, "#security-notice").await;
    assert!(notice.contains("Ключ доступа добавлен"), "{notice}");
    let listed = text(&c, "#passkeys li.passkey").await;
    assert!(listed.contains("Телефон"), "{listed}");
    assert!(listed.contains("ещё не использовался"), "{listed}");
    let creds = browser::virtual_credentials(&c, &authenticator).await;
    assert_eq!(creds.len(), 1, "the authenticator holds one credential");
    assert_eq!(creds[0]["rpId"], "localhost");

    // 2. Sign out; the password alone is no longer enough: the passkey is the second step.
    click(&c, ".user-box form[action='/logout'] button[type=submit]").await;
    wait_url(&c, &at(&app, "/")).await;
    sign_in_with_password(&c, &app).await;
    wait_url(&c, &at(&app, "/login/code")).await;
    assert!(
        text(&c, "#passkey-sign-in").await.contains("Ключ доступа"),
        "the code page offers the passkey"
    );
    click(&c, "#passkey-button").await;
    wait_url(&c, &at(&app, "/account")).await;
    assert_eq!(text(&c, ".user-box .user-name").await, NAME);

    // 3. The security page shows when it was used, and it can be removed.
    c.goto(&at(&app, "/account/security")).await.unwrap();
    let listed = text(&c, "#passkeys li.passkey").await;
    assert!(!listed.contains("ещё не использовался"), "{listed}");
    click(&c, "#passkeys li.passkey form button[type=submit]").await;
    assert!(text(&c, "#security-notice").await.contains("удалён"));
    assert!(
        c.find(Locator::Css("#passkeys li.passkey")).await.is_err(),
        "no passkey is listed after removal"
    );

    // The journal holds each step.
    let steps = [
        "identity.passkey.registration_started",
        "identity.passkey.added",
        "identity.passkey.removed",
    ];
    crate::assert_journal_has(&app, "identity.passkey.%", &steps).await;
    c.close().await.unwrap();
}
