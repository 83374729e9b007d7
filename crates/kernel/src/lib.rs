//! The platform kernel: what every part shares — the database handle and migrations, errors in
//! problem+json form, the acting user and permissions, the audit journal, the outbox, secrets.

pub mod actor;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod ctx;
pub mod db;
pub mod documents;
pub mod error;
pub mod files;
pub mod http;
mod journal;
pub mod migrate;
pub mod outbox;
pub mod pdf;
pub mod pii;
pub mod platform;
mod record;
pub mod text;

pub use sqlx;

pub use actor::{Actor, Permission, Role};
pub use db::{Db, Tx};
pub use error::{Error, Problem, Result};
pub use platform::Platform;

/// This part's migrations with the parts it uses (its `okno-*` dependencies, checked against
/// its `Cargo.toml` by `crates/okno/tests/e2e/ownership.rs`): they run after those parts'.
pub fn part() -> migrate::Part {
    migrate::Part {
        name: "kernel",
        uses: &["rules"],
        migrations: migrations(),
    }
}

/// The kernel's own migrations.
pub fn migrations() -> Vec<migrate::Migration> {
    vec![
        migration!("kernel", 1, "0001_kernel"),
        migration!("kernel", 2, "0002_audit_pending"),
        migration!("kernel", 3, "0003_session_acting"),
        migration!("kernel", 4, "0004_documents"),
        migration!("kernel", 5, "0005_outbox_consumers"),
        migration!("kernel", 6, "0006_audit_checkpoints"),
        migration!("kernel", 7, "0007_outbox_priority"),
        migration!("kernel", 8, "0008_outbox_route_after"),
    ]
}
