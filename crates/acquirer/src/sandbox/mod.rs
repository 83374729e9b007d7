//! The sandbox bank: an in-memory acquirer that speaks T-Bank's acquiring API v2 over HTTP
//! (`/v2/Init`, `/v2/GetState`, `/v2/Confirm`, `/v2/Cancel`), with its own payment and
//! 3-D Secure pages, notifications, test cards, fault injection and a daily registry.
//!
//! Routes:
//! - `POST /v2/{Init,GetState,Confirm,Cancel}`: the protocol, token checked (ErrorCode 204 for
//!   a bad token, 205 for an unknown terminal), always HTTP 200 with a JSON answer;
//! - `GET|POST /pay/{PaymentId}`: the payment form (Init's `PaymentURL`);
//! - `GET|POST /3ds/{PaymentId}`: the 3-D Secure challenge (code [`THREE_DS_CODE`]);
//! - `GET /sandbox`: the list of test cards;
//! - `POST /sandbox/faults`, `DELETE /sandbox/faults`: fault injection (no authentication:
//!   never expose a sandbox beyond a test machine);
//! - `GET /sandbox/registry?date=YYYY-MM-DD`: the day's operations as CSV.

mod api;
mod book;
mod cards;
mod clock;
mod control;
mod faults;
mod messages;
mod notify;
mod pages;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

pub use cards::{
    CARD_3DS, CARD_DECLINED, CARD_NO_FUNDS, CARD_SLOW, CARD_SUCCESS, TEST_CARDS, THREE_DS_CODE,
};

/// A terminal the sandbox knows: its key and password.
#[derive(Clone)]
pub struct SandboxTerminal {
    pub terminal_key: String,
    pub password: String,
}

impl fmt::Debug for SandboxTerminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxTerminal")
            .field("terminal_key", &self.terminal_key)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// The sandbox's settings.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub terminals: Vec<SandboxTerminal>,
    /// The sandbox's address as the payer's browser reaches it, for `PaymentURL`
    /// (e.g. `http://127.0.0.1:8081`). `None`: taken from the `Host` header of each Init
    /// (over plain HTTP); [`serve_sandbox`] fills it from the listener.
    pub public_url: Option<String>,
    /// How long the slow test card keeps a payment AUTHORIZING (and a Confirm CONFIRMING), in
    /// milliseconds. Default 3000.
    pub slow_ms: u64,
    /// How many times a notification is sent until the merchant answers `OK`. Default 5.
    pub notify_attempts: u32,
    /// The pause after the first failed notification, doubled after each next one, in
    /// milliseconds. Default 500.
    pub notify_retry_ms: u64,
}

impl SandboxConfig {
    /// One terminal and the defaults.
    pub fn new(terminal_key: &str, password: &str) -> Self {
        Self {
            terminals: vec![SandboxTerminal {
                terminal_key: terminal_key.to_string(),
                password: password.to_string(),
            }],
            public_url: None,
            slow_ms: 3000,
            notify_attempts: 5,
            notify_retry_ms: 500,
        }
    }
}

/// The sandbox's state, shared by its handlers and background tasks.
#[derive(Debug)]
pub(crate) struct Sandbox {
    cfg: SandboxConfig,
    book: Mutex<book::Book>,
    faults: Mutex<faults::Faults>,
    http: reqwest::Client,
}

impl Sandbox {
    fn book(&self) -> MutexGuard<'_, book::Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> MutexGuard<'_, faults::Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn password(&self, terminal_key: &str) -> Option<&str> {
        self.cfg
            .terminals
            .iter()
            .find(|t| t.terminal_key == terminal_key)
            .map(|t| t.password.as_str())
    }

    fn slow(&self) -> Duration {
        Duration::from_millis(self.cfg.slow_ms)
    }

    /// The address for the payer's browser: the configured one, or `http://<Host>`.
    fn public_url(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(url) = &self.cfg.public_url {
            return url.trim_end_matches('/').to_string();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .unwrap_or("127.0.0.1");
        format!("http://{host}")
    }
}

/// The sandbox bank as a router, to be served by the caller (see [`serve_sandbox`]).
pub fn sandbox_router(cfg: SandboxConfig) -> Router {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let state = Arc::new(Sandbox {
        cfg,
        book: Mutex::new(book::Book::new()),
        faults: Mutex::new(faults::Faults::default()),
        http,
    });
    Router::new()
        .route("/v2/{method}", post(api::call))
        .route("/pay/{id}", get(pages::pay_form).post(pages::pay))
        .route("/3ds/{id}", get(pages::three_ds_form).post(pages::three_ds))
        .route("/sandbox", get(control::index))
        .route(
            "/sandbox/faults",
            post(control::add_fault).delete(control::clear_faults),
        )
        .route("/sandbox/registry", get(control::registry))
        .with_state(state)
}

/// Serves the sandbox on `listener` until the task is dropped. When `cfg.public_url` is not
/// set, it becomes `http://<the listener's address>`.
pub async fn serve_sandbox(
    listener: tokio::net::TcpListener,
    mut cfg: SandboxConfig,
) -> std::io::Result<()> {
    if cfg.public_url.is_none() {
        cfg.public_url = Some(format!("http://{}", listener.local_addr()?));
    }
    tracing::info!(public_url = ?cfg.public_url, "sandbox bank listening");
    axum::serve(listener, sandbox_router(cfg)).await
}
