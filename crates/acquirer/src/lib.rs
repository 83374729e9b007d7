//! Card acquiring for Okno: one [`Acquirer`] trait in our own words, its implementation over
//! T-Bank's acquiring API v2 ([`TBankClient`]), and a sandbox bank speaking the same protocol
//! over HTTP ([`sandbox_router`], [`serve_sandbox`]) for development and tests.
//!
//! This crate depends on no other Okno crate: amounts are `i64` kopecks, ids are text.
//!
//! Using it:
//! - the platform holds a generic `A: Acquirer` (the trait returns `impl Future`, so it is not
//!   object-safe); in production a [`TBankClient`] with [`PRODUCTION_BASE_URL`], the terminal
//!   key and password from its configuration;
//! - after an [`AcquirerError::OutcomeUnknown`] it asks `state` later; after a lost `init` it
//!   repeats `init` with the same order id and amount (the sandbox gives the same payment back
//!   while it is NEW);
//! - its NotificationURL handler passes the JSON body to `verify_notification`, checks the
//!   order id and amount against its own record, stores, and answers [`NOTIFICATION_REPLY`];
//! - in development and tests the sandbox: `serve_sandbox(listener, SandboxConfig::new(key,
//!   password))`, or `sandbox_router(cfg)` nested under a path of another server with
//!   `cfg.public_url` set to the address including that path; the client's `base_url` is then
//!   that same address. `cargo run -p okno-acquirer --example sandbox` runs it alone.

pub mod client;
pub mod model;
pub mod sandbox;
pub mod token;

pub use client::{
    verify_notification_with, TBankClient, TBankConfig, PRODUCTION_BASE_URL, TEST_BASE_URL,
};
pub use model::{
    Acquirer, AcquirerError, AcquirerStatus, CardInfo, InitAnswer, InitRequest, Notification,
    Outcome, PayType, PaymentAnswer, PaymentId, Timeouts, NOTIFICATION_REPLY,
};
pub use sandbox::{sandbox_router, serve_sandbox, SandboxConfig, SandboxTerminal, TEST_CARDS};
