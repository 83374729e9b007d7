//! Payments to the state: who receives each agency's money (payees), charges (начисления) keyed
//! by their УИН — loaded by agencies through the API or a CSV file, or made from the state fee of
//! an application — the amount due on a day (a fine's discount for early payment), the payment
//! QR code of ГОСТ Р 56042-2014, and the pages where people find and see them.

pub mod api;
pub mod demo;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod worker;

/// This part's migrations with the parts it uses (its `okno-*` dependencies, checked against
/// its `Cargo.toml` by `crates/okno/tests/e2e/ownership.rs`): they run after those parts'.
pub fn part() -> okno_kernel::migrate::Part {
    okno_kernel::migrate::Part {
        name: "payments",
        uses: &[
            "kernel",
            "rules",
            "identity",
            "services",
            "directory",
            "acquirer",
        ],
        migrations: migrations(),
    }
}

/// This part's migrations.
pub fn migrations() -> Vec<okno_kernel::migrate::Migration> {
    vec![
        okno_kernel::migration!("payments", 1, "0001_charges"),
        okno_kernel::migration!("payments", 2, "0002_payments"),
    ]
}

/// Every route of the part: the JSON API and the pages.
pub fn routes(settings: std::sync::Arc<Settings>) -> axum::Router<okno_kernel::Platform> {
    api::routes()
        .merge(pages::routes())
        .layer(axum::Extension(settings))
}

pub use service::Settings;
