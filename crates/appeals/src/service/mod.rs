//! Use cases of the appeals part, each one transaction with its audit record, the author's
//! notification and outbox events: filing, correction and comments, moderation, the body's work
//! (take, forward, answers, the 59-ФЗ extension), rating and re-opening, files, the officials'
//! assignment, the public list and the figures per body.

mod access;
mod attachments;
mod base;
mod body_work;
mod change;
mod filing;
mod moderation;
mod officials;
mod public;
mod rating;
mod reference;
mod routing;
mod settings;
mod views;

pub use self::access::{get, mine};
pub use self::attachments::{attach, file_of};
pub use self::base::{DEFAULT_ZONE, TEXT_MAX};
pub use self::body_work::{
    answer, answer_with_files, desk, extend, forward, take, Answer, DeskRow, Extension, Forward,
    Upload,
};
pub use self::filing::{comment, correct, file, file_as, Author, NewAppeal};
pub(crate) use self::moderation::register;
pub use self::moderation::{moderate, moderation_queue, Moderation, Verdict};
pub use self::officials::{assign_official, my_bodies, Assignment};
pub use self::public::{
    depersonalise, figures, figures_csv, published, Computed, Figures, FiguresCache, PublicReport,
};
pub use self::rating::{rate, Rating};
pub use self::reference::{
    bodies, categories, territories, BodyView, CategoryView, SubcategoryView, TerritoryView,
};
pub use self::routing::route;
pub use self::settings::Settings;
pub use self::views::{AppealView, EventView, FileView, MessageView};
