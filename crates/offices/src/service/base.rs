//! What every use case of this part needs: the settings (kept in `crate::settings`), the
//! calendar, an office's zone and hours, dates.

use jiff::civil::Date;
use okno_kernel::error::{Error, Problem, Result};
use okno_rules::calendar::ProductionCalendar;

pub use crate::settings::Settings;

use crate::model::{self, WeekHours};
use crate::store::OfficeRow;

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
