//! Directory types: agencies, service points, catalogue services and appeal categories, as stored
//! and as served by the API.

use serde::{Serialize, Serializer};

/// Stored as JSON text, served as JSON.
fn json_text<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    v.serialize(s)
}

/// Stored as 0/1, served as a boolean.
fn int_bool<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*v != 0)
}

/// An agency (орган власти): federal, regional or municipal.
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Agency {
    pub id: String,
    /// Stable short code, e.g. `fns`.
    pub code: String,
    pub name: String,
    pub short_name: String,
    /// `federal`, `regional` or `municipal`.
    pub level: String,
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub region: String,
    /// IANA time zone, e.g. `Europe/Moscow`.
    pub time_zone: String,
    pub website: Option<String>,
    pub created_at: i64,
}

pub const LEVELS: [(&str, &str); 3] = [
    ("federal", "Федеральный орган"),
    ("regional", "Региональный орган"),
    ("municipal", "Орган местного самоуправления"),
];

pub fn level_title(level: &str) -> &'static str {
    LEVELS
        .iter()
        .find(|(k, _)| *k == level)
        .map(|(_, t)| *t)
        .unwrap_or("Орган власти")
}

/// A service point.
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Office {
    pub id: String,
    pub code: String,
    /// `mfc`, `post`, `bank`, `accredited`, `mobile`.
    pub kind: String,
    pub name: String,
    pub city: String,
    pub address: String,
    /// Latitude in millionths of a degree.
    pub lat_micro: i64,
    /// Longitude in millionths of a degree.
    pub lon_micro: i64,
    pub time_zone: String,
    pub phone: Option<String>,
    /// Opening hours: `{"mon": ["08:00", "20:00"], …, "sun": null, "break": ["13:00", "13:30"]}`.
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Object)]
    pub hours: String,
    pub created_at: i64,
}

pub fn office_kind_title(kind: &str) -> &'static str {
    match kind {
        "mfc" => "МФЦ",
        "post" => "Отделение Почты России",
        "bank" => "Банк",
        "accredited" => "Аккредитованная организация",
        "mobile" => "Мобильный пункт",
        _ => "Пункт обслуживания",
    }
}

/// A service of the catalogue.
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Service {
    pub id: String,
    pub code: String,
    pub agency_code: String,
    pub title: String,
    pub summary: String,
    /// State fee in kopecks; none when free.
    pub fee_kopecks: Option<i64>,
    /// The decision is due this many working days after the application is registered.
    pub deadline_working_days: i64,
    /// Account level needed: `simplified`, `standard`, `confirmed`.
    pub level_required: String,
    /// Required documents.
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Vec<String>)]
    pub documents: String,
    /// Whether the service can be applied for online.
    #[serde(serialize_with = "int_bool")]
    #[schema(value_type = bool)]
    pub online: i64,
    pub created_at: i64,
    /// The catalogue category (code); none when the service is in no category.
    pub category_code: Option<String>,
}

/// A category of the service catalogue.
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ServiceCategory {
    pub id: String,
    /// Stable short code, e.g. `transport`.
    pub code: String,
    pub title: String,
    pub description: String,
    /// Order on the catalogue page, ascending.
    pub position: i64,
    pub created_at: i64,
}

pub fn account_level_title(level: &str) -> &'static str {
    match level {
        "simplified" => "упрощённая",
        "standard" => "стандартная",
        "confirmed" => "подтверждённая",
        _ => "—",
    }
}

/// A category of appeals, routed to the agency that answers them.
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AppealCategory {
    pub id: String,
    pub code: String,
    pub title: String,
    pub description: String,
    pub agency_code: String,
    /// The answer is due within this many days of registration (Federal Law 59-FZ, art. 12).
    pub answer_days: i64,
    pub created_at: i64,
}
