//! Application types: the status machine (one function per transition, a forbidden one is a
//! [`Refusal`] value), who may apply, attachment kinds, and decision dates on the production
//! calendar.

use okno_kernel::clock::Date;
use okno_rules::calendar::ProductionCalendar;
use serde::{Deserialize, Serialize};

pub use okno_kernel::error::Refusal;
use okno_kernel::error::Transitions;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ApplicationStatus)]
pub enum Status {
    /// Черновик: the person is filling it in.
    Draft,
    /// Отправлено: in the agency's line.
    Submitted,
    /// На рассмотрении: an official took it.
    InReview,
    /// Требуется уточнение: the official asked the person for documents or an explanation.
    NeedsInfo,
    /// Одобрено.
    Approved,
    /// Отклонено (with a reason).
    Rejected,
    /// Исполнено: the result was issued.
    Fulfilled,
    /// Отозвано by the person before a decision.
    Withdrawn,
}

impl Transitions for Status {
    fn refuse(self, what: &str) -> Refusal {
        Refusal::new(
            "application.transition_forbidden",
            format!("Нельзя {what}: заявление в статусе «{}».", self.title()),
        )
    }
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::Submitted,
        Status::InReview,
        Status::NeedsInfo,
        Status::Approved,
        Status::Rejected,
        Status::Fulfilled,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::InReview => "in_review",
            Status::NeedsInfo => "needs_info",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Fulfilled => "fulfilled",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Status::Draft => "Черновик",
            Status::Submitted => "Отправлено",
            Status::InReview => "На рассмотрении",
            Status::NeedsInfo => "Требуется уточнение",
            Status::Approved => "Одобрено",
            Status::Rejected => "Отклонено",
            Status::Fulfilled => "Исполнено",
            Status::Withdrawn => "Отозвано",
        }
    }

    /// The decision is still pending: the deadline runs (or is paused, while waiting for the
    /// person).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Submitted | Status::InReview | Status::NeedsInfo
        )
    }

    /// The person sends the draft.
    pub fn submit(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::Draft),
            Status::Submitted,
            "отправить заявление",
        )
    }

    /// An official takes the application from the line.
    pub fn take(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::Submitted),
            Status::InReview,
            "взять заявление в работу",
        )
    }

    /// The official asks the person for documents or an explanation.
    pub fn ask_clarification(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::InReview),
            Status::NeedsInfo,
            "запросить уточнение",
        )
    }

    /// The person answers the request; the application goes back in line.
    pub fn clarify(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::NeedsInfo),
            Status::Submitted,
            "отправить уточнение",
        )
    }

    pub fn approve(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::InReview),
            Status::Approved,
            "одобрить заявление",
        )
    }

    pub fn reject(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::InReview),
            Status::Rejected,
            "отклонить заявление",
        )
    }

    /// The result was issued to the person.
    pub fn fulfil(self) -> Result<Status, Refusal> {
        self.step(
            matches!(self, Status::Approved),
            Status::Fulfilled,
            "отметить исполнение",
        )
    }

    /// The person withdraws the application before a decision.
    pub fn withdraw(self) -> Result<Status, Refusal> {
        self.step(self.is_open(), Status::Withdrawn, "отозвать заявление")
    }
}

/// A transition by name, as the API and the journal call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Submit,
    Take,
    AskClarification,
    Clarify,
    Approve,
    Reject,
    Fulfil,
    Withdraw,
}

impl Transition {
    pub const ALL: [Transition; 8] = [
        Transition::Submit,
        Transition::Take,
        Transition::AskClarification,
        Transition::Clarify,
        Transition::Approve,
        Transition::Reject,
        Transition::Fulfil,
        Transition::Withdraw,
    ];

    pub fn apply(self, s: Status) -> Result<Status, Refusal> {
        match self {
            Transition::Submit => s.submit(),
            Transition::Take => s.take(),
            Transition::AskClarification => s.ask_clarification(),
            Transition::Clarify => s.clarify(),
            Transition::Approve => s.approve(),
            Transition::Reject => s.reject(),
            Transition::Fulfil => s.fulfil(),
            Transition::Withdraw => s.withdraw(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Take => "take",
            Transition::AskClarification => "ask_clarification",
            Transition::Clarify => "clarify",
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::Fulfil => "fulfil",
            Transition::Withdraw => "withdraw",
        }
    }

    /// Done by the applicant (else by an official of the agency).
    pub fn by_applicant(self) -> bool {
        matches!(
            self,
            Transition::Submit | Transition::Clarify | Transition::Withdraw
        )
    }

    /// A comment is required: the reason of a refusal, what to clarify, the answer.
    pub fn needs_comment(self) -> bool {
        matches!(
            self,
            Transition::Reject | Transition::AskClarification | Transition::Clarify
        )
    }
}

/// Who may apply for a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    /// A person (физическое лицо).
    Person,
    /// ИП.
    SoleProprietor,
    /// ЮЛ.
    LegalEntity,
}

impl ApplicantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicantKind::Person => "person",
            ApplicantKind::SoleProprietor => "sole_proprietor",
            ApplicantKind::LegalEntity => "legal_entity",
        }
    }

    pub fn parse(s: &str) -> Option<ApplicantKind> {
        [
            ApplicantKind::Person,
            ApplicantKind::SoleProprietor,
            ApplicantKind::LegalEntity,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            ApplicantKind::Person => "физическое лицо",
            ApplicantKind::SoleProprietor => "индивидуальный предприниматель",
            ApplicantKind::LegalEntity => "юридическое лицо",
        }
    }
}

/// When a service's fee falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeAt {
    Submission,
    Approval,
}

impl FeeAt {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeAt::Submission => "submission",
            FeeAt::Approval => "approval",
        }
    }
}

/// The expected decision date: `days` working days after the local date of submission, on the
/// production calendar (the submission day itself is not counted; a submission on a day off
/// counts from the next working day).
pub fn decision_date(cal: &ProductionCalendar, submitted: Date, days: u32) -> Date {
    cal.add_working_days(submitted, days)
}

/// Working days left until `due`, counted from `today` (0 on the due date and after it).
pub fn working_days_left(cal: &ProductionCalendar, today: Date, due: Date) -> u32 {
    cal.working_days_between(today, due)
}

/// Dates as the agency's people see them: the local date of an instant in the agency's zone, and
/// «15 января 2027 г.».
pub use okno_kernel::clock::{date_text, local_date};

/// Kopecks as «1 234,50 ₽».
pub fn rubles(k: i64) -> String {
    let r = k / 100;
    let mut s = r.to_string();
    let mut i = s.len() as isize - 3;
    while i > 0 {
        s.insert(i as usize, '\u{a0}');
        i -= 3;
    }
    if k % 100 == 0 {
        format!("{s} ₽")
    } else {
        format!("{s},{:02} ₽", k % 100)
    }
}

/// Whether the applicant may rate the service: once it is done with, executed or refused (a
/// refusal is rated too: how it was explained matters to the figures as much as a result).
pub fn rateable(s: Status) -> bool {
    matches!(s, Status::Fulfilled | Status::Rejected)
}

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
        use Transition::*;
        let allowed = [
            (Draft, Submit, Submitted),
            (Submitted, Take, InReview),
            (InReview, AskClarification, NeedsInfo),
            (NeedsInfo, Clarify, Submitted),
            (InReview, Approve, Approved),
            (InReview, Reject, Rejected),
            (Approved, Fulfil, Fulfilled),
            (Submitted, Withdraw, Withdrawn),
            (InReview, Withdraw, Withdrawn),
            (NeedsInfo, Withdraw, Withdrawn),
        ];
        for (from, t, to) in allowed {
            assert_eq!(t.apply(from), Ok(to), "{from:?} --{t:?}-->");
        }
        // Every other pair is refused with the same stable code and the status named.
        for from in Status::ALL {
            for t in Transition::ALL {
                if allowed.iter().any(|(f, tt, _)| *f == from && *tt == t) {
                    continue;
                }
                let r = t.apply(from).unwrap_err();
                assert_eq!(r.code, "application.transition_forbidden");
                assert!(r.message.contains(from.title()), "{}", r.message);
            }
        }
    }

    #[test]
    fn a_decision_or_a_withdrawal_is_final() {
        for s in [Status::Rejected, Status::Fulfilled, Status::Withdrawn] {
            assert!(Transition::ALL.iter().all(|t| t.apply(s).is_err()), "{s:?}");
        }
        assert!(Status::Approved.withdraw().is_err());
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    // The 2026 and 2027 calendars: Постановление Правительства РФ от 24.09.2025 № 1466 «О переносе
    // выходных дней в 2026 году» (31 Dec 2026 a day off) and, for 2027, the data of
    // Постановление Правительства РФ от 17.09.2026 № 1187 (1–8 Jan holidays; see crates/rules).

    #[test]
    fn ten_working_days_from_30_december_2026_skip_the_new_year_holidays() {
        // 31.12.2026 (Thu) is a day off by the decree; 1–8 Jan 2027 are holidays, 9–10 a weekend.
        // Working days: 11, 12, 13, 14, 15, 18, 19, 20, 21, 22 January.
        assert_eq!(
            decision_date(cal(), date(2026, 12, 30), 10),
            date(2027, 1, 22)
        );
        assert_eq!(
            decision_date(cal(), date(2026, 12, 30), 1),
            date(2027, 1, 11)
        );
    }

    #[test]
    fn the_may_holidays_and_their_transfers_are_not_counted() {
        // 30.04.2026 (Thu, shortened) → 1 May (Fri) holiday, 2–3 weekend, 4–8 working,
        // 9 May (Sat) holiday moved to 11 May (Mon) by ст. 112 ч. 2 ТК РФ.
        assert_eq!(decision_date(cal(), date(2026, 4, 30), 1), date(2026, 5, 4));
        assert_eq!(decision_date(cal(), date(2026, 4, 30), 5), date(2026, 5, 8));
        assert_eq!(
            decision_date(cal(), date(2026, 4, 30), 6),
            date(2026, 5, 12)
        );
        // Submitted on 8 May (Fri): 9, 10 weekend, 11 the transferred day off.
        assert_eq!(decision_date(cal(), date(2026, 5, 8), 1), date(2026, 5, 12));
    }

    #[test]
    fn a_submission_on_a_day_off_counts_from_the_next_working_day() {
        // Saturday 2026-03-07; 8 Mar (Sun) moved to Monday 9 Mar: first working day is 10 Mar.
        assert_eq!(decision_date(cal(), date(2026, 3, 7), 1), date(2026, 3, 10));
        // The transferred working Saturday 20.02.2027 counts.
        assert_eq!(
            decision_date(cal(), date(2027, 2, 19), 1),
            date(2027, 2, 20)
        );
    }

    #[test]
    fn working_days_left_reach_zero_on_the_due_date() {
        let due = date(2027, 1, 22);
        assert_eq!(working_days_left(cal(), date(2026, 12, 30), due), 10);
        assert_eq!(working_days_left(cal(), due, due), 0);
        assert_eq!(working_days_left(cal(), date(2027, 2, 1), due), 0);
    }

    #[test]
    fn the_local_date_is_the_agencys() {
        // 2026-12-31T15:30Z is already 1 January in Vladivostok (UTC+10), still 31 Dec in Moscow.
        let ms = 1_798_731_000_000;
        assert_eq!(local_date("Europe/Moscow", ms), date(2026, 12, 31));
        assert_eq!(local_date("Asia/Vladivostok", ms), date(2027, 1, 1));
    }

    #[test]
    fn money_and_dates_read_in_russian() {
        assert_eq!(rubles(600_000), "6\u{a0}000 ₽");
        assert_eq!(rubles(123_450), "1\u{a0}234,50 ₽");
        assert_eq!(date_text(date(2027, 1, 22)), "22 января 2027 г.");
    }

    #[test]
    fn only_a_decided_application_is_rated() {
        let rated: Vec<Status> = Status::ALL.into_iter().filter(|s| rateable(*s)).collect();
        assert_eq!(rated, vec![Status::Rejected, Status::Fulfilled]);
    }
}
