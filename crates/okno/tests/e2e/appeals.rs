//! End-to-end tests of the appeals part over HTTP on both engines: filing with a number at once
//! and a photo, moderation (accept with routing by polygon, send back, reject with a fixed
//! reason), the body's work (take, interim and final answers, forwarding, the 59-ФЗ extension),
//! the rating that re-opens an appeal at the supervising body, the public list and figures, and
//! the deadline worker warning and escalating exactly once with two nodes on one database.
//!
//! People are made by the product's command (as in the services tests); staff are API tokens.

use jiff::ToSpan;
use okno_testkit::http::{get, page, post, refused};
use okno_testkit::journeys::{
    appeal_file, appeal_in, author_step, body_official, body_step, filed_appeal, moderate,
    AppealParties, AppealState, PNG,
};
use okno_testkit::{engines, query_text, tamper, Engine, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

async fn start(engine: Engine) -> TestApp {
    TestApp::demo(BIN, engine, &["--worker-poll-ms", "50"]).await
}

/// A person at «стандартная» with a live session.
async fn person(app: &TestApp, id: &str, name: &str) -> String {
    app.person(id, name, "standard").await
}

/// A staff API token with `role`; gives its secret and id.
async fn staff(app: &TestApp, name: &str, role: &str) -> (String, String) {
    app.staff_token(name, role).await
}

/// A 400 naming one field's rule by its code.
fn invalid(r: &(u16, Value), code: &str) {
    refused(r, 400, "validation.failed");
    assert_eq!(r.1["errors"][0]["code"], code, "{}", r.1);
}

/// A pothole in central Tula: inside the demo polygon of the Central district.
fn pothole() -> Value {
    json!({
        "kind": "message", "category": "pothole",
        "text": "Глубокая яма у дома 12 по ул. Советской, звоните 8 915 123 45 67.",
        "address": "Тула, ул. Советская, 12", "lat": 54.1931, "lon": 37.6173,
        "municipality": "tula", "publish": true
    })
}

fn actions(a: &Value) -> Vec<String> {
    a["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_problem_report_goes_from_filing_to_the_supervisor_after_a_low_rating() {
    for engine in engines("appeals lifecycle").await {
        let app = start(engine).await;
        let anna = person(&app, "anna", "Анна Смирнова").await;
        let (moderator, _) = staff(&app, "Модератор", "moderator").await;
        let central = body_official(&app, "Управа", "tula-central").await;
        let city = body_official(&app, "Администрация", "adm-tula").await;
        let elsewhere = body_official(&app, "Новомосковск", "adm-novomoskovsk").await;

        // Filing: a number at once, in the queue.
        let (s, a) = post(&app, "/api/v1/appeals", &anna, pothole()).await;
        assert_eq!(s, 201, "{a}");
        let id = a["id"].as_str().unwrap().to_string();
        let number = a["number"].as_str().unwrap().to_string();
        assert!(
            number.starts_with("ОБ-20") && number.ends_with("-000005"),
            "{number}"
        );
        assert_eq!(a["status"], "new");
        assert_eq!(a["body_code"], Value::Null);

        // A photo, told by its content.
        let (s, f) = appeal_file(&app, &id, &anna, "name=yama.png", PNG.to_vec()).await;
        assert_eq!(s, 201, "{f}");
        assert_eq!(f["content_type"], "image/png");
        let not_pdf = b"MZ not a pdf".to_vec();
        let (s, _) = appeal_file(&app, &id, &anna, "name=x.pdf", not_pdf).await;
        assert_eq!(s, 415);

        // Nobody but moderators sees the queue; the citizen and an official are refused.
        refused(
            &get(&app, "/api/v1/moderation/appeals", &anna).await,
            403,
            "auth.forbidden",
        );
        let (s, q) = get(&app, "/api/v1/moderation/appeals", &moderator).await;
        assert_eq!(s, 200);
        assert!(
            q.as_array().unwrap().iter().any(|x| x["id"] == id.as_str()),
            "{q}"
        );
        // An official of another body cannot see it.
        refused(
            &get(&app, &format!("/api/v1/appeals/{id}"), &elsewhere).await,
            404,
            "not_found",
        );

        // Accepted: routed by the polygon of central Tula, with the terms.
        let (s, a) = moderate(&app, &moderator, &id, json!({"verdict": "accept"})).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "routed");
        assert_eq!(a["body_code"], "tula-central");
        assert!(
            a["due_date"].is_string() && a["forward_due"].is_string(),
            "{a}"
        );
        // Accepting twice is refused by the status machine.
        refused(
            &moderate(&app, &moderator, &id, json!({"verdict": "accept"})).await,
            409,
            "appeal.transition_forbidden",
        );

        // The body: the other body's official is refused; the right one takes and answers.
        let r = body_step(&app, &id, &elsewhere, "take", json!({})).await;
        refused(&r, 403, "appeal.not_official");
        let (s, d) = get(&app, "/api/v1/body/appeals", &central).await;
        assert_eq!(s, 200);
        assert!(
            d.as_array()
                .unwrap()
                .iter()
                .any(|x| x["number"] == number.as_str()),
            "{d}"
        );
        let (s, a) = body_step(&app, &id, &central, "take", json!({})).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "in_work");

        // The desk page's answer form sends the text and its files as one multipart form, without
        // JavaScript: a refused file refuses the whole answer and keeps the typed text.
        let html = page(&app, &format!("/body/appeals/{id}"), &central).await;
        let mark = format!("/body/appeals/{id}/answer-files?csrf_token=");
        let at = html.find(&mark).expect("the answer form") + mark.len();
        let action = format!("{mark}{}", &html[at..at + 32]);
        let answer_form = |file: (&str, &[u8])| {
            let b = "okno-boundary-answer";
            let mut body = format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ninterim\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nЗаявка передана подрядчику, акт осмотра приложен.\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                file.0
            )
            .into_bytes();
            body.extend_from_slice(file.1);
            body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
            app.client
                .post(app.url(&action))
                .bearer_auth(&central)
                .header("content-type", format!("multipart/form-data; boundary={b}"))
                .body(body)
                .send()
        };
        let r = answer_form(("akt.txt", b"not a document")).await.unwrap();
        assert_eq!(r.status(), 415);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Файл «akt.txt»") && page.contains("акт осмотра приложен"),
            "{page}"
        );
        let messages = query_text(
            &app,
            &format!("SELECT CAST(COUNT(*) AS TEXT) FROM appeal_messages WHERE appeal_id = '{id}'"),
        )
        .await
        .unwrap();
        assert_eq!(messages, "0", "no answer went out without its file");
        let r = answer_form(("akt.pdf", b"%PDF-1.7\n% akt\n%%EOF\n"))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Готово"));
        let (_, a) = get(&app, &format!("/api/v1/appeals/{id}"), &anna).await;
        let interim = a["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == "interim")
            .expect("the interim answer");
        let with_it: Vec<&Value> = a["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["message_id"] == interim["id"])
            .collect();
        assert_eq!(with_it.len(), 1, "{a}");
        assert_eq!(with_it[0]["file_name"], "akt.pdf");
        assert_eq!(a["status"], "in_work");
        // Rating before the final answer is refused.
        let early = json!({"rating": 5, "solved": true});
        let r = author_step(&app, &id, &anna, "rating", early).await;
        refused(&r, 409, "appeal.transition_forbidden");
        let answer = json!({"final": true, "text": "Яма заделана 3 декабря."});
        let (s, a) = body_step(&app, &id, &central, "answers", answer).await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["status"], "answered");
        let answer = a["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == "final")
            .unwrap();
        // A file to the answer.
        let query = format!("name=akt.png&message={}", answer["id"].as_str().unwrap());
        let (s, _) = appeal_file(&app, &id, &central, &query, PNG.to_vec()).await;
        assert_eq!(s, 201);

        // The author comments, then rates 2: re-opened at the supervising body.
        let comment = json!({"text": "Яма на месте."});
        let (s, _) = author_step(&app, &id, &anna, "comments", comment).await;
        assert_eq!(s, 201);
        let six = json!({"rating": 6, "solved": false});
        let r = author_step(&app, &id, &anna, "rating", six).await;
        refused(&r, 400, "validation.failed");
        let two = json!({"rating": 2, "solved": false});
        let (s, a) = author_step(&app, &id, &anna, "rating", two).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "reopened");
        assert_eq!(a["body_code"], "adm-tula");
        assert_eq!(a["rating"], 2);
        assert_eq!(
            actions(&a),
            [
                "filed",
                "accepted",
                "taken",
                "interim_answer",
                "answered",
                "reopened"
            ]
        );
        // The first body no longer has it; the supervisor does, and answers again.
        refused(
            &get(&app, &format!("/api/v1/appeals/{id}"), &central).await,
            404,
            "not_found",
        );
        let again = json!({"final": true, "text": "Участок отремонтирован полностью."});
        let (s, a) = body_step(&app, &id, &city, "answers", again).await;
        assert_eq!(s, 201, "{a}");
        // A rating of 3 closes it.
        let three = json!({"rating": 3, "solved": true});
        let (s, a) = author_step(&app, &id, &anna, "rating", three).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "closed");
        let more = json!({"text": "ещё"});
        let r = author_step(&app, &id, &anna, "comments", more).await;
        refused(&r, 409, "appeal.closed");

        // Every change reached the person's inbox.
        let inbox = query_text(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE payload LIKE '%anna%' AND kind = 'notify.message'",
        )
        .await
        .unwrap();
        assert!(inbox.parse::<i64>().unwrap() >= 7, "{inbox}");

        // The public side: published without the phone number or the author.
        let list: Vec<Value> = app
            .get("/api/v1/public/reports")
            .await
            .json()
            .await
            .unwrap();
        let mine = list
            .iter()
            .find(|r| r["number"] == number.as_str())
            .expect("published");
        let text = mine["text"].as_str().unwrap();
        assert!(
            text.contains("[номер скрыт]") && !text.contains("123 45 67"),
            "{text}"
        );
        assert!(!mine.to_string().contains("Смирнова"), "{mine}");
        let html = app.get("/appeals/reports").await.text().await.unwrap();
        assert!(html.contains("<svg") && html.contains(&number), "map");
        let figures: Vec<Value> = app
            .get("/api/v1/public/figures")
            .await
            .json()
            .await
            .unwrap();
        let tc = figures
            .iter()
            .find(|f| f["body_code"] == "tula-central")
            .unwrap();
        // The demo's answered report; this one moved to the supervisor when it was re-opened.
        assert_eq!(tc["answered"], 1, "{tc}");
        let city_f = figures
            .iter()
            .find(|f| f["body_code"] == "adm-tula")
            .unwrap();
        assert_eq!(city_f["answered"], 1, "{city_f}");
        assert_eq!(city_f["rated"], 1, "{city_f}");
        assert_eq!(city_f["mean_rating"], 3.0, "{city_f}");
        let csv = app
            .get("/api/v1/public/figures.csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            csv.starts_with('\u{feff}') && csv.contains("Управа Центрального округа"),
            "{csv}"
        );

        // The figures are served from memory for a minute (the default --figures-cache-seconds):
        // a change in between shows at the next computation, not at once; the page says when.
        tamper(
            &app,
            "UPDATE appeals SET rating = 5 WHERE body_code = 'adm-tula' AND rating IS NOT NULL",
        )
        .await
        .unwrap();
        let again: Vec<Value> = app
            .get("/api/v1/public/figures")
            .await
            .json()
            .await
            .unwrap();
        let city_again = again.iter().find(|f| f["body_code"] == "adm-tula").unwrap();
        assert_eq!(city_again["mean_rating"], 3.0, "{city_again}");
        let page = app.get("/appeals/figures").await.text().await.unwrap();
        assert!(
            page.contains("id=\"figures-computed\">Данные на "),
            "{page}"
        );
    }
}

/// The testkit's `appeal_in` reaches every status of the appeals part through the API, as the
/// author, a moderator and the body's official would.
#[tokio::test]
async fn the_testkit_brings_an_appeal_into_each_state() {
    use AppealState::*;
    for engine in engines("appeals in each state").await {
        let app = start(engine).await;
        let anna = person(&app, "anna", "Анна Смирнова").await;
        let (moderator, _) = staff(&app, "Модератор", "moderator").await;
        let central = body_official(&app, "Управа", "tula-central").await;
        let who = AppealParties::new(&anna, &moderator, Some(&central));
        for state in [
            New, Moderation, Routed, InWork, Answered, Closed, Rejected, Reopened,
        ] {
            let a = appeal_in(&app, &who, pothole(), state).await;
            let (_, seen) = get(&app, &format!("/api/v1/appeals/{}", a.id), &anna).await;
            assert_eq!(seen["status"], state.as_str(), "{seen}");
        }
    }
}

#[tokio::test]
async fn moderators_reject_with_a_fixed_reason_and_send_back_for_correction() {
    for engine in engines("appeals moderation").await {
        let app = start(engine).await;
        let ivan = person(&app, "ivan", "Иван Петров").await;
        let (moderator, _) = staff(&app, "Модератор", "moderator").await;
        let complaint = json!({"kind": "complaint", "category": "driver", "text": "Водитель автобуса № 18 нагрубил пассажирам.", "municipality": "tula"});

        // Bad input is refused at filing.
        for (field, value) in [
            ("category", json!("transport")),
            ("text", json!("   ")),
            ("lat", json!(54.2)),
        ] {
            let mut bad = complaint.clone();
            bad[field] = value;
            let r = post(&app, "/api/v1/appeals", &ivan, bad).await;
            refused(&r, 400, "validation.failed");
        }
        let anon = app
            .client
            .post(app.url("/api/v1/appeals"))
            .json(&complaint)
            .send()
            .await
            .unwrap();
        assert_eq!(anon.status(), 401);

        let (_, a) = post(&app, "/api/v1/appeals", &ivan, complaint.clone()).await;
        let id = a["id"].as_str().unwrap().to_string();
        // A rejection needs a reason from the list; one outside it is not parsed at all.
        invalid(
            &moderate(&app, &moderator, &id, json!({"verdict": "reject"})).await,
            "appeal.reason_required",
        );
        let r = moderate(
            &app,
            &moderator,
            &id,
            json!({"verdict": "reject", "reason": "i_dont_like_it"}),
        )
        .await;
        assert_eq!(r.0, 400, "{}", r.1);
        let (s, a) = moderate(
            &app,
            &moderator,
            &id,
            json!({"verdict": "reject", "reason": "no_return_address"}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "rejected");
        // The author sees the reason.
        let (_, mine) = get(&app, &format!("/api/v1/appeals/{id}"), &ivan).await;
        assert_eq!(mine["reject_reason"], "no_return_address");
        assert!(
            mine["reject_reason_title"]
                .as_str()
                .unwrap()
                .contains("адрес"),
            "{mine}"
        );
        let page = page(&app, &format!("/account/appeals/{id}"), &ivan).await;
        assert!(page.contains("Обращение отклонено"), "{page}");

        // Sent back for correction: out of the queue until corrected.
        let who = AppealParties::new(&ivan, &moderator, None);
        let id2 = appeal_in(&app, &who, complaint.clone(), AppealState::Moderation)
            .await
            .id;
        invalid(
            &moderate(&app, &moderator, &id2, json!({"verdict": "send_back"})).await,
            "appeal.note_required",
        );
        let (s, b) = moderate(
            &app,
            &moderator,
            &id2,
            json!({"verdict": "send_back", "note": "Укажите время и номер маршрута."}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["status"], "new");
        assert_eq!(b["awaiting_correction"], true);
        let (_, q) = get(&app, "/api/v1/moderation/appeals", &moderator).await;
        assert!(!q
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id2.as_str()));
        let corrected =
            json!({"text": "Маршрут № 18, 12 ноября около 8:10: водитель нагрубил пассажирам."});
        let (s, b) = author_step(&app, &id2, &ivan, "correction", corrected).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["awaiting_correction"], false);
        let (_, q) = get(&app, "/api/v1/moderation/appeals", &moderator).await;
        assert!(q
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id2.as_str()));
        // Routed by the regional transport rule (the municipality's region is 71).
        let (_, b) = moderate(&app, &moderator, &id2, json!({"verdict": "accept"})).await;
        assert_eq!(b["body_code"], "min-transport71", "{b}");

        // Every decision is in the audit journal.
        let n = query_text(
            &app,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM (
                   SELECT id FROM audit_log WHERE subject_id IN ('{id}', '{id2}') AND action = 'appeals.appeal.changed'
                   UNION ALL
                   SELECT id FROM audit_pending WHERE subject_id IN ('{id}', '{id2}') AND action = 'appeals.appeal.changed') x"
            ),
        )
        .await
        .unwrap();
        // filed and rejected; filed, taken, sent back, corrected and accepted.
        assert_eq!(n, "7");
    }
}

#[tokio::test]
async fn a_formal_appeal_is_extended_once_and_forwarded_with_a_reason() {
    for engine in engines("appeals extension").await {
        let app = start(engine).await;
        let olga = person(&app, "olga", "Ольга Кузнецова").await;
        let (moderator, _) = staff(&app, "Модератор", "moderator").await;
        let ministry = body_official(&app, "Минтранс", "min-transport71").await;
        let who = AppealParties::new(&olga, &moderator, None);
        let appeal = json!({"kind": "appeal", "category": "bus-schedule", "text": "Прошу восстановить маршрут № 7.",
                            "municipality": "aleksin", "reply_address": "olga@example.ru"});
        let routed = appeal_in(&app, &who, appeal, AppealState::Routed).await;
        let (id, a) = (routed.id, routed.answer);
        assert_eq!(a["body_code"], "min-transport71", "{a}");
        let due = a["due_date"].as_str().unwrap().to_string();
        let registered = a["registered_on"].as_str().unwrap().to_string();
        // 30 days from registration, moved off a day off by at most the longest holiday run.
        let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        let gap = d(&registered).until(d(&due)).unwrap().get_days();
        assert!((30..=41).contains(&gap), "{registered} → {due}");

        let ext = format!("/api/v1/body/appeals/{id}/extension");
        refused(
            &post(
                &app,
                &ext,
                &ministry,
                json!({"days": 31, "reason": "Нужна проверка"}),
            )
            .await,
            400,
            "validation.failed",
        );
        let (s, a) = post(
            &app,
            &ext,
            &ministry,
            json!({"days": 20, "reason": "Запрошены сведения у перевозчика"}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["extended"], true);
        let gap = d(&due)
            .until(d(a["due_date"].as_str().unwrap()))
            .unwrap()
            .get_days();
        assert!((20..=31).contains(&gap), "{due} → {}", a["due_date"]);
        refused(
            &post(&app, &ext, &ministry, json!({"days": 5, "reason": "Ещё"})).await,
            409,
            "appeal.already_extended",
        );
        // The author sees the reason.
        let (_, mine) = get(&app, &format!("/api/v1/appeals/{id}"), &olga).await;
        let e = mine["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "extended")
            .unwrap();
        assert_eq!(e["note"], "Запрошены сведения у перевозчика");

        // Forwarded outside the competence, with a reason the author sees.
        let to_itself = json!({"body": "min-transport71", "reason": "x"});
        let r = body_step(&app, &id, &ministry, "forward", to_itself).await;
        refused(&r, 400, "validation.failed");
        let forward = json!({"body": "gov71", "reason": "Маршруты Алексина утверждает правительство области."});
        let (s, a) = body_step(&app, &id, &ministry, "forward", forward).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["body_code"], "gov71");
        assert_eq!(a["status"], "routed");
        assert_eq!(
            a["extended"], false,
            "registered anew at the receiving body"
        );
        let (_, mine) = get(&app, &format!("/api/v1/appeals/{id}"), &olga).await;
        let e = mine["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "forwarded")
            .unwrap();
        assert_eq!(
            e["note"],
            "Маршруты Алексина утверждает правительство области."
        );

        // A problem report's term is not extended.
        let (_, m) = post(&app, "/api/v1/appeals", &olga, json!({"kind": "message", "category": "stops", "text": "Сломан павильон.", "municipality": "aleksin"})).await;
        let mid = m["id"].as_str().unwrap().to_string();
        let (_, m) = moderate(
            &app,
            &moderator,
            &mid,
            json!({"verdict": "accept", "body": "min-transport71"}),
        )
        .await;
        assert_eq!(m["body_code"], "min-transport71");
        let r = body_step(
            &app,
            &mid,
            &ministry,
            "extension",
            json!({"days": 5, "reason": "x"}),
        )
        .await;
        refused(&r, 409, "appeal.extension_not_allowed");
    }
}

#[tokio::test]
async fn two_nodes_warn_and_escalate_each_appeal_exactly_once() {
    for engine in engines("appeals worker").await {
        let app = start(engine).await;
        let petr = person(&app, "petr", "Пётр Орлов").await;
        let (moderator, _) = staff(&app, "Модератор", "moderator").await;
        // A second node on the same database, running the workers too.
        let second = app.second_node(&["--worker-poll-ms", "50"]).await;

        let who = AppealParties::new(&petr, &moderator, None);
        let mut ids = Vec::new();
        for i in 0..6 {
            let heating = json!({"kind": "message", "category": "heating", "text": format!("Холодные батареи, подъезд {i}."), "municipality": "tula"});
            let a = appeal_in(&app, &who, heating, AppealState::Routed).await;
            assert_eq!(a.answer["body_code"], "adm-tula", "{}", a.answer);
            ids.push(a.id);
        }
        // Three are due today (warned), three were due long ago (escalated to the supervisor).
        let today = jiff::Timestamp::now().in_tz("UTC").unwrap().date();
        let past = today.checked_sub(40.days()).unwrap();
        let list = |v: &[String]| {
            v.iter()
                .map(|i| format!("'{i}'"))
                .collect::<Vec<_>>()
                .join(",")
        };
        tamper(
            &app,
            &format!(
                "UPDATE appeals SET due_date = '{}' WHERE id IN ({});
             UPDATE appeals SET due_date = '{past}' WHERE id IN ({});",
                today.checked_add(1.days()).unwrap(),
                list(&ids[..3]),
                list(&ids[3..])
            ),
        )
        .await
        .unwrap();
        let count = |action: &'static str| {
            let app = &app;
            let ids = ids.clone();
            async move {
                query_text(app, &format!(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM appeal_events WHERE action = '{action}' AND appeal_id IN ({})",
                    list(&ids)
                ))
                .await
                .unwrap()
                .parse::<usize>()
                .unwrap()
            }
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while (count("deadline_warning").await < 3 || count("escalated").await < 3)
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // Let both nodes run many more rounds: nothing is done twice.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        drop(second);
        assert_eq!(count("escalated").await, 3);
        for id in &ids[..3] {
            let n = query_text(&app, &format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM appeal_events WHERE action = 'deadline_warning' AND appeal_id = '{id}'"
            ))
            .await
            .unwrap();
            assert_eq!(n, "1", "{id}");
        }
        for id in &ids[3..] {
            let (_, a) = get(&app, &format!("/api/v1/appeals/{id}"), &petr).await;
            assert_eq!(a["body_code"], "gov71", "{a}");
            assert_eq!(a["status"], "routed");
            assert_eq!(
                actions(&a).iter().filter(|x| *x == "escalated").count(),
                1,
                "{a}"
            );
            assert!(a["due_date"].as_str().unwrap() > past.to_string().as_str());
        }
    }
}

#[tokio::test]
async fn open311_clients_discover_services_post_and_read_requests_in_json_and_xml() {
    for engine in engines("appeals open311").await {
        let app = start(engine).await;
        let (key, _) = staff(&app, "Приложение «Мой город»", "official").await;
        let (moderator, _) = staff(&app, "Модератор", "moderator").await;
        let base = "/open311/v2";

        let d: Value = app
            .get(&format!("{base}/discovery.json"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            d["endpoints"][0]["specification"],
            "http://wiki.open311.org/GeoReport_v2"
        );
        assert_eq!(
            d["endpoints"][0]["formats"],
            json!(["text/xml", "application/json"])
        );
        // A date filter that is no date is refused in the specification's error form, not
        // ignored (which would answer with everything).
        let r = app
            .get(&format!("{base}/requests.json?start_date=garbage"))
            .await;
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e[0]["code"], 400);
        assert!(e[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("start_date"));

        // GET services: the specification's fields, and the XML form with its element names.
        let list: Vec<Value> = app
            .get(&format!("{base}/services.json"))
            .await
            .json()
            .await
            .unwrap();
        let pothole = list
            .iter()
            .find(|s| s["service_code"] == "pothole")
            .unwrap();
        for k in [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ] {
            assert!(pothole.get(k).is_some(), "{k} in {pothole}");
        }
        assert_eq!(pothole["metadata"], false);
        assert_eq!(pothole["type"], "realtime");
        let r = app.get(&format!("{base}/services.xml")).await;
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml"));
        let xml = r.text().await.unwrap();
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>"),
            "{xml}"
        );
        assert!(
            xml.contains("<service_code>pothole</service_code>"),
            "{xml}"
        );
        let def: Value = app
            .get(&format!("{base}/services/pothole.json"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(def, json!({"service_code": "pothole", "attributes": []}));
        let r = app.get(&format!("{base}/services/nope.json")).await;
        assert_eq!(r.status(), 404);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e[0]["code"], 404, "{e}");
        assert!(e[0]["description"].is_string());

        // POST requests: without or with a wrong api_key, the specification's error array.
        let post_form = |body: String, suffix: &'static str| {
            let app = &app;
            async move {
                app.client
                    .post(app.url(&format!("{base}/requests.{suffix}")))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let r = post_form("service_code=pothole&lat=54.19&long=37.61".into(), "xml").await;
        assert_eq!(r.status(), 403);
        let xml = r.text().await.unwrap();
        assert!(
            xml.contains("<errors><error><code>403</code><description>"),
            "{xml}"
        );
        let r = post_form(
            format!("api_key={key}&service_code=nope&lat=54.19&long=37.61&description=x"),
            "json",
        )
        .await;
        assert_eq!(r.status(), 404);
        let r = post_form(
            format!("api_key={key}&service_code=pothole&description=x"),
            "json",
        )
        .await;
        assert_eq!(r.status(), 400, "a location is required");
        let r = post_form(
            format!(
                "api_key={key}&service_code=pothole&lat=54.1931&long=37.6173&address_string=%D0%A2%D1%83%D0%BB%D0%B0&description=%D0%AF%D0%BC%D0%B0+%D0%BD%D0%B0+%D0%B4%D0%BE%D1%80%D0%BE%D0%B3%D0%B5&first_name=Ivan&email=ivan%40example.ru"
            ),
            "json",
        )
        .await;
        assert_eq!(r.status(), 201);
        let created: Value = r.json().await.unwrap();
        let number = created[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_string();
        let token = created[0]["token"].as_str().unwrap().to_string();
        assert!(
            created[0]["service_notice"].is_string() && created[0]["account_id"].is_null(),
            "{created}"
        );
        let t: Value = app
            .get(&format!("{base}/tokens/{token}.json"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(t, json!([{"service_request_id": number, "token": token}]));

        // Not public before moderation; once accepted, readable by id and in the list.
        assert_eq!(
            app.get(&format!("{base}/requests/{number}.json"))
                .await
                .status(),
            404
        );
        let (s, _) = moderate(&app, &moderator, &token, json!({"verdict": "accept"})).await;
        assert_eq!(s, 200);
        let one: Value = app
            .get(&format!("{base}/requests/{number}.json"))
            .await
            .json()
            .await
            .unwrap();
        let req = &one[0];
        assert_eq!(req["service_request_id"], number.as_str());
        assert_eq!(req["status"], "open");
        assert_eq!(req["service_code"], "pothole");
        assert_eq!(req["description"], "Яма на дороге");
        assert_eq!(req["agency_responsible"], "Управа Центрального округа");
        assert_eq!(req["lat"], 54.1931);
        assert_eq!(req["long"], 37.6173);
        assert!(
            !req.to_string().contains("ivan@example.ru") && !req.to_string().contains("Ivan"),
            "{req}"
        );
        let xml = app
            .get(&format!("{base}/requests/{number}.xml"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            xml.contains("<service_requests><request><address>Тула</address>"),
            "{xml}"
        );
        let open: Vec<Value> = app
            .get(&format!(
                "{base}/requests.json?status=open&service_code=pothole"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert!(open
            .iter()
            .any(|r| r["service_request_id"] == number.as_str()));
        let closed: Vec<Value> = app
            .get(&format!("{base}/requests.json?status=closed"))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            closed.iter().all(|r| r["status"] == "closed") && !closed.is_empty(),
            "the demo's answered report"
        );

        // jurisdiction_id is optional; given, it must be a region served here.
        assert_eq!(
            app.get(&format!("{base}/services.json?jurisdiction_id=71"))
                .await
                .status(),
            200
        );
        let r = app
            .get(&format!("{base}/requests.json?jurisdiction_id=99"))
            .await;
        assert_eq!(r.status(), 404);
        let e: Value = r.json().await.unwrap();
        assert!(e[0]["description"].as_str().unwrap().contains("99"), "{e}");
        let r = post_form(
            format!("api_key={key}&jurisdiction_id=99&service_code=pothole&lat=54.19&long=37.61&description=x"),
            "json",
        )
        .await;
        assert_eq!(r.status(), 404);
        // An app's media_url is kept as a link (never fetched); a link of another scheme is refused.
        let r = post_form(
            format!("api_key={key}&jurisdiction_id=71&service_code=pothole&lat=54.19&long=37.61&description=x&media_url=javascript%3Aalert(1)"),
            "json",
        )
        .await;
        assert_eq!(r.status(), 400);
        let r = post_form(
            format!("api_key={key}&jurisdiction_id=71&service_code=pothole&lat=54.1931&long=37.6173&description=%D0%AF%D0%BC%D0%B0&media_url=https%3A%2F%2Fimg.example.ru%2Fp%2F1.jpg"),
            "json",
        )
        .await;
        assert_eq!(r.status(), 201);
        let created: Value = r.json().await.unwrap();
        let (s, _) = moderate(
            &app,
            &moderator,
            created[0]["token"].as_str().unwrap(),
            json!({"verdict": "accept"}),
        )
        .await;
        assert_eq!(s, 200);
        let one: Value = app
            .get(&format!(
                "{base}/requests/{}.json",
                created[0]["service_request_id"].as_str().unwrap()
            ))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            one[0]["description"]
                .as_str()
                .unwrap()
                .contains("https://img.example.ru/p/1.jpg"),
            "{one}"
        );
        assert_eq!(one[0]["media_url"], Value::Null, "no photo of our own");

        // A person's published report with a photo: media_url leads to the photo, publicly.
        let anna = person(&app, "anna", "Анна Смирнова").await;
        let (_, a) = post(&app, "/api/v1/appeals", &anna, self::pothole()).await;
        let id = a["id"].as_str().unwrap().to_string();
        let (s, file) = appeal_file(&app, &id, &anna, "name=yama.png", PNG.to_vec()).await;
        assert_eq!(s, 201);
        let photo = format!(
            "/appeals/reports/{id}/photos/{}",
            file["id"].as_str().unwrap()
        );
        assert_eq!(
            app.get(&photo).await.status(),
            404,
            "not public before moderation"
        );
        let (s, _) = moderate(&app, &moderator, &id, json!({"verdict": "accept"})).await;
        assert_eq!(s, 200);
        let one: Value = app
            .get(&format!(
                "{base}/requests/{}.json",
                a["number"].as_str().unwrap()
            ))
            .await
            .json()
            .await
            .unwrap();
        let media = one[0]["media_url"]
            .as_str()
            .expect("a media_url")
            .to_string();
        assert!(
            media.starts_with("http") && media.ends_with(&photo),
            "{media}"
        );
        let r = app.get(&photo).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    }
}

#[tokio::test]
async fn a_confirmed_account_votes_exactly_once_even_in_forty_concurrent_attempts() {
    for engine in engines("appeals polls").await {
        let app = start(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let now = jiff::Timestamp::now();
        // RFC 3339 in UTC, as `Timestamp` displays itself.
        let fmt = |t: jiff::Timestamp| t.to_string();
        let (s, poll) = post(
            &app,
            "/api/v1/polls",
            &admin,
            json!({
                "title": "Благоустройство парка", "region": "71", "live_results": true,
                "starts_at": fmt(now - 1.hour()), "ends_at": fmt(now + (7 * 24).hours()),
                "questions": [
                    {"kind": "single", "title": "Что сделать первым?", "options": ["Освещение", "Дорожки", "Скамейки"]},
                    {"kind": "multiple", "title": "Чего не хватает?", "options": ["Туалетов", "Урн", "Площадки"]},
                    {"kind": "scale", "title": "Оцените парк", "options": ["1", "10"]},
                    {"kind": "text", "title": "Ваше предложение"}
                ]
            }),
        )
        .await;
        assert_eq!(s, 201, "{poll}");
        let id = poll["id"].as_str().unwrap().to_string();
        let q: Vec<String> = poll["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["id"].as_str().unwrap().to_string())
            .collect();
        let ballot = json!({"municipality": "tula", "answers": {
            q[0].clone(): 1, q[1].clone(): [0, 2], q[2].clone(): 8, q[3].clone(): "Фонтан"
        }});

        // A standard account may not vote; nor someone outside the region.
        let std = person(&app, "std", "Стандартный").await;
        refused(
            &post(
                &app,
                &format!("/api/v1/polls/{id}/votes"),
                &std,
                ballot.clone(),
            )
            .await,
            403,
            "poll.level_too_low",
        );
        let voter = person(&app, "voter", "Избиратель").await;
        tamper(
            &app,
            "UPDATE accounts SET level = 'confirmed' WHERE id = 'voter'",
        )
        .await
        .unwrap();
        let mut outside = ballot.clone();
        outside["municipality"] = json!("71");
        refused(
            &post(&app, &format!("/api/v1/polls/{id}/votes"), &voter, outside).await,
            403,
            "poll.audience",
        );
        let mut bad = ballot.clone();
        bad["answers"][q[2].clone()] = json!(11);
        refused(
            &post(&app, &format!("/api/v1/polls/{id}/votes"), &voter, bad).await,
            400,
            "validation.failed",
        );

        // Forty attempts at once: exactly one is counted.
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let client = app.client.clone();
            let url = app.url(&format!("/api/v1/polls/{id}/votes"));
            let (voter, ballot) = (voter.clone(), ballot.clone());
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(voter)
                    .json(&ballot)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap());
        }
        assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
        assert!(codes.iter().all(|c| *c == 201 || *c == 409), "{codes:?}");
        refused(
            &post(
                &app,
                &format!("/api/v1/polls/{id}/votes"),
                &voter,
                ballot.clone(),
            )
            .await,
            409,
            "poll.already_voted",
        );

        let (s, r) = get(&app, &format!("/api/v1/polls/{id}/results"), &voter).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["votes"], 1);
        assert_eq!(r["questions"][0]["counts"][1], json!(["Дорожки", 1]));
        assert_eq!(
            r["questions"][1]["counts"],
            json!([["Туалетов", 1], ["Урн", 0], ["Площадки", 1]])
        );
        assert_eq!(r["questions"][2]["mean"], 8.0);
        assert_eq!(r["questions"][3]["answers"], 1);
        let svg = app
            .get(&format!("/api/v1/polls/{id}/results.svg"))
            .await
            .text()
            .await
            .unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("Дорожки"), "{svg}");
    }
}

/// A multipart body of `file` fields, as a browser sends a file form.
fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let b = "okno-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[tokio::test]
async fn the_author_adds_photos_with_a_plain_file_form_and_a_refused_file_is_named_in_russian() {
    for engine in engines("appeals file form").await {
        let app = start(engine).await;
        let anna = person(&app, "anna", "Анна Смирнова").await;
        let id = filed_appeal(&app, &anna, pothole()).await.id;
        let page = page(&app, &format!("/account/appeals/{id}"), &anna).await;
        let mark = format!("action=\"/account/appeals/{id}/files?csrf_token=");
        let at = page.find(&mark).expect("a plain file form") + mark.len();
        let token = page[at..at + 32].to_string();
        assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
        let send = |files: Vec<(&'static str, Vec<u8>)>, token: Option<String>| {
            let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
            let (content_type, body) = multipart(&refs);
            let url = match token {
                Some(t) => format!("/account/appeals/{id}/files?csrf_token={t}"),
                None => format!("/account/appeals/{id}/files"),
            };
            let r = app
                .client
                .post(app.url(&url))
                .bearer_auth(&anna)
                .header("content-type", content_type)
                .body(body);
            async move {
                let r = r.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let pdf = b"%PDF-1.4\n% a scan\n".to_vec();
        let (s, html) = send(
            vec![("яма.png", PNG.to_vec()), ("акт.pdf", pdf.clone())],
            Some(token.clone()),
        )
        .await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("Добавлено файлов: 2") && html.contains("акт.pdf"),
            "{html}"
        );
        // The type is told from the content: a renamed text file is refused by name, in Russian.
        let (s, html) = send(
            vec![("фото.jpg", b"just text".to_vec())],
            Some(token.clone()),
        )
        .await;
        assert_eq!(s, 415, "{html}");
        assert!(html.contains("Файл «фото.jpg» не добавлен"), "{html}");
        let (s, html) = send(
            vec![("большой.pdf", {
                let mut v = b"%PDF-1.4\n".to_vec();
                v.resize(5 * 1024 * 1024 + 1, b'0');
                v
            })],
            Some(token.clone()),
        )
        .await;
        assert_eq!(s, 413, "{html}");
        let (s, html) = send(vec![("", Vec::new())], Some(token.clone())).await;
        assert_eq!(s, 400, "{html}");
        assert!(html.contains("Выберите файл"), "{html}");
        // Without the page's token the form is refused.
        let (s, _) = send(vec![("яма.png", PNG.to_vec())], None).await;
        assert_eq!(s, 403);
        let (s, _) = send(vec![("яма.png", PNG.to_vec())], Some("0".repeat(32))).await;
        assert_eq!(s, 403);
        let n = query_text(
            &app,
            &format!("SELECT CAST(COUNT(*) AS TEXT) FROM appeal_files WHERE appeal_id = '{id}'"),
        )
        .await
        .unwrap();
        assert_eq!(n, "2");
    }
}

#[tokio::test]
async fn an_administrator_imports_a_category_a_body_and_a_route_from_a_file_and_new_appeals_follow_them(
) {
    for engine in engines("appeals configuration import").await {
        let app = start(engine).await;
        let write = |name: &str, config: Value| {
            let path = app.data_dir.join(name);
            std::fs::write(&path, config.to_string()).unwrap();
            path.display().to_string()
        };
        // A reference to nothing refuses the whole file: nothing is added.
        let bad = write(
            "bad.json",
            json!({
                "categories": [{"code": "animals", "title": "Животные", "subs": [["strays", "Безнадзорные животные"]]}],
                "routes": [{"id": "animals-tula", "category": "animals", "municipality": "tula", "body": "vet71"}],
            }),
        );
        let (code, out, err) = app.okno(&["admin", "appeals", "import", &bad]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains("appeals.config_reference_unknown") && err.contains("vet71"),
            "{err}"
        );
        let tree = app
            .get("/api/v1/appeals/categories")
            .await
            .text()
            .await
            .unwrap();
        assert!(!tree.contains("animals"), "{tree}");
        let (code, _, err) = app.okno(&[
            "admin",
            "appeals",
            "import",
            &write("typo.json", json!({"bodys": []})),
        ]);
        assert_eq!(code, 1);
        assert!(err.contains("appeals.config_invalid"), "{err}");

        let good = write(
            "good.json",
            json!({
                "bodies": [{"code": "vet71", "name": "Комитет ветеринарии Тульской области", "short": "Комитет ветеринарии",
                            "region": "71", "municipality": null, "supervisor": "gov71"}],
                "categories": [{"code": "animals", "title": "Животные", "subs": [["strays", "Безнадзорные животные"]]}],
                "routes": [{"id": "animals-71", "category": "animals", "region": "71", "municipality": null, "polygon": null, "body": "vet71"}],
            }),
        );
        let (code, out, err) = app.okno(&["admin", "appeals", "import", &good]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("органов 1, тем и подтем 2, правил маршрутизации 1"),
            "{out}"
        );
        // Once more: nothing new, nothing changed.
        let (code, out, _) = app.okno(&["admin", "appeals", "import", &good]);
        assert_eq!(code, 0);
        assert!(
            out.contains("органов 0, тем и подтем 0, правил маршрутизации 0"),
            "{out}"
        );
        let tree = app
            .get("/api/v1/appeals/categories")
            .await
            .text()
            .await
            .unwrap();
        assert!(tree.contains("Безнадзорные животные"), "{tree}");

        // A new appeal in the new subcategory goes to the new body once accepted.
        let ivan = person(&app, "ivan", "Иван Петров").await;
        let (moderator, _) = staff(&app, "Модератор", "moderator").await;
        let who = AppealParties::new(&ivan, &moderator, None);
        let strays = json!({"kind": "message", "category": "strays", "text": "Во дворе дома 5 по улице Ленина стая бездомных собак.", "municipality": "tula"});
        let id = appeal_in(&app, &who, strays, AppealState::Moderation)
            .await
            .id;
        let (s, a) = moderate(&app, &moderator, &id, json!({"verdict": "accept"})).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["body_code"], "vet71", "{a}");
        let journal = query_text(
            &app,
            "SELECT CAST(details AS TEXT) FROM audit_log WHERE action = 'appeals.config.imported' UNION ALL SELECT CAST(details AS TEXT) FROM audit_pending WHERE action = 'appeals.config.imported'",
        )
        .await
        .unwrap();
        assert_eq!(
            journal.lines().count(),
            1,
            "one import added something: {journal}"
        );
    }
}
