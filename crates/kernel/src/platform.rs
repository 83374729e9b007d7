//! The state every HTTP handler receives: the database and the platform's secrets.

use std::sync::Arc;

use crate::db::Db;
use crate::pii::Secrets;

/// Shared by all parts' routers (`axum::Router<Platform>`). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Platform {
    pub db: Db,
    pub secrets: Arc<Secrets>,
}
