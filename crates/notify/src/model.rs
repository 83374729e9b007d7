//! Notification types: channels, the message a router produces for one recipient, the delivery
//! state machine (pending → sent | dead, dead → pending on a manual retry), retry back-off, and the
//! markers that stand for the text of sensitive messages (one-time codes).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A way to reach a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The in-app inbox of an account; the recipient is the account id.
    Inbox,
    /// E-mail over SMTP; the recipient is an address.
    Email,
    /// SMS through the HTTP gateway; the recipient is an E.164 number.
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Inbox, Channel::Email, Channel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Inbox => "inbox",
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Channel::Inbox => "Личный кабинет",
            Channel::Email => "Электронная почта",
            Channel::Sms => "SMS",
        }
    }
}

/// One message for one recipient on one channel: what a router makes of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub channel: Channel,
    /// Account id (inbox), e-mail address (email) or E.164 phone (sms).
    pub to: String,
    /// Subject line (e-mail, inbox); SMS ignores it.
    #[serde(default)]
    pub subject: String,
    pub text: String,
}

/// What the stored text (and subject) of a sensitive delivery becomes once it is sent or dead, and
/// what its outbox event keeps once routed: the text itself is gone.
pub const REDACTED: &str = "[скрыто: одноразовый код]";

/// What the delivery journal shows instead of the text of a sensitive delivery still pending (the
/// dispatcher reads the real text to send it).
pub const MASKED: &str = "[скрыто]";

/// The channel's answer to a sensitive message, with every run of four or more digits of the
/// message itself (the code) starred out: a gateway that echoes the text back must not put the code
/// into the journal.
pub fn scrub_detail(detail: &str, subject: &str, text: &str) -> String {
    let mut runs: Vec<String> = Vec::new();
    for source in [subject, text] {
        let mut run = String::new();
        for c in source.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() {
                run.push(c);
            } else {
                if run.len() >= 4 && !runs.contains(&run) {
                    runs.push(run.clone());
                }
                run.clear();
            }
        }
    }
    // Longest first, so a code that contains a shorter run is starred out whole.
    runs.sort_by_key(|r| std::cmp::Reverse(r.len()));
    let mut out = detail.to_string();
    for r in runs {
        out = out.replace(&r, &"*".repeat(r.len()));
    }
    out
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = DeliveryStatus)]
pub enum Status {
    /// Waiting for its (next) attempt.
    Pending,
    /// Accepted by the channel.
    Sent,
    /// Given up after the configured attempts, or refused for good; an administrator may retry.
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sent => "sent",
            Status::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Pending, Status::Sent, Status::Dead]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Status::Pending => "Ожидает отправки",
            Status::Sent => "Отправлено",
            Status::Dead => "Не доставлено",
        }
    }
}

/// What one attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        detail: String,
    },
    /// Worth trying again later (network error, 5xx, 429, timeout).
    Retry {
        detail: String,
    },
    /// Will never succeed as it is (bad address, 4xx, channel not configured).
    Permanent {
        detail: String,
    },
}

/// Retry policy: exponential back-off from `base`, capped at `max`, for at most `max_attempts`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` failed ones (1-based).
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The status after `attempt` attempts ended in `outcome`.
    pub fn next_status(&self, attempt: u32, outcome: &Outcome) -> Status {
        match outcome {
            Outcome::Sent { .. } => Status::Sent,
            Outcome::Permanent { .. } => Status::Dead,
            Outcome::Retry { .. } if attempt >= self.max_attempts => Status::Dead,
            Outcome::Retry { .. } => Status::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
        }
    }

    #[test]
    fn back_off_doubles_and_is_capped() {
        let p = policy();
        assert_eq!(p.delay_after(1), Duration::from_secs(2));
        assert_eq!(p.delay_after(2), Duration::from_secs(4));
        assert_eq!(p.delay_after(5), Duration::from_secs(32));
        assert_eq!(p.delay_after(6), Duration::from_secs(60));
        assert_eq!(p.delay_after(40), Duration::from_secs(60));
    }

    #[test]
    fn a_delivery_is_dead_after_the_last_allowed_attempt() {
        let p = policy();
        let retry = Outcome::Retry {
            detail: "timeout".into(),
        };
        assert_eq!(p.next_status(4, &retry), Status::Pending);
        assert_eq!(p.next_status(5, &retry), Status::Dead);
        assert_eq!(
            p.next_status(
                1,
                &Outcome::Permanent {
                    detail: "550".into()
                }
            ),
            Status::Dead
        );
    }

    #[test]
    fn the_code_a_gateway_echoes_back_is_starred_out_and_nothing_else() {
        let text = "Код для входа: 482910. Никому не сообщайте его. Окно";
        assert_eq!(
            scrub_detail(
                r#"HTTP 200: {"id": 7731, "text": "Код для входа: 482910."}"#,
                "",
                text
            ),
            r#"HTTP 200: {"id": 7731, "text": "Код для входа: ******."}"#
        );
        assert_eq!(scrub_detail("HTTP 503: busy", "", text), "HTTP 503: busy");
        assert_eq!(
            scrub_detail("SMTP 250: 2.0.0 Ok", "", "Код 12"),
            "SMTP 250: 2.0.0 Ok"
        );
    }

    #[test]
    fn channels_and_statuses_round_trip_through_their_names() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Status::parse("dead"), Some(Status::Dead));
        assert_eq!(Status::parse("lost"), None);
    }
}
