//! The identity part: accounts of people and their levels, registration with confirmed contacts,
//! sign-in with a password and a second factor, one-time codes, lockout, and account sessions.
//!
//! Where things are: `model` (types and the small helpers every use case shares), `store/` (every
//! SQL statement of the part, each a named function, one file per group of tables with the rows it
//! reads: what other parts may ask and the use cases' own statements), `settings` (the part's
//! settings and state); the use cases in files named by what they do (`register`, `contacts`,
//! `sign_in`, `lockout`, `second_factor`, `sessions`, `password_change`, `account`, `recovery`,
//! `profile`, `desk`, `confirmation`, `representation`, `privacy`, `data_export`, `passkeys`,
//! `staff`, `seeding`, and the folder `organisations/`), which hold no SQL, each use case in steps
//! of at most ~80 lines (the check, the change, its record); the web in `api`, `pages` and
//! `organisations_http`. Calls go one way: no module here uses a module that uses it (checked by
//! `crates/okno/tests/e2e/ownership.rs`).

pub mod account;
pub mod api;
pub mod codes;
pub mod confirmation;
pub mod contacts;
pub mod data_export;
pub mod desk;
pub mod limits;
pub mod lockout;
pub mod model;
pub mod organisations;
pub mod organisations_http;
pub mod pages;
pub mod passkeys;
pub mod password;
pub mod password_change;
pub mod privacy;
pub mod profile;
pub mod recovery;
pub mod register;
pub mod registry;
pub mod relying_party;
pub mod representation;
pub mod second_factor;
pub mod seeding;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod staff;
pub mod store;
pub mod totp;

pub use settings::{Identity, Settings};

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
