//! Time and identifiers: UTC instants as milliseconds since the epoch (how they are stored),
//! civil dates as `jiff::civil::Date` (the workspace's one date-time crate), the local date of an
//! instant in a time zone, and UUIDv7 ids as text (time-ordered, so indexes stay compact).

use jiff::tz::TimeZone;
use jiff::Timestamp;

pub use jiff::civil::Date;

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Today's date in UTC, from the same clock as [`now_ms`].
pub fn today_utc() -> Date {
    instant(now_ms()).to_zoned(TimeZone::UTC).date()
}

/// The local date of an instant (UTC milliseconds) in an IANA zone; Moscow (UTC+3) when the zone
/// is unknown (zones are checked where they are configured).
pub fn local_date(zone: &str, ms: i64) -> Date {
    let tz = TimeZone::get(zone).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(3)));
    instant(ms).to_zoned(tz).date()
}

fn instant(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A date written as `YYYY-MM-DD`, exactly (no time, no offset, four-digit year).
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    s.parse().ok()
}

/// Full years from `born` to `on` (a person's age on that day; 0 before the first birthday).
pub fn full_years(born: Date, on: Date) -> i16 {
    on.year() - born.year() - i16::from((on.month(), on.day()) < (born.month(), born.day()))
}

/// The genitive names of the months, as in «15 января».
pub const MONTHS_GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// «15 января»: a date in the current year as people read it.
pub fn day_month_text(d: Date) -> String {
    let m = usize::try_from(d.month() - 1).unwrap_or(0).min(11);
    format!("{} {}", d.day(), MONTHS_GENITIVE[m])
}

/// «15 января 2027 г.»: a date as people read it.
pub fn date_text(d: Date) -> String {
    format!("{} {} г.", day_month_text(d), d.year())
}

/// «4 декабря 2026 г., 17:14 (МСК)»: a stored instant as people read it, in the time zone of
/// the office, agency or person (`zone`, IANA), named the Russian way — by its offset from Moscow
/// time («МСК+4» in Krasnoyarsk, «МСК−1» in Kaliningrad). An unknown zone is read as Moscow time.
pub fn moment_text(zone: &str, ms: i64) -> String {
    let tz = TimeZone::get(zone)
        .or_else(|_| TimeZone::get("Europe/Moscow"))
        .unwrap_or(TimeZone::UTC);
    let Ok(t) = Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let z = t.to_zoned(tz);
    let from_moscow = z.offset().seconds() / 3600 - 3;
    let label = match from_moscow {
        0 => "МСК".to_string(),
        n if n > 0 => format!("МСК+{n}"),
        n => format!("МСК\u{2212}{}", -n),
    };
    format!(
        "{}, {:02}:{:02} ({label})",
        date_text(z.date()),
        z.hour(),
        z.minute()
    )
}

/// A new time-ordered id (UUIDv7) as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// RFC 3339 text of a stored instant in UTC, for APIs and exports.
pub fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Parses RFC 3339 text (or a plain `YYYY-MM-DD`, taken as midnight UTC) into stored milliseconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t.as_millisecond());
    }
    let d = parse_date(s)?;
    d.to_zoned(TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    #[test]
    fn moments_are_read_in_the_zone_named_by_its_offset_from_moscow() {
        // 2026-12-04T14:14:00Z.
        let ms = 1_796_393_640_000;
        assert_eq!(
            moment_text("Europe/Moscow", ms),
            "4 декабря 2026 г., 17:14 (МСК)"
        );
        assert_eq!(
            moment_text("Asia/Vladivostok", ms),
            "5 декабря 2026 г., 00:14 (МСК+7)"
        );
        assert_eq!(
            moment_text("Europe/Kaliningrad", ms),
            "4 декабря 2026 г., 16:14 (МСК\u{2212}1)"
        );
        assert_eq!(
            moment_text("Nowhere/City", ms),
            moment_text("Europe/Moscow", ms)
        );
    }

    use super::*;
    use jiff::civil::date;

    #[test]
    fn instants_round_trip_through_rfc3339() {
        let ms = 1_764_000_000_123;
        assert_eq!(rfc3339(ms), "2025-11-24T16:00:00.123Z");
        assert_eq!(rfc3339(1_764_000_000_000), "2025-11-24T16:00:00Z");
        assert_eq!(parse_instant(&rfc3339(ms)), Some(ms));
        assert_eq!(
            parse_instant("2026-01-01T03:00:00+03:00"),
            Some(1_767_225_600_000)
        );
        assert_eq!(parse_instant("2026-01-01"), Some(1_767_225_600_000));
        assert_eq!(parse_instant("вчера"), None);
    }

    #[test]
    fn dates_are_read_only_in_the_one_written_form() {
        assert_eq!(parse_date("2026-02-28"), Some(date(2026, 2, 28)));
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "26-02-28",
            "2026-02-28T00:00",
            "2026/02/28",
            " 2026-02-28",
            "+02026-02-2",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_dates_follow_the_zone() {
        // 2026-12-31 22:30 UTC is already 1 January in Moscow and still 31 December in UTC.
        let ms = 1_798_756_200_000;
        assert_eq!(local_date("UTC", ms), date(2026, 12, 31));
        assert_eq!(local_date("Europe/Moscow", ms), date(2027, 1, 1));
        assert_eq!(local_date("Asia/Kamchatka", ms), date(2027, 1, 1));
        assert_eq!(local_date("Нет/Такой", ms), date(2027, 1, 1));
    }

    #[test]
    fn full_years_turn_on_the_birthday() {
        let born = date(2012, 11, 24);
        assert_eq!(full_years(born, date(2026, 11, 23)), 13);
        assert_eq!(full_years(born, date(2026, 11, 24)), 14);
        assert_eq!(full_years(date(2004, 2, 29), date(2025, 2, 28)), 20);
        assert_eq!(full_years(date(2004, 2, 29), date(2025, 3, 1)), 21);
    }

    #[test]
    fn dates_read_in_russian() {
        assert_eq!(date_text(date(2027, 1, 15)), "15 января 2027 г.");
        assert_eq!(day_month_text(date(2026, 12, 4)), "4 декабря");
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(new_id() > a);
    }
}
