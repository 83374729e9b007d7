//! Browser test of the application form in headless Chromium: the conditional field appears when
//! its condition is met, the draft is saved as the person types (fetch PUT with the CSRF header,
//! under the CSP), and a file is attached; a file whose name says .pdf but which is not is refused
//! with a Russian message.

use fantoccini::Locator;
use okno_testkit::http::send;
use okno_testkit::journeys::{agency_official, draft};
use okno_testkit::{browser, query_text, Engine, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

#[tokio::test]
async fn the_form_shows_conditional_fields_autosaves_and_attaches_files_in_a_browser() {
    let app = TestApp::demo(BIN, Engine::Sqlite, &[]).await;
    let Some((_driver, c)) = okno_testkit::browser::start("the services browser test").await else {
        return;
    };
    let secret = app.person("vera", "Вера", "confirmed").await;
    let id = draft(&app, &secret, "no-criminal-record").await;

    browser::as_person(&c, &app, &secret).await;
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
    let pid = draft(&app, &secret, "passport-rf").await;
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

/// The whole way of an application in the browser: a person attaches a file and submits, an
/// official asks for clarification, the person adds a document and answers, the official approves
/// and issues the result, the person downloads the signed PDF, and the public check confirms that
/// the file is the genuine document, unchanged.
#[tokio::test]
async fn an_application_goes_from_filing_through_clarification_to_a_verified_result_in_a_browser() {
    let app = TestApp::demo(BIN, Engine::Sqlite, &[]).await;
    let Some((_driver, c)) = okno_testkit::browser::start("the services result browser test").await
    else {
        return;
    };
    let secret = app.person("lidia", "Лидия Орлова", "confirmed").await;
    // An official of МВД (a token issued on the server, assigned by the administrator).
    let official = agency_official(&app, "Петров (МВД)", "mvd").await;

    // The draft's typed values are there already (the form test types them); the file and the
    // submission happen in the browser.
    let id = draft(&app, &secret, "passport-rf").await;
    let (s, a) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/applications/{id}/data"),
        &secret,
        Some(serde_json::json!({"data": {
            "last_name": "Орлова", "first_name": "Лидия", "middle_name": "Сергеевна",
            "birth_date": "1979-05-20", "reason": "age", "passport": "4510 654321",
            "address": "Тула, ул. Ленина, д. 5, кв. 7", "consent": true
        }})),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR photo").unwrap();
    let photo2 = dir.path().join("photo-new.png");
    std::fs::write(&photo2, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR another").unwrap();

    let as_official = |c: fantoccini::Client| {
        let (app, token) = (&app, official.clone());
        async move { browser::sign_in_staff(&c, app, &token).await }
    };
    let attach = |c: fantoccini::Client, path: std::path::PathBuf, count: usize| async move {
        c.find(Locator::Id("f-photo"))
            .await
            .unwrap()
            .send_keys(path.to_str().unwrap())
            .await
            .unwrap();
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if c.find_all(Locator::Css("#files-photo li a"))
                .await
                .unwrap()
                .len()
                == count
            {
                return;
            }
        }
        panic!("the file was not attached");
    };
    let click = |c: fantoccini::Client, css: String| async move {
        c.wait()
            .for_element(Locator::Css(&css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    };
    // The status badge once the page after a click has loaded (the old page's badge goes stale).
    let status = |c: fantoccini::Client, want: &'static str| async move {
        let mut seen = String::new();
        for _ in 0..50 {
            if let Ok(e) = c.find(Locator::Id("application-status")).await {
                if let Ok(t) = e.text().await {
                    seen = t;
                    if seen == want {
                        return;
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("status {seen:?}, expected {want:?}");
    };

    // The person attaches the photo and submits.
    browser::as_person(&c, &app, &secret).await;
    let page = app.url(&format!("/account/applications/{id}"));
    c.goto(&page).await.unwrap();
    attach(c.clone(), photo, 1).await;
    click(c.clone(), "button[formaction$='/submit']".into()).await;
    let notice = c
        .wait()
        .for_element(Locator::Id("application-notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.contains("Заявление отправлено"), "{notice}");

    // The official takes it and asks for a new photo.
    as_official(c.clone()).await;
    let desk = app.url(&format!("/agency/applications/{id}"));
    c.goto(&desk).await.unwrap();
    click(c.clone(), "form[action$='/take'] button".into()).await;
    status(c.clone(), "На рассмотрении").await;
    browser::fill(&c, "#ask-comment", "Фотография нечёткая, приложите другую.").await;
    click(
        c.clone(),
        "form[action$='/ask-clarification'] button".into(),
    )
    .await;
    status(c.clone(), "Требуется уточнение").await;

    // The person adds the document and answers.
    browser::as_person(&c, &app, &secret).await;
    c.goto(&page).await.unwrap();
    attach(c.clone(), photo2, 2).await;
    c.find(Locator::Id("comment"))
        .await
        .unwrap()
        .send_keys("Приложила новую фотографию.")
        .await
        .unwrap();
    click(c.clone(), "button[formaction$='/clarify']".into()).await;
    status(c.clone(), "Отправлено").await;

    // The official approves and issues the result.
    as_official(c.clone()).await;
    c.goto(&desk).await.unwrap();
    click(c.clone(), "form[action$='/take'] button".into()).await;
    status(c.clone(), "На рассмотрении").await;
    browser::fill(&c, "#approve-comment", "Паспорт изготовлен").await;
    click(c.clone(), "form[action$='/approve'] button".into()).await;
    status(c.clone(), "Одобрено").await;
    browser::fill(
        &c,
        "#fulfil-comment",
        "Паспорт изготовлен; получить в МФЦ по месту подачи заявления.",
    )
    .await;
    click(c.clone(), "form[action$='/fulfil'] button".into()).await;
    status(c.clone(), "Исполнено").await;
    c.wait()
        .for_element(Locator::Id("desk-result"))
        .await
        .unwrap();

    // The person downloads the PDF from their page …
    browser::as_person(&c, &app, &secret).await;
    c.goto(&page).await.unwrap();
    let href = browser::href(&c, "#result-download").await;
    let b64 = c
        .execute_async(
            "var done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) { return r.arrayBuffer(); })
               .then(function (b) { var s = '', a = new Uint8Array(b); for (var i = 0; i < a.length; i++) { s += String.fromCharCode(a[i]); } done(btoa(s)); });",
            vec![serde_json::json!(href)],
        )
        .await
        .unwrap();
    use base64::Engine as _;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(b64.as_str().unwrap())
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let file = dir.path().join("result.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let verify = browser::href(&c, "#application-result a[href^='/verify/']").await;

    // … and the public check, signed out, confirms it and the file.
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url(&verify)).await.unwrap();
    let verdict = c
        .wait()
        .for_element(Locator::Id("verify-verdict"))
        .await
        .unwrap();
    assert_eq!(
        verdict.attr("data-genuine").await.unwrap().as_deref(),
        Some("true")
    );
    assert!(verdict.text().await.unwrap().contains("Документ подлинный"));
    c.find(Locator::Id("verify-input"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    let mut said = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        said = c
            .find(Locator::Id("verify-file-result"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if said.contains("совпадает") || said.contains("отличается") {
            break;
        }
    }
    assert!(
        said.contains("Файл совпадает с выданным документом"),
        "{said}"
    );
    c.close().await.unwrap();
}
