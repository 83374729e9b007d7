//! Operators' desks: terminals registered per office (a desk or a kiosk, each with its own
//! revocable credential), operators bound to offices with a role, the rule that an operator acts
//! only from a registered device of their own office, and the in-person flows done at a desk
//! (registration with a printed справка, confirmation, access recovery), which call identity.
//!
//! `model` holds the types, `store` all the desk's SQL, `access` the rule of the desk (the reads
//! every desk and queue use case checks), one file each group of use cases (`devices`,
//! `operators`, `people`, `receipt`), `api` the JSON API, `pages` the desk's pages and
//! `admin_pages` the pages where an office's terminals and operators are managed. The
//! operator's queue pages are the part's `pages`: they call the queue's use cases, which call
//! this module's rule.

mod access;
pub mod admin_pages;
pub mod api;
mod devices;
mod model;
mod operators;
pub mod pages;
mod people;
mod receipt;
mod store;

pub use self::access::{current_desk, current_desk_in, require_desk, require_kiosk};
pub use self::api::DeskApi;
pub use self::devices::{devices, register_device, revoke_device};
pub use self::model::{
    DeskContext, DeskIssued, DeviceKind, DeviceView, OperatorRole, OperatorView, Registered,
};
pub use self::operators::{assign_operator, operators, remove_operator};
pub use self::people::{confirm, find, register_person, restore_access};
pub use self::receipt::receipt;

/// The desk's routes: its JSON API, its pages and the pages that manage an office's terminals
/// and operators.
pub fn routes() -> axum::Router<okno_kernel::Platform> {
    api::routes()
        .merge(pages::routes())
        .merge(admin_pages::routes())
}
