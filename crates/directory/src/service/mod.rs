//! Use cases of the directory: public reads, and the administrator's changes (an agency, a
//! category of the catalogue, a service added or edited), each audited and announced through the
//! outbox in its transaction. `base` holds what they share; one file each group of use cases.

mod agencies;
mod base;
mod categories;
mod reads;
mod services;

pub use self::agencies::{create_agency, validate_agency, NewAgency};
pub use self::base::{NO_CATEGORY, RUSSIAN_TIME_ZONES};
pub use self::categories::{create_service_category, NewServiceCategory};
pub use self::reads::{
    agencies, agency, categories, offices, service, service_categories, services, summary,
};
pub use self::services::{
    create_service, create_service_unless, update_service, NewService, ServiceEdit,
};
