//! Pagination of lists: a limit with a sane cap and an opaque cursor (the last key seen).

use serde::Deserialize;

/// `?limit=&after=` of list endpoints.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// How many items (1–200, default 50).
    pub limit: Option<i64>,
    /// The cursor returned as `next` by the previous page.
    pub after: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }
}
