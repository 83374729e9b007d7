//! The steps many end-to-end tests take before the one they check: an application filled in and
//! submitted, an attachment uploaded. Each goes through the public API as a person would.

use serde_json::{json, Value};

use crate::http::post;
use crate::TestApp;

/// The first bytes of a PNG file: enough for the platform's content check.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

/// A complete, valid form of the demo service `passport-rf` (Анна Смирнова replaces her passport
/// at 45).
pub fn passport_rf_values() -> Value {
    json!({
        "last_name": "Смирнова", "first_name": "Анна", "middle_name": "Петровна",
        "birth_date": "1981-03-14", "reason": "age", "passport": "4510 123456",
        "address": "Тула, ул. Болдина, д. 1, кв. 2", "consent": true
    })
}

/// Uploads a file into a draft's field; gives the status and the JSON answer.
pub async fn upload(
    app: &TestApp,
    id: &str,
    field: &str,
    name: &str,
    bytes: Vec<u8>,
    bearer: &str,
) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/applications/{id}/attachments?field={field}&name={name}"
        )))
        .bearer_auth(bearer)
        .header("content-type", "application/pdf")
        .body(bytes)
        .send()
        .await
        .expect("the upload is sent");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A submitted application.
pub struct Submitted {
    pub id: String,
    /// The number the platform gave it at submission.
    pub number: String,
    /// The answer to the submission.
    pub answer: Value,
}

/// A draft of `service` for the person `bearer`: its id.
pub async fn draft(app: &TestApp, bearer: &str, service: &str) -> String {
    let (s, a) = post(
        app,
        "/api/v1/applications",
        bearer,
        json!({ "service": service }),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().expect("the draft's id").to_string()
}

/// An application for `passport-rf` filled in with [`passport_rf_values`], a photo attached, and
/// submitted by the person `bearer`.
pub async fn submitted_passport_application(app: &TestApp, bearer: &str) -> Submitted {
    let id = draft(app, bearer, "passport-rf").await;
    let (s, a) = crate::http::send(
        app,
        reqwest::Method::PUT,
        &format!("/api/v1/applications/{id}/data"),
        bearer,
        Some(json!({"data": passport_rf_values()})),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    let (s, a) = upload(app, &id, "photo", "photo.png", PNG.to_vec(), bearer).await;
    assert_eq!(s, 201, "{a}");
    let (s, answer) = post(
        app,
        &format!("/api/v1/applications/{id}/submit"),
        bearer,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{answer}");
    let number = answer["number"]
        .as_str()
        .expect("the application's number")
        .to_string();
    Submitted { id, number, answer }
}
