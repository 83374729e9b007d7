//! The notify part: events from the outbox become deliveries on channels (in-app inbox, e-mail over
//! SMTP, SMS over an HTTP gateway), sent with retries and journalled attempt by attempt.

pub mod api;
pub mod channels;
pub mod dispatcher;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

pub use channels::{Channels, SmsSettings, SmtpSettings};
pub use dispatcher::{Dispatcher, Routed, Router, Settings};
pub use model::{Channel, Message, RetryPolicy};

/// This part's migrations with the parts it uses (its `okno-*` dependencies, checked against
/// its `Cargo.toml` by `crates/okno/tests/e2e/ownership.rs`): they run after those parts'.
pub fn part() -> okno_kernel::migrate::Part {
    okno_kernel::migrate::Part {
        name: "notify",
        uses: &["kernel", "rules"],
        migrations: migrations(),
    }
}

/// This part's migrations.
pub fn migrations() -> Vec<okno_kernel::migrate::Migration> {
    vec![
        okno_kernel::migration!("notify", 1, "0001_notify"),
        okno_kernel::migration!("notify", 2, "0002_sensitive"),
        okno_kernel::migration!("notify", 3, "0003_priority_and_routing_failures"),
    ]
}
