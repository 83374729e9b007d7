//! The end-to-end tests' HTTP toolbox: one call with an optional bearer credential, answered as
//! (status, JSON).

use serde_json::Value;

use crate::TestApp;

/// A bearer credential or none: `&str`, `&String`, `Option<&str>` or `Option<&String>`. A desk's device credential
/// may follow the token after a space («token device»), see [`TestApp::call`].
pub trait Bearer {
    fn bearer(&self) -> Option<&str>;
}

impl Bearer for &str {
    fn bearer(&self) -> Option<&str> {
        Some(self)
    }
}

impl Bearer for &String {
    fn bearer(&self) -> Option<&str> {
        Some(self.as_str())
    }
}

impl Bearer for Option<&String> {
    fn bearer(&self) -> Option<&str> {
        self.map(String::as_str)
    }
}

impl Bearer for Option<&str> {
    fn bearer(&self) -> Option<&str> {
        *self
    }
}

/// An API call's answer: the status and the JSON (`null` when the body is not JSON).
pub type Answer = (u16, Value);

/// No credentials (a bare `None` would not say which kind of `Option`).
pub const ANONYMOUS: Option<&str> = None;

pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: impl Bearer,
    body: Option<Value>,
) -> (u16, Value) {
    app.call(method, path, bearer.bearer(), body.as_ref()).await
}

pub async fn post(app: &TestApp, path: &str, bearer: impl Bearer, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, bearer, Some(body)).await
}

pub async fn get(app: &TestApp, path: &str, bearer: impl Bearer) -> (u16, Value) {
    send(app, reqwest::Method::GET, path, bearer, None).await
}

/// A refusal: problem+json with this stable code and a Russian title and detail.
pub fn refused(r: &(u16, Value), status: u16, code: &str) {
    assert_eq!(r.0, status, "{}", r.1);
    assert_eq!(r.1["code"], code, "{}", r.1);
    for k in ["title", "detail"] {
        let t = r.1[k].as_str().unwrap_or("");
        assert!(
            t.chars()
                .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c))),
            "{k} not Russian: {}",
            r.1
        );
    }
}

/// The HTML of a page as the holder of `bearer` sees it.
pub async fn page(app: &TestApp, path: &str, bearer: &str) -> String {
    app.client
        .get(app.url(path))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Sends a request built by the caller (a form, a page); gives its status, its `Location` (for a
/// redirect) and its text.
pub async fn sent(r: reqwest::RequestBuilder) -> (u16, Option<String>, String) {
    let r = r.send().await.expect("the request is sent");
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().expect("a readable Location").to_string());
    (
        r.status().as_u16(),
        location,
        r.text().await.expect("the answer's text"),
    )
}
