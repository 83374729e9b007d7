//! The external channels: e-mail through a real SMTP client (`lettre`; plain, STARTTLS or TLS, chosen
//! by the URL) and SMS through an HTTP gateway (a JSON `POST {"to", "text"}` by default, or any body
//! a real gateway wants, from a template). Each send is classified as sent, retry or permanent.
//!
//! For the demo and development there is also a **console channel** (like Django's console e-mail
//! backend): a channel without a real endpoint may print its messages to the server's standard
//! output instead of refusing them, so that a person trying the platform can read the codes.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::model::Outcome;

/// E-mail settings. The URL names the security: `smtp://host:25` (plain), `smtp://host:587?tls=required`
/// (STARTTLS), `smtps://host:465` (TLS); credentials go in it: `smtps://user:pass@host`.
#[derive(Clone)]
pub struct SmtpSettings {
    pub url: String,
    /// The From address, e.g. `Окно <noreply@okno.example>`.
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &okno_kernel::db::redact_url(&self.url))
            .field("from", &self.from)
            .finish()
    }
}

/// SMS gateway settings.
#[derive(Clone)]
pub struct SmsSettings {
    pub url: String,
    /// `POST` (default) or `PUT`.
    pub method: String,
    /// `application/json` (values JSON-escaped) or `application/x-www-form-urlencoded`
    /// (values percent-encoded).
    pub content_type: String,
    /// The body with `{{to}}`, `{{text}}` and `{{id}}` placeholders.
    pub body_template: String,
    /// Extra headers, e.g. `Authorization: Bearer …`. Never logged.
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
}

/// The default body: `{"to": "+7…", "text": "…"}`.
pub const DEFAULT_SMS_TEMPLATE: &str = r#"{"to": "{{to}}", "text": "{{text}}"}"#;

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings")
            .field("url", &okno_kernel::db::redact_url(&self.url))
            .field("method", &self.method)
            .field("content_type", &self.content_type)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The configured channels. A channel left unconfigured refuses its deliveries permanently, and the
/// journal says why — unless console output was asked for ([`Channels::with_console`]), in which
/// case it prints them to standard output and counts them as sent.
pub struct Channels {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    sms: Option<(reqwest::Client, SmsSettings)>,
    console_email: bool,
    console_sms: bool,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Channels(email: {}, sms: {}, console email: {}, console sms: {})",
            self.smtp.is_some(),
            self.sms.is_some(),
            self.console_email,
            self.console_sms
        )
    }
}

/// The journal's detail of a message printed by a console channel.
pub const CONSOLE_DETAIL: &str = "выведено в консоль (демо)";

impl Channels {
    pub fn new(smtp: Option<SmtpSettings>, sms: Option<SmsSettings>) -> Result<Channels, String> {
        let smtp = match smtp {
            None => None,
            Some(s) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&s.url)
                    .map_err(|e| format!("smtp url: {e}"))?
                    .timeout(Some(s.timeout))
                    .build();
                let from: Mailbox = s
                    .from
                    .parse()
                    .map_err(|e| format!("smtp from address {:?}: {e}", s.from))?;
                Some((transport, from))
            }
        };
        let sms = match sms {
            None => None,
            Some(s) => {
                let method = s.method.to_ascii_uppercase();
                if method != "POST" && method != "PUT" {
                    return Err(format!("sms method must be POST or PUT, not {}", s.method));
                }
                let client = reqwest::Client::builder()
                    .timeout(s.timeout)
                    .user_agent(concat!("okno/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("sms client: {e}"))?;
                Some((client, SmsSettings { method, ..s }))
            }
        };
        Ok(Channels {
            smtp,
            sms,
            console_email: false,
            console_sms: false,
        })
    }

    /// Makes every channel that has no real endpoint (no SMTP server, no SMS gateway) a console
    /// channel: its messages are printed to standard output and count as sent. For the demo and
    /// development only: the text, one-time codes included, ends up wherever the output goes.
    pub fn with_console(mut self) -> Channels {
        self.console_email = self.smtp.is_none();
        self.console_sms = self.sms.is_none();
        self
    }

    /// E-mail is printed to standard output instead of being sent.
    pub fn console_email(&self) -> bool {
        self.console_email
    }

    /// SMS are printed to standard output instead of being sent.
    pub fn console_sms(&self) -> bool {
        self.console_sms
    }

    /// Sends an e-mail whose Message-ID is derived from the delivery id, so a receiver can drop the
    /// duplicate of a message re-sent after a crash between the send and its journal entry.
    pub async fn send_email(
        &self,
        delivery_id: &str,
        to: &str,
        subject: &str,
        text: &str,
    ) -> Outcome {
        let Some((transport, from)) = &self.smtp else {
            if self.console_email {
                let header = if subject.trim().is_empty() {
                    format!("[демо] Письмо для {to}")
                } else {
                    format!("[демо] Письмо для {to} — «{subject}»")
                };
                return print_to_console(&header, text);
            }
            return Outcome::Permanent {
                detail: "канал e-mail не настроен (smtp_url)".into(),
            };
        };
        let to: Mailbox = match to.parse() {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Permanent {
                    detail: format!("некорректный адрес получателя: {e}"),
                }
            }
        };
        let message = lettre::Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{delivery_id}@okno>")))
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_string());
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Permanent {
                    detail: format!("письмо не собрано: {e}"),
                }
            }
        };
        match transport.send(message).await {
            Ok(resp) => Outcome::Sent {
                detail: format!(
                    "SMTP {}: {}",
                    resp.code(),
                    resp.message().collect::<Vec<_>>().join(" ")
                ),
            },
            Err(e) if e.is_permanent() => Outcome::Permanent {
                detail: format!("SMTP отказал: {e}"),
            },
            Err(e) => Outcome::Retry {
                detail: format!("SMTP: {e}"),
            },
        }
    }

    /// Sends an SMS through the gateway with an `Idempotency-Key` of the delivery id.
    pub async fn send_sms(&self, delivery_id: &str, to: &str, text: &str) -> Outcome {
        let Some((client, s)) = &self.sms else {
            if self.console_sms {
                return print_to_console(&format!("[демо] SMS для {to}"), text);
            }
            return Outcome::Permanent {
                detail: "канал SMS не настроен (sms_url)".into(),
            };
        };
        let body = fill_template(&s.body_template, &s.content_type, to, text, delivery_id);
        let method = if s.method == "PUT" {
            reqwest::Method::PUT
        } else {
            reqwest::Method::POST
        };
        let mut req = client
            .request(method, &s.url)
            .header(reqwest::header::CONTENT_TYPE, &s.content_type)
            .header("Idempotency-Key", delivery_id)
            .body(body);
        for (k, v) in &s.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                let snippet: String = text.chars().take(200).collect();
                let detail = format!("HTTP {}: {snippet}", status.as_u16());
                if status.is_success() {
                    Outcome::Sent { detail }
                } else if status.is_server_error()
                    || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                    || status == reqwest::StatusCode::REQUEST_TIMEOUT
                {
                    Outcome::Retry { detail }
                } else {
                    Outcome::Permanent { detail }
                }
            }
            Err(e) => Outcome::Retry {
                detail: format!("шлюз SMS недоступен: {}", without_url(&e)),
            },
        }
    }
}

/// Prints a message of a console channel to standard output in one write, so that messages sent
/// at once do not interleave, and counts it as sent; a failed write is retried.
fn print_to_console(header: &str, text: &str) -> Outcome {
    use std::io::Write;
    let block = console_block(header, text);
    let mut out = std::io::stdout().lock();
    match out.write_all(block.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Outcome::Sent {
            detail: CONSOLE_DETAIL.into(),
        },
        Err(e) => Outcome::Retry {
            detail: format!("не удалось вывести в консоль: {e}"),
        },
    }
}

/// `HEADER: TEXT` on one line when the text is one line; otherwise `HEADER:` and the text's lines
/// indented by two spaces. Control characters (terminal escapes) become spaces; the block ends with
/// a newline.
fn console_block(header: &str, text: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim_end()
            .to_string()
    };
    let text = text.replace("\r\n", "\n");
    let lines: Vec<String> = text.trim_end().split('\n').map(clean).collect();
    let header = clean(header);
    match lines.as_slice() {
        [one] => format!("{header}: {}\n", one.trim_start()),
        _ => {
            let mut block = format!("{header}:\n");
            for line in &lines {
                if !line.is_empty() {
                    block.push_str("  ");
                    block.push_str(line);
                }
                block.push('\n');
            }
            block
        }
    }
}

/// A reqwest error without its URL (which may carry a key in the query).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "таймаут"
    } else if e.is_connect() {
        "нет соединения"
    } else {
        "ошибка запроса"
    };
    kind.to_string()
}

/// Fills `{{to}}`, `{{text}}` and `{{id}}`, escaping values for the content type.
pub fn fill_template(template: &str, content_type: &str, to: &str, text: &str, id: &str) -> String {
    let json = content_type.contains("json");
    let esc = |v: &str| -> String {
        if json {
            let quoted = serde_json::to_string(v).unwrap_or_default();
            quoted[1..quoted.len() - 1].to_string()
        } else {
            percent_encode(v)
        }
    };
    template
        .replace("{{to}}", &esc(to))
        .replace("{{text}}", &esc(text))
        .replace("{{id}}", &esc(id))
}

/// `application/x-www-form-urlencoded` encoding of a value.
fn percent_encode(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sms_body_is_json_with_to_and_text() {
        let body = fill_template(
            DEFAULT_SMS_TEMPLATE,
            "application/json",
            "+79161234567",
            "Код: 123456 \"не сообщайте\"\n",
            "d1",
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["to"], "+79161234567");
        assert_eq!(v["text"], "Код: 123456 \"не сообщайте\"\n");
    }

    #[test]
    fn form_templates_percent_encode_values() {
        let body = fill_template(
            "phone={{to}}&msg={{text}}",
            "application/x-www-form-urlencoded",
            "+79161234567",
            "Код 1&2",
            "d1",
        );
        assert_eq!(body, "phone=%2B79161234567&msg=%D0%9A%D0%BE%D0%B4+1%262");
    }

    #[test]
    fn settings_debug_hides_credentials() {
        let s = SmtpSettings {
            url: "smtps://mailer:hunter2@mail.example:465".into(),
            from: "a@b.c".into(),
            timeout: Duration::from_secs(5),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
        let sms = SmsSettings {
            url: "https://gw.example/send".into(),
            method: "POST".into(),
            content_type: "application/json".into(),
            body_template: DEFAULT_SMS_TEMPLATE.into(),
            headers: vec![("Authorization".into(), "Bearer topsecret".into())],
            timeout: Duration::from_secs(5),
        };
        assert!(!format!("{sms:?}").contains("topsecret"));
    }

    #[test]
    fn console_blocks_are_one_line_or_an_indented_text() {
        assert_eq!(
            console_block("[демо] SMS для +79161234567", "Код: 123456. Окно\n"),
            "[демо] SMS для +79161234567: Код: 123456. Окно\n"
        );
        assert_eq!(
            console_block(
                "[демо] Письмо для anna@example.ru — «Тема»",
                "Здравствуйте!\r\n\r\nКод: 654321\n"
            ),
            "[демо] Письмо для anna@example.ru — «Тема»:\n  Здравствуйте!\n\n  Код: 654321\n"
        );
        // No terminal escapes reach the operator's terminal.
        assert_eq!(
            console_block("[демо] SMS для +79161234567", "a\u{1b}[2Jb"),
            "[демо] SMS для +79161234567: a [2Jb\n"
        );
    }

    #[tokio::test]
    async fn console_channels_print_only_where_no_real_channel_is_configured() {
        let c = Channels::new(None, None).unwrap().with_console();
        assert!(c.console_email() && c.console_sms());
        match c.send_sms("d", "+79161234567", "Код: 123456").await {
            Outcome::Sent { detail } => assert_eq!(detail, CONSOLE_DETAIL),
            other => panic!("{other:?}"),
        }
        match c.send_email("d", "a@b.c", "Тема", "Код: 123456").await {
            Outcome::Sent { detail } => assert_eq!(detail, CONSOLE_DETAIL),
            other => panic!("{other:?}"),
        }
        let sms = SmsSettings {
            url: "http://127.0.0.1:9/send".into(),
            method: "POST".into(),
            content_type: "application/json".into(),
            body_template: DEFAULT_SMS_TEMPLATE.into(),
            headers: vec![],
            timeout: Duration::from_secs(5),
        };
        let c = Channels::new(None, Some(sms)).unwrap().with_console();
        assert!(c.console_email() && !c.console_sms());
    }

    #[tokio::test]
    async fn unconfigured_channels_refuse_permanently() {
        let c = Channels::new(None, None).unwrap();
        assert!(matches!(
            c.send_email("d", "a@b.c", "s", "t").await,
            Outcome::Permanent { .. }
        ));
        assert!(matches!(
            c.send_sms("d", "+79161234567", "t").await,
            Outcome::Permanent { .. }
        ));
    }
}
