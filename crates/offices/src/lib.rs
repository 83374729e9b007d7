//! Service points: the registry (hours with breaks on the production calendar in each office's
//! IANA zone, search and «ближайшие»), appointments (slots, booking, moving, cancelling, reminders)
//! and the electronic queue (tickets, calling to a window, the wait estimate, the hall display).

pub mod api;
pub mod demo;
pub mod desk;
pub mod model;
pub mod pages;
pub mod service;
pub mod settings;
pub mod store;

pub use service::Settings;

/// This part's migrations with the parts it uses (its `okno-*` dependencies, checked against
/// its `Cargo.toml` by `crates/okno/tests/e2e/ownership.rs`): they run after those parts'.
pub fn part() -> okno_kernel::migrate::Part {
    okno_kernel::migrate::Part {
        name: "offices",
        uses: &["kernel", "rules", "identity", "directory"],
        migrations: migrations(),
    }
}

/// This part's migrations.
pub fn migrations() -> Vec<okno_kernel::migrate::Migration> {
    vec![
        okno_kernel::migration!("offices", 1, "0001_offices"),
        okno_kernel::migration!("offices", 2, "0002_desk"),
    ]
}

/// Every route of the part: the JSON API and the pages.
pub fn routes(
    settings: std::sync::Arc<Settings>,
    identity: std::sync::Arc<okno_identity::Identity>,
) -> axum::Router<okno_kernel::Platform> {
    api::routes()
        .merge(pages::routes())
        .merge(desk::routes())
        .layer(axum::Extension(settings))
        .layer(axum::Extension(identity))
}
