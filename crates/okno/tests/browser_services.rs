//! Browser test of the application form in headless Chromium: the conditional field appears when
//! its condition is met, the draft is saved as the person types (fetch PUT with the CSRF header,
//! under the CSP), and a file is attached; a file whose name says .pdf but which is not is refused
//! with a Russian message.

use fantoccini::Locator;
use okno_testkit::{query_text, tamper, Engine, Options, TestApp};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

#[tokio::test]
async fn the_form_shows_conditional_fields_autosaves_and_attaches_files_in_a_browser() {
    let app = TestApp::start(
        BIN,
        Engine::Sqlite,
        Options {
            demo: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let Some((_driver, c)) = okno_testkit::browser::start("the services browser test").await else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let secret = format!("browser-session-{now}");
    let hash: String = Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    tamper(&app, &format!(
        "INSERT INTO accounts (id, kind, status, level, display_name, password_hash, password_changed_at, roles, created_at)
         VALUES ('vera', 'person', 'active', 'confirmed', 'Вера', '!', {now}, 'citizen', {now});
         INSERT INTO web_sessions (id_hash, subject_kind, subject_id, created_at, last_seen_at, idle_timeout_ms, expires_at)
         VALUES ('{hash}', 'account', 'vera', {now}, {now}, 3600000, {});",
        now + 3_600_000
    ))
    .await
    .unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/applications"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"service": "no-criminal-record"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    c.goto(&app.url("/")).await.unwrap();
    c.execute(
        &format!("document.cookie = 'okno_session={secret}; path=/'"),
        vec![],
    )
    .await
    .unwrap();
    c.goto(&app.url(&format!("/account/applications/{id}")))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("application-form"))
        .await
        .unwrap();

    let hidden = |c: fantoccini::Client| async move {
        c.execute(
            "return document.getElementById('field-purpose_other').hidden",
            vec![],
        )
        .await
        .unwrap()
    };
    assert_eq!(hidden(c.clone()).await, serde_json::json!(true));
    c.find(Locator::Id("f-purpose"))
        .await
        .unwrap()
        .select_by_value("other")
        .await
        .unwrap();
    assert_eq!(hidden(c.clone()).await, serde_json::json!(false));
    c.find(Locator::Id("f-last_name"))
        .await
        .unwrap()
        .send_keys("Кузнецова")
        .await
        .unwrap();

    // Autosave: the values reach the server without pressing anything.
    let mut saved = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let r = app
            .client
            .get(app.url(&format!("/api/v1/applications/{id}")))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        saved = r.json::<serde_json::Value>().await.unwrap()["data"].to_string();
        if saved.contains("Кузнецова") && saved.contains("other") {
            break;
        }
    }
    assert!(
        saved.contains("Кузнецова") && saved.contains("\"purpose\":\"other\""),
        "{saved}"
    );

    // On a form with a file field: a renamed file is refused with a Russian message, a real PDF
    // is attached and listed.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("справка.pdf");
    std::fs::write(&fake, b"PK\x03\x04 a word document").unwrap();
    let real = dir.path().join("photo.pdf");
    std::fs::write(&real, b"%PDF-1.7\n%test\n").unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/applications"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"service": "passport-rf"}))
        .send()
        .await
        .unwrap();
    let pid = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.goto(&app.url(&format!("/account/applications/{pid}")))
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("f-photo")).await.unwrap();
    let input = c.find(Locator::Id("f-photo")).await.unwrap();
    input.send_keys(fake.to_str().unwrap()).await.unwrap();
    let status = |c: fantoccini::Client| async move {
        c.find(Locator::Id("autosave-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let mut text = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        text = status(c.clone()).await;
        if text.contains("PDF, JPG или PNG") {
            break;
        }
    }
    assert!(
        text.contains("Можно приложить только PDF, JPG или PNG"),
        "{text}"
    );
    let input = c.find(Locator::Id("f-photo")).await.unwrap();
    input.send_keys(real.to_str().unwrap()).await.unwrap();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if status(c.clone()).await.contains("Файл приложен") {
            break;
        }
    }
    let n = query_text(
        &app,
        &format!("SELECT file_name FROM application_attachments WHERE application_id = '{pid}'"),
    )
    .await
    .unwrap();
    assert_eq!(n, "photo.pdf");
    let links = c.find_all(Locator::Css("#files-photo li a")).await.unwrap();
    assert_eq!(links.len(), 1);
    c.close().await.unwrap();
}
