//! The Russian production calendar: `ProductionCalendar` built from the embedded decree data in
//! `data/calendar.txt` (2024–2027), extendable at run time, with a ст. 112 ТК РФ fallback.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiff::civil::{Date, Weekday};

use crate::RuleError;

/// The embedded data file; its format is described at its top.
pub const EMBEDDED_DATA: &str = include_str!("../data/calendar.txt");

const HOLIDAY: u8 = 1;
const DAY_OFF: u8 = 2;
const WORKING: u8 = 4;
const SHORT: u8 = 8;

/// What a date is in the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// An ordinary working day.
    Working,
    /// A working day shortened by one hour (ст. 95 ТК РФ).
    Shortened,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A non-working public holiday (ст. 112 ТК РФ).
    Holiday,
    /// A weekday made a day off by a transfer (decree or ст. 112 ч. 2 ТК РФ).
    DayOff,
}

impl DayKind {
    /// Working or shortened.
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Working | DayKind::Shortened)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct YearData {
    /// Flags per day, indexed by ordinal − 1.
    flags: Vec<u8>,
    source: Option<String>,
}

impl YearData {
    fn kind(&self, date: Date) -> DayKind {
        let f = self.flags.get(index_in_year(date)).copied().unwrap_or(0);
        if f & HOLIDAY != 0 {
            DayKind::Holiday
        } else if f & DAY_OFF != 0 {
            DayKind::DayOff
        } else if is_weekend(date) && f & WORKING == 0 {
            DayKind::Weekend
        } else if f & SHORT != 0 {
            DayKind::Shortened
        } else {
            DayKind::Working
        }
    }
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The day's place in its year, from 0 (1 January).
fn index_in_year(date: Date) -> usize {
    usize::try_from(date.day_of_year() - 1).unwrap_or(0)
}

/// 1 January of `year`, for the years a civil date can hold (−9999 to 9999).
fn first_of(year: i32) -> Option<Date> {
    Date::new(i16::try_from(year).ok()?, 1, 1).ok()
}

/// Non-working holidays of ст. 112 ч. 1 ТК РФ in the wording of Федеральный закон от 23.04.2012
/// № 35-ФЗ (in force since 2013): month, day.
const ART_112_HOLIDAYS: [(i8, i8); 14] = [
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
];

fn days_in_year(year: i32) -> usize {
    first_of(year).map_or(365, |d| usize::try_from(d.days_in_year()).unwrap_or(365))
}

fn ordinal_date(year: i32, index: usize) -> Option<Date> {
    let day = i16::try_from(index + 1).ok()?;
    first_of(year)?.with().day_of_year(day).build().ok()
}

/// The calendar a year has by law alone, without a decree: ст. 112 ч. 1 holidays; ст. 112 ч. 2
/// transfers (a holiday other than 1–8 January on a Saturday or Sunday moves the day off to the
/// next working day); ст. 95 shortened days (a working day directly followed by a holiday, 31 Dec
/// included since 1 Jan always is one). The January transfers, which need a decree, are absent.
fn statutory_year(year: i32) -> YearData {
    let n = days_in_year(year);
    let mut flags = vec![0u8; n];
    let index = |m: i8, d: i8| {
        i16::try_from(year)
            .ok()
            .and_then(|y| Date::new(y, m, d).ok())
            .map(index_in_year)
    };
    for (m, d) in ART_112_HOLIDAYS {
        if let Some(i) = index(m, d) {
            flags[i] |= HOLIDAY;
        }
    }
    for (m, d) in ART_112_HOLIDAYS.iter().filter(|(m, _)| *m != 1) {
        let Some(i) = index(*m, *d) else { continue };
        let Some(date) = ordinal_date(year, i) else {
            continue;
        };
        if !is_weekend(date) {
            continue;
        }
        let target = (i + 1..n).find(|&j| {
            flags[j] & (HOLIDAY | DAY_OFF) == 0
                && ordinal_date(year, j).is_some_and(|x| !is_weekend(x))
        });
        if let Some(j) = target {
            flags[j] |= DAY_OFF;
        }
    }
    for i in 0..n {
        let Some(date) = ordinal_date(year, i) else {
            continue;
        };
        let working = flags[i] & (HOLIDAY | DAY_OFF) == 0 && !is_weekend(date);
        let next_is_holiday = if i + 1 == n {
            true
        } else {
            flags[i + 1] & HOLIDAY != 0
        };
        if working && next_is_holiday {
            flags[i] |= SHORT;
        }
    }
    YearData {
        flags,
        source: None,
    }
}

/// The Russian production calendar (five-day week).
///
/// Years loaded from data follow their decree exactly; any other year is computed from
/// ст. 112 and ст. 95 ТК РФ (see `covers`). Dates are `jiff::civil::Date`, with no time zone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductionCalendar {
    years: BTreeMap<i32, YearData>,
}

impl ProductionCalendar {
    /// A calendar with no loaded years: every year follows ст. 112 ТК РФ only.
    pub fn statutory_only() -> Self {
        Self::default()
    }

    /// The calendar built from the embedded `data/calendar.txt` (2024 to 2027). The embedded
    /// file is checked by the tests; were it ever unreadable, the statutory-only calendar is used.
    pub fn embedded() -> Self {
        let mut cal = Self::default();
        if cal.load_str(EMBEDDED_DATA).is_err() {
            return Self::default();
        }
        cal
    }

    /// A process-wide embedded calendar, built once.
    pub fn shared() -> &'static ProductionCalendar {
        static CAL: OnceLock<ProductionCalendar> = OnceLock::new();
        CAL.get_or_init(Self::embedded)
    }

    /// Adds (or replaces) the years found in `text`, written in the format of `data/calendar.txt`.
    /// Either every year in `text` is loaded or, on an error, none is. Returns the years loaded.
    pub fn load_str(&mut self, text: &str) -> Result<Vec<i32>, RuleError> {
        let parsed = parse_data(text)?;
        let years = parsed.keys().copied().collect();
        self.years.extend(parsed);
        Ok(years)
    }

    /// True when `year` comes from decree data; false when it is computed from ТК РФ alone.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The decree a loaded year follows.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.years.get(&year).and_then(|y| y.source.as_deref())
    }

    /// The years loaded from data, ascending.
    pub fn covered_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    fn year(&self, year: i32) -> Cow<'_, YearData> {
        match self.years.get(&year) {
            Some(y) => Cow::Borrowed(y),
            None => Cow::Owned(statutory_year(year)),
        }
    }

    /// What `date` is.
    pub fn day_kind(&self, date: Date) -> DayKind {
        self.year(i32::from(date.year())).kind(date)
    }

    /// True for a working day (including a shortened one and a working weekend).
    pub fn is_working_day(&self, date: Date) -> bool {
        self.day_kind(date).is_working()
    }

    /// True for a working day shortened by one hour before a holiday.
    pub fn is_shortened(&self, date: Date) -> bool {
        self.day_kind(date) == DayKind::Shortened
    }

    /// `date` when it is a working day, else the next working day: where a term that ends on a
    /// day off ends (ГК РФ ст. 193, КоАП РФ ст. 4.8 ч. 3). Saturates at `Date::MAX`.
    pub fn on_or_next_working_day(&self, date: Date) -> Date {
        match date.yesterday() {
            Ok(before) => self.add_working_days(before, 1),
            Err(_) => date,
        }
    }

    /// The `n`-th working day after `date` (`date` itself is not counted; `n = 0` gives `date`).
    /// So the result is always a working day when `n > 0`, and
    /// `working_days_between(date, add_working_days(date, n)) == n`. Saturates at `Date::MAX`.
    pub fn add_working_days(&self, date: Date, n: u32) -> Date {
        let mut left = n;
        let mut current = date;
        let mut data = self.year(i32::from(current.year()));
        while left > 0 {
            let Some(next) = current.tomorrow().ok() else {
                return current;
            };
            if next.year() != current.year() {
                data = self.year(i32::from(next.year()));
            }
            current = next;
            if data.kind(current).is_working() {
                left -= 1;
            }
        }
        current
    }

    /// The number of working days `d` with `from < d ≤ to` (start exclusive, end inclusive);
    /// 0 when `to ≤ from`. This matches a term counted in working days "from the day after".
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0;
        let mut current = from;
        let mut data = self.year(i32::from(current.year()));
        while current < to {
            let Some(next) = current.tomorrow().ok() else {
                break;
            };
            if next.year() != current.year() {
                data = self.year(i32::from(next.year()));
            }
            current = next;
            if data.kind(current).is_working() {
                count += 1;
            }
        }
        count
    }
}

fn parse_data(text: &str) -> Result<BTreeMap<i32, YearData>, RuleError> {
    let err = |line: usize, reason: &'static str| RuleError::CalendarData { line, reason };
    let mut out: BTreeMap<i32, YearData> = BTreeMap::new();
    let mut current: Option<(i32, usize)> = None; // year, line of its `year` directive
    for (no, raw) in text.lines().enumerate() {
        let line = no + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let (key, rest) = content
            .split_once(char::is_whitespace)
            .unwrap_or((content, ""));
        let rest = rest.trim();
        if key == "year" {
            if let Some((y, at)) = current {
                finish_year(out.get(&y), at)?;
            }
            let y: i32 = rest
                .parse()
                .map_err(|_| err(line, "год должен быть числом"))?;
            if !(1900..=9999).contains(&y) {
                return Err(err(line, "год вне диапазона 1900–9999"));
            }
            if out.contains_key(&y) {
                return Err(err(line, "год указан дважды"));
            }
            out.insert(
                y,
                YearData {
                    flags: vec![0; days_in_year(y)],
                    source: None,
                },
            );
            current = Some((y, line));
            continue;
        }
        let Some((year, _)) = current else {
            return Err(err(line, "директива до строки year"));
        };
        let Some(data) = out.get_mut(&year) else {
            return Err(err(line, "директива до строки year"));
        };
        if key == "source" {
            if rest.is_empty() {
                return Err(err(line, "пустой source"));
            }
            data.source = Some(rest.to_string());
            continue;
        }
        let flag = match key {
            "holidays" => HOLIDAY,
            "days-off" => DAY_OFF,
            "working" => WORKING,
            "shortened" => SHORT,
            _ => return Err(err(line, "неизвестная директива")),
        };
        for item in rest.split_whitespace() {
            let date =
                parse_md(year, item).ok_or_else(|| err(line, "дата должна быть вида MM-DD"))?;
            let i = index_in_year(date);
            let have = data.flags[i];
            let weekend = is_weekend(date);
            let ok = match flag {
                HOLIDAY => have & (DAY_OFF | WORKING) == 0,
                DAY_OFF => !weekend && have & (HOLIDAY | WORKING | SHORT) == 0,
                WORKING => weekend && have & (HOLIDAY | DAY_OFF) == 0,
                _ => have & (HOLIDAY | DAY_OFF) == 0 && (!weekend || have & WORKING != 0),
            };
            if !ok {
                return Err(err(
                    line,
                    match flag {
                        DAY_OFF => "перенесённый выходной должен быть будним днём",
                        WORKING => "рабочим может быть объявлен только выходной день",
                        SHORT => {
                            "сокращённым может быть только рабочий день (working раньше shortened)"
                        }
                        _ => "праздник совпадает с переносом",
                    },
                ));
            }
            data.flags[i] |= flag;
        }
    }
    if let Some((y, at)) = current {
        finish_year(out.get(&y), at)?;
    }
    Ok(out)
}

fn finish_year(data: Option<&YearData>, line: usize) -> Result<(), RuleError> {
    match data {
        Some(d) if d.source.is_some() && d.flags.iter().any(|f| f & HOLIDAY != 0) => Ok(()),
        _ => Err(RuleError::CalendarData {
            line,
            reason: "у года нет source или holidays",
        }),
    }
}

fn parse_md(year: i32, s: &str) -> Option<Date> {
    let (m, d) = s.split_once('-')?;
    if m.len() != 2 || d.len() != 2 {
        return None;
    }
    Date::new(i16::try_from(year).ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn cal() -> &'static ProductionCalendar {
        ProductionCalendar::shared()
    }

    fn working_days_in(year: i16) -> u32 {
        let start = date(year - 1, 12, 31);
        let end = date(year, 12, 31);
        cal().working_days_between(start, end)
    }

    fn month_counts(year: i16) -> Vec<u32> {
        (1..=12i8)
            .map(|m| {
                let first = date(year, m, 1);
                let last = date(year, m, first.days_in_month());
                cal().working_days_between(first.yesterday().unwrap(), last)
            })
            .collect()
    }

    fn shortened_in(year: i16) -> Vec<Date> {
        let mut d = date(year, 1, 1);
        let mut out = vec![];
        while d.year() == year {
            if cal().is_shortened(d) {
                out.push(d);
            }
            d = d.tomorrow().unwrap();
        }
        out
    }

    #[test]
    fn embedded_data_parses_and_covers_2024_to_2027() {
        let mut c = ProductionCalendar::default();
        assert_eq!(
            c.load_str(EMBEDDED_DATA).unwrap(),
            vec![2024, 2025, 2026, 2027]
        );
        assert_eq!(&c, cal());
        assert!((2024..=2027).all(|y| cal().covers(y)));
        assert!(!cal().covers(2028) && !cal().covers(2023));
        assert!(cal().source(2027).unwrap().contains("№ 1187"));
        assert!(cal().source(2024).unwrap().contains("№ 1314"));
        assert!(cal().source(2025).unwrap().contains("№ 1335"));
    }

    #[test]
    fn yearly_working_day_counts() {
        assert_eq!(working_days_in(2024), 248);
        assert_eq!(working_days_in(2025), 247);
        assert_eq!(working_days_in(2026), 247);
        // 2027 with its transfers; from ТК РФ alone it would be 249 (see data/calendar.txt).
        assert_eq!(working_days_in(2027), 247);
        let statutory = ProductionCalendar::statutory_only();
        let statutory_2027 = (0..365)
            .filter_map(|d| ordinal_date(2027, d))
            .filter(|d| statutory.is_working_day(*d))
            .count();
        assert_eq!(statutory_2027, 249);
    }

    #[test]
    fn monthly_counts_2025() {
        assert_eq!(
            month_counts(2025),
            vec![17, 20, 21, 22, 18, 19, 23, 21, 22, 23, 19, 22]
        );
    }

    #[test]
    fn hour_norms_at_40_hours() {
        // 8 h a day less one hour per shortened day: 1979 h (2024), 1972 h (2025, 2026).
        for (year, hours) in [(2024, 1979), (2025, 1972), (2026, 1972)] {
            let norm = working_days_in(year) * 8 - shortened_in(year).len() as u32;
            assert_eq!(norm, hours, "{year}");
        }
    }

    #[test]
    fn known_days() {
        let c = cal();
        assert!(!c.is_working_day(date(2025, 5, 2)));
        assert!(!c.is_working_day(date(2025, 5, 8)));
        assert!(c.is_working_day(date(2025, 11, 1)));
        assert!(c.is_shortened(date(2025, 11, 1)));
        assert_eq!(c.day_kind(date(2025, 11, 3)), DayKind::DayOff);
        assert_eq!(c.day_kind(date(2025, 11, 4)), DayKind::Holiday);
        assert!(!c.is_working_day(date(2025, 12, 31)));
        assert!(c.is_working_day(date(2024, 12, 28)));
        assert!(!c.is_shortened(date(2024, 12, 28)));
        assert!(c.is_shortened(date(2024, 11, 2)));
        assert!(!c.is_working_day(date(2024, 4, 29)));
        assert!(!c.is_working_day(date(2026, 1, 9)));
        assert!(!c.is_working_day(date(2026, 3, 9)));
        assert!(!c.is_working_day(date(2026, 5, 11)));
        assert!(c.is_working_day(date(2026, 2, 20)));
        assert!(!c.is_shortened(date(2026, 2, 20)));
        assert_eq!(c.day_kind(date(2026, 6, 13)), DayKind::Weekend);
    }

    #[test]
    fn shortened_days_match_the_decrees() {
        let dates = |v: &[Date]| v.to_vec();
        assert_eq!(
            shortened_in(2024),
            dates(&[
                date(2024, 2, 22),
                date(2024, 3, 7),
                date(2024, 5, 8),
                date(2024, 6, 11),
                date(2024, 11, 2)
            ])
        );
        assert_eq!(
            shortened_in(2025),
            dates(&[
                date(2025, 3, 7),
                date(2025, 4, 30),
                date(2025, 6, 11),
                date(2025, 11, 1)
            ])
        );
    }

    #[test]
    fn add_working_days_examples() {
        let c = cal();
        assert_eq!(c.add_working_days(date(2025, 12, 30), 1), date(2026, 1, 12));
        assert_eq!(c.add_working_days(date(2025, 4, 30), 1), date(2025, 5, 5));
        assert_eq!(c.add_working_days(date(2025, 10, 31), 1), date(2025, 11, 1));
        assert_eq!(c.add_working_days(date(2025, 6, 6), 0), date(2025, 6, 6));
        // From a day off, the first working day is the next one.
        assert_eq!(c.add_working_days(date(2025, 5, 3), 1), date(2025, 5, 5));
        // 30 working days after Mon 1 Dec 2025: 21 more in December (31 Dec is off), then
        // 12–16 and 19–22 January 2026.
        let d = c.add_working_days(date(2025, 12, 1), 30);
        assert_eq!(c.working_days_between(date(2025, 12, 1), d), 30);
        assert_eq!(d, date(2026, 1, 22));
        assert_eq!(c.add_working_days(Date::MAX, 5), Date::MAX);
        assert_eq!(
            c.on_or_next_working_day(date(2025, 12, 31)),
            date(2026, 1, 12)
        );
        assert_eq!(
            c.on_or_next_working_day(date(2026, 1, 12)),
            date(2026, 1, 12)
        );
        assert_eq!(c.on_or_next_working_day(Date::MAX), Date::MAX);
    }

    #[test]
    fn between_is_exclusive_inclusive() {
        let c = cal();
        assert_eq!(
            c.working_days_between(date(2025, 6, 2), date(2025, 6, 2)),
            0
        );
        assert_eq!(
            c.working_days_between(date(2025, 6, 2), date(2025, 6, 3)),
            1
        );
        assert_eq!(
            c.working_days_between(date(2025, 6, 3), date(2025, 6, 2)),
            0
        );
        // Mon 9 Jun → Mon 16 Jun 2025: 10, 11 working; 12, 13 off; 14, 15 weekend; 16 working.
        assert_eq!(
            c.working_days_between(date(2025, 6, 9), date(2025, 6, 16)),
            3
        );
    }

    #[test]
    fn fallback_follows_article_112() {
        let c = ProductionCalendar::statutory_only();
        // 2027: 1 May Sat → 3 May; 9 May Sun → 10 May; 12 Jun Sat → 14 Jun.
        assert_eq!(c.day_kind(date(2027, 5, 3)), DayKind::DayOff);
        assert_eq!(c.day_kind(date(2027, 5, 10)), DayKind::DayOff);
        assert_eq!(c.day_kind(date(2027, 6, 14)), DayKind::DayOff);
        assert_eq!(c.day_kind(date(2027, 1, 4)), DayKind::Holiday);
        assert!(c.is_working_day(date(2027, 1, 11)));
        assert!(c.is_shortened(date(2027, 4, 30)));
        assert!(c.is_shortened(date(2027, 12, 31)));
        // The fallback reproduces the law part of a decree year: 2026 without its decree lines.
        let statutory = ProductionCalendar::statutory_only();
        assert!(!statutory.is_working_day(date(2026, 3, 9)));
        assert!(!statutory.is_working_day(date(2026, 5, 11)));
        assert!(statutory.is_working_day(date(2026, 1, 9)));
        // An 1 Jan on a weekday of a far year is still a holiday.
        assert!(!statutory.is_working_day(date(2031, 1, 1)));
    }

    #[test]
    fn load_str_adds_a_year_at_run_time() {
        let mut c = ProductionCalendar::default();
        let text = "year 2027\nsource test\nholidays 01-01 01-02\ndays-off 02-22 # c\nworking 02-20\nshortened 02-20\n";
        assert_eq!(c.load_str(text).unwrap(), vec![2027]);
        assert!(c.covers(2027));
        assert_eq!(c.source(2027), Some("test"));
        assert!(c.is_working_day(date(2027, 2, 20)));
        assert!(c.is_shortened(date(2027, 2, 20)));
        assert!(!c.is_working_day(date(2027, 2, 22)));
        // Without the 4 Nov holiday line it is an ordinary Thursday now.
        assert!(c.is_working_day(date(2027, 11, 4)));
    }

    #[test]
    fn load_str_rejects_bad_data_atomically() {
        let mut c = ProductionCalendar::default();
        let cases = [
            ("holidays 01-01", 1),
            ("year 2030\nsource s\nholidays 13-01", 3),
            ("year 2030\nsource s\nholidays 01-01\nyear 2030", 4),
            (
                "year 2030\nholidays 01-01\nyear 2031\nsource s\nholidays 01-01",
                1,
            ),
            ("year 2030\nsource s\nholidays 01-01\ndays-off 01-05", 4), // a Saturday
            ("year 2030\nsource s\nholidays 01-01\nworking 01-07", 4),  // a Monday
            ("year 2030\nsource s\nholidays 01-01\nshortened 01-05", 4), // a Saturday
            ("year 2030\nsource s\nholidays 01-01\nfrobnicate 01-02", 4),
            ("year 2030\nsource s\nholidays 1-1", 3),
            ("year twenty\n", 1),
        ];
        for (text, line) in cases {
            match c.load_str(text) {
                Err(RuleError::CalendarData { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(c.covered_years().is_empty());
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (2023i32..2029, 0usize..365).prop_map(|(y, i)| ordinal_date(y, i).unwrap())
    }

    proptest! {
        #[test]
        fn add_then_count_round_trips(d in any_date(), n in 0u32..400) {
            let c = cal();
            let end = c.add_working_days(d, n);
            prop_assert_eq!(c.working_days_between(d, end), n);
            if n > 0 {
                prop_assert!(c.is_working_day(end));
                prop_assert!(c.add_working_days(d, n - 1) < end);
            }
        }

        #[test]
        fn between_is_additive(a in any_date(), b in any_date(), m in any_date()) {
            let mut v = [a, b, m];
            v.sort();
            let c = cal();
            prop_assert_eq!(
                c.working_days_between(v[0], v[2]),
                c.working_days_between(v[0], v[1]) + c.working_days_between(v[1], v[2])
            );
        }
    }
}
