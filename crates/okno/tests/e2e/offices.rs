//! End-to-end tests of the offices part over HTTP on both engines: the registry search with local
//! hours, slots and bookings (the last place under 100 concurrent attempts, moving, cancelling,
//! every refusal), reminders through notifications, and the electronic queue with its display.
//!
//! People are made by the product's command (`okno admin person create --count`), because the
//! registration API admits ten registrations a minute from one address and these tests need a
//! hundred people; everything they do afterwards goes through the API like a browser would.

use okno_testkit::http::{get, post, Bearer, ANONYMOUS};
use okno_testkit::{engines, tamper, Engine, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

async fn start(engine: Engine) -> TestApp {
    TestApp::demo(BIN, engine, &["--worker-poll-ms", "50"]).await
}

/// `n` people with live sessions; gives their bearer secrets.
async fn people(app: &TestApp, tag: &str, n: usize) -> Vec<String> {
    app.people(tag, "Житель", "registered", n).await
}

/// Books the slot `slot` for the holder of `who`: the status and the answer.
async fn book(app: &TestApp, who: impl Bearer, slot: &str) -> (u16, Value) {
    post(app, "/api/v1/appointments", who, json!({ "slot_id": slot })).await
}

/// The operator `op` calls the next ticket of `office` to window 3: the status and the answer.
async fn call_to_window_3(app: &TestApp, op: &str, office: &str) -> (u16, Value) {
    let path = format!("/api/v1/offices/{office}/queue/call");
    post(app, &path, Some(op), json!({"window": "3"})).await
}

/// The operator `op` moves the ticket `id` on (`start`, `finish`, `no-show`): the status and the
/// answer.
async fn on_ticket(app: &TestApp, op: &str, id: &str, step: &str) -> (u16, Value) {
    let path = format!("/api/v1/queue/tickets/{id}/{step}");
    post(app, &path, Some(op), json!({})).await
}

fn admin(app: &TestApp) -> &str {
    app.admin_token.as_deref().unwrap()
}

/// An operator's API token, issued on the server (an administrator's token cannot grant a role
/// it does not hold), and the credential of a desk of the queue's office it works through, as
/// "token device" (see `send`).
async fn operator(app: &TestApp) -> String {
    let token = operator_token(app).await;
    let (status, d) = post(
        app,
        "/api/v1/offices/mfc-tula-proletarsky/devices",
        Some(admin(app)),
        json!({"kind": "desk", "name": "Окно 3"}),
    )
    .await;
    assert_eq!(status, 201, "{d}");
    format!("{token} {}", d["credential"].as_str().unwrap())
}

async fn operator_token(app: &TestApp) -> String {
    let (code, out, err) = app.okno(&[
        "admin",
        "token",
        "create",
        "--name",
        "Оператор окна",
        "--role",
        "operator",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    out.lines().last().unwrap().trim().to_string()
}

/// Generates a week of slots at `office` for `service` and gives the free ones.
async fn week_of_slots(app: &TestApp, office: &str, service: &str, capacity: i64) -> Vec<Value> {
    let (s, g) = post(
        app,
        &format!("/api/v1/offices/{office}/slots/generate"),
        Some(admin(app)),
        json!({"service": service, "days": 7, "duration_min": 30, "capacity": capacity}),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert!(g["created"].as_i64().unwrap() > 0, "{g}");
    let (s, list) = get(
        app,
        &format!("/api/v1/offices/{office}/slots?service={service}"),
        ANONYMOUS,
    )
    .await;
    assert_eq!(s, 200);
    list.as_array().unwrap().clone()
}

#[tokio::test]
async fn offices_are_found_by_city_kind_and_service_nearest_first_with_hours_in_local_time() {
    for engine in engines("offices search").await {
        let app = start(engine).await;
        let (s, list) = get(&app, "/api/v1/offices/search?city=Владивосток", ANONYMOUS).await;
        assert_eq!(s, 200);
        let o = &list[0];
        assert_eq!(o["code"], "mfc-vladivostok");
        assert_eq!(o["time_zone"], "Asia/Vladivostok");
        assert!(
            o["status"].as_str().unwrap().starts_with("Открыто")
                || o["status"].as_str().unwrap().starts_with("Закрыто")
        );
        assert_eq!(o["week"][6]["hours"], Value::Null, "closed on Sundays");

        let (_, posts) = get(&app, "/api/v1/offices/search?kind=post", ANONYMOUS).await;
        assert!(posts
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["kind"] == "post"));
        assert!(!posts.as_array().unwrap().is_empty());

        let (_, with) = get(
            &app,
            "/api/v1/offices/search?service=child-allowance",
            ANONYMOUS,
        )
        .await;
        let codes: Vec<&str> = with
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"mfc-tula-centr") && codes.contains(&"mfc-vladivostok"));

        // Nearest to Tula's Lenin Square: the central МФЦ (54.178, 37.606) is 1.7 km away.
        let (_, near) = get(
            &app,
            "/api/v1/offices/search?lat=54.193&lon=37.617&limit=3",
            ANONYMOUS,
        )
        .await;
        let near = near.as_array().unwrap();
        assert_eq!(near.len(), 3);
        let d: Vec<f64> = near
            .iter()
            .map(|o| o["distance_km"].as_f64().unwrap())
            .collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
        assert!(d[0] < 1.0, "{d:?}");

        let (s, p) = get(&app, "/api/v1/offices/search?kind=kiosk", ANONYMOUS).await;
        assert_eq!(
            (s, p["errors"][0]["code"].as_str()),
            (400, Some("office.kind_unknown"))
        );
        let (s, p) = get(&app, "/api/v1/offices/search?lat=54.1", ANONYMOUS).await;
        assert_eq!(
            (s, p["errors"][0]["code"].as_str()),
            (400, Some("office.point_invalid"))
        );

        let page = app
            .get("/offices?city=Владивосток")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Asia/Vladivostok") && page.contains("МФЦ"),
            "{page}"
        );
        let all = app.get("/offices").await.text().await.unwrap();
        assert!(all.contains("Asia/Vladivostok"));
        let card = app
            .get("/offices/mfc-vladivostok")
            .await
            .text()
            .await
            .unwrap();
        assert!(card.contains("Часы работы") && card.contains("Воскресенье"));
        let (s, _) = get(&app, "/api/v1/offices/nowhere", ANONYMOUS).await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn the_last_free_place_of_a_slot_goes_to_exactly_one_of_100_concurrent_bookings() {
    for engine in engines("offices concurrent booking").await {
        let app = start(engine).await;
        let slots = week_of_slots(&app, "mfc-ekb", "passport-rf", 2).await;
        let slot = slots[0]["id"].as_str().unwrap().to_string();
        let first = people(&app, "first", 1).await;
        let (s, b) = book(&app, Some(&first[0]), &slot).await;
        assert_eq!(s, 201, "{b}");
        let crowd = people(&app, "crowd", 100).await;
        let attempts = crowd.iter().map(|who| {
            let client = reqwest::Client::new();
            let url = app.url("/api/v1/appointments");
            let who = who.clone();
            let slot = slot.clone();
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(who)
                    .json(&json!({"slot_id": slot}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                (status, body["code"].as_str().unwrap_or("").to_string())
            })
        });
        let mut won = 0;
        let mut full = 0;
        for h in attempts.collect::<Vec<_>>() {
            match h.await.unwrap() {
                (201, _) => won += 1,
                (409, code) if code == "slot.full" => full += 1,
                other => panic!("unexpected answer {other:?}\n{}", app.log()),
            }
        }
        assert_eq!((won, full), (1, 99), "{engine:?}");
        let booked = okno_testkit::query_text(
            &app,
            &format!("SELECT CAST(booked AS TEXT) || '/' || CAST((SELECT COUNT(*) FROM appointments WHERE slot_id = '{slot}' AND status = 'booked') AS TEXT) FROM appointment_slots WHERE id = '{slot}'"),
        )
        .await
        .unwrap();
        assert_eq!(booked, "2/2");
        let (_, free) = get(
            &app,
            "/api/v1/offices/mfc-ekb/slots?service=passport-rf",
            ANONYMOUS,
        )
        .await;
        assert!(free
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != slot.as_str()));
    }
}

#[tokio::test]
async fn bookings_are_moved_and_cancelled_and_every_refusal_names_its_code() {
    for engine in engines("offices booking refusals").await {
        let app = start(engine).await;
        let slots = week_of_slots(&app, "mfc-kaliningrad", "passport-rf", 1).await;
        let (a, b) = (
            slots[0]["id"].as_str().unwrap(),
            slots[1]["id"].as_str().unwrap(),
        );
        let p = people(&app, "p", 2).await;
        let (anna, boris) = (p[0].as_str(), p[1].as_str());

        let (s, e) = book(&app, ANONYMOUS, a).await;
        assert_eq!((s, e["code"].as_str()), (401, Some("auth.required")));
        let (s, e) = book(&app, Some(admin(&app)), a).await;
        assert_eq!(
            (s, e["code"].as_str()),
            (403, Some("appointment.person_only"))
        );

        let (s, booking) = book(&app, Some(anna), a).await;
        assert_eq!(s, 201, "{booking}");
        let code = booking["code"].as_str().unwrap().to_string();
        assert_eq!(code.len(), 7);
        assert_eq!(booking["time_zone"], "Europe/Kaliningrad");
        let id = booking["id"].as_str().unwrap().to_string();

        let (s, e) = book(&app, Some(anna), a).await;
        assert_eq!(
            (s, e["code"].as_str()),
            (409, Some("appointment.duplicate"))
        );
        let (s, e) = book(&app, Some(boris), a).await;
        assert_eq!((s, e["code"].as_str()), (409, Some("slot.full")), "{e}");
        assert!(e["detail"].as_str().unwrap().contains("мест больше нет"));

        // Someone else's booking cannot be cancelled or moved, and is not even shown to exist.
        let (s, e) = post(
            &app,
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(boris),
            json!({}),
        )
        .await;
        assert_eq!(
            (s, e["code"].as_str()),
            (404, Some("appointment.not_found"))
        );
        let (s, e) = post(
            &app,
            &format!("/api/v1/appointments/{id}/move"),
            Some(boris),
            json!({"slot_id": b}),
        )
        .await;
        assert_eq!(
            (s, e["code"].as_str()),
            (404, Some("appointment.not_found"))
        );

        let (s, moved) = post(
            &app,
            &format!("/api/v1/appointments/{id}/move"),
            Some(anna),
            json!({"slot_id": b}),
        )
        .await;
        assert_eq!(s, 200, "{moved}");
        assert_eq!(
            (moved["code"].as_str(), moved["slot_id"].as_str()),
            (Some(code.as_str()), Some(b))
        );
        // The old place is free again: Boris takes it.
        let (s, _) = book(&app, Some(boris), a).await;
        assert_eq!(s, 201);

        let (s, c) = post(
            &app,
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(anna),
            json!({}),
        )
        .await;
        assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")));
        let (s, e) = post(
            &app,
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(anna),
            json!({}),
        )
        .await;
        assert_eq!((s, e["code"].as_str()), (409, Some("booking.cancelled")));
        assert_eq!(e["title"], "Конфликт с текущим состоянием");
        let (_, mine) = get(&app, "/api/v1/appointments", Some(anna)).await;
        assert_eq!(mine[0]["status"], "cancelled");

        // A slot whose time has come cannot be booked.
        let c = slots[2]["id"].as_str().unwrap();
        tamper(
            &app,
            &format!("UPDATE appointment_slots SET starts_at = 1000 WHERE id = '{c}'"),
        )
        .await
        .unwrap();
        let (s, e) = book(&app, Some(anna), c).await;
        assert_eq!((s, e["code"].as_str()), (409, Some("slot.past")));

        // Publishing: administrators only, inside the hours, never on a holiday.
        let (s, e) = post(&app, "/api/v1/offices/mfc-kaliningrad/slots", Some(anna),
            json!({"service": "passport-rf", "date": "2027-03-03", "time": "10:00", "duration_min": 20, "capacity": 2})).await;
        assert_eq!((s, e["code"].as_str()), (403, Some("auth.forbidden")));
        for (date, time) in [
            ("2027-03-03", "03:00"),
            ("2027-01-05", "10:00"),
            ("2027-03-07", "10:00"),
        ] {
            let (s, e) = post(&app, "/api/v1/offices/mfc-kaliningrad/slots", Some(admin(&app)),
                json!({"service": "passport-rf", "date": date, "time": time, "duration_min": 20, "capacity": 2})).await;
            assert_eq!(
                (s, e["code"].as_str()),
                (409, Some("slot.outside_hours")),
                "{date} {time}"
            );
        }
        let (s, e) = post(&app, "/api/v1/offices/mfc-kaliningrad/slots", Some(admin(&app)),
            json!({"service": "passport-rf", "date": "2020-03-03", "time": "10:00", "duration_min": 20, "capacity": 2})).await;
        assert_eq!((s, e["code"].as_str()), (409, Some("slot.past")));
        let (s, e) = post(&app, "/api/v1/offices/mfc-kaliningrad/slots", Some(admin(&app)),
            json!({"service": "child-allowance", "date": "2027-03-03", "time": "10:00", "duration_min": 20, "capacity": 2})).await;
        assert_eq!(
            (s, e["errors"][0]["code"].as_str()),
            (400, Some("slot.service_not_offered"))
        );
        let (s, slot) = post(&app, "/api/v1/offices/mfc-kaliningrad/slots", Some(admin(&app)),
            json!({"service": "passport-rf", "date": "2027-03-03", "time": "10:00", "duration_min": 20, "capacity": 2})).await;
        assert_eq!(s, 201, "{slot}");
        // 10:00 in Kaliningrad (UTC+2) is 08:00 UTC.
        assert_eq!(slot["starts_at"], "2027-03-03T08:00:00Z");

        // The booking was confirmed through notifications, in the person's inbox.
        app.wait_deliveries(20, "the booking confirmation", |d| {
            d.iter()
                .any(|x| x["subject"] == "Запись на приём" && x["recipient"] == "p-000")
        })
        .await;
        let page = app
            .client
            .get(app.url("/account/appointments"))
            .bearer_auth(anna)
            .send()
            .await
            .unwrap();
        let page = page.text().await.unwrap();
        assert!(page.contains(&code) && page.contains("отменена"), "{page}");
    }
}

#[tokio::test]
async fn reminders_go_out_once_the_day_before_and_two_hours_before_even_from_two_nodes() {
    for engine in engines("offices reminders").await {
        let app = start(engine).await;
        let slots = week_of_slots(&app, "mfc-novomoskovsk", "passport-rf", 1).await;
        let p = people(&app, "r", 4).await;
        let mut ids = Vec::new();
        for (i, person) in p.iter().enumerate() {
            // Slots two days ahead or later have both reminders due in the future.
            let slot = slots[slots.len() - 1 - i]["id"].as_str().unwrap();
            let (s, b) = book(&app, Some(person), slot).await;
            assert_eq!(s, 201, "{b}");
            ids.push(b["id"].as_str().unwrap().to_string());
        }
        let due = okno_testkit::query_text(
            &app,
            &format!(
                "SELECT kind FROM appointment_reminders WHERE appointment_id = '{}' ORDER BY kind",
                ids[0]
            ),
        )
        .await
        .unwrap();
        assert_eq!(due, "day\nhours");
        // A second node on the same database runs the reminder worker too.
        let second = app.second_node(&["--worker-poll-ms", "20"]).await;
        tamper(&app, "UPDATE appointment_reminders SET due_at = 1")
            .await
            .unwrap();
        let want = 2 * ids.len();
        let d = app
            .wait_deliveries(30, "every reminder", |d| {
                d.iter()
                    .filter(|x| x["subject"] == "Напоминание о записи")
                    .count()
                    >= want
            })
            .await;
        let texts: Vec<&str> = d
            .iter()
            .filter(|x| x["subject"] == "Напоминание о записи")
            .map(|x| x["text"].as_str().unwrap())
            .collect();
        assert!(
            texts.iter().any(|t| t.contains("завтра"))
                && texts.iter().any(|t| t.contains("через 2 часа")),
            "{texts:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        let again = app.deliveries().await;
        drop(second);
        assert_eq!(
            again
                .iter()
                .filter(|x| x["subject"] == "Напоминание о записи")
                .count(),
            want,
            "each reminder once, though two nodes looked"
        );
        let sent = okno_testkit::query_text(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) FROM appointment_reminders WHERE sent_at IS NOT NULL",
        )
        .await
        .unwrap();
        assert_eq!(sent, want.to_string());
    }
}

#[tokio::test]
async fn the_queue_calls_appointments_first_and_shows_called_tickets_on_the_hall_display() {
    for engine in engines("offices queue").await {
        let app = start(engine).await;
        let op = operator(&app).await;
        let office = "mfc-tula-proletarsky";
        let p = people(&app, "q", 1).await;

        let (s, e) = call_to_window_3(&app, &op, office).await;
        assert_eq!((s, e["code"].as_str()), (409, Some("queue.empty")));
        assert_eq!(e["detail"], "Очередь пуста: ожидающих талонов нет.");
        let (s, e) = post(
            &app,
            &format!("/api/v1/offices/{office}/queue/tickets"),
            Some(&p[0]),
            json!({"service": "passport-rf"}),
        )
        .await;
        assert_eq!((s, e["code"].as_str()), (403, Some("auth.forbidden")));

        let (s, walk_in) = post(
            &app,
            &format!("/api/v1/offices/{office}/queue/tickets"),
            Some(&op),
            json!({"service": "passport-rf"}),
        )
        .await;
        assert_eq!(s, 201, "{walk_in}");
        assert_eq!(
            (walk_in["label"].as_str(), walk_in["ahead"].as_i64()),
            (Some("А-001"), Some(0))
        );

        // A booking for today at this office gets a ticket that goes first.
        let slots = week_of_slots(&app, office, "passport-rf", 1).await;
        let slot = slots[0]["id"].as_str().unwrap();
        let (_, b) = book(&app, Some(&p[0]), slot).await;
        let (_, o) = get(&app, &format!("/api/v1/offices/{office}"), ANONYMOUS).await;
        let today = o["local_date"].as_str().unwrap();
        tamper(
            &app,
            &format!("UPDATE appointment_slots SET local_date = '{today}' WHERE id = '{slot}'"),
        )
        .await
        .unwrap();
        let code = b["code"].as_str().unwrap().to_lowercase();
        let (s, booked) = post(
            &app,
            &format!("/api/v1/offices/{office}/queue/tickets"),
            Some(&op),
            json!({"booking_code": code}),
        )
        .await;
        assert_eq!(s, 201, "{booked}");
        assert_eq!(
            (booked["label"].as_str(), booked["ahead"].as_i64()),
            (Some("З-002"), Some(0))
        );
        let (s, e) = post(
            &app,
            &format!("/api/v1/offices/{office}/queue/tickets"),
            Some(&op),
            json!({"booking_code": code}),
        )
        .await;
        assert_eq!(
            (s, e["code"].as_str()),
            (409, Some("ticket.already_issued"))
        );
        let (s, e) = post(
            &app,
            &format!("/api/v1/offices/{office}/queue/tickets"),
            Some(&op),
            json!({"booking_code": "AAA-AAA"}),
        )
        .await;
        assert_eq!(
            (s, e["code"].as_str()),
            (404, Some("ticket.booking_unknown"))
        );

        let (s, called) = call_to_window_3(&app, &op, office).await;
        assert_eq!(s, 200, "{called}");
        assert_eq!(
            (called["label"].as_str(), called["window"].as_str()),
            (Some("З-002"), Some("3"))
        );
        let display = app
            .get(&format!("/offices/{office}/queue/display"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            display.contains("З-002") && display.contains("http-equiv=\"refresh\""),
            "{display}"
        );
        let (s, e) = call_to_window_3(&app, &op, office).await;
        assert_eq!((s, e["code"].as_str()), (409, Some("queue.window_busy")));

        let t = called["id"].as_str().unwrap();
        let (s, e) = on_ticket(&app, &op, t, "finish").await;
        assert_eq!((s, e["code"].as_str()), (409, Some("ticket.transition")));
        let (s, _) = on_ticket(&app, &op, t, "start").await;
        assert_eq!(s, 200);
        let (s, done) = on_ticket(&app, &op, t, "finish").await;
        assert_eq!((s, done["status"].as_str()), (200, Some("done")));

        let (_, next) = call_to_window_3(&app, &op, office).await;
        assert_eq!(next["label"], "А-001");
        let (s, gone) = on_ticket(&app, &op, next["id"].as_str().unwrap(), "no-show").await;
        assert_eq!((s, gone["status"].as_str()), (200, Some("no_show")));
        let (s, e) = call_to_window_3(&app, &op, office).await;
        assert_eq!((s, e["code"].as_str()), (409, Some("queue.empty")));

        let (_, board) = get(&app, &format!("/api/v1/offices/{office}/queue"), ANONYMOUS).await;
        assert_eq!(board["estimate"]["basis"], "median_last_hour", "{board}");
        assert_eq!(board["waiting"], 0);
    }
}
