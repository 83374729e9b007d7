//! Settings of the appeals part.

use std::path::PathBuf;

use okno_kernel::files::Files;

use crate::model::Terms;

use super::public::FiguresCache;

/// Settings of the appeals part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where files are stored (`<data-dir>/files`, shared with applications).
    pub files_dir: PathBuf,
    /// The address people reach the platform at: Open311's `media_url` links there.
    pub public_url: String,
    /// Terms per kind (`--appeal-terms`).
    pub terms: Terms,
    /// How often the deadline worker looks at running terms.
    pub worker_poll: std::time::Duration,
    /// The public figures of this node (`--figures-cache-seconds`).
    pub figures: FiguresCache,
}

impl Settings {
    pub fn files(&self) -> Files {
        Files::new(&self.files_dir)
    }
}
