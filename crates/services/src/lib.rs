//! State services: the catalogue with versioned forms kept as data, applications (drafts,
//! attachments, submission with a number and a decision date), their status machine, and the
//! agency desk of officials.

pub mod api;
pub mod catalogue_pages;
pub mod demo;
pub mod form;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod worker;

pub use service::Settings;

/// This part's migrations with the parts it uses (its `okno-*` dependencies, checked against
/// its `Cargo.toml` by `crates/okno/tests/e2e/ownership.rs`): they run after those parts'.
pub fn part() -> okno_kernel::migrate::Part {
    okno_kernel::migrate::Part {
        name: "services",
        uses: &["kernel", "rules", "identity", "offices", "directory"],
        migrations: migrations(),
    }
}

/// This part's migrations.
pub fn migrations() -> Vec<okno_kernel::migrate::Migration> {
    vec![
        okno_kernel::migration!("services", 1, "0001_services"),
        okno_kernel::migration!("services", 2, "0002_ratings"),
        okno_kernel::migration!("services", 3, "0003_desk_filing"),
        okno_kernel::migration!("services", 4, "0004_application_fees"),
    ]
}

/// Every route of the part: the JSON API and the pages.
pub fn routes(settings: std::sync::Arc<Settings>) -> axum::Router<okno_kernel::Platform> {
    api::routes()
        .merge(pages::routes())
        .merge(catalogue_pages::routes())
        .layer(axum::Extension(settings))
}
