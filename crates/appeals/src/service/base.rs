//! What every use case of this part needs: limits, the calendar, shared refusals, clean text.

use okno_kernel::error::{Error, Problem, Result};
use okno_rules::calendar::ProductionCalendar;

/// The zone of dates before a body is known (numbers, the moderation queue).
pub const DEFAULT_ZONE: &str = "Europe/Moscow";

/// The longest text of an appeal, an answer or a comment.
pub const TEXT_MAX: usize = 10_000;

pub(super) fn calendar() -> &'static ProductionCalendar {
    ProductionCalendar::shared()
}

pub(super) fn not_found() -> Error {
    Problem::not_found("Обращение не найдено.").into()
}

pub(super) fn changed() -> Error {
    Problem::conflict(
        "appeal.changed",
        "Обращение только что изменилось. Обновите страницу и повторите.",
    )
    .into()
}

pub(super) fn clean_text(field: &str, text: &str, required: bool) -> Result<Option<String>> {
    let t = text.trim();
    if t.is_empty() {
        return if required {
            Err(Problem::invalid_field(field, "appeal.text_required", "Напишите текст.").into())
        } else {
            Ok(None)
        };
    }
    if t.chars().count() > TEXT_MAX {
        return Err(Problem::invalid_field(
            field,
            "appeal.text_too_long",
            format!("Не больше {TEXT_MAX} знаков."),
        )
        .into());
    }
    Ok(Some(t.to_string()))
}
