//! Browser test of the feedback platform in headless Chromium: a person files a problem report
//! with a place and attaches a photo (uploaded by the page's script under the CSP), a moderator
//! accepts it from the queue, the official of the body the polygon routed it to answers, the
//! person rates the answer 2 and the appeal re-opens at the supervising body.

use fantoccini::{Client, Locator};
use okno_testkit::browser::{as_person, click, sign_in_staff};
use okno_testkit::journeys::body_official;
use okno_testkit::{query_text, Engine, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

/// The text of the element `id` once it contains `needle` (the page may still be loading the
/// next one); the last text seen after five seconds otherwise.
async fn wait_text(c: &Client, id: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        if let Ok(e) = c.find(Locator::Id(id)).await {
            if let Ok(t) = e.text().await {
                if t.contains(needle) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test]
async fn a_reported_pothole_is_answered_and_a_rating_of_two_reopens_it_at_the_supervisor() {
    let app = TestApp::demo(BIN, Engine::Sqlite, &[]).await;
    let Some((_driver, c)) = okno_testkit::browser::start("the appeals browser test").await else {
        return;
    };
    let secret = app.person("nina", "Нина", "standard").await;
    let (moderator, _) = app.staff_token("Модератор", "moderator").await;
    let official = body_official(&app, "Управа", "tula-central").await;
    // The person files a problem report with a place.
    as_person(&c, &app, &secret).await;
    c.goto(&app.url("/appeals/new?kind=message")).await.unwrap();
    c.wait()
        .for_element(Locator::Id("appeal-form"))
        .await
        .unwrap();
    c.find(Locator::Id("f-category"))
        .await
        .unwrap()
        .select_by_value("pothole")
        .await
        .unwrap();
    c.find(Locator::Id("f-municipality"))
        .await
        .unwrap()
        .select_by_value("tula")
        .await
        .unwrap();
    for (id, v) in [
        (
            "f-text",
            "Яма на проезжей части у дома 3 по ул. Металлистов.",
        ),
        ("f-address", "Тула, ул. Металлистов, 3"),
        ("f-lat", "54.1952"),
        ("f-lon", "37.6150"),
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(v)
            .await
            .unwrap();
    }
    click(&c, "input[name=publish]").await;
    click(&c, "#appeal-form button[type=submit]").await;
    let number = wait_text(&c, "appeal-number", "ОБ-").await;
    assert!(number.starts_with("ОБ-"), "{number}");
    assert_eq!(wait_text(&c, "appeal-status", "Новое").await, "Новое");
    let id = query_text(
        &app,
        &format!("SELECT id FROM appeals WHERE number = '{number}'"),
    )
    .await
    .unwrap();

    // A photo, uploaded as soon as it is chosen.
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("yama.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    c.find(Locator::Id("appeal-upload"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    let status = wait_text(&c, "upload-status", "Файл добавлен").await;
    assert!(status.contains("Файл добавлен: yama.png"), "{status}");
    assert_eq!(
        query_text(
            &app,
            &format!("SELECT file_name FROM appeal_files WHERE appeal_id = '{id}'")
        )
        .await
        .unwrap(),
        "yama.png"
    );

    // The moderator accepts it from the queue; routing sends it to the Central district.
    sign_in_staff(&c, &app, &moderator).await;
    c.goto(&app.url("/moderation")).await.unwrap();
    c.wait()
        .for_element(Locator::XPath(&format!(
            "//article[@id='queue-{number}']//button[text()='Принять']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = wait_text(&c, "moderation-notice", "Управа").await;
    assert!(notice.contains("Управа Центрального округа"), "{notice}");

    // The official takes it and answers.
    sign_in_staff(&c, &app, &official).await;
    c.goto(&app.url(&format!("/body/appeals/{id}")))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("take"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(wait_text(&c, "body-notice", "В работе")
        .await
        .contains("В работе"));
    c.find(Locator::Id("answer-text"))
        .await
        .unwrap()
        .send_keys("Яма будет заделана до конца недели.")
        .await
        .unwrap();
    // A document goes with the answer, through the plain file input of the same form.
    let act = dir.path().join("akt-osmotra.pdf");
    std::fs::write(&act, b"%PDF-1.7\n% akt osmotra\n%%EOF\n").unwrap();
    c.find(Locator::Id("answer-files"))
        .await
        .unwrap()
        .send_keys(act.to_str().unwrap())
        .await
        .unwrap();
    click(&c, "#answer-form button[type=submit]").await;
    assert!(wait_text(&c, "body-notice", "Ответ дан")
        .await
        .contains("Ответ дан"));
    assert_eq!(
        query_text(
            &app,
            &format!("SELECT file_name FROM appeal_files WHERE appeal_id = '{id}' AND message_id IS NOT NULL")
        )
        .await
        .unwrap(),
        "akt-osmotra.pdf"
    );

    // The person rates it 2: re-opened at the supervising body, the city administration.
    as_person(&c, &app, &secret).await;
    c.goto(&app.url(&format!("/account/appeals/{id}")))
        .await
        .unwrap();
    assert_eq!(
        wait_text(&c, "appeal-status", "Ответ дан").await,
        "Ответ дан"
    );
    click(&c, "#rating-2").await;
    click(&c, "#rate-form button[type=submit]").await;
    let notice = wait_text(&c, "appeal-notice", "повторно открыто").await;
    assert!(notice.contains("повторно открыто"), "{notice}");
    assert_eq!(
        wait_text(&c, "appeal-status", "Повторно").await,
        "Повторно открыто"
    );
    assert_eq!(
        wait_text(&c, "appeal-body", "Тулы").await,
        "Администрация г. Тулы"
    );
    let history = wait_text(&c, "appeal-history", "Оценка 2").await;
    assert!(
        history.contains("Оценка 2, проблема не решена"),
        "{history}"
    );
    c.close().await.unwrap();
}
