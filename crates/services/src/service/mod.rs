//! Use cases of the services part, each one transaction with its audit record, notifications and
//! outbox events: the catalogue and its form versions, drafts and attachments, every status
//! transition, the agency desk and the assignment of officials to agencies.

mod access;
mod applicants;
mod base;
mod catalogue;
mod desk;
mod form;
mod rating;
mod result;
mod starting;
mod transitions;
mod views;

pub use self::access::{get, mine};
pub use self::base::Settings;
pub use self::catalogue::{
    catalogue, publish_version, service, service_for_editing, unpublished, NewVersion, ServiceView,
};
pub use self::desk::{
    assign_official, desk, desk_csv, figures, figures_of, my_agencies, AgencyFigures, Assignment,
    DeskFilter, DeskRow,
};
pub use self::form::{attach, attachment, save};
pub use self::rating::{rate, NewRating, RATED_EVENT};
pub use self::result::result_document;
pub use self::starting::{person_name, start, start_at_desk};
pub use self::transitions::{transition, Step};
pub use self::views::{
    ApplicationView, AttachmentView, EventView, FeeView, RatingView, ResultView,
};
