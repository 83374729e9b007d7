//! End-to-end tests of organisation accounts over HTTP on both engines: a confirmed person registers
//! a legal entity or a sole proprietor and becomes its head, refusals name every problem, members
//! are added by СНИЛС with roles, a member acts for the organisation with both names in the audit
//! journal, an accountant acts in payments only, a removal ends the member's power at once, and the
//! last head cannot step down. People come from the demo's reference registry
//! (crates/identity/data/registry-demo.csv); codes really travel by the SMS gateway and SMTP.

use okno_testkit::http::{get, post, send};
use okno_testkit::{engines, Engine, Options, SmsGateway, SmtpServer, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");
const PASSWORD: &str = "Лиса-На-Крыше7";

struct World {
    app: TestApp,
    gw: SmsGateway,
    smtp: SmtpServer,
}

/// The platform with the demo's reference registry, an SMS gateway and an SMTP server.
async fn world(engine: Engine) -> World {
    let gw = SmsGateway::start(&[]).await.unwrap();
    let smtp = SmtpServer::start(None).unwrap();
    let app = TestApp::start(
        BIN,
        engine,
        Options {
            demo: true,
            args: vec![
                "--sms-url".into(),
                gw.url(),
                "--smtp-url".into(),
                smtp.url(),
                "--worker-poll-ms".into(),
                "50".into(),
            ],
        },
    )
    .await
    .unwrap();
    World { app, gw, smtp }
}

/// The six digits in a message.
fn code_in(text: &str) -> String {
    let digits: Vec<char> = text.chars().collect();
    for w in digits.windows(6) {
        if w.iter().all(|c| c.is_ascii_digit()) {
            return w.iter().collect();
        }
    }
    panic!("no code in {text}")
}

/// Registers a person, confirms both contacts with the `nth` SMS and e-mail that arrived, and fills
/// in the profile from the demo registry: the account is «стандартная». Gives the session.
async fn person(w: &World, nth: usize, phone: &str, email: &str, profile: Value) -> String {
    let r = w
        .app
        .post_json(
            "/api/v1/identity/register",
            None,
            &json!({"full_name": "Смирнова Анна Петровна", "phone": phone, "email": email,
                    "password": PASSWORD, "consent": true}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.unwrap();
    let session = s["session"].as_str().unwrap().to_string();
    let sms = w.gw.wait_for(nth, 20).await;
    let code = code_in(sms[nth - 1].json()["text"].as_str().unwrap());
    let (status, p) = post(
        &w.app,
        "/api/v1/identity/confirm",
        &session,
        json!({"contact": "phone", "code": code}),
    )
    .await;
    assert_eq!(status, 200, "{p}");
    let mails = w.smtp.wait_for(nth, 20).await;
    let code = code_in(mails[nth - 1]["text"].as_str().unwrap());
    let (status, p) = post(
        &w.app,
        "/api/v1/identity/confirm",
        &session,
        json!({"contact": "email", "code": code}),
    )
    .await;
    assert_eq!(status, 200, "{p}");
    let (status, o) = send(
        &w.app,
        reqwest::Method::PUT,
        "/api/v1/identity/profile",
        &session,
        Some(profile),
    )
    .await;
    assert_eq!(
        (status, o["level"].as_str()),
        (200, Some("standard")),
        "{o}"
    );
    session
}

fn anna() -> Value {
    json!({"last_name": "Смирнова", "first_name": "Анна", "middle_name": "Петровна", "birth_date": "1985-03-14",
           "sex": "female", "passport": "42 04 514002", "snils": "018-159-083 49", "inn": "776613186006"})
}

fn sergey() -> Value {
    json!({"last_name": "Иванов", "first_name": "Сергей", "middle_name": "Александрович", "birth_date": "1972-11-02",
           "sex": "male", "passport": "7303334083", "snils": "90996030843"})
}

fn maria() -> Value {
    json!({"last_name": "Кузнецова", "first_name": "Мария", "middle_name": "Игоревна", "birth_date": "1990-07-21",
           "sex": "female", "passport": "1418698951", "snils": "35181909383"})
}

/// Stands in for the in-person confirmation of the offices part (not built yet).
async fn confirm_in_person(w: &World, email: &str) {
    okno_testkit::tamper(
        &w.app,
        &format!("UPDATE accounts SET level = 'confirmed' WHERE email = '{email}'"),
    )
    .await
    .unwrap();
}

fn romashka() -> Value {
    // ОГРН, ИНН and КПП of ПАО Сбербанк: real, valid numbers (`okno validate ogrn 1027700132195`).
    json!({"kind": "legal_entity", "ogrn": "1027 700 132 195", "inn": "7707083893", "kpp": "773601001",
           "full_name": "Общество с ограниченной ответственностью «Ромашка»", "short_name": "ООО «Ромашка»"})
}

async fn audit(w: &World) -> Vec<Value> {
    w.app
        .client
        .get(w.app.url("/api/v1/audit?limit=50"))
        .bearer_auth(w.app.auditor_token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits until an SMS containing `needle` reached the gateway.
async fn sms_with(w: &World, needle: &str) -> String {
    for _ in 0..200 {
        if let Some(t) =
            w.gw.requests()
                .iter()
                .filter_map(|r| r.json()["text"].as_str().map(str::to_string))
                .find(|t| t.contains(needle))
        {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no SMS with «{needle}»")
}

fn codes(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_confirmed_person_registers_a_legal_entity_and_a_sole_proprietor_and_refusals_name_every_problem(
) {
    let test = "a_confirmed_person_registers_a_legal_entity_and_a_sole_proprietor_and_refusals_name_every_problem";
    for engine in engines(test).await {
        let w = world(engine).await;
        let anna_s = person(&w, 1, "+79160000021", "anna.org@example.ru", anna()).await;
        let path = "/api/v1/identity/organisations";

        // «Стандартная» is not enough.
        let (status, p) = post(&w.app, path, &anna_s, romashka()).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.level_required")),
            "{p}"
        );
        confirm_in_person(&w, "anna.org@example.ru").await;

        // Every problem at once, each with its field and code.
        let (status, p) = post(&w.app, path, &anna_s,
            json!({"kind": "legal_entity", "ogrn": "1027700132194", "inn": "7707083894", "kpp": "77360100",
                   "full_name": " ", "short_name": ""})).await;
        assert_eq!(status, 400, "{p}");
        let want: Vec<(String, String)> = [
            ("ogrn", "ogrn.checksum"),
            ("inn", "inn.checksum"),
            ("kpp", "kpp.format"),
            ("full_name", "organisation.name_required"),
            ("short_name", "organisation.name_required"),
        ]
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect();
        assert_eq!(codes(&p), want, "{p}");
        assert!(
            p["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("Контрольное число ОГРН"),
            "{p}"
        );
        // A legal entity needs a КПП and an organisation's ИНН.
        let mut no_kpp = romashka();
        no_kpp["kpp"] = Value::Null;
        no_kpp["inn"] = json!("776613186006");
        let (status, p) = post(&w.app, path, &anna_s, no_kpp).await;
        assert_eq!(status, 400);
        assert_eq!(
            codes(&p),
            [
                ("inn".to_string(), "organisation.inn_kind".to_string()),
                ("kpp".to_string(), "organisation.kpp_required".to_string())
            ]
        );

        let (status, org) = post(&w.app, path, &anna_s, romashka()).await;
        assert_eq!(status, 201, "{org}");
        assert_eq!(org["ogrn"], "1027700132195");
        assert_eq!(org["kpp"], "773601001");
        assert_eq!(org["role"], "head");
        assert_eq!(org["kind_title"], "Юридическое лицо");

        // The same ОГРН cannot be registered twice.
        let (status, p) = post(&w.app, path, &anna_s, romashka()).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("organisation.taken")),
            "{p}"
        );
        assert_eq!(p["errors"][0]["field"], "ogrn");

        // A sole proprietor only on oneself: the ИНН must be the profile's.
        let ip = |inn: &str| {
            json!({"kind": "sole_proprietor", "ogrn": "304500116000157", "inn": inn,
                   "full_name": "Индивидуальный предприниматель Смирнова Анна Петровна", "short_name": "ИП Смирнова А. П."})
        };
        let (status, p) = post(&w.app, path, &anna_s, ip("776281948201")).await;
        assert_eq!(status, 400, "{p}");
        assert_eq!(p["errors"][0]["code"], "organisation.inn_not_yours");
        let mut with_kpp = ip("776613186006");
        with_kpp["kpp"] = json!("773601001");
        let (status, p) = post(&w.app, path, &anna_s, with_kpp).await;
        assert_eq!(status, 400, "{p}");
        assert_eq!(p["errors"][0]["code"], "organisation.kpp_not_applicable");
        let (status, sp) = post(&w.app, path, &anna_s, ip("776613186006")).await;
        assert_eq!(status, 201, "{sp}");
        assert_eq!(
            (sp["kind"].as_str(), sp["inn"].as_str(), sp["kpp"].as_str()),
            (Some("sole_proprietor"), Some("776613186006"), None)
        );
        // The proprietor's ИНН is the person's own: stored encrypted.
        let dump = okno_testkit::query_text(
            &w.app,
            "SELECT COALESCE(inn, '') || COALESCE(inn_enc, '') FROM organisations",
        )
        .await
        .unwrap();
        assert!(
            dump.contains("7707083893") && !dump.contains("776613186006"),
            "{dump}"
        );

        let (status, mine) = get(&w.app, path, &anna_s).await;
        assert_eq!(status, 200);
        let names: Vec<&str> = mine
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["short_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ООО «Ромашка»", "ИП Смирнова А. П."]);
        assert!(mine
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["role"] == "head" && o["acting"] == false));

        sms_with(&w, "зарегистрирована на платформе, вы — её руководитель").await;
        let records = audit(&w).await;
        let created: Vec<&Value> = records
            .iter()
            .filter(|r| r["action"] == "identity.organisation.created")
            .collect();
        assert_eq!(created.len(), 2);
        assert!(
            !records
                .iter()
                .any(|r| r["details"].as_str().unwrap_or("").contains("776613186006")),
            "no personal ИНН in the journal"
        );

        // The API is described, and the page lists the organisations.
        let doc: Value = w.app.get("/api/openapi.json").await.json().await.unwrap();
        for p in [
            "/api/v1/identity/organisations",
            "/api/v1/identity/organisations/{id}/members/{account_id}",
            "/api/v1/identity/organisations/{id}/act",
        ] {
            assert!(doc["paths"][p].is_object(), "{p} missing");
        }
        let html = okno_testkit::http::page(&w.app, "/account/organisations", &anna_s).await;
        assert!(
            html.contains("ООО «Ромашка»") && html.contains("ОГРНИП 304500116000157"),
            "{html}"
        );
    }
}

#[tokio::test]
async fn a_member_added_by_snils_acts_for_the_organisation_within_the_role_until_removed() {
    let test = "a_member_added_by_snils_acts_for_the_organisation_within_the_role_until_removed";
    for engine in engines(test).await {
        let w = world(engine).await;
        let anna_s = person(&w, 1, "+79160000031", "head@example.ru", anna()).await;
        let sergey_s = person(&w, 2, "+79160000032", "employee@example.ru", sergey()).await;
        let maria_s = person(&w, 3, "+79160000033", "accountant@example.ru", maria()).await;
        confirm_in_person(&w, "head@example.ru").await;
        let (status, org) = post(
            &w.app,
            "/api/v1/identity/organisations",
            &anna_s,
            romashka(),
        )
        .await;
        assert_eq!(status, 201, "{org}");
        let id = org["id"].as_str().unwrap().to_string();
        let base = format!("/api/v1/identity/organisations/{id}");
        let members = format!("{base}/members");

        // Not a member: nothing to see, nothing to act for.
        assert_eq!(get(&w.app, &base, &sergey_s).await.0, 404);
        let (status, p) = post(&w.app, &format!("{base}/act"), &sergey_s, json!({})).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.not_member"))
        );

        // The head adds members by СНИЛС.
        let (status, m) = post(
            &w.app,
            &members,
            &anna_s,
            json!({"snils": "909-960-308 43", "role": "employee"}),
        )
        .await;
        assert_eq!(status, 201, "{m}");
        assert_eq!(m["name"], "Иванов Сергей Александрович");
        let sergey_id = m["account_id"].as_str().unwrap().to_string();
        let (status, m) = post(
            &w.app,
            &members,
            &anna_s,
            json!({"snils": "351-819-093 83", "role": "accountant"}),
        )
        .await;
        assert_eq!(status, 201, "{m}");
        let maria_id = m["account_id"].as_str().unwrap().to_string();
        // Someone without a checked profile, someone already there, a bad СНИЛС.
        let (status, p) = post(
            &w.app,
            &members,
            &anna_s,
            json!({"snils": "319-487-574 21", "role": "employee"}),
        )
        .await;
        assert_eq!(status, 400, "{p}");
        assert_eq!(p["errors"][0]["code"], "organisation.member_unknown");
        let (status, p) = post(
            &w.app,
            &members,
            &anna_s,
            json!({"snils": "90996030843", "role": "head"}),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("organisation.already_member"))
        );
        let (status, p) = post(
            &w.app,
            &members,
            &anna_s,
            json!({"snils": "909-960-308 44", "role": "head"}),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (400, Some("snils.checksum"))
        );
        // Only a head manages members.
        let (status, p) = post(
            &w.app,
            &members,
            &sergey_s,
            json!({"snils": "018-159-083 49", "role": "employee"}),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.head_required"))
        );
        // The member is told.
        sms_with(&w, "добавил(а) вас в «ООО «Ромашка»» с ролью «Сотрудник»").await;

        // A member sees the organisation and its members.
        let (status, d) = get(&w.app, &base, &sergey_s).await;
        assert_eq!(status, 200, "{d}");
        assert_eq!(d["organisation"]["role"], "employee");
        assert_eq!(d["members"].as_array().unwrap().len(), 3);

        // Before switching, there is no organisation to act for.
        let check = |session: &str, roles: &str| {
            let url = w.app.url(&format!(
                "/api/v1/identity/organisations/acting/check/{roles}"
            ));
            let (client, session) = (w.app.client.clone(), session.to_string());
            async move {
                let r = client.get(url).bearer_auth(session).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, p) = check(&sergey_s, "head,employee").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.not_acting"))
        );

        // The employee switches and acts for the organisation.
        let (status, _) = post(&w.app, &format!("{base}/act"), &sergey_s, json!({})).await;
        assert_eq!(status, 204);
        let (status, a) = check(&sergey_s, "head,employee").await;
        assert_eq!(status, 200, "{a}");
        assert_eq!(
            (a["organisation_id"].as_str(), a["role"].as_str()),
            (Some(id.as_str()), Some("employee"))
        );
        let (status, p) = check(&sergey_s, "head").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.role_forbidden"))
        );
        let (_, mine) = get(&w.app, "/api/v1/identity/organisations", &sergey_s).await;
        assert_eq!(mine[0]["acting"], true);
        // Personal powers of attorney do not pass for an organisation.
        assert_eq!(
            get(
                &w.app,
                "/api/v1/identity/acting/scope/applications",
                &sergey_s
            )
            .await
            .0,
            403
        );
        // The page header names both.
        let html = okno_testkit::http::page(&w.app, "/account/organisations", &sergey_s).await;
        assert!(
            html.contains("Иванов Сергей Александрович — от имени ООО «Ромашка»"),
            "{html}"
        );

        // The accountant acts in payments only.
        let (status, _) = post(&w.app, &format!("{base}/act"), &maria_s, json!({})).await;
        assert_eq!(status, 204);
        assert_eq!(
            check(&maria_s, "head,employee,accountant").await.0,
            200,
            "payments"
        );
        let (status, p) = check(&maria_s, "head,employee").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.role_forbidden")),
            "{p}"
        );
        assert!(p["detail"].as_str().unwrap().contains("Бухгалтер"), "{p}");

        // The journal names both the person and the organisation.
        let records = audit(&w).await;
        let started = records
            .iter()
            .find(|r| {
                r["action"] == "identity.organisation.acting_started"
                    && r["actor_id"] == sergey_id.as_str()
            })
            .expect("acting_started");
        assert_eq!(started["actor_name"], "Иванов Сергей Александрович");
        assert_eq!(started["on_behalf_of_name"], "ООО «Ромашка»");
        assert_eq!(started["on_behalf_of_id"], format!("org:{id}"));
        assert!(records
            .iter()
            .any(|r| r["action"] == "identity.organisation.member_added"
                && r["details"].as_str().unwrap().contains(&maria_id)));

        // A removal ends the member's power at once; the session still names the organisation.
        let (status, _) = send(
            &w.app,
            reqwest::Method::DELETE,
            &format!("{members}/{sergey_id}"),
            &anna_s,
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (status, p) = check(&sergey_s, "head,employee").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.not_member")),
            "{p}"
        );
        assert_eq!(get(&w.app, &base, &sergey_s).await.0, 404);
        let (status, _) = post(&w.app, &format!("{base}/act"), &sergey_s, json!({})).await;
        assert_eq!(status, 403, "no longer a member");
        sms_with(&w, "исключил(а) вас из «ООО «Ромашка»»").await;
        // Switching back to himself.
        let (status, _) = send(
            &w.app,
            reqwest::Method::DELETE,
            "/api/v1/identity/organisations/acting",
            &sergey_s,
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (status, p) = check(&sergey_s, "employee").await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.not_acting"))
        );
        assert_eq!(
            get(
                &w.app,
                "/api/v1/identity/acting/scope/applications",
                &sergey_s
            )
            .await
            .0,
            204,
            "for himself again"
        );
        let records = audit(&w).await;
        for action in [
            "identity.organisation.member_removed",
            "identity.organisation.acting_ended",
        ] {
            assert!(
                records.iter().any(|r| r["action"] == action),
                "{action} missing"
            );
        }
    }
}

#[tokio::test]
async fn the_last_head_cannot_be_removed_or_demoted() {
    let test = "the_last_head_cannot_be_removed_or_demoted";
    for engine in engines(test).await {
        let w = world(engine).await;
        let anna_s = person(&w, 1, "+79160000041", "first.head@example.ru", anna()).await;
        let sergey_s = person(&w, 2, "+79160000042", "second.head@example.ru", sergey()).await;
        confirm_in_person(&w, "first.head@example.ru").await;
        let (_, org) = post(
            &w.app,
            "/api/v1/identity/organisations",
            &anna_s,
            romashka(),
        )
        .await;
        let members = format!(
            "/api/v1/identity/organisations/{}/members",
            org["id"].as_str().unwrap()
        );
        let (_, me) = get(&w.app, "/api/v1/identity/me", &anna_s).await;
        let anna_id = me["id"].as_str().unwrap().to_string();
        let mine = format!("{members}/{anna_id}");

        let (status, p) = send(
            &w.app,
            reqwest::Method::PUT,
            &mine,
            &anna_s,
            Some(json!({"role": "employee"})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("organisation.last_head")),
            "{p}"
        );
        let (status, p) = send(&w.app, reqwest::Method::DELETE, &mine, &anna_s, None).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("organisation.last_head"))
        );

        // With a second head she may step down, and is then no longer in charge.
        let (status, m) = post(
            &w.app,
            &members,
            &anna_s,
            json!({"snils": "909-960-308 43", "role": "employee"}),
        )
        .await;
        assert_eq!(status, 201);
        let sergey_id = m["account_id"].as_str().unwrap().to_string();
        let (status, _) = send(
            &w.app,
            reqwest::Method::PUT,
            &format!("{members}/{sergey_id}"),
            &anna_s,
            Some(json!({"role": "head"})),
        )
        .await;
        assert_eq!(status, 204);
        sms_with(&w, "теперь «Руководитель»").await;
        let (status, _) = send(
            &w.app,
            reqwest::Method::PUT,
            &mine,
            &anna_s,
            Some(json!({"role": "employee"})),
        )
        .await;
        assert_eq!(status, 204);
        let (status, p) = send(
            &w.app,
            reqwest::Method::PUT,
            &format!("{members}/{sergey_id}"),
            &anna_s,
            Some(json!({"role": "employee"})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("organisation.head_required"))
        );
        // The new head removes her; he is now the last head and cannot leave.
        let (status, _) = send(&w.app, reqwest::Method::DELETE, &mine, &sergey_s, None).await;
        assert_eq!(status, 204);
        let (status, p) = send(
            &w.app,
            reqwest::Method::DELETE,
            &format!("{members}/{sergey_id}"),
            &sergey_s,
            None,
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("organisation.last_head"))
        );
        let (_, mine) = get(&w.app, "/api/v1/identity/organisations", &anna_s).await;
        assert_eq!(mine.as_array().unwrap().len(), 0);
        let records = audit(&w).await;
        assert!(records
            .iter()
            .any(|r| r["action"] == "identity.organisation.role_changed"));
    }
}
