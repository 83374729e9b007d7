//! The part's settings: below the use cases and the pages, which all read them.

use std::time::Duration;

/// Settings of the part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The visit length the queue's estimate assumes when nobody was served in the last hour.
    pub default_visit: Duration,
    /// How often the reminder worker looks for due reminders.
    pub reminder_poll: Duration,
    /// The address people use (`--public-url`), for the sign-in QR code of a справка.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_visit: Duration::from_secs(10 * 60),
            reminder_poll: Duration::from_secs(30),
            public_url: "http://localhost:8080".into(),
        }
    }
}
