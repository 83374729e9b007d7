//! Appeal types: the five kinds, the status machine (one function per transition, a forbidden one
//! is a [`Refusal`] value), the fixed rejection reasons, legal terms per kind on the production
//! calendar, the rating rule, and the point-in-polygon test of routing.

use jiff::ToSpan;
use okno_kernel::clock::Date;
use okno_rules::calendar::ProductionCalendar;
use serde::{Deserialize, Serialize};

pub use okno_kernel::error::Refusal;
use okno_kernel::error::Transitions;

/// What a person files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Сообщение: a problem report (a pothole, a broken lamp), usually with a place.
    Message,
    /// Обращение (заявление) under 59-ФЗ.
    Appeal,
    /// Жалоба.
    Complaint,
    /// Предложение.
    Proposal,
    /// Запрос информации.
    InfoRequest,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Message,
        Kind::Appeal,
        Kind::Complaint,
        Kind::Proposal,
        Kind::InfoRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Message => "message",
            Kind::Appeal => "appeal",
            Kind::Complaint => "complaint",
            Kind::Proposal => "proposal",
            Kind::InfoRequest => "info_request",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Message => "Сообщение о проблеме",
            Kind::Appeal => "Обращение",
            Kind::Complaint => "Жалоба",
            Kind::Proposal => "Предложение",
            Kind::InfoRequest => "Запрос информации",
        }
    }

    /// Filed under 59-ФЗ «О порядке рассмотрения обращений граждан РФ» (art. 4: предложение,
    /// заявление, жалоба; a request for information is answered in the same order): the 30-day
    /// term, its one extension and the return address rule apply. A problem report (сообщение)
    /// goes through the platform's own, shorter term.
    pub fn under_59fz(self) -> bool {
        self != Kind::Message
    }
}

/// Where an appeal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AppealStatus)]
pub enum Status {
    /// Новое: filed, waiting in the moderation queue (or for the author's correction).
    New,
    /// На модерации: a moderator took it.
    Moderation,
    /// Направлено: accepted and routed to the responsible body.
    Routed,
    /// В работе: an official of the body took it (or wrote an interim answer).
    InWork,
    /// Ответ дан: the final answer was given.
    Answered,
    /// Закрыто: rated, or closed by the author.
    Closed,
    /// Отклонено by the moderator with a reason from the fixed list.
    Rejected,
    /// Повторно открыто: a low rating sent it to the supervising body.
    Reopened,
}

impl Transitions for Status {
    fn refuse(self, what: &str) -> Refusal {
        Refusal::new(
            "appeal.transition_forbidden",
            format!("Нельзя {what}: обращение в статусе «{}».", self.title()),
        )
    }
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Moderation,
        Status::Routed,
        Status::InWork,
        Status::Answered,
        Status::Closed,
        Status::Rejected,
        Status::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Moderation => "moderation",
            Status::Routed => "routed",
            Status::InWork => "in_work",
            Status::Answered => "answered",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
            Status::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Status::New => "Новое",
            Status::Moderation => "На модерации",
            Status::Routed => "Направлено",
            Status::InWork => "В работе",
            Status::Answered => "Ответ дан",
            Status::Closed => "Закрыто",
            Status::Rejected => "Отклонено",
            Status::Reopened => "Повторно открыто",
        }
    }

    /// At a body, waiting for its answer: the term runs.
    pub fn at_body(self) -> bool {
        matches!(self, Status::Routed | Status::InWork | Status::Reopened)
    }

    /// Still before moderation's decision.
    pub fn before_moderation(self) -> bool {
        matches!(self, Status::New | Status::Moderation)
    }

    /// A moderator takes the appeal from the queue.
    pub fn take_for_moderation(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::New),
            Status::Moderation,
            "взять обращение на модерацию",
        )
    }

    /// The moderator accepts it; it goes to the body routing found.
    pub fn accept(self) -> Result<Status, Refusal> {
        self.step(
            self.before_moderation(),
            Status::Routed,
            "принять обращение",
        )
    }

    /// The moderator sends it back to the author for correction.
    pub fn send_back(self) -> Result<Status, Refusal> {
        self.step(
            self.before_moderation(),
            Status::New,
            "вернуть обращение на доработку",
        )
    }

    /// The moderator rejects it with a reason from the fixed list.
    pub fn reject(self) -> Result<Status, Refusal> {
        self.step(
            self.before_moderation(),
            Status::Rejected,
            "отклонить обращение",
        )
    }

    /// An official of the body takes it.
    pub fn take(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::Routed | Status::Reopened),
            Status::InWork,
            "взять обращение в работу",
        )
    }

    /// The body forwards it to another one (outside its competence), or the worker escalates it
    /// to the supervising body.
    pub fn forward(self) -> Result<Status, Refusal> {
        self.step(self.at_body(), Status::Routed, "перенаправить обращение")
    }

    /// An interim answer: the body works on it.
    pub fn interim_answer(self) -> Result<Status, Refusal> {
        self.step(self.at_body(), Status::InWork, "дать промежуточный ответ")
    }

    /// The final answer.
    pub fn final_answer(self) -> Result<Status, Refusal> {
        self.step(self.at_body(), Status::Answered, "дать ответ")
    }

    /// The author rates the answer: closed, or re-opened at the supervising body when the rating
    /// is low (see [`reopens`]).
    pub fn rate(self, reopen: bool) -> Result<Status, Refusal> {
        match self {
            Status::Answered if reopen => Ok(Status::Reopened),
            Status::Answered => Ok(Status::Closed),
            s => Err(s.refuse("оценить ответ")),
        }
    }
}

/// Why a moderator rejects an appeal: the fixed list of the issue (59-ФЗ art. 11 names the
/// grounds for leaving a written appeal unanswered: no name or return address, obscene or
/// offensive words, an unreadable text, a repeated question already answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Нет текста (or it cannot be read).
    NoText,
    /// Нецензурные либо оскорбительные выражения.
    Obscene,
    /// Для обращения по 59-ФЗ не указан адрес для ответа.
    NoReturnAddress,
    /// Повторное: the same question was already answered.
    Duplicate,
    /// Не является обращением.
    NotAnAppeal,
}

impl RejectReason {
    pub const ALL: [RejectReason; 5] = [
        RejectReason::NoText,
        RejectReason::Obscene,
        RejectReason::NoReturnAddress,
        RejectReason::Duplicate,
        RejectReason::NotAnAppeal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::NoText => "no_text",
            RejectReason::Obscene => "obscene",
            RejectReason::NoReturnAddress => "no_return_address",
            RejectReason::Duplicate => "duplicate",
            RejectReason::NotAnAppeal => "not_an_appeal",
        }
    }

    pub fn parse(s: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            RejectReason::NoText => "В обращении нет текста или его невозможно прочитать",
            RejectReason::Obscene => "Обращение содержит нецензурные либо оскорбительные выражения",
            RejectReason::NoReturnAddress => {
                "Не указан адрес, по которому должен быть направлен ответ"
            }
            RejectReason::Duplicate => "Повторное обращение: на этот вопрос уже дан ответ",
            RejectReason::NotAnAppeal => "Текст не является обращением",
        }
    }
}

/// A term: `days` working days, or calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub days: u32,
    pub working: bool,
}

impl Term {
    /// `10w` (working days) or `30d` (calendar days).
    pub fn parse(s: &str) -> Option<Term> {
        let s = s.trim();
        let (n, working) = if let Some(n) = s.strip_suffix('w') {
            (n, true)
        } else if let Some(n) = s.strip_suffix('d') {
            (n, false)
        } else {
            return None;
        };
        let days: u32 = n.parse().ok()?;
        (1..=365).contains(&days).then_some(Term { days, working })
    }

    pub fn text(self) -> String {
        if self.working {
            format!("{} рабочих дней", self.days)
        } else {
            format!("{} дней", self.days)
        }
    }

    /// The last day of the term counted from `start` (the day of registration is not counted).
    ///
    /// Working days are counted on the production calendar. Calendar days are counted as 59-ФЗ
    /// art. 12 counts them («в течение 30 дней со дня регистрации»), and when the last day is not
    /// a working day the term ends on the next working day: 59-ФЗ says nothing of it, so the
    /// general rule of civil law (ГК РФ ст. 193) is applied — it never shortens a body's term and
    /// keeps the answer due on a day the body works.
    pub fn due(self, cal: &ProductionCalendar, start: Date) -> Date {
        if self.working {
            cal.add_working_days(start, self.days)
        } else {
            cal.on_or_next_working_day(start.saturating_add(i64::from(self.days).days()))
        }
    }
}

/// The term of each kind, from configuration (`message=10w,appeal=30d,…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub message: Term,
    pub appeal: Term,
    pub complaint: Term,
    pub proposal: Term,
    pub info_request: Term,
    /// Forwarding outside the body's competence (59-ФЗ art. 8 part 3: within 7 days of
    /// registration).
    pub forward: Term,
    /// The longest extension of a 59-ФЗ term (art. 12 part 2: once, by up to 30 days).
    pub extension_max_days: u32,
}

impl Default for Terms {
    fn default() -> Terms {
        // 59-ФЗ art. 12 part 1: a written appeal is considered within 30 days of registration.
        let thirty = Term {
            days: 30,
            working: false,
        };
        Terms {
            // The issue's platform rule for problem reports: 10 working days.
            message: Term {
                days: 10,
                working: true,
            },
            appeal: thirty,
            complaint: thirty,
            proposal: thirty,
            info_request: thirty,
            forward: Term {
                days: 7,
                working: false,
            },
            extension_max_days: 30,
        }
    }
}

impl Terms {
    /// Parses `kind=term` pairs separated by commas; kinds not named keep their defaults.
    pub fn parse(s: &str) -> Result<Terms, String> {
        let mut t = Terms::default();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| format!("«{pair}»: expected kind=term"))?;
            let term = Term::parse(v)
                .ok_or_else(|| format!("«{v}»: a term is N followed by w (working) or d (days)"))?;
            match k.trim() {
                "message" => t.message = term,
                "appeal" => t.appeal = term,
                "complaint" => t.complaint = term,
                "proposal" => t.proposal = term,
                "info_request" => t.info_request = term,
                "forward" => t.forward = term,
                other => return Err(format!("unknown kind «{other}»")),
            }
        }
        Ok(t)
    }

    pub fn of(&self, k: Kind) -> Term {
        match k {
            Kind::Message => self.message,
            Kind::Appeal => self.appeal,
            Kind::Complaint => self.complaint,
            Kind::Proposal => self.proposal,
            Kind::InfoRequest => self.info_request,
        }
    }
}

/// The highest rating that counts as «не удовлетворён» and re-opens the appeal. 1–2 are the bad
/// marks; 3 («удовлетворительно») is a pass, as in the school scale people know, so a neutral
/// mark does not send every answer to the supervisor.
pub const LOW_RATING: i64 = 2;

/// How long after the final answer a low rating still re-opens the appeal (the issue: 30 days).
pub const REOPEN_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// Does this rating, given `since_answer_ms` after the answer, re-open the appeal?
pub fn reopens(rating: i64, since_answer_ms: i64) -> bool {
    rating <= LOW_RATING && since_answer_ms <= REOPEN_WINDOW_MS
}

/// A point as stored: micro-degrees of latitude and longitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub lat: i64,
    pub lon: i64,
}

/// Is `p` inside the polygon (ring of points, closed or not)? Ray casting; a point on the edge
/// may fall either way, which routing accepts (the next rule still catches it).
pub fn contains(ring: &[Point], p: Point) -> bool {
    if ring.len() < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[j]);
        if (a.lat > p.lat) != (b.lat > p.lat) {
            // Longitude where the edge crosses the point's latitude, in i128 to avoid overflow.
            let x = a.lon as i128
                + (b.lon - a.lon) as i128 * (p.lat - a.lat) as i128 / (b.lat - a.lat) as i128;
            if (p.lon as i128) < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Degrees (as people type them) into micro-degrees, checked.
pub fn micro(deg: f64, max: f64) -> Option<i64> {
    (deg.is_finite() && deg.abs() <= max).then(|| (deg * 1_000_000.0).round() as i64)
}

/// Dates as the body's people see them: the local date of an instant in the body's zone, a date
/// stored as `YYYY-MM-DD`, and «15 января 2027 г.».
pub use okno_kernel::clock::{date_text, local_date, parse_date};

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cal() -> &'static ProductionCalendar {
        ProductionCalendar::shared()
    }

    #[test]
    fn every_allowed_transition_leads_where_the_issue_says() {
        use Status::*;
        assert_eq!(New.take_for_moderation(), Ok(Moderation));
        for s in [New, Moderation] {
            assert_eq!(s.accept(), Ok(Routed));
            assert_eq!(s.send_back(), Ok(New));
            assert_eq!(s.reject(), Ok(Rejected));
        }
        for s in [Routed, InWork, Reopened] {
            assert_eq!(s.forward(), Ok(Routed));
            assert_eq!(s.interim_answer(), Ok(InWork));
            assert_eq!(s.final_answer(), Ok(Answered));
        }
        assert_eq!(Routed.take(), Ok(InWork));
        assert_eq!(Reopened.take(), Ok(InWork));
        assert_eq!(Answered.rate(false), Ok(Closed));
        assert_eq!(Answered.rate(true), Ok(Reopened));
    }

    #[test]
    fn closed_and_rejected_appeals_move_no_further() {
        for s in [Status::Closed, Status::Rejected] {
            let all = [
                s.take_for_moderation(),
                s.accept(),
                s.send_back(),
                s.reject(),
                s.take(),
                s.forward(),
                s.interim_answer(),
                s.final_answer(),
                s.rate(true),
                s.rate(false),
            ];
            for r in all {
                let e = r.unwrap_err();
                assert_eq!(e.code, "appeal.transition_forbidden");
                assert!(e.message.contains(s.title()), "{}", e.message);
            }
        }
        // Answering twice, or rating before the answer, is refused too.
        assert!(Status::Answered.final_answer().is_err());
        assert!(Status::InWork.rate(false).is_err());
        assert!(Status::Routed.accept().is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for r in RejectReason::ALL {
            assert_eq!(RejectReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn a_problem_report_is_answered_in_ten_working_days_across_the_new_year() {
        // 31.12.2026 is a day off by the 2026 decree; 1–8 Jan 2027 holidays, 9–10 a weekend.
        // Working days: 11, 12, 13, 14, 15, 18, 19, 20, 21, 22 January.
        let t = Terms::default().of(Kind::Message);
        assert_eq!(t.due(cal(), date(2026, 12, 30)), date(2027, 1, 22));
    }

    #[test]
    fn thirty_days_end_on_the_next_working_day_when_they_fall_on_a_day_off() {
        let t = Terms::default().of(Kind::Appeal);
        // 2 Feb 2026 (Mon) + 30 = 4 Mar (Wed), a working day: unchanged.
        assert_eq!(t.due(cal(), date(2026, 2, 2)), date(2026, 3, 4));
        // 8 Apr 2026 + 30 = 8 May (Fri, working); 9 Apr + 30 = 9 May (Sat, holiday), then 10 May
        // (Sun) and 11 May (the transferred day off): the term ends on Tue 12 May.
        assert_eq!(t.due(cal(), date(2026, 4, 8)), date(2026, 5, 8));
        assert_eq!(t.due(cal(), date(2026, 4, 9)), date(2026, 5, 12));
        // 2 Dec 2026 + 30 = 1 Jan 2027: the New Year holidays and the weekend push it to 11 Jan.
        assert_eq!(t.due(cal(), date(2026, 12, 2)), date(2027, 1, 11));
    }

    #[test]
    fn forwarding_is_due_within_seven_days() {
        let t = Terms::default().forward;
        // 59-ФЗ art. 8 part 3. 2 Mar 2026 + 7 = 9 Mar, the day off moved from 8 March: 10 Mar.
        assert_eq!(t.due(cal(), date(2026, 3, 2)), date(2026, 3, 10));
        assert_eq!(t.due(cal(), date(2026, 3, 10)), date(2026, 3, 17));
    }

    #[test]
    fn a_transferred_working_saturday_counts() {
        // 20.02.2027 (Sat) is a working day by the 2027 decree.
        let t = Term {
            days: 1,
            working: true,
        };
        assert_eq!(t.due(cal(), date(2027, 2, 19)), date(2027, 2, 20));
    }

    #[test]
    fn terms_come_from_configuration_with_the_issues_defaults() {
        let t = Terms::parse("").unwrap();
        assert_eq!(t, Terms::default());
        let t = Terms::parse("message=5w, complaint=15d").unwrap();
        assert_eq!(
            t.message,
            Term {
                days: 5,
                working: true
            }
        );
        assert_eq!(t.complaint.days, 15);
        assert_eq!(t.appeal.days, 30);
        assert!(Terms::parse("bogus=1d").is_err());
        assert!(Terms::parse("message=10").is_err());
        assert!(Terms::parse("message=0w").is_err());
    }

    #[test]
    fn only_a_low_rating_within_thirty_days_reopens() {
        let day = 24 * 3600 * 1000;
        assert!(reopens(1, day));
        assert!(reopens(2, 30 * day));
        assert!(!reopens(3, day));
        assert!(!reopens(2, 30 * day + 1));
    }

    #[test]
    fn a_point_is_found_inside_its_polygon() {
        let sq = |a: i64, b: i64| Point {
            lat: a * 1_000_000,
            lon: b * 1_000_000,
        };
        let ring = [sq(0, 0), sq(0, 10), sq(10, 10), sq(10, 0)];
        assert!(contains(&ring, sq(5, 5)));
        assert!(!contains(&ring, sq(15, 5)));
        assert!(!contains(&ring, sq(5, -1)));
        // A concave ring: the notch is outside.
        let c = [
            sq(0, 0),
            sq(0, 10),
            sq(10, 10),
            sq(10, 6),
            sq(4, 5),
            sq(10, 4),
            sq(10, 0),
        ];
        assert!(!contains(&c, sq(8, 5)));
        assert!(contains(&c, sq(2, 5)));
        assert!(!contains(&ring[..2], sq(0, 0)));
    }

    #[test]
    fn coordinates_are_checked() {
        assert_eq!(micro(54.193122, 90.0), Some(54_193_122));
        assert_eq!(micro(91.0, 90.0), None);
        assert_eq!(micro(f64::NAN, 90.0), None);
    }
}
