//! Browser test of paying in headless Chromium over the demo, with its sandbox bank: a person's
//! state fee found from the cabinet and paid by a card through the bank's 3-D Secure page, back to
//! «Оплачено» with the receipt and the application showing its fee paid; the demo's fine found by
//! its УИН without signing in, a declined card told in Russian, then paid at half price.

use fantoccini::Locator;
use okno_testkit::browser::{self, click, fill, text};
use okno_testkit::journeys::submitted_passport_application;
use okno_testkit::{Engine, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

/// Types a card into the bank's form and sends it.
async fn card(c: &fantoccini::Client, number: &str) {
    text(c, "#card").await;
    fill(c, "#card", number).await;
    fill(c, "#exp", "12/30").await;
    fill(c, "#cvc", "123").await;
    click(c, "form button[type=submit]").await;
}

#[tokio::test]
async fn a_person_pays_a_fee_through_3_d_secure_and_anyone_pays_a_fine_at_half_price_after_a_decline(
) {
    let app = TestApp::demo(
        BIN,
        Engine::Sqlite,
        &[
            "--public-url",
            "http://localhost:{port}",
            "--worker-poll-ms",
            "50",
        ],
    )
    .await;
    let Some((_driver, c)) = browser::start("the payments browser test").await else {
        return;
    };
    let anna = app.person("anna", "Анна Смирнова", "confirmed").await;
    let submitted = submitted_passport_application(&app, &anna).await;

    // The platform's public address, where the bank sends the payer back (a host name, as
    // passkeys need): the person's session lives there.
    let at = |path: &str| app.url(path).replace("127.0.0.1", "localhost");

    // From the cabinet, by clicks: «Мои начисления», the fee, «Оплатить картой».
    c.goto(&at("/")).await.unwrap();
    c.execute(
        &format!("document.cookie = 'okno_session={anna}; path=/'"),
        vec![],
    )
    .await
    .unwrap();
    c.goto(&at("/account")).await.unwrap();
    click(&c, "a[href='/account/charges']").await;
    let mut found = false;
    for _ in 0..100 {
        if c.find(Locator::Css(".pay-card button")).await.is_ok() {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        c.refresh().await.unwrap();
    }
    assert!(found, "the fee's charge with its button");
    assert!(text(&c, ".charge h2").await.contains("Госпошлина"));
    click(&c, ".pay-card button").await;
    // The bank's form, then its 3-D Secure page.
    text(&c, "#card").await;
    assert!(text(&c, "h1").await.contains("Тестовый банк"));
    card(&c, "4000000000000002").await;
    text(&c, "#code").await;
    fill(&c, "#code", "1234").await;
    click(&c, "form button[type=submit]").await;
    // Back at the platform: paid, with the receipt.
    let mut h1 = String::new();
    for _ in 0..50 {
        h1 = text(&c, "h1").await;
        if h1 == "Оплачено" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        c.refresh().await.unwrap();
    }
    assert_eq!(h1, "Оплачено");
    let receipt = text(&c, "#receipt").await;
    assert!(
        receipt.contains("600,00") && receipt.contains("(МСК)"),
        "{receipt}"
    );
    assert!(
        receipt.contains("400000******0002"),
        "the card, masked: {receipt}"
    );
    text(&c, "#receipt-pdf").await;
    // The application shows its fee paid.
    c.goto(&at(&format!("/account/applications/{}", submitted.id)))
        .await
        .unwrap();
    let mut fee = String::new();
    for _ in 0..50 {
        fee = text(&c, "#application-fee").await;
        if fee.contains("Оплачено") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        c.refresh().await.unwrap();
    }
    assert!(fee.contains("Оплачено"), "{fee}");

    // Anyone, from the home page: the demo's fine by its УИН, at half price within 20 days.
    c.delete_all_cookies().await.unwrap();
    c.goto(&at("/")).await.unwrap();
    click(&c, "a[href='/pay']").await;
    fill(&c, "#uin", "1881047190000000000000012").await;
    click(&c, "#find-charge button").await;
    let button = text(&c, ".pay-card button").await;
    assert!(button.contains("500,00"), "half of 1 000 ₽: {button}");
    click(&c, ".pay-card button").await;
    card(&c, "4000000000000069").await;
    let failed = text(&c, "#payment-failed").await;
    assert!(
        failed.contains("отклонил") && failed.contains("Деньги не списаны"),
        "{failed}"
    );
    click(&c, "a.button[href^='/pay?uin=']").await;
    text(&c, ".pay-card button").await;
    click(&c, ".pay-card button").await;
    card(&c, "4300000000000777").await;
    let mut h1 = String::new();
    for _ in 0..50 {
        h1 = text(&c, "h1").await;
        if h1 == "Оплачено" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        c.refresh().await.unwrap();
    }
    assert_eq!(h1, "Оплачено");
    assert!(text(&c, "#receipt").await.contains("500,00"));
}
