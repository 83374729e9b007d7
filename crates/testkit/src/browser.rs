//! Real headless Chromium over WebDriver (chromedriver) for the browser tests, and Chrome's virtual
//! WebAuthn authenticator for the passkey test. Skipped loudly when Chromium is not installed,
//! unless `OKNO_REQUIRE_BROWSER=1` (set by ./test.sh), which makes it fail.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::free_port;

/// The chromedriver process; killed when dropped.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        let out = Command::new("which").arg(n).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    })
}

/// Starts chromedriver and a headless Chromium session (Russian locale, 1280×1024). `None`, after
/// saying so, when Chromium is missing and not required; `test` names the caller in that message.
pub async fn start(test: &str) -> Option<(Driver, Client)> {
    let (Some(chrome), Some(driver)) = (
        find(&["chromium", "chromium-browser", "google-chrome"]),
        find(&["chromedriver"]),
    ) else {
        if std::env::var("OKNO_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "Chromium and chromedriver are required (OKNO_REQUIRE_BROWSER=1) but not installed"
            );
        }
        eprintln!(
            "\n*** SKIPPED: {test} needs chromium and chromedriver (./test.sh installs them) ***\n"
        );
        return None;
    };
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let profile = tempfile::tempdir().expect("a profile directory").keep();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chrome,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,1024", format!("--user-data-dir={}", profile.display()), "--lang=ru"]
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return Some((driver, c)),
            Err(e) if Instant::now() > deadline => panic!("cannot start a Chromium session: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// A command of the WebDriver extension for WebAuthn (W3C Web Authentication, §11 "WebDriver
/// Extension Capability"): a path under the session and an optional JSON body.
#[derive(Debug)]
struct WebAuthnCommand {
    path: String,
    body: Option<serde_json::Value>,
}

impl WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        match &self.body {
            Some(b) => (http::Method::POST, Some(b.to_string())),
            None => (http::Method::GET, None),
        }
    }
}

/// Adds a virtual platform authenticator (CTAP2, internal, resident keys, user verification that
/// always succeeds) to the browser session, as a phone's fingerprint reader would be; returns its id.
pub async fn add_virtual_authenticator(c: &Client) -> String {
    let v = c
        .issue_cmd(WebAuthnCommand {
            path: "authenticator".into(),
            body: Some(serde_json::json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": true,
                "automaticPresenceSimulation": true
            })),
        })
        .await
        .expect("a virtual authenticator");
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// The credentials held by a virtual authenticator.
pub async fn virtual_credentials(c: &Client, authenticator: &str) -> Vec<serde_json::Value> {
    let v = c
        .issue_cmd(WebAuthnCommand {
            path: format!("authenticator/{authenticator}/credentials"),
            body: None,
        })
        .await
        .expect("the authenticator's credentials");
    v.as_array().cloned().unwrap_or_default()
}

/// Types `text` into the element `css`, replacing what it held.
pub async fn fill(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap_or_else(|e| panic!("{css}: {e}"));
    e.send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Clicks the element `css`.
pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Waits up to 10 s for the element `css` and gives its visible text.
pub async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Waits up to 10 s for the element `css` and gives its `href`.
pub async fn href(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .attr("href")
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .unwrap_or_else(|| panic!("{css} has no href"))
}

/// Waits up to 10 s for the browser to reach `want` (a whole URL); panics saying where it is.
pub async fn wait_url(c: &Client, want: &str) {
    let url = url::Url::parse(want).unwrap_or_else(|e| panic!("{want}: {e}"));
    if let Err(e) = c.wait().at_most(Duration::from_secs(10)).for_url(url).await {
        let now = c.current_url().await.map(|u| u.to_string());
        panic!("expected {want}, the browser is at {now:?}: {e}");
    }
}

/// The first six digits in a row in a message (a one-time code in an SMS or a letter).
pub fn code_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .unwrap_or_else(|| panic!("no code in {text}"))
}

/// Opens the sign-in page at `login_url`, enters the login and the password and sends the form.
pub async fn sign_in(c: &Client, login_url: &str, login: &str, password: &str) {
    c.goto(login_url)
        .await
        .unwrap_or_else(|e| panic!("{login_url}: {e}"));
    fill(c, "#login", login).await;
    fill(c, "#password", password).await;
    click(c, "form[action='/login'] button[type=submit]").await;
}

/// Makes the browser the person's whose web session is `secret` (as `TestApp::person` gives it):
/// drops the cookies of whoever used it before and sets the session cookie on the app's origin.
pub async fn as_person(c: &Client, app: &crate::TestApp, secret: &str) {
    c.delete_all_cookies()
        .await
        .unwrap_or_else(|e| panic!("cookies: {e}"));
    c.goto(&app.url("/"))
        .await
        .unwrap_or_else(|e| panic!("/: {e}"));
    c.execute(
        &format!("document.cookie = 'okno_session={secret}; path=/'"),
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("the session cookie: {e}"));
}

/// Signs a staff member in with an API token through the form of `/admin/login`, as a fresh
/// browser (the cookies of whoever used it before are dropped), and waits for the signed-in page.
pub async fn sign_in_staff(c: &Client, app: &crate::TestApp, token: &str) {
    c.delete_all_cookies()
        .await
        .unwrap_or_else(|e| panic!("cookies: {e}"));
    c.goto(&app.url("/admin/login"))
        .await
        .unwrap_or_else(|e| panic!("/admin/login: {e}"));
    fill(c, "#token", token).await;
    click(c, "form.form button[type=submit]").await;
    text(c, ".user-name").await;
}
