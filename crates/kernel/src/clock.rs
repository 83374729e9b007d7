//! Time and identifiers: UTC instants as milliseconds since the epoch (how they are stored) and
//! UUIDv7 ids as text (time-ordered, so indexes stay compact).

use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Today's date in UTC, from the same clock as [`now_ms`].
pub fn today_utc() -> time::Date {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms()) * 1_000_000)
        .map(|t| t.date())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH.date())
}

/// A new time-ordered id (UUIDv7) as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// RFC 3339 text of a stored instant, for APIs and exports.
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Parses RFC 3339 text (or a plain `YYYY-MM-DD`, taken as midnight UTC) into stored milliseconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(d.midnight().assume_utc().unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_through_rfc3339() {
        let ms = 1_764_000_000_123;
        assert_eq!(parse_instant(&rfc3339(ms)), Some(ms));
        assert_eq!(parse_instant("2026-01-01"), Some(1_767_225_600_000));
        assert_eq!(parse_instant("вчера"), None);
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(new_id() > a);
    }
}
