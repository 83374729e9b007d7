//! The feedback platform (Платформа обратной связи): problem reports and appeals under 59-ФЗ with
//! routing to the responsible body, moderation, legal deadlines on the production calendar,
//! answers, ratings and re-opening, the deadline worker, the public figures per body and
//! Open311 GeoReport v2.

pub mod api;
pub mod demo;
pub mod model;
pub mod open311;
pub mod pages;
pub mod polls;
pub mod service;
pub mod store;
pub mod worker;

pub use service::Settings;

/// This part's migrations with the parts it uses (its `okno-*` dependencies, checked against
/// its `Cargo.toml` by `crates/okno/tests/e2e/ownership.rs`): they run after those parts'.
pub fn part() -> okno_kernel::migrate::Part {
    okno_kernel::migrate::Part {
        name: "appeals",
        uses: &["kernel", "rules", "identity"],
        migrations: migrations(),
    }
}

/// This part's migrations.
pub fn migrations() -> Vec<okno_kernel::migrate::Migration> {
    vec![
        okno_kernel::migration!("appeals", 1, "0001_appeals"),
        okno_kernel::migration!("appeals", 2, "0002_polls"),
        okno_kernel::migration!("appeals", 3, "0003_service_ratings"),
    ]
}

/// Every route of the part: the JSON API and the pages.
pub fn routes(settings: std::sync::Arc<Settings>) -> axum::Router<okno_kernel::Platform> {
    api::routes()
        .merge(pages::routes())
        .merge(open311::routes())
        .merge(polls::routes())
        .merge(polls::pages::routes())
        .layer(axum::Extension(settings))
}
