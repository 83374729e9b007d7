//! The browser test: real headless Chromium, driven over WebDriver (chromedriver), opens the home
//! page of the release binary, follows the navigation and signs a staff member in with the form.

use fantoccini::Locator;
use okno_testkit::browser::{click, fill, text};
use okno_testkit::{Engine, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

async fn browser() -> Option<(okno_testkit::browser::Driver, fantoccini::Client)> {
    okno_testkit::browser::start("the browser test").await
}

#[tokio::test]
async fn a_person_opens_the_home_page_finds_a_service_and_staff_sign_in() {
    let app = TestApp::demo(BIN, Engine::Sqlite, &[]).await;
    let Some((_driver, c)) = browser().await else {
        return;
    };

    c.goto(&app.url("/")).await.unwrap();
    assert_eq!(c.title().await.unwrap(), "Главная — Окно");
    let h1 = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Государственные услуги в одном окне");
    let cards = c.find_all(Locator::Css(".cards .card h3")).await.unwrap();
    let mut titles = Vec::new();
    for card in cards {
        titles.push(card.text().await.unwrap());
    }
    assert_eq!(
        titles,
        [
            "Государственные услуги",
            "Центры обслуживания",
            "Обращения и жалобы",
            "Начисления и оплата",
            "Органы власти"
        ]
    );
    // The stylesheet is applied (CSP allows our own files only): the header is the brand blue.
    let bg = c
        .execute(
            "return getComputedStyle(document.querySelector('.site-header')).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(bg, serde_json::json!("rgb(11, 77, 199)"));
    save_screenshot(&c, "home").await;

    // A theme on the home page opens the catalogue at that category only.
    c.find(Locator::LinkText("Транспорт и вождение"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let want = url::Url::parse(&app.url("/services?category=transport")).unwrap();
    c.wait().for_url(want).await.unwrap();
    let sections = c
        .find_all(Locator::Css("section.service-category h2"))
        .await
        .unwrap();
    assert_eq!(sections.len(), 1);
    assert_eq!(sections[0].text().await.unwrap(), "Транспорт и вождение");

    // Navigation to the whole catalogue and a service's card. The URL is waited for: the home
    // page has an h1 too, and reading it while the next page loads would race.
    c.find(Locator::LinkText("Услуги"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let want = url::Url::parse(&app.url("/services")).unwrap();
    c.wait().for_url(want).await.unwrap();
    assert_eq!(
        c.find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Каталог государственных услуг"
    );
    c.find(Locator::LinkText(
        "Выдача (замена) паспорта гражданина Российской Федерации",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let facts = text(&c, "dl.facts").await;
    assert!(facts.contains("600,00"), "{facts}");

    // A staff member signs in through the form (CSRF token included by the page itself).
    c.goto(&app.url("/admin/login")).await.unwrap();
    fill(&c, "#token", "неверный").await;
    click(&c, "form.form button[type=submit]").await;
    let alert = text(&c, ".alert.danger").await;
    assert!(alert.contains("Токен не подошёл"), "{alert}");
    let focused = c
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(
        focused,
        serde_json::json!("token"),
        "focus lands on the field with the error"
    );
    fill(&c, "#token", app.admin_token.as_deref().unwrap()).await;
    click(&c, "form.form button[type=submit]").await;
    c.wait()
        .for_url(url::Url::parse(&app.url("/admin")).unwrap())
        .await
        .unwrap();
    let body = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("Демо: администратор") && body.contains("Журнал доставки уведомлений"),
        "{body}"
    );

    // Phone width: the navigation still fits, nothing overflows sideways.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&app.url("/")).await.unwrap();
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        serde_json::json!(false),
        "no horizontal scrolling on a phone"
    );
    save_screenshot(&c, "home-phone").await;
    c.close().await.unwrap();
}

async fn save_screenshot(c: &fantoccini::Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}
