//! Card acquiring for Okno: one [`Acquirer`] trait in our own words, its implementation over
//! T-Bank's acquiring API v2 ([`TBankClient`]), and a sandbox bank speaking the same protocol
//! over HTTP ([`sandbox_router`], [`serve_sandbox`]) for development and tests.
//!
//! This crate depends on no other Okno crate: amounts are `i64` kopecks, ids are text.

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
