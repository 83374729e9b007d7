//! The directory: reference data every part relies on — agencies, service points, the catalogue of
//! services and the categories of appeals — with public pages, an API and Russian demo data.

pub mod admin_pages;
pub mod api;
pub mod demo;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

/// This part's migrations with the parts it uses (its `okno-*` dependencies, checked against
/// its `Cargo.toml` by `crates/okno/tests/e2e/ownership.rs`): they run after those parts'.
pub fn part() -> okno_kernel::migrate::Part {
    okno_kernel::migrate::Part {
        name: "directory",
        uses: &["kernel", "rules"],
        migrations: migrations(),
    }
}

/// This part's migrations.
pub fn migrations() -> Vec<okno_kernel::migrate::Migration> {
    vec![
        okno_kernel::migration!("directory", 1, "0001_directory"),
        okno_kernel::migration!("directory", 2, "0002_service_categories"),
    ]
}
