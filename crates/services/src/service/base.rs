//! What every use case of this part needs: settings, the calendar, shared refusals.

use std::path::PathBuf;

use okno_kernel::error::{Error, Problem};
use okno_kernel::files::Files;
use okno_rules::calendar::ProductionCalendar;

/// Settings of the services part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where attachments and result documents are stored (`<data-dir>/files` by default).
    pub files_dir: PathBuf,
    /// The address people reach the platform at; result documents link to `/verify/{id}` there.
    pub public_url: String,
}

impl Settings {
    pub fn files(&self) -> Files {
        Files::new(&self.files_dir)
    }
}

pub(super) fn calendar() -> &'static ProductionCalendar {
    ProductionCalendar::shared()
}

pub(super) fn not_found_app() -> Error {
    Problem::not_found("Заявление не найдено.").into()
}

pub(super) fn not_found_service() -> Error {
    Problem::not_found("Услуга не найдена или ещё не принимает заявления онлайн.").into()
}
