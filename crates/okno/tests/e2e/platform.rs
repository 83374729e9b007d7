//! End-to-end tests of the platform shell: the release binary over HTTP on SQLite and PostgreSQL —
//! readiness, problem+json errors, Russian error pages, security headers, CSRF, staff sign-in,
//! OpenAPI, metrics, demo data and the CLI.

use okno_testkit::{engines, Engine, Options, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

async fn demo(engine: Engine) -> TestApp {
    TestApp::start(
        BIN,
        engine,
        Options {
            demo: true,
            ..Default::default()
        },
    )
    .await
    .expect("okno starts")
}

#[tokio::test]
async fn the_server_becomes_ready_and_reports_health_and_metrics() {
    for engine in engines("the_server_becomes_ready_and_reports_health_and_metrics").await {
        let app = demo(engine).await;
        assert_eq!(app.get("/healthz").await.status(), 200);
        let ready: Value = app.get("/readyz").await.json().await.unwrap();
        assert_eq!(ready["status"], "ready");
        assert_eq!(
            ready["database"],
            if engine == Engine::Sqlite {
                "sqlite"
            } else {
                "postgres"
            }
        );
        app.get("/").await;
        let metrics = app.get("/metrics").await.text().await.unwrap();
        for name in [
            "okno_http_requests_total",
            "okno_http_request_duration_seconds_bucket",
            "okno_outbox_backlog_events",
            "okno_outbox_backlog_deliveries",
            "okno_db_pool_connections",
            "okno_process_resident_memory_bytes",
        ] {
            assert!(
                metrics.contains(name),
                "{name} missing from /metrics:\n{metrics}"
            );
        }
        assert!(
            metrics.contains("route=\"/\""),
            "requests are labelled by route"
        );
    }
}

#[tokio::test]
async fn api_errors_are_problem_json_with_a_stable_code_and_russian_title() {
    for engine in engines("api_errors_are_problem_json_with_a_stable_code_and_russian_title").await
    {
        let app = demo(engine).await;
        let r = app.get("/api/v1/no-such-thing").await;
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["code"], "not_found");
        assert_eq!(p["status"], 404);
        assert!(p["type"].as_str().unwrap().starts_with("/api/problems/"));
        assert!(p["title"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('а'..='я').contains(&c)));
        assert!(p["request_id"].is_string());

        // Malformed JSON names the offending field.
        let token = app.admin_token.clone();
        let r = app
            .post_json(
                "/api/v1/agencies",
                token.as_deref(),
                &json!({"code": "x1", "name": 5}),
            )
            .await;
        assert_eq!(r.status(), 400);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["code"], "request.invalid_json");
        assert_eq!(p["errors"][0]["field"], "name");

        // Broken syntax.
        let r = app
            .client
            .post(app.url("/api/v1/agencies"))
            .bearer_auth(token.as_deref().unwrap())
            .header("content-type", "application/json")
            .body("{\"code\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");

        // Not JSON at all.
        let r = app
            .client
            .post(app.url("/api/v1/agencies"))
            .bearer_auth(token.as_deref().unwrap())
            .body("code=x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);
        assert_eq!(r.headers()["content-type"], "application/problem+json");

        // A wrong method.
        let r = app
            .client
            .delete(app.url("/api/v1/agencies"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["code"], "request.method_not_allowed");

        // Validation names every bad field, with the rules' codes.
        let r = app
            .post_json(
                "/api/v1/agencies",
                token.as_deref(),
                &json!({"code": "bad code", "name": "Ведомство", "short_name": "В", "level": "federal",
                        "inn": "7707329153", "region": "Москва", "time_zone": "Europe/Moscow"}),
            )
            .await;
        assert_eq!(r.status(), 400);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["code"], "validation.failed");
        let codes: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["agency.code", "inn.checksum"]);

        // No token, a bad token, and a token without the permission.
        let body = json!({"code": "x2", "name": "Н", "short_name": "Н", "level": "federal", "region": "Р", "time_zone": "Europe/Moscow"});
        let r = app.post_json("/api/v1/agencies", None, &body).await;
        assert_eq!(r.status(), 401);
        let r = app
            .post_json("/api/v1/agencies", Some("okno_wrong"), &body)
            .await;
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            r.json::<Value>().await.unwrap()["code"],
            "auth.invalid_token"
        );
        let r = app
            .post_json("/api/v1/agencies", app.auditor_token.as_deref(), &body)
            .await;
        assert_eq!(r.status(), 403);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "auth.forbidden");
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413() {
    let app = TestApp::demo(BIN, Engine::Sqlite, &["--body-limit", "1024"]).await;
    let big = "я".repeat(2000);
    let r = app
        .post_json(
            "/api/v1/agencies",
            app.admin_token.as_deref(),
            &json!({"code": "big", "name": big, "short_name": "x", "level": "federal", "region": "x", "time_zone": "Europe/Moscow"}),
        )
        .await;
    assert_eq!(r.status(), 413);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "request.too_large");
}

#[tokio::test]
async fn pages_show_russian_error_pages_and_never_json() {
    let app = demo(Engine::Sqlite).await;
    let r = app.get("/нет-такой-страницы").await;
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("Страница не найдена"), "{html}");
    assert!(html.contains("lang=\"ru\""));

    let r = app.get("/services/no-such-service").await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Услуга не найдена"));

    // A staff page without signing in.
    let r = app.get("/admin/deliveries").await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("Требуется вход") && html.contains("/admin/login"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = demo(Engine::Sqlite).await;
    for path in ["/", "/api/v1/agencies", "/api/nope", "/static/okno.css"] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("x-request-id"));
        assert!(
            !h.contains_key("strict-transport-security"),
            "no HSTS over plain HTTP"
        );
    }
    // Pages carry no inline script.
    let html = app.get("/").await.text().await.unwrap();
    assert!(!html.contains("<script>") && html.contains("<script src=\"/static/okno.js\""));
}

#[tokio::test]
async fn forms_need_the_csrf_token_and_staff_sign_in_opens_a_revocable_session() {
    for engine in
        engines("forms_need_the_csrf_token_and_staff_sign_in_opens_a_revocable_session").await
    {
        let app = demo(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let form = app.get("/admin/login").await.text().await.unwrap();
        let token = okno_testkit::csrf_token(&form);

        // Without the token: refused with a Russian page, no session.
        let r = app
            .client
            .post(app.url("/admin/login"))
            .form(&[("token", admin.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("Форма устарела"));

        // A forged token: refused.
        let r = app
            .client
            .post(app.url("/admin/login"))
            .form(&[
                ("token", admin.as_str()),
                ("csrf_token", "0123456789abcdef0123456789abcdef"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // A wrong access token: 401 with the form again, in Russian.
        let r = app
            .client
            .post(app.url("/admin/login"))
            .form(&[("token", "nope"), ("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("Токен не подошёл"));

        // The right one.
        let r = app
            .client
            .post(app.url("/admin/login"))
            .form(&[("token", admin.as_str()), ("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.starts_with("okno_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
        );
        let page = app.get("/admin").await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Демо: администратор"));
        assert_eq!(app.get("/admin/deliveries").await.status(), 200);

        // The token rotated at sign-in: the one read before it is refused now.
        let r = app
            .client
            .post(app.url("/admin/logout"))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "a token from before sign-in");
        let signed_in = okno_testkit::csrf_token(&app.get("/admin").await.text().await.unwrap());
        assert_ne!(signed_in, token);

        // A form posted from another site is refused even with the right token.
        let r = app
            .client
            .post(app.url("/admin/logout"))
            .header("origin", "https://evil.example")
            .form(&[("csrf_token", signed_in.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "another origin");

        // Sign-out ends the session on the server.
        let r = app
            .client
            .post(app.url("/admin/logout"))
            .header("origin", app.url("").trim_end_matches('/'))
            .form(&[("csrf_token", signed_in.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let session = cookie.split(';').next().unwrap().to_string();
        let r = app
            .client
            .get(app.url("/admin/deliveries"))
            .header("cookie", session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "a closed session is not accepted again");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_api_and_the_docs_page_renders_it() {
    let app = demo(Engine::Sqlite).await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/agencies",
        "/api/v1/notifications",
        "/api/v1/deliveries/{id}/retry",
        "/api/v1/audit/verify",
        "/api/v1/tokens",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let html = app.get("/api/docs").await.text().await.unwrap();
    assert!(html.contains("/api/v1/deliveries/{id}/retry") && html.contains("Справочники"));
}

#[tokio::test]
async fn demo_data_loads_once_and_shows_on_the_russian_pages() {
    for engine in engines("demo_data_loads_once_and_shows_on_the_russian_pages").await {
        let app = demo(engine).await;
        let (code, out, _) = app.okno(&["demo"]);
        assert_eq!(code, 0);
        assert!(
            out.contains(
                "добавлено ведомств 0, пунктов обслуживания 0, категорий услуг 0, услуг 0, тем обращений 0"
            ),
            "{out}"
        );
        assert!(
            out.contains(app.admin_token.as_deref().unwrap()),
            "the same credentials are printed again"
        );
        let agencies: Vec<Value> = app.get("/api/v1/agencies").await.json().await.unwrap();
        assert!(agencies.len() >= 10);
        let services: Vec<Value> = app.get("/api/v1/services").await.json().await.unwrap();
        let passport = services
            .iter()
            .find(|s| s["code"] == "passport-rf")
            .expect("the passport service");
        assert_eq!(passport["online"], true);
        assert!(passport["documents"].as_array().unwrap().len() >= 3);
        let offices: Vec<Value> = app
            .get("/api/v1/offices?city=Тула")
            .await
            .json()
            .await
            .unwrap();
        assert!(offices.iter().all(|o| o["city"] == "Тула") && offices[0]["hours"].is_object());
        let home = app.get("/").await.text().await.unwrap();
        assert!(home.contains("Государственные услуги в одном окне"));
        let card = app.get("/services/passport-rf").await.text().await.unwrap();
        assert!(
            card.contains("600,00\u{a0}₽"),
            "fees are shown in roubles the Russian way"
        );
        let offices = app.get("/offices").await.text().await.unwrap();
        assert!(offices.contains("Asia/Vladivostok"));
    }
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let mut app = demo(Engine::Sqlite).await;
    assert_eq!(app.terminate(), Some(0), "log:\n{}", app.log());
    assert!(app.log().contains("stopped"));
}

#[tokio::test]
async fn validate_and_calendar_commands_speak_the_law() {
    let app = demo(Engine::Sqlite).await;
    assert_eq!(
        app.okno_plain(&["validate", "snils", "112-233-445 95"]),
        (0, "valid\n".into(), String::new())
    );
    let (code, out, _) = app.okno_plain(&["validate", "inn", "7707083894"]);
    assert_eq!(code, 1);
    assert!(out.contains("Контрольное число ИНН"), "{out}");
    let (code, out, _) = app.okno_plain(&["validate", "account", "40702810900000000001"]);
    assert_eq!(code, 1);
    assert!(out.contains("БИК"), "{out}");
    assert_eq!(
        app.okno_plain(&[
            "validate",
            "account",
            "30101810400000000225",
            "--bik",
            "044525225"
        ])
        .0,
        0
    );
    assert_eq!(
        app.okno_plain(&["validate", "phone", "8 (916) 123-45-67"])
            .0,
        0
    );
    // The New Year holidays of 2026 and the working Saturday of 1 November 2025.
    assert_eq!(
        app.okno_plain(&["calendar", "add-working-days", "2025-12-30", "3"])
            .1,
        "2026-01-14\n"
    );
    assert_eq!(
        app.okno_plain(&["calendar", "is-working", "2025-11-01"]).1,
        "working\n"
    );
    assert_eq!(
        app.okno_plain(&["calendar", "is-working", "2026-01-05"]).1,
        "non-working\n"
    );
}

#[tokio::test]
async fn the_configuration_doc_is_generated_from_the_settings() {
    let app = demo(Engine::Sqlite).await;
    let (_, generated, _) = app.okno_plain(&["config-doc"]);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .unwrap_or_default();
    assert_eq!(
        committed, generated,
        "docs/configuration.md is stale: run `okno config-doc > docs/configuration.md`"
    );
}

/// The properties of an operation's JSON request body (its schema resolved once through `$ref`).
fn body_properties(doc: &Value, op: &Value) -> Option<Vec<String>> {
    let schema = op["requestBody"]["content"]["application/json"].get("schema")?;
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    };
    Some(
        schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_nul_in_any_text_input_the_api_describes_is_refused_with_the_field_named() {
    for engine in
        engines("a_nul_in_any_text_input_the_api_describes_is_refused_with_the_field_named").await
    {
        let app = demo(engine).await;
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        let token = app.admin_token.clone().unwrap();
        let http = reqwest::Client::new();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                let fill = |poisoned: Option<&str>| {
                    let mut url = path.clone();
                    for p in params.iter().filter(|p| p["in"] == "path") {
                        let name = p["name"].as_str().unwrap();
                        let value = if poisoned == Some(name) { "a%00b" } else { "x" };
                        url = url.replace(&format!("{{{name}}}"), value);
                    }
                    url
                };
                let props = body_properties(&doc, op);
                let mut cases: Vec<(String, String, Option<Value>)> = Vec::new();
                for p in &params {
                    let name = p["name"].as_str().unwrap().to_string();
                    match p["in"].as_str() {
                        Some("path") => cases.push((name.clone(), fill(Some(&name)), None)),
                        Some("query") => {
                            cases.push((name.clone(), format!("{}?{name}=a%00b", fill(None)), None))
                        }
                        _ => {}
                    }
                }
                for prop in props.iter().flatten() {
                    cases.push((prop.clone(), fill(None), Some(json!({ prop: "a\u{0}b" }))));
                }
                for (field, url, body) in cases {
                    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                    let mut rq = http.request(m, app.url(&url)).bearer_auth(&token);
                    rq = match (body, &props) {
                        (Some(b), _) => rq.json(&b),
                        (None, Some(_)) => rq.json(&json!({})),
                        (None, None) => rq,
                    };
                    let r = rq.send().await.unwrap();
                    let status = r.status().as_u16();
                    let p: Value = r.json().await.unwrap_or(Value::Null);
                    assert_eq!(
                        status,
                        400,
                        "{} {url} with a NUL in «{field}»: {p}",
                        method.to_uppercase()
                    );
                    if !url.starts_with("/open311/") {
                        assert_eq!(p["code"], "validation.failed", "{method} {url}: {p}");
                        assert!(
                            p["errors"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|e| e["field"] == field.as_str()
                                    && e["code"] == "text.control_character"),
                            "{} {url}: «{field}» not named in {p}",
                            method.to_uppercase()
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 100,
            "only {checked} inputs found in the description"
        );
        // Pages too: a form field and a query parameter, as a person's browser would send them.
        let r = app.get("/offices?city=%00").await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("нулевой байт"));
    }
}

#[tokio::test]
async fn a_protected_operation_without_credentials_answers_401_before_looking_at_the_request() {
    // The shell's rule is the same on both engines; one is enough.
    let app = demo(Engine::Sqlite).await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let http = reqwest::Client::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let secured = op["security"].as_array().is_some_and(|s| {
                !s.is_empty()
                    && s.iter()
                        .all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            });
            if !secured {
                continue;
            }
            let url: Vec<&str> = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "x" } else { seg })
                .collect();
            let url = url.join("/");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // A body of the wrong media type and a bad limit: neither may be judged first.
            let r = http
                .request(m, app.url(&format!("{url}?limit=-1")))
                .header("content-type", "text/plain")
                .body("a\u{0}b")
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let challenge = r.headers().get("www-authenticate").cloned();
            let p: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!(status, 401, "{} {url}: {p}", method.to_uppercase());
            assert_eq!(p["code"], "auth.required", "{method} {url}");
            assert_eq!(challenge.unwrap(), "Bearer");
            assert!(
                op["responses"].get("401").is_some(),
                "{method} {path} does not declare its 401"
            );
            checked += 1;
        }
    }

    // The description names its parts exactly: every `{name}` of a path declared as a path
    // parameter, nothing else declared in the path, and one schema per name.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let mut want: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        want.sort();
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let mut got: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            got.sort();
            assert_eq!(got, want, "{method} {path}: path parameters");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(!schemas.contains_key("Status"), "one name for three enums");
    for name in ["DeliveryStatus", "ApplicationStatus", "AppealStatus"] {
        assert!(schemas.contains_key(name), "{name}");
    }
    assert!(
        checked > 40,
        "only {checked} protected operations described"
    );
}

#[tokio::test]
async fn the_sessions_list_marks_the_one_in_use_as_current() {
    for engine in engines("the_sessions_list_marks_the_one_in_use_as_current").await {
        let app = demo(engine).await;
        let session = app.person("sessions-1", "Иванова Анна", "standard").await;
        for (name, rq) in [
            (
                "bearer",
                app.client
                    .get(app.url("/api/v1/identity/sessions"))
                    .bearer_auth(&session),
            ),
            (
                "cookie",
                app.client
                    .get(app.url("/api/v1/identity/sessions"))
                    .header("cookie", format!("okno_session={session}")),
            ),
        ] {
            let list: Vec<Value> = rq.send().await.unwrap().json().await.unwrap();
            assert_eq!(
                list.iter().filter(|s| s["current"] == true).count(),
                1,
                "{name}: {list:?}"
            );
        }
    }
}
