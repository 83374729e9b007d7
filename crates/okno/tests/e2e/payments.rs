//! End-to-end tests of the payments part over HTTP on both engines: the state fee of a submitted
//! application becomes a charge with a УИН (once), an agency loads charges one by one or as a
//! CSV file (the whole file, or nothing with every bad line named), a person sees the charges for
//! their checked СНИЛС with a fine's discount, anyone finds a charge by its УИН with nothing
//! personal shown, and an agency annuls a charge with the person told.

use okno_testkit::http::{get, page, post, refused, send, ANONYMOUS};
use okno_testkit::journeys::{agency_official, submitted_passport_application};
use okno_testkit::{engines, query_text, Engine, Options, TestApp};
use serde_json::{json, Value};

use crate::assert_journal_has;

const BIN: &str = env!("CARGO_BIN_EXE_okno");

async fn start(engine: Engine) -> TestApp {
    TestApp::start(
        BIN,
        engine,
        Options {
            demo: true,
            args: ["--worker-poll-ms", "50"].map(String::from).to_vec(),
        },
    )
    .await
    .unwrap()
}

/// The person's charges, once there are `n` of them (the fee worker runs every 50 ms).
async fn charges_of(app: &TestApp, bearer: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let (s, list) = get(app, "/api/v1/charges", bearer).await;
        assert_eq!(s, 200, "{list}");
        let list = list.as_array().cloned().unwrap_or_default();
        if list.len() >= n {
            return list;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {n} charges; log:\n{}", app.log());
}

async fn csv(app: &TestApp, agency: &str, bearer: &str, body: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/agencies/{agency}/charges/csv")))
        .bearer_auth(bearer)
        .header("content-type", "text/csv")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A valid 25-digit УИН under the demo road police's prefix, made by the product's command.
fn uin(app: &TestApp, n: u64) -> String {
    let body = format!("18810471{n:016}");
    for d in 0..10 {
        let candidate = format!("{body}{d}");
        let (code, _, _) = app.okno_plain(&["validate", "uin", &candidate]);
        if code == 0 {
            return candidate;
        }
    }
    unreachable!("one control digit fits")
}

/// Today in Moscow, and `days` later.
fn moscow(days: i64) -> String {
    let today = jiff::Timestamp::now()
        .in_tz("Europe/Moscow")
        .unwrap()
        .date();
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_state_fee_becomes_one_charge_that_anyone_finds_by_its_uin_without_personal_data() {
    for engine in engines("payments fee charge").await {
        let app = start(engine).await;
        let anna = app.person("anna", "Анна Смирнова", "confirmed").await;
        let submitted = submitted_passport_application(&app, &anna).await;

        let list = charges_of(&app, &anna, 1).await;
        assert_eq!(list.len(), 1, "one charge for one fee: {list:?}");
        let c = &list[0];
        assert_eq!(c["kind"], "fee");
        assert_eq!(c["status_title"], "Не оплачено");
        assert_eq!(c["amount_kopecks"], 60000);
        assert_eq!(c["amount_due_kopecks"], 60000);
        assert_eq!(c["application_number"], submitted.number.as_str());
        assert_eq!(c["payer_name"], "Анна Смирнова");
        assert_eq!(c["payee"]["kbk"], "18810806000018003110");
        let uin = c["uin"].as_str().unwrap().to_string();
        assert_eq!(uin.len(), 25);
        assert!(uin.starts_with("18810471"), "{uin}");
        let (code, _, err) = app.okno_plain(&["validate", "uin", &uin]);
        assert_eq!(code, 0, "the issued УИН passes its control digit: {err}");
        let qr = c["payment_qr"].as_str().unwrap();
        assert!(
            qr.starts_with("ST00012|Name=УФК по Тульской области"),
            "{qr}"
        );
        for part in [
            format!("UIN={uin}"),
            "Sum=60000".into(),
            "CBC=18810806000018003110".into(),
        ] {
            assert!(qr.contains(&part), "{part} in {qr}");
        }

        // Anyone finds it by the УИН: what and how much to pay, to whom; nothing of the payer.
        let (s, public) = get(&app, &format!("/api/v1/charge-lookup/{uin}"), ANONYMOUS).await;
        assert_eq!(s, 200, "{public}");
        assert_eq!(public["amount_due_kopecks"], 60000);
        assert_eq!(public["payment_qr"], c["payment_qr"]);
        let text = public.to_string();
        assert!(
            !text.contains("Смирнова") && !text.contains("payer") && !text.contains("application"),
            "{text}"
        );
        let html = page(&app, &format!("/pay?uin={uin}"), "").await;
        assert!(
            html.contains("Госпошлина") && html.contains("600,00") && html.contains("<svg"),
            "{html}"
        );
        assert!(!html.contains("Смирнова"), "{html}");
        // A mistyped УИН is named, on the page and in the API.
        let wrong = format!("{}{}", &uin[..24], (uin.as_bytes()[24] - b'0' + 1) % 10);
        refused(
            &get(&app, &format!("/api/v1/charge-lookup/{wrong}"), ANONYMOUS).await,
            400,
            "validation.failed",
        );
        let html = page(&app, &format!("/pay?uin={wrong}"), "").await;
        assert!(html.contains("aria-invalid=\"true\""), "{html}");

        // The cabinet lists it; nobody else sees it.
        let html = page(&app, "/account/charges", &anna).await;
        assert!(html.contains(&uin) && html.contains("<svg"), "{html}");
        let boris = app.person("boris", "Борис Орлов", "confirmed").await;
        let (_, others) = get(&app, "/api/v1/charges", &boris).await;
        assert_eq!(others, json!([]));
        refused(
            &get(&app, &format!("/api/v1/charges/{uin}"), &boris).await,
            404,
            "not_found",
        );

        // The event was taken once: a second round issues nothing more.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let n = query_text(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) FROM outbox_consumed WHERE consumer = 'payments.fees'",
        )
        .await
        .unwrap();
        assert_eq!(n.trim(), "1");
        assert_eq!(charges_of(&app, &anna, 1).await.len(), 1);
        assert_journal_has(&app, "payments.%", &["payments.charge.created"]).await;

        // The application knows its fee's УИН; paid by card, it shows the fee paid.
        let app_path = format!("/api/v1/applications/{}", submitted.id);
        let fee = application_fee(&app, &anna, &app_path, false).await;
        assert_eq!(fee["uin"], uin.as_str());
        let (s, p) = pay(&app, &uin, "fee-key").await;
        assert_eq!(s, 201, "{p}");
        let url = p["payment_url"].as_str().unwrap();
        fill(
            &app,
            url,
            &[
                ("card", "4300000000000777"),
                ("exp", "12/30"),
                ("cvc", "123"),
            ],
        )
        .await;
        let fee = application_fee(&app, &anna, &app_path, true).await;
        assert!(
            fee["paid_at_text"].as_str().unwrap().ends_with("(МСК)"),
            "{fee}"
        );
        let html = page(
            &app,
            &format!("/account/applications/{}", submitted.id),
            &anna,
        )
        .await;
        assert!(
            html.contains("application-fee") && html.contains("Оплачено"),
            "{html}"
        );
        assert_journal_has(&app, "services.%", &["services.application.fee_paid"]).await;
    }
}

#[tokio::test]
async fn an_agency_loads_a_csv_file_whole_or_not_at_all_and_the_person_sees_the_discounted_fine() {
    for engine in engines("payments csv").await {
        let app = start(engine).await;
        // A person whose profile the demo registry checks: charges on her СНИЛС are hers.
        let sofia = app.person("sofia", "Анна Смирнова", "simplified").await;
        let (s, o) = send(
            &app,
            reqwest::Method::PUT,
            "/api/v1/identity/profile",
            &sofia,
            Some(
                json!({"last_name": "Смирнова", "first_name": "Анна", "middle_name": "Петровна",
                "birth_date": "1985-03-14", "sex": "female", "passport": "42 04 514002",
                "snils": "018-159-083 49", "inn": "776613186006"}),
            ),
        )
        .await;
        assert_eq!((s, o["level"].as_str()), (200, Some("standard")), "{o}");

        let inspector = agency_official(&app, "Инспектор Госавтоинспекции", "gibdd").await;
        let header = "uin;kind;payer_kind;payer_id;payer_name;purpose;amount;due_date;ruling_date;discount_percent;discount_days";
        let fine = uin(&app, 101);
        let licence = uin(&app, 102);
        let due = moscow(60);
        let today = moscow(0);

        // A file with bad lines is refused whole, every bad line named, nothing loaded.
        let bad = format!(
            "{header}\n\
             {fine};fine;snils;018-159-083 49;Смирнова А. П.;Штраф;1000,00;{due};{today};50;20\n\
             {licence};fine;driver_licence;77 AB 12345;Орлов Б.;Штраф;сто;{due};;;\n\
             {fine};tax;inn;500100732259;Орлов Б.;Налог;10,00;2020-01-01;;;\n"
        );
        let (s, p) = csv(&app, "gibdd", &inspector, &bad).await;
        assert_eq!(s, 400, "{p}");
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "line 3: amount",
                "line 3: payer_id",
                "line 4: uin",
                "line 4: due_date"
            ],
            "{p}"
        );
        assert!(p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Строка 3"));
        let (_, before) = get(&app, "/api/v1/agencies/gibdd/charges", &inspector).await;
        assert_eq!(
            before.as_array().unwrap().len(),
            1,
            "only the demo's fine: {before}"
        );

        // The corrected file loads in one go; the same file again is refused line by line.
        let good = format!(
            "{header}\n\
             {fine};fine;snils;018-159-083 49;Смирнова А. П.;Штраф по постановлению;1000,00;{due};{today};50;20\n\
             {licence};fine;driver_licence;77 07 123456;Орлов Б.;Штраф по постановлению;500,00;{due};;;\n"
        );
        let (s, l) = csv(&app, "gibdd", &inspector, &good).await;
        assert_eq!((s, l["loaded"].as_u64()), (201, Some(2)), "{l}");
        assert_eq!(l["total_kopecks"], 150000);
        let (s, p) = csv(&app, "gibdd", &inspector, &good).await;
        assert_eq!(s, 400, "{p}");
        assert_eq!(p["errors"][0]["code"], "charge.uin_taken");

        // The person sees the fine on her СНИЛС at half price today, and was told of it.
        let list = charges_of(&app, &sofia, 1).await;
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["uin"], fine.as_str());
        assert_eq!(list[0]["amount_due_kopecks"], 50000);
        assert_eq!(list[0]["discount"]["percent"], 50);
        assert!(list[0]["payment_qr"]
            .as_str()
            .unwrap()
            .contains("Sum=50000"));
        app.wait_deliveries(20, "the notice of the fine", |d| {
            d.iter()
                .any(|x| x["recipient"] == "sofia" && x["subject"] == "Новое начисление")
        })
        .await;

        // Only an official of the agency loads or annuls; a paid or annulled charge stays so.
        let (s, _) = csv(&app, "gibdd", &sofia, &good).await;
        assert_eq!(s, 403);
        refused(
            &post(
                &app,
                &format!("/api/v1/charges/{licence}/annul"),
                &sofia,
                json!({"reason": "нет"}),
            )
            .await,
            403,
            "auth.forbidden",
        );
        let (s, a) = post(
            &app,
            &format!("/api/v1/charges/{licence}/annul"),
            &inspector,
            json!({"reason": "Постановление отменено решением суда"}),
        )
        .await;
        assert_eq!((s, a["status"].as_str()), (200, Some("annulled")), "{a}");
        refused(
            &send(
                &app,
                reqwest::Method::PATCH,
                &format!("/api/v1/charges/{licence}"),
                &inspector,
                Some(json!({"amount_kopecks": 100, "reason": "ошибка"})),
            )
            .await,
            409,
            "charge.transition_forbidden",
        );
        let (s, public) = get(&app, &format!("/api/v1/charge-lookup/{licence}"), ANONYMOUS).await;
        assert_eq!((s, public["amount_due_kopecks"].as_i64()), (200, Some(0)));
        assert!(public["payment_qr"].is_null());

        // The agency changes the fine's due date with a reason; the person's view follows.
        let later = moscow(90);
        let (s, c) = send(
            &app,
            reqwest::Method::PATCH,
            &format!("/api/v1/charges/{fine}"),
            &inspector,
            Some(json!({"due_date": later, "reason": "Отсрочка по заявлению"})),
        )
        .await;
        assert_eq!((s, c["revision"].as_i64()), (200, Some(1)), "{c}");
        let (_, mine) = get(&app, &format!("/api/v1/charges/{fine}"), &sofia).await;
        assert_eq!(mine["due_date"], later.as_str());
        assert_eq!(mine["reason"], "Отсрочка по заявлению");
        assert_journal_has(
            &app,
            "payments.%",
            &[
                "payments.charge.created",
                "payments.charge.annulled",
                "payments.charge.changed",
            ],
        )
        .await;
    }
}

/// The application's fee once it is recorded (and paid, when `paid`).
async fn application_fee(app: &TestApp, bearer: &str, path: &str, paid: bool) -> Value {
    for _ in 0..200 {
        let (_, a) = get(app, path, bearer).await;
        if !a["fee"].is_null() && a["fee"]["paid"] == paid {
            return a["fee"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no fee (paid: {paid}) on {path}; log:\n{}", app.log());
}

/// The demo's fine (crates/payments/data/demo.json): 1 000 ₽, half within twenty days.
const DEMO_FINE: &str = "1881047190000000000000012";

/// Posts a form to the sandbox bank's page as the payer's browser would, follows its redirect,
/// and gives the address it ended on and that page's text.
async fn fill(app: &TestApp, url: &str, form: &[(&str, &str)]) -> (String, String) {
    let r = app.client.post(url).form(form).send().await.unwrap();
    let Some(to) = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
    else {
        let at = r.url().to_string();
        return (at, r.text().await.unwrap());
    };
    let text = app
        .client
        .get(&to)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (to, text)
}

/// The payment once it has left `status` (the notification comes a moment after the form).
async fn payment_after(app: &TestApp, id: &str, status: &str) -> Value {
    for _ in 0..100 {
        let (_, p) = get(app, &format!("/api/v1/payments/{id}"), ANONYMOUS).await;
        if p["status"] != status {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("payment {id} stayed {status}; log:\n{}", app.log());
}

/// The captured payment once its receipt is registered.
async fn paid_receipt(app: &TestApp, id: &str) -> Value {
    let (_, p) = get(app, &format!("/api/v1/payments/{id}"), ANONYMOUS).await;
    assert!(p["receipt_url"].is_string(), "{p}");
    p
}

async fn pay(app: &TestApp, uin: &str, key: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/charges/{uin}/payments")))
        .header("idempotency-key", key)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_hundred_repeats_make_one_payment_and_a_card_payment_pays_the_fine_once_with_a_balanced_ledger(
) {
    for engine in engines("payments by card").await {
        let app = start(engine).await;

        // A hundred concurrent requests with one key: one payment, one Init at the bank.
        let answers =
            futures_util::future::join_all((0..100).map(|_| pay(&app, DEMO_FINE, "key-one"))).await;
        let ids: std::collections::BTreeSet<String> = answers
            .iter()
            .map(|(s, p)| {
                assert_eq!(*s, 201, "{p}");
                p["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids.len(), 1, "{ids:?}");
        let first = ids.into_iter().next().unwrap();
        let payments = query_text(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM payments")
            .await
            .unwrap();
        assert_eq!(payments.trim(), "1");
        // Half the fine today; the same key for another charge is refused; another key continues
        // the open payment.
        let (_, p) = pay(&app, DEMO_FINE, "key-one").await;
        assert_eq!(p["amount_kopecks"], 50000);
        let url = p["payment_url"].as_str().unwrap().to_string();
        let bank = url.split("/pay/").next().unwrap().to_string();
        let (_, again) = pay(&app, DEMO_FINE, "key-two").await;
        assert_eq!(again["id"], first.as_str());

        // A declined card: the payer is told why in Russian, and nothing is taken.
        let (at, declined) = fill(
            &app,
            &url,
            &[
                ("card", "4000000000000069"),
                ("exp", "12/30"),
                ("cvc", "123"),
            ],
        )
        .await;
        assert!(
            at.contains(&format!("/pay/return/{first}")),
            "{at}: {declined}"
        );
        let failed = payment_after(&app, &first, "pending").await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert!(
            failed["failure"].as_str().unwrap().contains("отклонил"),
            "{failed}"
        );
        let html = page(&app, &format!("/pay/return/{first}"), "").await;
        assert!(html.contains("Деньги не списаны"), "{html}");

        // A new attempt passes 3-D Secure and pays half the fine within the discount period.
        let (s, second) = pay(&app, DEMO_FINE, "key-three").await;
        assert_eq!(s, 201, "{second}");
        let id = second["id"].as_str().unwrap().to_string();
        assert_ne!(id, first);
        let url = second["payment_url"].as_str().unwrap();
        let (three_ds, _) = fill(
            &app,
            url,
            &[
                ("card", "4000000000000002"),
                ("exp", "12/30"),
                ("cvc", "123"),
            ],
        )
        .await;
        assert!(three_ds.contains("/3ds/"), "{three_ds}");
        let (at, html) = fill(&app, &three_ds, &[("code", "1234")]).await;
        assert!(at.contains(&format!("/pay/return/{id}")), "{at}");
        assert!(
            html.contains("Оплачено") || html.contains("обрабатывает"),
            "{html}"
        );
        let paid = payment_after(&app, &id, "pending").await;
        assert_eq!(paid["status"], "captured", "{paid}");
        assert!(paid["card"].as_str().unwrap().ends_with("0002"), "{paid}");
        let (_, charge) = get(
            &app,
            &format!("/api/v1/charge-lookup/{DEMO_FINE}"),
            ANONYMOUS,
        )
        .await;
        assert_eq!(charge["status"], "paid", "{charge}");
        assert_eq!(charge["amount_due_kopecks"], 0);
        let html = page(&app, &format!("/pay/return/{id}"), "").await;
        assert!(html.contains("(МСК)") && html.contains(DEMO_FINE), "{html}");
        // The signed receipt: a PDF, registered, with its public check page.
        let receipt = paid_receipt(&app, &id).await;
        let pdf = app
            .client
            .get(app.url(receipt["receipt_url"].as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(pdf.starts_with(b"%PDF"), "a PDF receipt");
        let check = page(&app, receipt["receipt_check_url"].as_str().unwrap(), "").await;
        assert!(check.contains("Квитанция об оплате"), "{check}");
        // The bank's registry of the day holds the capture once.
        let registry = app
            .client
            .get(format!("{bank}/sandbox/registry"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(registry.matches(&id).count(), 1, "{registry}");
        // Nothing more can be paid on it.
        refused(
            &pay(&app, DEMO_FINE, "key-four").await,
            409,
            "charge.transition_forbidden",
        );

        // The ledger balances and agrees with the charge; one posting changed behind the
        // platform's back is named.
        let (code, out, err) = app.okno(&["payments", "ledger", "check"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("ledger ok: 2 postings"), "{out}");
        okno_testkit::tamper(
            &app,
            "UPDATE ledger_postings SET amount_kopecks = amount_kopecks - 1 WHERE account LIKE 'payee:%'",
        )
        .await
        .unwrap();
        let (code, out, _) = app.okno(&["payments", "ledger", "check"]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("не сбалансирована") && out.contains(DEMO_FINE),
            "{out}"
        );
        assert_journal_has(
            &app,
            "payments.payment.%",
            &[
                "payments.payment.created",
                "payments.payment.failed",
                "payments.payment.captured",
            ],
        )
        .await;
    }
}

/// A sandbox bank of its own (`okno sandbox-acquirer`), in a process apart from the platform so
/// that the platform can be killed while the bank goes on; stopped when dropped.
struct Bank {
    child: std::process::Child,
    url: String,
}

impl Drop for Bank {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn bank(app_client: &reqwest::Client) -> Bank {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(BIN)
        .args(["sandbox-acquirer", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--terminal", "FaultTest", "--password", "fault-secret"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let bank = Bank {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if app_client
            .get(format!("{}/sandbox", bank.url))
            .send()
            .await
            .is_ok()
        {
            return bank;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the sandbox bank did not start");
}

async fn fault(app: &TestApp, bank: &Bank, body: Value) {
    let r = app
        .client
        .post(format!("{}/sandbox/faults", bank.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
}

/// The payment once its status is `status`.
async fn payment_in(app: &TestApp, id: &str, status: &str) -> Value {
    for _ in 0..300 {
        let (_, p) = get(app, &format!("/api/v1/payments/{id}"), ANONYMOUS).await;
        if p["status"] == status {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("payment {id} never {status}; log:\n{}", app.log());
}

#[tokio::test]
async fn a_late_or_lost_answer_of_the_bank_a_double_notification_and_a_killed_node_end_in_one_payment_charged_once(
) {
    for engine in engines("payments faults").await {
        let probe = reqwest::Client::new();
        let bank = bank(&probe).await;
        let args: Vec<String> = [
            "--worker-poll-ms",
            "50",
            "--acquirer-url",
            &bank.url,
            "--acquirer-terminal",
            "FaultTest",
            "--acquirer-password",
            "fault-secret",
            "--acquirer-timeout-ms",
            "400",
            "--payment-reconcile-seconds",
            "1",
        ]
        .map(String::from)
        .to_vec();
        let mut app = TestApp::start(
            BIN,
            engine,
            Options {
                demo: true,
                args: args.clone(),
            },
        )
        .await
        .unwrap();

        // The bank answers Init after the platform stopped waiting: the payment waits, and the
        // reconciliation sends the same Init again, which gives back the same bank payment.
        fault(
            &app,
            &bank,
            json!({"method": "Init", "mode": "delay", "ms": 1200}),
        )
        .await;
        let (s, p) = pay(&app, DEMO_FINE, "slow-bank").await;
        assert_eq!((s, p["status"].as_str()), (201, Some("created")), "{p}");
        assert!(p["payment_url"].is_null());
        let id = p["id"].as_str().unwrap().to_string();
        let p = payment_in(&app, &id, "pending").await;
        // The bank notifies twice: the payment is captured once, the ledger posts it once.
        fault(&app, &bank, json!({"mode": "duplicate_notification"})).await;
        let url = p["payment_url"].as_str().unwrap();
        fill(
            &app,
            url,
            &[
                ("card", "4300000000000777"),
                ("exp", "12/30"),
                ("cvc", "123"),
            ],
        )
        .await;
        payment_in(&app, &id, "captured").await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let (code, out, err) = app.okno(&["payments", "ledger", "check"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("ledger ok: 2 postings"), "{out}");

        // The node is killed while its Init is at the bank (its answer lost with the node): after
        // the restart the reconciliation finds the bank's payment, and the fee is paid once.
        let anna = app.person("anna", "Анна Смирнова", "confirmed").await;
        submitted_passport_application(&app, &anna).await;
        let fee = charges_of(&app, &anna, 1).await[0]["uin"]
            .as_str()
            .unwrap()
            .to_string();
        fault(
            &app,
            &bank,
            json!({"method": "Init", "mode": "delay", "ms": 1500}),
        )
        .await;
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/charges/{fee}/payments"));
        let in_flight = tokio::spawn(async move {
            client
                .post(url)
                .header("idempotency-key", "killed")
                .send()
                .await
        });
        let mut made = String::new();
        for _ in 0..100 {
            made = query_text(&app, "SELECT id FROM payments WHERE status = 'created'")
                .await
                .unwrap_or_default();
            if !made.trim().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let killed = made.trim().to_string();
        assert!(
            !killed.is_empty(),
            "the payment was written before the bank was asked"
        );
        app.kill_9();
        assert!(
            in_flight.await.unwrap().is_err(),
            "the answer died with the node"
        );
        app.restart(args.clone()).await.unwrap();
        let p = payment_in(&app, &killed, "pending").await;
        let url = p["payment_url"].as_str().unwrap();
        fill(
            &app,
            url,
            &[
                ("card", "4300000000000777"),
                ("exp", "12/30"),
                ("cvc", "123"),
            ],
        )
        .await;
        payment_in(&app, &killed, "captured").await;
        let (code, out, err) = app.okno(&["payments", "ledger", "check"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("ledger ok: 4 postings"), "{out}");
        let n = query_text(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM payments")
            .await
            .unwrap();
        assert_eq!(n.trim(), "2", "one payment per charge");
        let registry = app
            .client
            .get(format!("{}/sandbox/registry", bank.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for paid in [&id, &killed] {
            assert_eq!(registry.matches(paid.as_str()).count(), 1, "{registry}");
        }
    }
}
