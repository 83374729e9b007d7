//! The identity part's SQL, and only here: what other parts may ask through its functions (`pub`,
//! never its tables; read in the caller's connection or transaction so that the answer agrees with
//! what the caller writes), and the statements of its own use cases (`pub(crate)`). One file per
//! group of tables; the row types a statement reads live beside it. Everything is re-exported
//! here, so callers name `crate::store::x` (and other parts `okno_identity::store::x`) whatever
//! file holds it: `pub` from `accounts` and `organisations` (which hold what other parts may ask),
//! `pub(crate)` from the rest.
//!
//! The files use nothing of the use cases (`model` and `registry` at most), so any use case may
//! call any of them.

mod accounts;
mod codes;
mod desk;
mod devices;
mod organisations;
mod passkeys;
mod preferences;
mod profiles;
mod recovery;
mod representation;
mod second_factors;
mod sign_in;

pub use accounts::*;
pub(crate) use codes::*;
pub(crate) use desk::*;
pub(crate) use devices::*;
pub use organisations::*;
pub(crate) use passkeys::*;
pub(crate) use preferences::*;
pub(crate) use profiles::*;
pub(crate) use recovery::*;
pub(crate) use representation::*;
pub(crate) use second_factors::*;
pub(crate) use sign_in::*;
