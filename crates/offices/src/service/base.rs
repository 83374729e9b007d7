//! What every use case of this part needs: settings, the calendar, an office's zone and hours,
//! dates.

use std::time::Duration;

use jiff::civil::Date;
use okno_kernel::error::{Error, Problem, Result};
use okno_rules::calendar::ProductionCalendar;

use crate::model::{self, WeekHours};
use crate::store::OfficeRow;

/// Settings of the part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The visit length the queue's estimate assumes when nobody was served in the last hour.
    pub default_visit: Duration,
    /// How often the reminder worker looks for due reminders.
    pub reminder_poll: Duration,
    /// The address people use (`--public-url`), for the sign-in QR code of a справка.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_visit: Duration::from_secs(10 * 60),
            reminder_poll: Duration::from_secs(30),
            public_url: "http://localhost:8080".into(),
        }
    }
}

pub(super) fn calendar() -> &'static ProductionCalendar {
    ProductionCalendar::shared()
}

pub(super) fn office_zone(o: &OfficeRow) -> Result<jiff::tz::TimeZone> {
    model::zone(&o.time_zone).map_err(|r| Error::internal(r.message))
}

pub(super) fn office_hours(o: &OfficeRow) -> Result<WeekHours> {
    let v: serde_json::Value = serde_json::from_str(&o.hours)?;
    WeekHours::parse(&v).map_err(|r| Error::internal(format!("office {}: {}", o.code, r.message)))
}

pub(super) fn parse_date(field: &str, s: &str) -> std::result::Result<Date, Problem> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| Problem::invalid_field(field, "date.invalid", "Дата в формате ГГГГ-ММ-ДД."))
}
