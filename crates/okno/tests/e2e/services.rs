//! End-to-end tests of the services part over HTTP on both engines: the catalogue with forms,
//! drafts with attachments checked by content, submission with a number and a decision date on
//! the production calendar, the status machine with the clarification loop, the fee event, form
//! versions, and the agency desk with its CSV export. Every refusal is problem+json with a
//! stable code and a Russian message.
//!
//! People are made by the product's command (`okno admin person create`: registration is
//! rate-limited and levels above «упрощённая» need registries or an operator); everything they do
//! goes through the API.

use okno_testkit::http::{get, page, post, refused, send, ANONYMOUS};
use okno_testkit::journeys::{
    agency_official, agency_step, applicant_step, application_in, draft, move_application,
    passport_rf_values, submitted_passport_application, upload, ApplicationState, Submitted, PNG,
};
use okno_testkit::{engines, query_text, tamper, Engine, Options, TestApp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

async fn start(engine: Engine) -> TestApp {
    TestApp::start(
        BIN,
        engine,
        Options {
            demo: true,
            // The figures test waits for a rating to reach the public figures: computed per request.
            args: ["--worker-poll-ms", "50", "--figures-cache-seconds", "0"]
                .map(String::from)
                .to_vec(),
        },
    )
    .await
    .unwrap()
}

/// An official's API token (issued on the server) and its id.
async fn official(app: &TestApp, name: &str) -> (String, String) {
    app.staff_token(name, "official").await
}

/// The fields a `400 validation.failed` names, in order.
fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_catalogue_offers_forms_of_at_least_ten_services_across_five_agencies() {
    for engine in engines("services catalogue").await {
        let app = start(engine).await;
        let r = app.get("/api/v1/catalogue").await;
        assert_eq!(r.status(), 200);
        let list: Vec<Value> = r.json().await.unwrap();
        assert!(list.len() >= 10, "{}", list.len());
        let mut agencies: Vec<&str> = list
            .iter()
            .map(|s| s["agency_code"].as_str().unwrap())
            .collect();
        agencies.sort();
        agencies.dedup();
        assert!(agencies.len() >= 5, "{agencies:?}");
        let r = app.get("/api/v1/catalogue/no-criminal-record").await;
        let s: Value = r.json().await.unwrap();
        assert_eq!(s["version"], 1);
        assert_eq!(s["deadline_working_days"], 22);
        let other = s["form"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "purpose_other")
            .unwrap();
        assert_eq!(
            other["visible_if"],
            json!({"field": "purpose", "equals": "other"})
        );
        let card = app
            .get("/services/no-criminal-record")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            card.contains("href=\"/services/no-criminal-record/apply\""),
            "{card}"
        );
        let page = app.get("/services/no-criminal-record/apply").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("22 рабочих дней"), "{html}");
        let js = app.get("/services/static/form.js").await;
        assert_eq!(js.status(), 200);
    }
}

#[tokio::test]
async fn a_person_saves_a_draft_attaches_a_scan_and_submits_for_a_number_and_decision_date() {
    for engine in engines("services submission").await {
        let app = start(engine).await;
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let (s, a) = post(
            &app,
            "/api/v1/applications",
            &anna,
            json!({"service": "passport-rf"}),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["status"], "draft");
        assert_eq!(a["version"], 1);
        let id = a["id"].as_str().unwrap().to_string();

        // Autosave of a half-filled draft: nothing is required yet; unknown fields are dropped.
        let (s, d) = send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/applications/{id}/data"),
            &anna,
            Some(json!({"data": {"last_name": "Смирнова", "reason": "name", "bogus": "x"}})),
        )
        .await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(
            d["data"],
            json!({"last_name": "Смирнова", "reason": "name"})
        );

        // Submitting it names every missing field, including the conditional ones now shown.
        let r = post(
            &app,
            &format!("/api/v1/applications/{id}/submit"),
            &anna,
            json!({}),
        )
        .await;
        refused(&r, 400, "validation.failed");
        let fields = error_fields(&r.1);
        for f in [
            "first_name",
            "old_last_name",
            "name_change_doc",
            "photo",
            "consent",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }

        // A file whose name says .pdf but whose content is not, and one over 5 MB, are refused.
        let r = upload(
            &app,
            &id,
            "photo",
            "scan.pdf",
            b"MZ\x90\x00 not a pdf".to_vec(),
            &anna,
        )
        .await;
        refused(&r, 415, "attachment.type");
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(5 * 1024 * 1024 + 1, b' ');
        let r = upload(&app, &id, "photo", "big.pdf", big, &anna).await;
        refused(&r, 413, "attachment.too_large");
        let r = upload(&app, &id, "no_such", "a.png", PNG.to_vec(), &anna).await;
        refused(&r, 400, "validation.failed");
        let (s, f) = upload(&app, &id, "photo", "photo.png", PNG.to_vec(), &anna).await;
        assert_eq!(s, 201, "{f}");
        assert_eq!(f["content_type"], "image/png");
        assert_eq!(f["sha256"].as_str().unwrap().len(), 64);
        let file = app
            .client
            .get(app.url(&format!(
                "/api/v1/applications/{id}/attachments/{}",
                f["id"].as_str().unwrap()
            )))
            .bearer_auth(&anna)
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200);
        assert_eq!(file.bytes().await.unwrap().as_ref(), PNG);

        // Bad documents are refused with the rules' codes.
        let mut v = passport_rf_values();
        v["passport"] = json!("45 10");
        send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/applications/{id}/data"),
            &anna,
            Some(json!({"data": v})),
        )
        .await;
        let r = post(
            &app,
            &format!("/api/v1/applications/{id}/submit"),
            &anna,
            json!({}),
        )
        .await;
        refused(&r, 400, "validation.failed");
        assert_eq!(r.1["errors"][0]["code"], "passport.length", "{}", r.1);

        let (s, _) = send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/applications/{id}/data"),
            &anna,
            Some(json!({"data": passport_rf_values()})),
        )
        .await;
        assert_eq!(s, 200);
        let (s, a) = post(
            &app,
            &format!("/api/v1/applications/{id}/submit"),
            &anna,
            json!({}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "submitted");
        assert_eq!(a["data"]["passport"], "45 10 123456");
        let number = a["number"].as_str().unwrap();
        assert_eq!(number.len(), 11, "{number}");
        assert!(number.ends_with("-000001"), "{number}");
        // 10 working days on the production calendar, in Moscow time.
        // The product's own calendar command counts them, on the calendar the platform uses.
        let moscow = jiff::Timestamp::now()
            .in_tz("Europe/Moscow")
            .unwrap()
            .date()
            .to_string();
        let (code, due, err) = app.okno_plain(&["calendar", "add-working-days", &moscow, "10"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(a["due_date"], due.trim());
        assert_eq!(a["working_days_left"], 10);

        // A second submission is a forbidden transition; the draft cannot be edited any more.
        let r = post(
            &app,
            &format!("/api/v1/applications/{id}/submit"),
            &anna,
            json!({}),
        )
        .await;
        refused(&r, 409, "application.transition_forbidden");
        let r = send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/applications/{id}/data"),
            &anna,
            Some(json!({"data": {}})),
        )
        .await;
        refused(&r, 409, "application.not_editable");

        // The fee is due at submission for this service: one outbox event with amount and payer.
        let fee = query_text(
            &app,
            "SELECT payload FROM outbox WHERE kind = 'application.fee_due'",
        )
        .await
        .unwrap();
        let fee: Value = serde_json::from_str(&fee).unwrap();
        assert_eq!(fee["amount_kopecks"], 60000);
        assert_eq!(
            fee["payer"],
            json!({"kind": "person", "id": "anna", "name": "Анна Смирнова"})
        );
        assert_eq!(fee["number"], number);

        // The person was told, with the decision date.
        app.wait_deliveries(20, "the submission notice", |d| {
            d.iter().any(|x| {
                x["recipient"] == "anna" && x["subject"].as_str().unwrap_or("").contains(number)
            })
        })
        .await;

        // Someone else sees nothing of it.
        let boris = app.person("boris", "Борис", "confirmed").await;
        let r = get(&app, &format!("/api/v1/applications/{id}"), &boris).await;
        refused(&r, 404, "not_found");
        let (_, mine) = get(&app, "/api/v1/applications", &boris).await;
        assert_eq!(mine, json!([]));
        // The person's list and page show it.
        let (_, mine) = get(&app, "/api/v1/applications", &anna).await;
        assert_eq!(mine[0]["number"], number);
        let html = page(&app, &format!("/account/applications/{id}"), &anna).await;
        assert!(
            html.contains(number) && html.contains("Отправлено"),
            "{html}"
        );
    }
}

#[tokio::test]
async fn a_service_needing_a_higher_level_is_refused_before_a_draft_is_made() {
    for engine in engines("services level").await {
        let app = start(engine).await;
        let p = app.person("petr", "Пётр", "standard").await;
        let r = post(
            &app,
            "/api/v1/applications",
            &p,
            json!({"service": "passport-foreign"}),
        )
        .await;
        refused(&r, 403, "application.level_too_low");
        assert!(
            r.1["detail"].as_str().unwrap().contains("подтверждённая"),
            "{}",
            r.1
        );
        let r = post(
            &app,
            "/api/v1/applications",
            &p,
            json!({"service": "no-such"}),
        )
        .await;
        refused(&r, 404, "not_found");
        // An API token is not a person.
        let admin = app.admin_token.clone().unwrap();
        let r = post(
            &app,
            "/api/v1/applications",
            &admin,
            json!({"service": "inn-certificate"}),
        )
        .await;
        refused(&r, 403, "application.person_only");
        let n = query_text(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM applications")
            .await
            .unwrap();
        assert_eq!(n, "0");
    }
}

#[tokio::test]
async fn an_official_asks_for_clarification_the_person_adds_a_document_and_the_official_decides() {
    for engine in engines("services desk").await {
        let app = start(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let Submitted { id, number, .. } = submitted_passport_application(&app, &anna).await;

        // An official not assigned to МВД sees nothing and may do nothing.
        let (ivan, ivan_id) = official(&app, "Иванов (МВД)").await;
        let (_, list) = get(&app, "/api/v1/agency/applications", &ivan).await;
        assert_eq!(list, json!([]));
        let r = agency_step(&app, &id, &ivan, "take", json!({})).await;
        refused(&r, 403, "desk.not_official");
        // A person is no official; only an administrator assigns officials.
        let r = get(&app, "/api/v1/agency/applications", &anna).await;
        refused(&r, 403, "desk.not_official");
        let r = post(
            &app,
            "/api/v1/officials",
            &ivan,
            json!({"account_id": ivan_id, "agency_code": "mvd"}),
        )
        .await;
        refused(&r, 403, "auth.forbidden");
        let (s, _) = post(
            &app,
            "/api/v1/officials",
            &admin,
            json!({"account_id": ivan_id, "agency_code": "mvd"}),
        )
        .await;
        assert_eq!(s, 201);

        let (_, list) = get(&app, "/api/v1/agency/applications?status=submitted", &ivan).await;
        assert_eq!(list[0]["number"], number.as_str());
        assert_eq!(list[0]["working_days_left"], 10);
        assert_eq!(list[0]["overdue"], false);
        let (_, none) = get(&app, "/api/v1/agency/applications?status=approved", &ivan).await;
        assert_eq!(none, json!([]));

        // Forbidden transitions are refused with a stable code; a refusal needs its reason.
        let forbidden = "application.transition_forbidden";
        let r = agency_step(&app, &id, &ivan, "approve", json!({})).await;
        refused(&r, 409, forbidden);
        let (s, a) = agency_step(&app, &id, &ivan, "take", json!({})).await;
        assert_eq!((s, a["status"].as_str()), (200, Some("in_review")), "{a}");
        let r = agency_step(&app, &id, &ivan, "fulfil", json!({})).await;
        refused(&r, 409, forbidden);
        let r = agency_step(&app, &id, &ivan, "reject", json!({"comment": "  "})).await;
        refused(&r, 400, "validation.failed");
        let r = agency_step(&app, &id, &ivan, "reject", json!({})).await;
        assert_eq!(
            r.1["errors"][0]["code"], "application.reason_required",
            "{}",
            r.1
        );
        // The person may not take decisions on their own application.
        let r = agency_step(&app, &id, &anna, "approve", json!({})).await;
        refused(&r, 403, "desk.not_official");

        let ask = json!({"comment": "Приложите фотографию лучшего качества."});
        let (s, a) = agency_step(&app, &id, &ivan, "ask-clarification", ask).await;
        assert_eq!((s, a["status"].as_str()), (200, Some("needs_info")), "{a}");
        app.wait_deliveries(20, "the clarification request", |d| {
            d.iter().any(|x| {
                x["recipient"] == "anna"
                    && x["subject"]
                        .as_str()
                        .unwrap_or("")
                        .contains("Требуется уточнение")
            })
        })
        .await;

        // The person adds a document and answers; the application goes back in line.
        let r = applicant_step(&app, &id, &anna, "clarify", json!({})).await;
        refused(&r, 400, "validation.failed");
        let (s, f) = upload(&app, &id, "photo", "photo2.png", PNG.to_vec(), &anna).await;
        assert_eq!(
            (s, f["added_in"].as_str()),
            (201, Some("needs_info")),
            "{f}"
        );
        let answer = json!({"comment": "Приложила новую фотографию."});
        let (s, a) = applicant_step(&app, &id, &anna, "clarify", answer).await;
        assert_eq!((s, a["status"].as_str()), (200, Some("submitted")), "{a}");
        assert_eq!(a["attachments"].as_array().unwrap().len(), 2);

        agency_step(&app, &id, &ivan, "take", json!({})).await;
        let ready = json!({"comment": "Паспорт готов"});
        let (s, a) = agency_step(&app, &id, &ivan, "approve", ready).await;
        assert_eq!((s, a["status"].as_str()), (200, Some("approved")), "{a}");
        // A decision is final: no withdrawal after it.
        let r = applicant_step(&app, &id, &anna, "withdraw", json!({})).await;
        refused(&r, 409, forbidden);
        let (s, a) = agency_step(&app, &id, &ivan, "fulfil", json!({})).await;
        assert_eq!((s, a["status"].as_str()), (200, Some("fulfilled")), "{a}");
        the_result_is_a_signed_pdf_that_the_public_check_confirms(&app, &id, &a, &anna).await;

        // Every change kept its time, actor and comment.
        let h = a["history"].as_array().unwrap();
        let steps: Vec<&str> = h
            .iter()
            .map(|e| e["transition"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                "submit",
                "take",
                "ask_clarification",
                "clarify",
                "take",
                "approve",
                "fulfil"
            ]
        );
        assert!(
            h[2]["actor_name"]
                .as_str()
                .unwrap()
                .contains("Иванов (МВД)"),
            "{}",
            h[2]
        );
        assert_eq!(h[3]["comment"], "Приложила новую фотографию.");
        assert_eq!(h[3]["actor_name"], "Анна Смирнова");
        // … and is in the audit journal.
        let n = query_text(&app, &format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE subject_id = '{id}' AND action = 'services.application.status_changed'")).await.unwrap();
        assert!(n == "7" || engine == Engine::Postgres, "{n}");

        // The CSV export of the desk holds the application.
        let csv = app
            .client
            .get(app.url("/api/v1/agency/applications.csv"))
            .bearer_auth(&ivan)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let csv = csv.text().await.unwrap();
        assert!(csv.contains(&number) && csv.contains("Исполнено"), "{csv}");

        // Figures: the official sees their agency's, the administrator every agency's; a person
        // none.
        let (s, f) = get(&app, "/api/v1/agency/figures", &ivan).await;
        assert_eq!(s, 200, "{f}");
        assert_eq!(f.as_array().unwrap().len(), 1, "{f}");
        assert_eq!(f[0]["agency_code"], "mvd");
        assert_eq!(
            (f[0]["received"].as_i64(), f[0]["decided"].as_i64()),
            (Some(1), Some(1)),
            "{f}"
        );
        assert_eq!(f[0]["overdue"], 0);
        assert_eq!(
            f[0]["median_decision_working_days"], 0.0,
            "decided the same day: {f}"
        );
        let (s, all) = get(&app, "/api/v1/agency/figures", &admin).await;
        assert_eq!(s, 200, "{all}");
        assert!(all
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["agency_code"] == "mvd"));
        refused(
            &get(&app, "/api/v1/agency/figures", &anna).await,
            403,
            "desk.not_official",
        );
    }
}

/// The testkit's `application_in` reaches every status after the draft through the API, as the
/// applicant and an official of the agency would.
#[tokio::test]
async fn the_testkit_brings_an_application_into_each_state() {
    use ApplicationState::*;
    for engine in engines("services in each state").await {
        let app = start(engine).await;
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let ivan = agency_official(&app, "Иванов (МВД)", "mvd").await;
        for state in [
            Submitted, InReview, NeedsInfo, Approved, Rejected, Fulfilled, Withdrawn,
        ] {
            let a = application_in(&app, &anna, &ivan, state).await;
            let (_, seen) = get(&app, &format!("/api/v1/applications/{}", a.id), &anna).await;
            assert_eq!(seen["status"], state.as_str(), "{seen}");
        }
    }
}

#[tokio::test]
async fn a_person_withdraws_before_a_decision_and_an_application_keeps_its_form_version() {
    for engine in engines("services versions").await {
        let app = start(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let old_id = draft(&app, &anna, "passport-rf").await;

        // A new version: one field, and the fee now falls due at approval.
        let form = json!({"fields": [
            {"name": "reason", "label": "Причина", "kind": "text", "required": true, "max_length": 100}
        ]});
        let r = post(
            &app,
            "/api/v1/catalogue/passport-rf/versions",
            &anna,
            json!({"form": form, "applicants": ["person"], "fee_at": "approval"}),
        )
        .await;
        refused(&r, 403, "auth.forbidden");
        let r = post(&app, "/api/v1/catalogue/passport-rf/versions", &admin,
            json!({"form": {"fields": [{"name": "a b", "label": "x", "kind": "text"}]}, "applicants": ["person"], "fee_at": "approval"})).await;
        refused(&r, 400, "validation.failed");
        let (s, v) = post(
            &app,
            "/api/v1/catalogue/passport-rf/versions",
            &admin,
            json!({"form": form, "applicants": ["person"], "fee_at": "approval"}),
        )
        .await;
        assert_eq!((s, v["version"].as_i64()), (201, Some(2)), "{v}");

        // The draft started on version 1 keeps it: its form still asks for the photo.
        let r = post(
            &app,
            &format!("/api/v1/applications/{old_id}/submit"),
            &anna,
            json!({}),
        )
        .await;
        refused(&r, 400, "validation.failed");
        assert!(
            r.1["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "photo"),
            "{}",
            r.1
        );
        let (_, old) = get(&app, &format!("/api/v1/applications/{old_id}"), &anna).await;
        assert_eq!(old["version"], 1);

        // A new application is on version 2; no fee at submission now.
        let (_, a) = post(
            &app,
            "/api/v1/applications",
            &anna,
            json!({"service": "passport-rf"}),
        )
        .await;
        assert_eq!(a["version"], 2);
        let id = a["id"].as_str().unwrap().to_string();
        send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/applications/{id}/data"),
            &anna,
            Some(json!({"data": {"reason": "Достижение 45 лет"}})),
        )
        .await;
        let (s, a) = post(
            &app,
            &format!("/api/v1/applications/{id}/submit"),
            &anna,
            json!({}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        let fees = query_text(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE kind = 'application.fee_due'",
        )
        .await
        .unwrap();
        assert_eq!(fees, "0");

        // Withdrawn while in line: final, and the desk shows it as such.
        let (s, w) = post(
            &app,
            &format!("/api/v1/applications/{id}/withdraw"),
            &anna,
            json!({}),
        )
        .await;
        assert_eq!((s, w["status"].as_str()), (200, Some("withdrawn")), "{w}");
        refused(
            &post(
                &app,
                &format!("/api/v1/applications/{id}/withdraw"),
                &anna,
                json!({}),
            )
            .await,
            409,
            "application.transition_forbidden",
        );

        // Another one on version 2 goes to approval: now the fee falls due.
        let bid = draft(&app, &anna, "passport-rf").await;
        send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/applications/{bid}/data"),
            &anna,
            Some(json!({"data": {"reason": "Смена фамилии"}})),
        )
        .await;
        post(
            &app,
            &format!("/api/v1/applications/{bid}/submit"),
            &anna,
            json!({}),
        )
        .await;
        let ivan = agency_official(&app, "Иванов", "mvd").await;
        move_application(&app, &bid, &anna, &ivan, ApplicationState::Approved).await;
        let fee = query_text(
            &app,
            "SELECT payload FROM outbox WHERE kind = 'application.fee_due'",
        )
        .await
        .unwrap();
        let fee: Value = serde_json::from_str(&fee).unwrap();
        assert_eq!(fee["amount_kopecks"], 60000);
        assert_eq!(fee["application_id"], bid.as_str());
        assert!(
            fee["number"].as_str().unwrap().ends_with("-000002"),
            "{fee}"
        );
    }
}

#[tokio::test]
async fn the_draft_form_page_saves_without_javascript_and_shows_conditional_fields_after_saving() {
    for engine in engines("services page").await {
        let app = start(engine).await;
        let anna = app.person("anna", "Анна Смирнова", "confirmed").await;
        let id = draft(&app, &anna, "no-criminal-record").await;
        let html = page(&app, &format!("/account/applications/{id}"), &anna).await;
        // The rules are on the page: a pattern, required, a hidden conditional field.
        assert!(
            html.contains("name=\"last_name\"") && html.contains("pattern=\"[А-ЯЁа-яё -]+\""),
            "{html}"
        );
        assert!(html.contains("id=\"field-purpose_other\" data-visible-field=\"purpose\" data-visible-value=\"other\" hidden"), "{html}");
        // «Сохранить черновик» posts the form with the page's CSRF token (its cookie is kept by
        // the client).
        let token = html
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let r = app
            .client
            .post(app.url(&format!("/account/applications/{id}")))
            .bearer_auth(&anna)
            .form(&[
                ("csrf_token", token),
                ("last_name", "Смирнова"),
                ("purpose", "other"),
            ])
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success() || r.status().is_redirection(),
            "{}",
            r.status()
        );
        let (_, a) = get(&app, &format!("/api/v1/applications/{id}"), &anna).await;
        assert_eq!(
            a["data"],
            json!({"last_name": "Смирнова", "purpose": "other"})
        );
        let html = page(&app, &format!("/account/applications/{id}"), &anna).await;
        assert!(
            html.contains("data-visible-value=\"other\">"),
            "now shown: {html}"
        );
    }
}

/// The result document of a fulfilled application: a PDF the applicant downloads, registered and
/// signed, whose public check says genuine and unchanged; a changed byte, a changed register entry
/// and an unknown id are told apart.
async fn the_result_is_a_signed_pdf_that_the_public_check_confirms(
    app: &TestApp,
    id: &str,
    a: &Value,
    applicant: &str,
) {
    let doc = a["result"]["id"]
        .as_str()
        .expect("a result document")
        .to_string();
    let r = app
        .client
        .get(app.url(&format!("/api/v1/applications/{id}/result")))
        .bearer_auth(applicant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap().to_vec();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        a["result"]["sha256"].as_str().unwrap(),
        Sha256::digest(&pdf)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    // Someone else's application: not found, and its result with it.
    let other = app
        .person("stranger-result", "Пётр Посторонний", "confirmed")
        .await;
    refused(
        &get(app, &format!("/api/v1/applications/{id}/result"), &other).await,
        404,
        "not_found",
    );

    // The public check needs no sign-in.
    let (_, v) = get(app, &format!("/api/v1/documents/{doc}"), ANONYMOUS).await;
    assert_eq!(v["genuine"], true, "{v}");
    assert_eq!(v["stored_file_intact"], true, "{v}");
    assert_eq!(v["document"]["number"], a["number"], "{v}");
    assert_eq!(v["document"]["recipient"], "Анна С.", "{v}");
    let check_url = app.url(&format!("/api/v1/documents/{doc}/check"));
    let check = |bytes: Vec<u8>| {
        let req = app.client.post(check_url.clone()).body(bytes);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let same = check(pdf.clone()).await;
    assert_eq!(
        (&same["genuine"], &same["unchanged"]),
        (&json!(true), &json!(true)),
        "{same}"
    );
    let mut changed = pdf.clone();
    let last = changed.len() - 10;
    changed[last] ^= 1;
    assert_eq!(check(changed).await["unchanged"], false);
    let page = app
        .client
        .get(app.url(&format!("/verify/{doc}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Документ подлинный") && html.contains(a["number"].as_str().unwrap()),
        "{html}"
    );

    // A register entry changed behind the platform's back no longer checks.
    tamper(
        app,
        &format!("UPDATE issued_documents SET recipient = 'Иванов И.' WHERE id = '{doc}'"),
    )
    .await
    .unwrap();
    let (_, v) = get(app, &format!("/api/v1/documents/{doc}"), ANONYMOUS).await;
    assert_eq!(v["genuine"], false, "{v}");
    let html = app
        .client
        .get(app.url(&format!("/verify/{doc}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Подлинность не подтверждена"), "{html}");
    tamper(
        app,
        &format!("UPDATE issued_documents SET recipient = 'Анна С.' WHERE id = '{doc}'"),
    )
    .await
    .unwrap();

    let r = app
        .client
        .get(app.url("/api/v1/documents/0190-no-such-document"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "document.not_found"
    );
}

#[tokio::test]
async fn the_applicant_rates_a_decided_service_once_and_the_rating_reaches_the_public_figures() {
    for engine in engines("services rating").await {
        let app = start(engine).await;
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let boris = app.person("boris", "Борис Лебедев", "standard").await;
        let Submitted { id, answer: a, .. } = submitted_passport_application(&app, &anna).await;
        assert_eq!(a["can_rate"], false, "{a}");
        let rate = |bearer: String, body: Value| {
            let (app, id) = (&app, id.clone());
            async move {
                post(
                    app,
                    &format!("/api/v1/applications/{id}/rating"),
                    &bearer,
                    body,
                )
                .await
            }
        };
        refused(
            &rate(anna.clone(), json!({"rating": 5})).await,
            409,
            "application.not_rateable",
        );

        let ivan = agency_official(&app, "Иванов (МВД)", "mvd").await;
        move_application(&app, &id, &anna, &ivan, ApplicationState::Fulfilled).await;
        // The page offers the rating form once the result is issued.
        let page = |bearer: String| {
            let (app, id) = (&app, id.clone());
            async move {
                app.client
                    .get(app.url(&format!("/account/applications/{id}")))
                    .bearer_auth(&bearer)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        assert!(page(anna.clone()).await.contains("id=\"application-rate\""));

        refused(
            &rate(anna.clone(), json!({"rating": 6})).await,
            400,
            "validation.failed",
        );
        refused(
            &rate(boris.clone(), json!({"rating": 1})).await,
            404,
            "not_found",
        );
        let (s, a) = rate(
            anna.clone(),
            json!({"rating": 4, "comment": "  Быстро, но пришлось ждать в очереди.  "}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["rating"]["rating"], 4, "{a}");
        assert_eq!(
            a["rating"]["comment"],
            "Быстро, но пришлось ждать в очереди."
        );
        assert_eq!(a["can_rate"], false);
        refused(
            &rate(anna.clone(), json!({"rating": 1})).await,
            409,
            "application.already_rated",
        );
        let html = page(anna.clone()).await;
        assert!(
            html.contains("id=\"application-rating\"") && !html.contains("id=\"application-rate\""),
            "{html}"
        );

        // The appeals part takes the event into the public figures, once.
        let mut row = Value::Null;
        for _ in 0..200 {
            let (_, f) = get(&app, "/api/v1/public/figures", &anna).await;
            if let Some(r) = f
                .as_array()
                .and_then(|rows| rows.iter().find(|r| r["body_code"] == "mvd"))
            {
                row = r.clone();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(row["service_rated"], 1, "{row}");
        assert_eq!(row["service_mean_rating"], 4.0, "{row}");
        assert_eq!(row["received"], 0, "no appeal reached the МВД: {row}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let taken = query_text(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) FROM appeal_service_ratings",
        )
        .await
        .unwrap();
        assert_eq!(taken, "1");
        let csv = app
            .client
            .get(app.url("/api/v1/public/figures.csv"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            csv.contains("Средняя оценка услуг") && csv.contains(";4;1\r\n"),
            "{csv}"
        );
        let journal = query_text(&app, &format!(
            "SELECT action FROM audit_log WHERE subject_id = '{id}' UNION ALL SELECT action FROM audit_pending WHERE subject_id = '{id}'")).await.unwrap();
        assert!(journal.contains("services.application.rated"), "{journal}");
    }
}

#[tokio::test]
async fn an_administrator_publishes_a_new_form_version_on_the_page_and_a_started_draft_keeps_its_own(
) {
    for engine in engines("services catalogue page").await {
        let app = start(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let draft_id = draft(&app, &anna, "passport-rf").await;
        let (_, before) = get(&app, "/api/v1/catalogue/passport-rf", &anna).await;
        let v1 = before["version"].as_i64().unwrap();
        let page = |bearer: String, path: String, form: Option<Vec<(&'static str, String)>>| {
            let r = match &form {
                None => app.client.get(app.url(&path)),
                Some(f) => app.client.post(app.url(&path)).form(f),
            }
            .bearer_auth(bearer);
            okno_testkit::http::sent(r)
        };
        let (s, _, html) = page(admin.clone(), "/admin/catalogue".into(), None).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("/admin/catalogue/passport-rf"), "{html}");
        let (s, _, _) = page(anna.clone(), "/admin/catalogue/passport-rf".into(), None).await;
        assert_eq!(s, 403, "a person edits no catalogue");
        let path = "/admin/catalogue/passport-rf".to_string();
        let (s, _, html) = page(admin.clone(), path.clone(), None).await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("catalogue-fields") && html.contains("last_name"),
            "{html}"
        );
        let token = okno_testkit::csrf_token(&html);
        let publish = |fields: String, person: bool| {
            let mut f = vec![
                ("csrf_token", token.clone()),
                ("fields", fields),
                ("fee_at", "submission".to_string()),
            ];
            if person {
                f.push(("applicant_person", "1".into()));
            }
            page(admin.clone(), path.clone(), Some(f))
        };
        // Mistakes are shown on the page, what was typed kept.
        let (s, _, html) = publish("[\n {\"name\": }".into(), true).await;
        assert_eq!(s, 400, "{html}");
        assert!(html.contains("не JSON: строка 2"), "{html}");
        let (s, _, html) = publish(
            r#"[{"name": "x", "label": "Икс", "kind": "colour"}]"#.into(),
            true,
        )
        .await;
        assert_eq!(s, 400, "{html}");
        assert!(
            html.contains("Описание формы неверно") && html.contains("colour"),
            "{html}"
        );
        let mut fields = before["form"]["fields"].as_array().unwrap().clone();
        fields.push(json!({"name": "note", "label": "Комментарий для ведомства", "kind": "text"}));
        let typed = serde_json::to_string(&fields).unwrap();
        let (s, _, html) = publish(typed.clone(), false).await;
        assert_eq!(s, 400, "{html}");
        assert!(html.contains("кто может подать"), "{html}");
        // Published: the next version, for new drafts only.
        let (s, location, _) = publish(typed, true).await;
        assert_eq!(s, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("{path}?published={}", v1 + 1).as_str())
        );
        let (_, _, html) = page(admin.clone(), location.unwrap(), None).await;
        assert!(
            html.contains(&format!("Опубликована версия {}", v1 + 1)),
            "{html}"
        );
        let (_, after) = get(&app, "/api/v1/catalogue/passport-rf", &anna).await;
        assert_eq!(after["version"], v1 + 1);
        assert!(after["form"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "note"));
        let (_, kept) = get(&app, &format!("/api/v1/applications/{draft_id}"), &anna).await;
        assert_eq!(kept["version"], v1, "{kept}");
        let journal = query_text(
            &app,
            "SELECT action FROM audit_log WHERE subject_id = 'passport-rf' UNION ALL SELECT action FROM audit_pending WHERE subject_id = 'passport-rf'",
        )
        .await
        .unwrap();
        assert!(journal.contains("services.version.published"), "{journal}");

        // The service's entry: title, fee in rubles, deadline, level, documents.
        let entry = "/admin/directory/services/passport-rf".to_string();
        let (s, _, _) = page(anna.clone(), entry.clone(), None).await;
        assert_eq!(s, 403);
        let (s, _, html) = page(admin.clone(), entry.clone(), None).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("entry-form"), "{html}");
        let save = |fee: &str, deadline: &str| {
            let f = vec![
                ("csrf_token", token.clone()),
                (
                    "title",
                    "Выдача (замена) паспорта гражданина Российской Федерации".to_string(),
                ),
                (
                    "summary",
                    "Замена в 20 и 45 лет, при смене ФИО, порче или утрате.".to_string(),
                ),
                ("fee", fee.to_string()),
                ("deadline", deadline.to_string()),
                ("level", "standard".to_string()),
                ("documents", "Паспорт\nФотография 35×45 мм\n".to_string()),
            ];
            page(admin.clone(), entry.clone(), Some(f))
        };
        let (s, _, html) = save("много", "10").await;
        assert_eq!(s, 400, "{html}");
        assert!(
            html.contains("Пошлина — сумма в рублях") && html.contains("много"),
            "{html}"
        );
        let (s, _, html) = save("3000", "400").await;
        assert_eq!(s, 400, "{html}");
        assert!(html.contains("от 1 до 365"), "{html}");
        let (s, location, _) = save("3 000", "20").await;
        assert_eq!(s, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("{entry}?saved=1").as_str())
        );
        let (_, svc) = get(&app, "/api/v1/services/passport-rf", &anna).await;
        assert_eq!(svc["fee_kopecks"], 300_000, "{svc}");
        assert_eq!(svc["deadline_working_days"], 20, "{svc}");
        assert_eq!(
            svc["documents"],
            json!(["Паспорт", "Фотография 35×45 мм"]),
            "{svc}"
        );
        let changed = query_text(
            &app,
            "SELECT CAST(details AS TEXT) FROM audit_log WHERE action = 'directory.service.updated' UNION ALL SELECT CAST(details AS TEXT) FROM audit_pending WHERE action = 'directory.service.updated'",
        )
        .await
        .unwrap();
        assert!(
            changed.contains("deadline_working_days") && changed.contains("\"to\":20"),
            "{changed}"
        );
    }
}

#[tokio::test]
async fn an_official_issues_a_result_made_elsewhere_which_the_platform_signs_and_the_check_confirms(
) {
    for engine in engines("services uploaded result").await {
        let mut app = start(engine).await;
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let Submitted { id, .. } = submitted_passport_application(&app, &anna).await;
        let ivan = agency_official(&app, "Иванов (МВД)", "mvd").await;
        let fulfil = |bytes: Vec<u8>| {
            let r = app
                .client
                .post(app.url(&format!(
                    "/api/v1/agency/applications/{id}/fulfil/file?comment=%D0%93%D0%BE%D1%82%D0%BE%D0%B2%D0%BE"
                )))
                .bearer_auth(&ivan)
                .body(bytes);
            async move {
                let r = r.send().await.unwrap();
                let s = r.status().as_u16();
                (s, r.json::<Value>().await.unwrap())
            }
        };
        let made_elsewhere = b"%PDF-1.7\n% the agency's own system made this\n%%EOF\n".to_vec();
        refused(
            &fulfil(made_elsewhere.clone()).await,
            409,
            "application.transition_forbidden",
        );
        move_application(&app, &id, &anna, &ivan, ApplicationState::Approved).await;
        // The desk page's plain file form: its token is in the action; a form without a file
        // is refused on the page.
        let html = page(&app, &format!("/agency/applications/{id}"), &ivan).await;
        let mark = format!("/agency/applications/{id}/fulfil-file?csrf_token=");
        let at = html.find(&mark).expect("the result file form") + mark.len();
        let token = html[at..at + 32].to_string();
        let b = "okno-boundary-result";
        let body = format!("--{b}\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nГотово\r\n--{b}--\r\n");
        let r = app
            .client
            .post(app.url(&format!("{mark}{token}")))
            .bearer_auth(&ivan)
            .header("content-type", format!("multipart/form-data; boundary={b}"))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Выберите документ-результат в PDF"),
            "{status}: {page}"
        );
        refused(&fulfil(PNG.to_vec()).await, 415, "result.not_pdf");
        refused(
            &fulfil(b"plain text".to_vec()).await,
            415,
            "attachment.type",
        );
        let (s, a) = fulfil(made_elsewhere.clone()).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "fulfilled");
        the_result_is_a_signed_pdf_that_the_public_check_confirms(&app, &id, &a, &anna).await;
        let r = app
            .client
            .get(app.url(&format!("/api/v1/applications/{id}/result")))
            .bearer_auth(&anna)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.bytes().await.unwrap().to_vec(),
            made_elsewhere,
            "the file as the agency made it"
        );
        let journal = query_text(&app, &format!(
            "SELECT CAST(details AS TEXT) FROM audit_log WHERE subject_id = '{id}' AND action = 'services.result.issued'
             UNION ALL SELECT CAST(details AS TEXT) FROM audit_pending WHERE subject_id = '{id}' AND action = 'services.result.issued'")).await.unwrap();
        assert!(journal.contains("\"made_by\":\"agency\""), "{journal}");

        // The document key rotates: with the old public key listed as retired the document still
        // checks, and says it was signed with an earlier key; dropped from the list, it does not.
        let (_, keys) = get(&app, "/api/v1/documents/public-key", &anna).await;
        let old_key = keys["public_key"].as_str().unwrap().to_string();
        assert_eq!(keys["retired_public_keys"], json!([]), "{keys}");
        let doc = a["result"]["id"].as_str().unwrap().to_string();
        let new_seed = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
        let with_keys = |retired: &str| {
            let mut args = vec![
                "--worker-poll-ms".to_string(),
                "50".into(),
                "--figures-cache-seconds".into(),
                "0".into(),
                "--document-signing-key".into(),
                new_seed.into(),
            ];
            if !retired.is_empty() {
                args.extend(["--document-retired-keys".to_string(), retired.to_string()]);
            }
            args
        };
        app.restart(with_keys(&old_key)).await.unwrap();
        let (_, keys) = get(&app, "/api/v1/documents/public-key", &anna).await;
        assert_ne!(keys["public_key"], old_key.as_str(), "{keys}");
        assert_eq!(keys["retired_public_keys"], json!([old_key]), "{keys}");
        let (_, v) = get(&app, &format!("/api/v1/documents/{doc}"), &anna).await;
        assert_eq!(
            (&v["genuine"], &v["signed_with_retired_key"]),
            (&json!(true), &json!(true)),
            "{v}"
        );
        let html = app
            .get(&format!("/verify/{doc}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Документ подлинный") && html.contains("прежним ключом"),
            "{html}"
        );
        app.restart(with_keys("")).await.unwrap();
        let (_, v) = get(&app, &format!("/api/v1/documents/{doc}"), &anna).await;
        assert_eq!(
            v["genuine"], false,
            "a key left out vouches for nothing: {v}"
        );
        // A malformed key is refused at start, naming the setting.
        let (code, _, err) = app.okno(&["migrate", "--document-retired-keys", "not-a-key"]);
        assert_ne!(code, 0);
        assert!(err.contains("--document-retired-keys"), "{err}");
    }
}

#[tokio::test]
async fn the_draft_form_saves_and_attaches_files_without_javascript_as_one_multipart_form() {
    for engine in engines("services file form").await {
        let app = start(engine).await;
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let id = draft(&app, &anna, "passport-rf").await;
        let html = page(&app, &format!("/account/applications/{id}"), &anna).await;
        let mark = format!("formaction=\"/account/applications/{id}/files?csrf_token=");
        let at = html.find(&mark).expect("the file button") + mark.len();
        let token = html[at..at + 32].to_string();
        assert!(html.contains("name=\"file.photo\""), "{html}");
        let b = "okno-boundary-draft";
        let form = |file: &[u8], name: &str| {
            let mut body = Vec::new();
            for (k, v) in [
                ("csrf_token", token.as_str()),
                ("last_name", "Смирнова"),
                ("first_name", "Анна"),
            ] {
                body.extend_from_slice(
                    format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                        .as_bytes(),
                );
            }
            body.extend_from_slice(
                format!("--{b}\r\nContent-Disposition: form-data; name=\"file.photo\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(file);
            body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
            let r = app
                .client
                .post(app.url(&format!(
                    "/account/applications/{id}/files?csrf_token={token}"
                )))
                .bearer_auth(&anna)
                .header("content-type", format!("multipart/form-data; boundary={b}"))
                .body(body);
            async move {
                let r = r.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let (s, html) = form(b"not a picture", "фото.jpg").await;
        assert_eq!(s, 415, "{html}");
        assert!(html.contains("Файл «фото.jpg» не приложен"), "{html}");
        let (s, html) = form(PNG, "фото.png").await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("приложено файлов: 1"), "{html}");
        let (_, a) = get(&app, &format!("/api/v1/applications/{id}"), &anna).await;
        assert_eq!(
            a["data"]["last_name"], "Смирнова",
            "the typed values were saved: {a}"
        );
        let files: Vec<&Value> = a["attachments"].as_array().unwrap().iter().collect();
        assert_eq!(files.len(), 1, "{a}");
        assert_eq!(
            (files[0]["field"].as_str(), files[0]["file_name"].as_str()),
            (Some("photo"), Some("фото.png"))
        );
    }
}

#[tokio::test]
async fn the_catalogue_is_grouped_by_category_and_an_administrator_adds_one_and_moves_a_service_into_it(
) {
    for engine in engines("services categories").await {
        let app = start(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let codes = |list: &Value| -> Vec<String> {
            let mut v: Vec<String> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["code"].as_str().unwrap().to_string())
                .collect();
            v.sort();
            v
        };

        // The demo catalogue: seven categories in order, each service in one.
        let (s, cats) = get(&app, "/api/v1/service-categories", &anna).await;
        assert_eq!(s, 200, "{cats}");
        let order: Vec<&str> = cats
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            order,
            [
                "passports",
                "transport",
                "taxes",
                "family",
                "pensions",
                "property",
                "certificates"
            ]
        );
        let (_, transport) = get(&app, "/api/v1/services?category=transport", &anna).await;
        assert_eq!(
            codes(&transport),
            ["driver-license", "parking-permit", "vehicle-registration"]
        );
        let (_, none) = get(&app, "/api/v1/services?category=none", &anna).await;
        assert_eq!(codes(&none), Vec::<String>::new());

        // The public page: a section per category in order; the filter keeps one.
        let html = app.get("/services").await.text().await.unwrap();
        let at = |id: &str| html.find(id).unwrap_or_else(|| panic!("{id} in {html}"));
        assert!(at("id=\"category-passports\"") < at("id=\"category-transport\""));
        assert!(
            !html.contains("id=\"category-none\""),
            "no empty «Другие услуги»"
        );
        let taxes = app
            .get("/services?category=taxes")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            taxes.contains("/services/tax-deduction") && !taxes.contains("/services/passport-rf"),
            "{taxes}"
        );
        let card = app.get("/services/passport-rf").await.text().await.unwrap();
        assert!(
            card.contains("id=\"service-category\">Паспорта и регистрация"),
            "{card}"
        );
        // «Где подать лично» leads to the offices that offer this service, not to all of them.
        assert!(
            card.contains("href=\"/offices?service=passport-rf\""),
            "{card}"
        );

        // Adding a category: the administrator's right, every field checked, codes unique.
        let new = json!({"code": "education", "title": "Образование", "description": "Школы, детские сады, аттестаты."});
        refused(
            &post(&app, "/api/v1/service-categories", &anna, new.clone()).await,
            403,
            "auth.forbidden",
        );
        let (s, bad) = post(
            &app,
            "/api/v1/service-categories",
            &admin,
            json!({"code": "Образование", "title": "О"}),
        )
        .await;
        assert_eq!(s, 400, "{bad}");
        let fields = error_fields(&bad);
        assert_eq!(fields, ["code", "title"], "{bad}");
        // `none` is the filter's word for «no category», so no category may take it.
        let (s, bad) = post(
            &app,
            "/api/v1/service-categories",
            &admin,
            json!({"code": "none", "title": "Без категории"}),
        )
        .await;
        assert_eq!(s, 400, "{bad}");
        assert_eq!(error_fields(&bad), ["code"], "{bad}");
        let (s, made) = post(&app, "/api/v1/service-categories", &admin, new.clone()).await;
        assert_eq!(s, 201, "{made}");
        assert_eq!(made["position"], 80, "a new category goes last: {made}");
        refused(
            &post(&app, "/api/v1/service-categories", &admin, new).await,
            409,
            "category.code_taken",
        );

        // The administrators' page lists it and adds another, with the form kept on a mistake.
        let page = app
            .client
            .get(app.url("/admin/directory/categories"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Образование") && html.contains("Паспорта и регистрация"));
        let token = okno_testkit::csrf_token(&html);
        let add = |code: &str, title: &str| {
            app.client
                .post(app.url("/admin/directory/categories"))
                .bearer_auth(&admin)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("code", code),
                    ("title", title),
                    ("description", ""),
                ])
                .send()
        };
        let r = add("education", "Ещё образование").await.unwrap();
        assert_eq!(r.status(), 409);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("уже есть") && html.contains("Ещё образование"),
            "{html}"
        );
        let r = add("health", "Здоровье").await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers()["location"],
            "/admin/directory/categories?added=health"
        );

        // Moving a service: an unknown category is refused; absent keeps; "" takes it out.
        let (_, inn) = get(&app, "/api/v1/services/inn-certificate", &anna).await;
        let edit = |category: Option<&str>| {
            let mut b = json!({
                "title": inn["title"], "summary": inn["summary"], "fee_kopecks": inn["fee_kopecks"],
                "deadline_working_days": inn["deadline_working_days"],
                "level_required": inn["level_required"], "documents": inn["documents"],
            });
            if let Some(c) = category {
                b["category_code"] = json!(c);
            }
            send(
                &app,
                reqwest::Method::PUT,
                "/api/v1/services/inn-certificate",
                &admin,
                Some(b),
            )
        };
        let r = edit(Some("astrology")).await;
        refused(&r, 400, "validation.failed");
        assert_eq!(
            r.1["errors"][0]["code"], "service.category_unknown",
            "{}",
            r.1
        );
        let (s, moved) = edit(Some("education")).await;
        assert_eq!(s, 200, "{moved}");
        assert_eq!(moved["category_code"], "education");
        let (_, kept) = edit(None).await;
        assert_eq!(kept["category_code"], "education", "{kept}");
        let (_, education) = get(&app, "/api/v1/services?category=education", &anna).await;
        assert_eq!(codes(&education), ["inn-certificate"]);
        let (_, out) = edit(Some("")).await;
        assert_eq!(out["category_code"], Value::Null, "{out}");
        let (_, none) = get(&app, "/api/v1/services?category=none", &anna).await;
        assert_eq!(codes(&none), ["inn-certificate"]);
        let html = app.get("/services").await.text().await.unwrap();
        assert!(
            html.contains("id=\"category-none\"") && html.contains("Другие услуги"),
            "{html}"
        );

        let journal = query_text(
            &app,
            "SELECT CAST(details AS TEXT) FROM audit_log WHERE action = 'directory.service.updated' UNION ALL SELECT CAST(details AS TEXT) FROM audit_pending WHERE action = 'directory.service.updated'",
        )
        .await
        .unwrap();
        assert!(
            journal.contains("category_code")
                && journal.contains("\"taxes\"")
                && journal.contains("\"education\""),
            "{journal}"
        );
        let made = query_text(
            &app,
            "SELECT subject_id FROM audit_log WHERE action = 'directory.category.created' UNION ALL SELECT subject_id FROM audit_pending WHERE action = 'directory.category.created'",
        )
        .await
        .unwrap();
        assert!(
            made.contains("education") && made.contains("health"),
            "{made}"
        );

        // A database from before two of the categories: loading the demo data puts the services
        // in no category into the categories it adds; a service an administrator took out of a
        // category that already exists stays out.
        tamper(
            &app,
            "UPDATE services SET category_code = NULL
              WHERE code IN ('passport-rf', 'passport-foreign', 'tax-deduction', 'inn-certificate', 'pension-info');
             DELETE FROM service_categories WHERE code IN ('passports', 'taxes');",
        )
        .await
        .unwrap();
        let (code, out, err) = app.okno(&["demo"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("категорий услуг 2"), "{out}");
        let (_, passports) = get(&app, "/api/v1/services?category=passports", &anna).await;
        assert_eq!(codes(&passports), ["passport-foreign", "passport-rf"]);
        let (_, taxes) = get(&app, "/api/v1/services?category=taxes", &anna).await;
        assert_eq!(codes(&taxes), ["inn-certificate", "tax-deduction"]);
        let (_, none) = get(&app, "/api/v1/services?category=none", &anna).await;
        assert_eq!(codes(&none), ["pension-info"]);
    }
}

#[tokio::test]
async fn an_administrator_adds_a_service_on_a_page_and_it_takes_applications_once_its_first_form_is_published(
) {
    for engine in engines("services new service").await {
        let app = start(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let anna = app.person("anna", "Анна Смирнова", "standard").await;
        let page = |path: &str, form: Option<Vec<(&'static str, String)>>| {
            let r = match &form {
                None => app.client.get(app.url(path)),
                Some(f) => app.client.post(app.url(path)).form(f),
            }
            .bearer_auth(&admin);
            okno_testkit::http::sent(r)
        };
        let (s, _, html) = page("/admin/catalogue", None).await;
        assert_eq!(s, 200);
        assert!(html.contains("/admin/directory/services/new"), "{html}");
        let (s, _, html) = page("/admin/directory/services/new", None).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("entry-agency") && html.contains("Госавтоинспекция"));
        let token = okno_testkit::csrf_token(&html);
        let add = |code: &str, agency: &str, fee: &str| {
            let f = vec![
                ("csrf_token", token.clone()),
                ("code", code.to_string()),
                ("agency", agency.to_string()),
                ("title", "Выдача охотничьего билета".to_string()),
                (
                    "summary",
                    "Охотничий билет единого федерального образца.".to_string(),
                ),
                ("fee", fee.to_string()),
                ("deadline", "5".to_string()),
                ("level", "confirmed".to_string()),
                ("documents", "Паспорт\nФотография 30×40 мм".to_string()),
                ("category", "certificates".to_string()),
            ];
            page("/admin/directory/services/new", Some(f))
        };
        // Every mistake at once, what was typed kept.
        let (s, _, html) = add("Охота", "", "много").await;
        assert_eq!(s, 400, "{html}");
        assert!(
            html.contains("Пошлина — сумма в рублях")
                && html.contains("латинских букв")
                && html.contains("Выберите ведомство")
                && html.contains("Выдача охотничьего билета"),
            "{html}"
        );
        let (s, _, html) = add("Охота", "", "").await;
        assert_eq!(s, 400, "{html}");
        assert!(
            html.contains("латинских букв") && html.contains("Выберите ведомство"),
            "{html}"
        );
        let (s, _, html) = add("hunting-licence", "adm-tula", "много").await;
        assert_eq!(s, 400, "an unparsed fee adds nothing: {html}");
        let (s, _, html) = add("passport-rf", "mvd", "").await;
        assert_eq!(s, 409, "{html}");
        assert!(html.contains("уже есть"), "{html}");
        let (s, location, _) = add("hunting-licence", "adm-tula", "").await;
        assert_eq!(s, 303);
        assert_eq!(
            location.as_deref(),
            Some("/admin/catalogue/hunting-licence?created=1")
        );

        // Offered in person until its first form is published, then online.
        let (_, made) = get(&app, "/api/v1/services/hunting-licence", &anna).await;
        assert_eq!(made["online"], false, "{made}");
        assert_eq!(made["category_code"], "certificates");
        assert_eq!(made["fee_kopecks"], Value::Null);
        let r = post(
            &app,
            "/api/v1/applications",
            &anna,
            json!({"service": "hunting-licence"}),
        )
        .await;
        assert_eq!(r.0, 404, "no form, no application: {}", r.1);
        let (s, _, html) = page("/admin/catalogue", None).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("catalogue-unpublished") && html.contains("Выдача охотничьего билета"),
            "{html}"
        );
        let (s, _, html) = page(location.as_deref().unwrap(), None).await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("форма ещё не опубликована")
                && html.contains("Опубликуйте первую версию"),
            "{html}"
        );
        let fields =
            json!([{"name": "region", "label": "Район охоты", "kind": "text", "required": true}]);
        let (s, location, html) = page(
            "/admin/catalogue/hunting-licence",
            Some(vec![
                ("csrf_token", token.clone()),
                ("fields", fields.to_string()),
                ("fee_at", "submission".to_string()),
                ("applicant_person", "1".to_string()),
            ]),
        )
        .await;
        assert_eq!(s, 303, "{html}");
        assert_eq!(
            location.as_deref(),
            Some("/admin/catalogue/hunting-licence?published=1")
        );
        let (_, now) = get(&app, "/api/v1/services/hunting-licence", &anna).await;
        assert_eq!(now["online"], true, "{now}");
        // Going online changes the directory's entry: audited and announced as any change is.
        let changed = query_text(
            &app,
            "SELECT CAST(details AS TEXT) FROM audit_log WHERE action = 'directory.service.updated' AND subject_id = 'hunting-licence' UNION ALL SELECT CAST(details AS TEXT) FROM audit_pending WHERE action = 'directory.service.updated' AND subject_id = 'hunting-licence'",
        )
        .await
        .unwrap();
        assert!(changed.contains("\"online\""), "{changed}");
        let announced = query_text(
            &app,
            "SELECT payload FROM outbox WHERE kind = 'directory.service.updated'",
        )
        .await
        .unwrap();
        assert!(announced.contains("hunting-licence"), "{announced}");
        let card = app
            .get("/services/hunting-licence")
            .await
            .text()
            .await
            .unwrap();
        assert!(card.contains("/services/hunting-licence/apply"), "{card}");
        // The person needs a confirmed account for it, as the entry says.
        let r = post(
            &app,
            "/api/v1/applications",
            &anna,
            json!({"service": "hunting-licence"}),
        )
        .await;
        refused(&r, 403, "application.level_too_low");

        // The API adds one too, with the same checks.
        let (s, bad) = post(
            &app,
            "/api/v1/services",
            &admin,
            json!({"code": "new", "agency_code": "nowhere", "title": "Ох", "deadline_working_days": 0,
                   "level_required": "royal", "category_code": "astrology"}),
        )
        .await;
        assert_eq!(s, 400, "{bad}");
        let fields = error_fields(&bad);
        assert_eq!(
            fields,
            [
                "code",
                "agency_code",
                "title",
                "deadline_working_days",
                "level_required",
                "category_code"
            ],
            "{bad}"
        );
        refused(
            &post(
                &app,
                "/api/v1/services",
                &anna,
                json!({"code": "fishing", "agency_code": "adm-tula", "title": "Рыбалка",
                       "deadline_working_days": 5, "level_required": "standard"}),
            )
            .await,
            403,
            "auth.forbidden",
        );
        let journal = query_text(
            &app,
            "SELECT subject_id FROM audit_log WHERE action = 'directory.service.created' UNION ALL SELECT subject_id FROM audit_pending WHERE action = 'directory.service.created'",
        )
        .await
        .unwrap();
        assert_eq!(journal, "hunting-licence");
    }
}
