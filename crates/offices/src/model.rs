//! Types and pure rules of service points: office kinds, opening hours with breaks on the production
//! calendar in the office's IANA zone («открыто сейчас», the next opening), distances, booking codes,
//! queue tickets and their state machine, and the wait estimate. No I/O here.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use okno_rules::calendar::{DayKind, ProductionCalendar};
use serde::{Deserialize, Serialize};

pub use okno_kernel::clock::day_month_text;
pub use okno_kernel::error::Refusal;
use okno_kernel::error::Transitions;
use okno_kernel::error::{Error, Problem};

/// No service point with that code.
pub(crate) fn not_found_office() -> Error {
    Problem::not_found("Пункт обслуживания не найден.").into()
}

/// The kinds of service point (issue 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfficeKind {
    /// МФЦ «Мои документы».
    Mfc,
    /// Отделение Почты России.
    Post,
    Bank,
    /// Аккредитованная организация.
    Accredited,
    /// Мобильный пункт.
    Mobile,
}

impl OfficeKind {
    pub const ALL: [OfficeKind; 5] = [
        OfficeKind::Mfc,
        OfficeKind::Post,
        OfficeKind::Bank,
        OfficeKind::Accredited,
        OfficeKind::Mobile,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OfficeKind::Mfc => "mfc",
            OfficeKind::Post => "post",
            OfficeKind::Bank => "bank",
            OfficeKind::Accredited => "accredited",
            OfficeKind::Mobile => "mobile",
        }
    }

    pub fn parse(s: &str) -> Option<OfficeKind> {
        OfficeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            OfficeKind::Mfc => "МФЦ",
            OfficeKind::Post => "Почта России",
            OfficeKind::Bank => "Банк",
            OfficeKind::Accredited => "Аккредитованная организация",
            OfficeKind::Mobile => "Мобильный пункт",
        }
    }
}

/// Minutes since local midnight, 0..=1440.
pub type Minute = u16;

/// Parses `HH:MM` (24-hour) into minutes since midnight; `24:00` is the end of the day.
pub fn parse_minute(s: &str) -> Option<Minute> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// `HH:MM` of minutes since midnight.
pub fn fmt_minute(m: Minute) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// One day's opening hours: open–close with breaks inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHours {
    pub open: Minute,
    pub close: Minute,
    pub breaks: Vec<(Minute, Minute)>,
}

impl DayHours {
    /// The intervals the office receives visitors: open–close less the breaks.
    pub fn intervals(&self) -> Vec<(Minute, Minute)> {
        let mut out = Vec::new();
        let mut start = self.open;
        let mut breaks = self.breaks.clone();
        breaks.sort_unstable();
        for (b0, b1) in breaks {
            let (b0, b1) = (b0.max(self.open), b1.min(self.close));
            if b0 >= b1 {
                continue;
            }
            if b0 > start {
                out.push((start, b0));
            }
            start = start.max(b1);
        }
        if self.close > start {
            out.push((start, self.close));
        }
        out
    }

    /// `08:00–20:00, перерыв 13:00–13:30`.
    pub fn text(&self) -> String {
        let mut s = format!("{}–{}", fmt_minute(self.open), fmt_minute(self.close));
        for (a, b) in &self.breaks {
            s.push_str(&format!(", перерыв {}–{}", fmt_minute(*a), fmt_minute(*b)));
        }
        s
    }
}

/// The weekly schedule, Monday first, in the office's local time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeekHours {
    pub days: [Option<DayHours>; 7],
}

pub const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "Понедельник"),
    ("tue", "Вторник"),
    ("wed", "Среда"),
    ("thu", "Четверг"),
    ("fri", "Пятница"),
    ("sat", "Суббота"),
    ("sun", "Воскресенье"),
];

impl WeekHours {
    /// Parses the directory's `hours` JSON. A day is `null` (closed), `["08:00", "20:00"]`, or
    /// `{"open": "08:00", "close": "20:00", "breaks": [["13:00", "14:00"]]}`; a top-level
    /// `"break": ["13:00", "13:30"]` applies to every day without breaks of its own.
    pub fn parse(json: &serde_json::Value) -> Result<WeekHours, Refusal> {
        let bad = |what: &str| {
            Refusal::new(
                "office.hours_invalid",
                format!("Часы работы заданы неверно: {what}."),
            )
        };
        let pair = |v: &serde_json::Value| -> Option<(Minute, Minute)> {
            let a = v.as_array()?;
            if a.len() != 2 {
                return None;
            }
            let (x, y) = (parse_minute(a[0].as_str()?)?, parse_minute(a[1].as_str()?)?);
            (x < y).then_some((x, y))
        };
        let common_break = match json.get("break") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(pair(v).ok_or_else(|| bad("перерыв"))?),
        };
        let mut week = WeekHours::default();
        for (i, (key, title)) in WEEKDAYS.iter().enumerate() {
            let day = match json.get(*key) {
                None | Some(serde_json::Value::Null) => None,
                Some(v @ serde_json::Value::Array(_)) => {
                    let (open, close) = pair(v).ok_or_else(|| bad(title))?;
                    Some(DayHours {
                        open,
                        close,
                        breaks: common_break.into_iter().collect(),
                    })
                }
                Some(v @ serde_json::Value::Object(_)) => {
                    let m = |k: &str| v.get(k).and_then(|x| x.as_str()).and_then(parse_minute);
                    let (open, close) = m("open").zip(m("close")).ok_or_else(|| bad(title))?;
                    if open >= close {
                        return Err(bad(title));
                    }
                    let breaks = match v.get("breaks") {
                        Some(serde_json::Value::Array(list)) => list
                            .iter()
                            .map(pair)
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| bad(title))?,
                        _ => common_break.into_iter().collect(),
                    };
                    Some(DayHours {
                        open,
                        close,
                        breaks,
                    })
                }
                Some(_) => return Err(bad(title)),
            };
            week.days[i] = day;
        }
        Ok(week)
    }

    /// The hours on `date`, the production calendar applied:
    /// - a public holiday (ст. 112 ТК РФ) or a weekday made a day off by a transfer: closed;
    /// - a Saturday or Sunday made a working day by the decree: the office's own hours for that
    ///   weekday when it has them, else its Monday hours (a transferred day is a full working day);
    /// - a shortened pre-holiday day: closes one hour earlier (ст. 95 ТК РФ: «продолжительность
    ///   рабочего дня … непосредственно предшествующего нерабочему праздничному дню, уменьшается
    ///   на один час»); a break that would then end after closing is cut at closing.
    pub fn on(&self, cal: &ProductionCalendar, date: Date) -> Option<DayHours> {
        let weekday = date.weekday().to_monday_zero_offset() as usize;
        let kind = cal.day_kind(date);
        let mut day = match kind {
            DayKind::Holiday | DayKind::DayOff => return None,
            DayKind::Weekend => self.days[weekday].clone()?,
            DayKind::Working | DayKind::Shortened => match &self.days[weekday] {
                Some(d) => d.clone(),
                None if weekday >= 5 => self.days[0].clone()?,
                None => return None,
            },
        };
        if kind == DayKind::Shortened {
            day.close = day.close.saturating_sub(60).max(day.open);
            for b in &mut day.breaks {
                b.1 = b.1.min(day.close);
            }
            day.breaks.retain(|b| b.0 < b.1);
            if day.close <= day.open {
                return None;
            }
        }
        Some(day)
    }
}

/// The IANA zone named `name`, from the tz database bundled in the binary.
pub fn zone(name: &str) -> Result<TimeZone, Refusal> {
    TimeZone::get(name).map_err(|_| {
        Refusal::new(
            "office.time_zone",
            format!("Неизвестный часовой пояс «{name}»."),
        )
    })
}

/// The local date and minute of an instant (UTC milliseconds) in `tz`.
pub fn local(tz: &TimeZone, ms: i64) -> Option<(Date, Minute)> {
    let z = jiff::Timestamp::from_millisecond(ms)
        .ok()?
        .to_zoned(tz.clone());
    let t = z.time();
    Some((z.date(), t.hour() as u16 * 60 + t.minute() as u16))
}

/// The UTC instant (milliseconds) of a local date and minute in `tz`. A local time skipped by a
/// clock change resolves forwards («compatible», as RFC 5545 does); Russia has had none since 2014.
pub fn instant(tz: &TimeZone, date: Date, minute: Minute) -> Option<i64> {
    let dt = if minute >= 1440 {
        DateTime::from_parts(date.tomorrow().ok()?, Time::midnight())
    } else {
        DateTime::from_parts(
            date,
            Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).ok()?,
        )
    };
    Some(
        tz.to_ambiguous_zoned(dt)
            .compatible()
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

/// Whether an office is open at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenState {
    /// Open now, until `until` (local minute) today; `for_break` when it then closes for a break.
    Open { until: Minute, for_break: bool },
    /// Closed now; opens at the local date and minute (none within two weeks).
    Closed { next: Option<(Date, Minute)> },
}

/// Is the office open at `now_ms`, and if not, when does it open (looking two weeks ahead)?
pub fn open_state(
    week: &WeekHours,
    cal: &ProductionCalendar,
    tz: &TimeZone,
    now_ms: i64,
) -> OpenState {
    let Some((today, minute)) = local(tz, now_ms) else {
        return OpenState::Closed { next: None };
    };
    if let Some(day) = week.on(cal, today) {
        let intervals = day.intervals();
        if let Some(&(_, end)) = intervals.iter().find(|(a, b)| *a <= minute && minute < *b) {
            return OpenState::Open {
                until: end,
                for_break: end < day.close,
            };
        }
        if let Some(&(a, _)) = intervals.iter().find(|(a, _)| *a > minute) {
            return OpenState::Closed {
                next: Some((today, a)),
            };
        }
    }
    let mut date = today;
    for _ in 0..14 {
        let Ok(next) = date.tomorrow() else { break };
        date = next;
        if let Some(first) = week
            .on(cal, date)
            .and_then(|d| d.intervals().first().copied())
        {
            return OpenState::Closed {
                next: Some((date, first.0)),
            };
        }
    }
    OpenState::Closed { next: None }
}

/// «Открыто до 20:00», «Закрыто, откроется завтра в 09:00», … for the office's local `today`.
pub fn state_text(state: &OpenState, today: Date) -> String {
    match state {
        OpenState::Open {
            until,
            for_break: true,
        } => format!("Открыто до {} (перерыв)", fmt_minute(*until)),
        OpenState::Open { until, .. } => format!("Открыто до {}", fmt_minute(*until)),
        OpenState::Closed { next: None } => "Закрыто".into(),
        OpenState::Closed { next: Some((d, m)) } => {
            let when = if *d == today {
                "сегодня".to_string()
            } else if today.tomorrow().ok() == Some(*d) {
                "завтра".to_string()
            } else {
                day_month_text(*d)
            };
            format!("Закрыто, откроется {when} в {}", fmt_minute(*m))
        }
    }
}

/// Great-circle distance in kilometres between two points given in millionths of a degree
/// (haversine on the mean Earth radius, 6371.0088 km; error under 0.5 % against the ellipsoid).
pub fn distance_km(lat1: i64, lon1: i64, lat2: i64, lon2: i64) -> f64 {
    const R: f64 = 6371.0088;
    let rad = |micro: i64| (micro as f64 / 1e6).to_radians();
    let (p1, p2) = (rad(lat1), rad(lat2));
    let dp = p2 - p1;
    let dl = rad(lon2) - rad(lon1);
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().min(1.0).asin()
}

/// Letters of booking codes: those that look alike in Latin and Cyrillic (so a code read aloud or
/// typed on either keyboard layout is the same), and digits but 0 and 1.
const CODE_ALPHABET: &[u8] = b"ABEKMHPCTX23456789";

/// A short human booking code, `K7M-4PX`: 18⁶ ≈ 34 million values; uniqueness is the database's.
pub fn booking_code(rng: &mut impl rand::Rng) -> String {
    let mut s = String::with_capacity(7);
    for i in 0..6 {
        if i == 3 {
            s.push('-');
        }
        s.push(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char);
    }
    s
}

/// A booking code as typed by a person: upper case, Cyrillic look-alikes mapped to Latin, the
/// dash optional.
pub fn normalise_code(s: &str) -> String {
    let mut out: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_uppercase().next().unwrap_or(c) {
            'А' => 'A',
            'В' => 'B',
            'Е' => 'E',
            'К' => 'K',
            'М' => 'M',
            'Н' => 'H',
            'Р' => 'P',
            'С' => 'C',
            'Т' => 'T',
            'Х' => 'X',
            c => c,
        })
        .collect();
    if out.len() == 6 {
        out.insert(3, '-');
    }
    out
}

/// A booking's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Booked,
    Cancelled,
}

impl BookingStatus {
    pub fn parse(s: &str) -> Option<BookingStatus> {
        match s {
            "booked" => Some(BookingStatus::Booked),
            "cancelled" => Some(BookingStatus::Cancelled),
            _ => None,
        }
    }

    /// Cancelling or moving needs a live booking whose slot has not started.
    pub fn change(self, starts_at: i64, now: i64) -> Result<BookingStatus, Refusal> {
        match self {
            BookingStatus::Cancelled => {
                Err(Refusal::new("booking.cancelled", "Запись уже отменена."))
            }
            BookingStatus::Booked if starts_at <= now => Err(Refusal::new(
                "booking.started",
                "Время приёма уже наступило: запись нельзя изменить.",
            )),
            BookingStatus::Booked => Ok(BookingStatus::Booked),
        }
    }

    pub fn cancel(self, starts_at: i64, now: i64) -> Result<BookingStatus, Refusal> {
        self.change(starts_at, now)
            .map(|_| BookingStatus::Cancelled)
    }
}

/// A queue ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Serving,
    Done,
    NoShow,
}

impl Transitions for TicketStatus {
    fn refuse(self, to: &str) -> Refusal {
        Refusal::new(
            "ticket.transition",
            format!("Талон в статусе «{}» нельзя {to}.", self.title()),
        )
    }
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 5] = [
        TicketStatus::Waiting,
        TicketStatus::Called,
        TicketStatus::Serving,
        TicketStatus::Done,
        TicketStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Called => "called",
            TicketStatus::Serving => "serving",
            TicketStatus::Done => "done",
            TicketStatus::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<TicketStatus> {
        TicketStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "ожидает",
            TicketStatus::Called => "вызван",
            TicketStatus::Serving => "обслуживается",
            TicketStatus::Done => "обслужен",
            TicketStatus::NoShow => "не явился",
        }
    }

    /// waiting → called (to a window).
    pub fn call(self) -> Result<TicketStatus, Refusal> {
        self.step(
            matches!(self, TicketStatus::Waiting),
            TicketStatus::Called,
            "вызвать",
        )
    }

    /// called → serving (the person came to the window).
    pub fn start(self) -> Result<TicketStatus, Refusal> {
        self.step(
            matches!(self, TicketStatus::Called),
            TicketStatus::Serving,
            "начать обслуживать",
        )
    }

    /// serving → done.
    pub fn finish(self) -> Result<TicketStatus, Refusal> {
        self.step(
            matches!(self, TicketStatus::Serving),
            TicketStatus::Done,
            "завершить",
        )
    }

    /// called → no-show (the person did not come).
    pub fn no_show(self) -> Result<TicketStatus, Refusal> {
        self.step(
            matches!(self, TicketStatus::Called),
            TicketStatus::NoShow,
            "отметить как неявку",
        )
    }

    /// At a window: called or serving.
    pub fn at_window(self) -> bool {
        matches!(self, TicketStatus::Called | TicketStatus::Serving)
    }
}

/// `А-017` for walk-ins, `З-003` for people with an appointment (запись); numbered per office and
/// local day.
pub fn ticket_label(with_booking: bool, number: i64) -> String {
    format!("{}-{:03}", if with_booking { 'З' } else { 'А' }, number)
}

/// The median of service times (milliseconds); `None` without any. The median, not the mean: one
/// visit that took an hour must not make the hall's estimate jump.
pub fn median(mut xs: Vec<i64>) -> Option<i64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_unstable();
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2
    })
}

/// The expected wait of a ticket with `ahead` tickets before it when `windows` windows serve and a
/// visit takes `per_visit_ms`: ⌈(ahead + 1) / windows⌉ − 1 full visits, plus half a visit for the
/// one in progress when someone is served — in whole minutes, rounded up.
pub fn wait_minutes(ahead: i64, windows: i64, per_visit_ms: i64) -> i64 {
    let windows = windows.max(1);
    let rounds = ahead / windows;
    let ms = rounds * per_visit_ms + per_visit_ms / 2;
    (ms + 59_999) / 60_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cal() -> &'static ProductionCalendar {
        ProductionCalendar::shared()
    }

    fn mfc() -> WeekHours {
        WeekHours::parse(&serde_json::json!({
            "mon": ["09:00", "19:00"], "tue": ["09:00", "19:00"], "wed": ["09:00", "19:00"],
            "thu": ["09:00", "19:00"], "fri": ["09:00", "19:00"], "sat": ["09:00", "14:00"],
            "sun": null, "break": ["13:00", "13:30"]
        }))
        .unwrap()
    }

    fn at(tz: &str, d: Date, hh: u16, mm: u16) -> i64 {
        instant(&zone(tz).unwrap(), d, hh * 60 + mm).unwrap()
    }

    #[test]
    fn hours_parse_every_documented_form_and_refuse_nonsense() {
        let w = WeekHours::parse(&serde_json::json!({
            "mon": {"open": "08:00", "close": "17:00", "breaks": [["12:00", "12:45"]]},
            "tue": ["08:00", "20:00"], "break": ["13:00", "14:00"]
        }))
        .unwrap();
        assert_eq!(w.days[0].as_ref().unwrap().breaks, vec![(720, 765)]);
        assert_eq!(w.days[1].as_ref().unwrap().breaks, vec![(780, 840)]);
        assert!(w.days[2].is_none());
        for bad in [
            serde_json::json!({"mon": ["20:00", "08:00"]}),
            serde_json::json!({"mon": ["8:00", "20:00"]}),
            serde_json::json!({"mon": "всегда"}),
            serde_json::json!({"mon": ["08:00", "25:00"]}),
        ] {
            assert_eq!(
                WeekHours::parse(&bad).unwrap_err().code,
                "office.hours_invalid"
            );
        }
    }

    #[test]
    fn a_break_splits_the_day_and_the_office_says_when_it_reopens() {
        let tz = "Europe/Moscow";
        let wed = date(2026, 12, 2);
        let s = open_state(&mfc(), cal(), &zone(tz).unwrap(), at(tz, wed, 13, 10));
        assert_eq!(
            s,
            OpenState::Closed {
                next: Some((wed, 13 * 60 + 30))
            }
        );
        assert_eq!(state_text(&s, wed), "Закрыто, откроется сегодня в 13:30");
        let s = open_state(&mfc(), cal(), &zone(tz).unwrap(), at(tz, wed, 12, 0));
        assert_eq!(state_text(&s, wed), "Открыто до 13:00 (перерыв)");
        let s = open_state(&mfc(), cal(), &zone(tz).unwrap(), at(tz, wed, 18, 59));
        assert_eq!(state_text(&s, wed), "Открыто до 19:00");
        let s = open_state(&mfc(), cal(), &zone(tz).unwrap(), at(tz, wed, 19, 0));
        assert_eq!(state_text(&s, wed), "Закрыто, откроется завтра в 09:00");
    }

    #[test]
    fn holidays_close_the_office_until_the_first_working_day_after_them() {
        let tz = "Europe/Moscow";
        // 31 Dec 2026 is a day off by the decree and 1–8 Jan 2027 are holidays: the office, open
        // on Saturdays, reopens on Saturday 9 January.
        let s = open_state(
            &mfc(),
            cal(),
            &zone(tz).unwrap(),
            at(tz, date(2026, 12, 31), 10, 0),
        );
        assert_eq!(
            s,
            OpenState::Closed {
                next: Some((date(2027, 1, 9), 9 * 60))
            }
        );
        assert_eq!(
            state_text(&s, date(2026, 12, 31)),
            "Закрыто, откроется 9 января в 09:00"
        );
        // 4 November: Day of National Unity.
        assert!(mfc().on(cal(), date(2025, 11, 4)).is_none());
        // 3 November 2025, a Monday, was made a day off (moved to Saturday 1 November).
        assert!(mfc().on(cal(), date(2025, 11, 3)).is_none());
    }

    #[test]
    fn a_transferred_working_saturday_is_a_shortened_working_day() {
        // 1 November 2025 (Saturday) was worked for 3 November and shortened by one hour before
        // the holiday of 4 November (ст. 95 ТК РФ). An office closed on Saturdays opens by its
        // Monday hours; one open on Saturdays keeps its Saturday hours; both close an hour early.
        let weekdays_only = WeekHours::parse(&serde_json::json!({
            "mon": ["10:00", "18:00"], "tue": ["10:00", "18:00"], "wed": ["10:00", "18:00"],
            "thu": ["10:00", "18:00"], "fri": ["10:00", "18:00"], "break": ["13:00", "14:00"]
        }))
        .unwrap();
        let d = weekdays_only.on(cal(), date(2025, 11, 1)).unwrap();
        assert_eq!(d.text(), "10:00–17:00, перерыв 13:00–14:00");
        assert_eq!(
            mfc().on(cal(), date(2025, 11, 1)).unwrap().text(),
            "09:00–13:00"
        );
        // An ordinary shortened weekday: 30 April 2026.
        assert_eq!(
            mfc().on(cal(), date(2026, 4, 30)).unwrap().text(),
            "09:00–18:00, перерыв 13:00–13:30"
        );
        // And an ordinary Saturday off stays off.
        assert!(weekdays_only.on(cal(), date(2026, 12, 5)).is_none());
    }

    #[test]
    fn open_now_is_decided_in_the_offices_own_zone_far_from_moscow() {
        // 01:20 UTC on Wednesday 2 Dec 2026 is 11:20 in Vladivostok (UTC+10), 13:20 — the
        // break — in Petropavlovsk-Kamchatsky (UTC+12), and 04:20 in Moscow.
        let now = 1_796_174_400_000; // 2026-12-02T01:20:00Z
        assert_eq!(
            local(&zone("Asia/Vladivostok").unwrap(), now),
            Some((date(2026, 12, 2), 11 * 60 + 20))
        );
        let vl = open_state(&mfc(), cal(), &zone("Asia/Vladivostok").unwrap(), now);
        assert_eq!(
            vl,
            OpenState::Open {
                until: 13 * 60,
                for_break: true
            }
        );
        let kam = open_state(&mfc(), cal(), &zone("Asia/Kamchatka").unwrap(), now);
        assert_eq!(
            kam,
            OpenState::Closed {
                next: Some((date(2026, 12, 2), 13 * 60 + 30))
            }
        );
        let msk = open_state(&mfc(), cal(), &zone("Europe/Moscow").unwrap(), now);
        assert_eq!(
            msk,
            OpenState::Closed {
                next: Some((date(2026, 12, 2), 9 * 60))
            }
        );
    }

    #[test]
    fn a_new_years_eve_in_kamchatka_begins_the_holidays_before_moscow() {
        // 12:00 UTC on 30 Dec 2026 is already 00:00 on 31 Dec (a day off) in Kamchatka, while in
        // Moscow it is 15:00 on a working Wednesday.
        let now = at("Europe/Moscow", date(2026, 12, 30), 15, 0);
        assert!(matches!(
            open_state(&mfc(), cal(), &zone("Europe/Moscow").unwrap(), now),
            OpenState::Open { .. }
        ));
        assert_eq!(
            open_state(&mfc(), cal(), &zone("Asia/Kamchatka").unwrap(), now),
            OpenState::Closed {
                next: Some((date(2027, 1, 9), 9 * 60))
            }
        );
    }

    #[test]
    fn local_times_round_trip_through_utc_in_every_russian_offset() {
        for (tz, offset_h) in [
            ("Europe/Kaliningrad", 2),
            ("Europe/Moscow", 3),
            ("Europe/Samara", 4),
            ("Asia/Yekaterinburg", 5),
            ("Asia/Omsk", 6),
            ("Asia/Krasnoyarsk", 7),
            ("Asia/Irkutsk", 8),
            ("Asia/Yakutsk", 9),
            ("Asia/Vladivostok", 10),
            ("Asia/Magadan", 11),
            ("Asia/Kamchatka", 12),
        ] {
            let z = zone(tz).unwrap();
            let ms = instant(&z, date(2026, 7, 1), 9 * 60).unwrap();
            let utc_9 = instant(&TimeZone::UTC, date(2026, 7, 1), 9 * 60).unwrap();
            assert_eq!(utc_9 - ms, offset_h * 3_600_000, "{tz}");
            assert_eq!(local(&z, ms), Some((date(2026, 7, 1), 540)), "{tz}");
        }
        assert_eq!(zone("Moscow").unwrap_err().code, "office.time_zone");
    }

    #[test]
    fn distances_match_known_city_pairs() {
        // Tula – Moscow (Kremlin): about 173 km; Tula – Vladivostok: about 6 500 km.
        let d = distance_km(54_193_000, 37_617_000, 55_752_000, 37_617_000);
        assert!((d - 173.4).abs() < 1.0, "{d}");
        let d = distance_km(54_193_000, 37_617_000, 43_115_000, 131_885_000);
        assert!((6_450.0..6_550.0).contains(&d), "{d}");
        assert_eq!(distance_km(1, 2, 1, 2), 0.0);
    }

    #[test]
    fn booking_codes_are_short_and_read_the_same_in_either_alphabet() {
        let mut rng = rand::thread_rng();
        for _ in 0..100 {
            let c = booking_code(&mut rng);
            assert_eq!(c.len(), 7);
            assert_eq!(normalise_code(&c.to_lowercase()), c);
        }
        assert_eq!(normalise_code("к7м 4рх"), "K7M-4PX");
    }

    #[test]
    fn tickets_move_only_along_the_queue() {
        let t = TicketStatus::Waiting;
        let t = t.call().unwrap();
        assert_eq!(t.call().unwrap_err().code, "ticket.transition");
        assert_eq!(t.finish().unwrap_err().code, "ticket.transition");
        assert_eq!(t.no_show(), Ok(TicketStatus::NoShow));
        let t = t.start().unwrap();
        assert_eq!(t.finish(), Ok(TicketStatus::Done));
        assert!(TicketStatus::Done.start().is_err());
        assert_eq!(ticket_label(false, 17), "А-017");
        assert_eq!(ticket_label(true, 3), "З-003");
    }

    #[test]
    fn bookings_cannot_be_cancelled_twice_or_after_they_start() {
        assert_eq!(
            BookingStatus::Booked.cancel(10, 5),
            Ok(BookingStatus::Cancelled)
        );
        assert_eq!(
            BookingStatus::Cancelled.cancel(10, 5).unwrap_err().code,
            "booking.cancelled"
        );
        assert_eq!(
            BookingStatus::Booked.cancel(10, 10).unwrap_err().code,
            "booking.started"
        );
    }

    #[test]
    fn the_wait_uses_the_median_visit_and_the_windows_serving() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3_600_000]), Some(5));
        assert_eq!(median(vec![4, 2, 6, 8]), Some(5));
        // 10-minute visits, 2 windows, 3 people ahead: one full round plus half a visit.
        assert_eq!(wait_minutes(3, 2, 600_000), 15);
        assert_eq!(wait_minutes(0, 1, 600_000), 5);
        assert_eq!(wait_minutes(4, 0, 600_000), 45);
    }
}
