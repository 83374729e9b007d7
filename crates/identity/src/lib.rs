//! The identity part: accounts of people and their levels, registration with confirmed contacts,
//! sign-in with a password and a second factor, one-time codes, lockout, and account sessions.

pub mod api;
pub mod codes;
pub mod confirmation;
pub mod desk;
pub mod limits;
pub mod model;
pub mod organisations;
pub mod pages;
pub mod passkeys;
pub mod password;
pub mod privacy;
pub mod profile;
pub mod recovery;
pub mod registry;
pub mod representation;
pub mod service;
pub mod staff;
pub mod store;
pub mod totp;

pub use service::{Identity, Settings};

/// This part's migrations with the parts it uses (its `okno-*` dependencies, checked against
/// its `Cargo.toml` by `crates/okno/tests/e2e/ownership.rs`): they run after those parts'.
pub fn part() -> okno_kernel::migrate::Part {
    okno_kernel::migrate::Part {
        name: "identity",
        uses: &["kernel", "rules", "notify"],
        migrations: migrations(),
    }
}

/// This part's migrations.
pub fn migrations() -> Vec<okno_kernel::migrate::Migration> {
    vec![
        okno_kernel::migration!("identity", 1, "0001_identity"),
        okno_kernel::migration!("identity", 2, "0002_profile"),
        okno_kernel::migration!("identity", 3, "0003_recovery"),
        okno_kernel::migration!("identity", 4, "0004_preferences"),
        okno_kernel::migration!("identity", 5, "0005_representatives"),
        okno_kernel::migration!("identity", 6, "0006_organisations"),
        okno_kernel::migration!("identity", 7, "0007_known_networks"),
        okno_kernel::migration!("identity", 8, "0008_passkeys"),
        okno_kernel::migration!("identity", 9, "0009_sign_in_links"),
        okno_kernel::migration!("identity", 10, "0010_desk_representatives"),
    ]
}
