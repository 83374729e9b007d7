//! The types of polls: a new poll and its questions, a poll as shown, where it stands in its
//! period, a ballot and the results.

use std::collections::BTreeMap;

use okno_kernel::error::{Error, Problem};
use serde::{Deserialize, Serialize};

/// A question's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multiple,
    /// A number from `options[0]` to `options[1]`.
    Scale,
    Text,
}

impl QuestionKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::Scale => "scale",
            QuestionKind::Text => "text",
        }
    }
    pub(super) fn parse(s: &str) -> Option<QuestionKind> {
        [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::Scale,
            QuestionKind::Text,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuestion {
    pub kind: QuestionKind,
    pub title: String,
    /// Choices' titles; for a scale `[min, max]` as text (e.g. `["1", "10"]`); empty for text.
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    pub title: String,
    /// A region's code (appeal territories); none for everyone.
    #[serde(default)]
    pub region: Option<String>,
    /// RFC 3339.
    pub starts_at: String,
    pub ends_at: String,
    /// Show results while the poll runs.
    #[serde(default)]
    pub live_results: bool,
    pub questions: Vec<NewQuestion>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub id: String,
    pub kind: QuestionKind,
    pub title: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PollView {
    pub id: String,
    pub title: String,
    pub region_code: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub live_results: bool,
    pub open: bool,
    pub questions: Vec<QuestionView>,
}

/// Where a poll stands in its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PollState {
    Upcoming,
    Running,
    Closed,
}

impl PollState {
    pub fn at(starts_at: i64, ends_at: i64, now: i64) -> PollState {
        if now < starts_at {
            PollState::Upcoming
        } else if now < ends_at {
            PollState::Running
        } else {
            PollState::Closed
        }
    }

    /// How a person reads it.
    pub fn title(self) -> &'static str {
        match self {
            PollState::Upcoming => "ещё не начался",
            PollState::Running => "идёт",
            PollState::Closed => "завершён",
        }
    }
}

/// A poll in the list, without its questions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PollListed {
    pub id: String,
    pub title: String,
    pub region_code: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub live_results: bool,
    pub state: PollState,
}

/// A ballot: for each question its answer — a choice's index, several indexes, a number, text.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// question id → answer (`0`, `[0, 2]`, `7`, `"текст"`).
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
    /// For a regional poll: the voter's municipality in that region (self-declared; the platform
    /// keeps no address of its accounts).
    #[serde(default)]
    pub municipality: Option<String>,
}

/// One question's results: counts per option (choices), the distribution and mean (a scale), the
/// number of answers (free text, whose texts are not published).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionResult {
    pub id: String,
    pub title: String,
    pub kind: QuestionKind,
    /// (label, count) in the options' order, or per scale value.
    pub counts: Vec<(String, i64)>,
    pub answers: i64,
    pub mean: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Results {
    pub poll_id: String,
    pub votes: i64,
    pub questions: Vec<QuestionResult>,
}

/// A refusal of one field of the input.
pub(super) fn invalid(field: &str, code: &str, msg: &str) -> Error {
    Problem::invalid_field(field, code, msg).into()
}

/// A scale's bounds from its options `[min, max]` (0 where one does not parse).
pub(super) fn scale_bounds(options: &[String]) -> (i64, i64) {
    let lo: i64 = options.first().and_then(|s| s.parse().ok()).unwrap_or(0);
    let hi: i64 = options.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (lo, hi)
}
