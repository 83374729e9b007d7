//! Every setting of `okno`, in one struct: each comes from a flag, else an `OKNO_*` environment
//! variable, else `okno.toml`, else its default. `okno serve --help` and docs/configuration.md are
//! generated from this struct.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use serde::{Deserialize, Serialize};

/// Settings shared by every command that opens the database, and those of the server.
#[derive(Args, Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "OKNO_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,

    /// Directory of the embedded SQLite database, generated keys and files [default: ./okno-data]
    #[arg(long, env = "OKNO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL URL (postgres://user:password@host/db); when set, SQLite is not used
    #[arg(long, env = "OKNO_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// Largest database connection pool; more connections than the database's cores can use only
    /// contend for its locks [default: 2 × CPU cores + 1]
    #[arg(long, env = "OKNO_DB_MAX_CONNECTIONS", value_name = "N")]
    pub db_max_connections: Option<u32>,

    /// Master secret (base64 of 32 bytes) from which the keys for personal data, CSRF and audit
    /// signing are derived; all nodes of a cluster must share it [default: generated once into
    /// DATA_DIR/secret.key]
    #[arg(
        long,
        env = "OKNO_SECRET_KEY",
        value_name = "BASE64",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,

    /// Ed25519 seed (base64 of 32 bytes) that signs the audit journal's checkpoints, stored and in
    /// exports; to rotate, set a new one and list the old public key in --audit-retired-keys
    /// [default: derived from the master secret]
    #[arg(
        long,
        env = "OKNO_AUDIT_SIGNING_KEY",
        value_name = "BASE64",
        hide_env_values = true
    )]
    pub audit_signing_key: Option<String>,

    /// Public keys (base64, comma-separated) of earlier audit keys: stored checkpoints they signed
    /// still verify; a checkpoint of a key left out fails `okno audit verify` (take them from `okno
    /// audit public-key` before a rotation)
    #[arg(
        long,
        env = "OKNO_AUDIT_RETIRED_KEYS",
        value_name = "BASE64,…",
        value_delimiter = ','
    )]
    pub audit_retired_keys: Option<Vec<String>>,

    /// Sign a checkpoint of the audit journal once this many records were added since the last one
    /// (0: never by count) [default: 1000]
    #[arg(long, env = "OKNO_AUDIT_CHECKPOINT_RECORDS", value_name = "N")]
    pub audit_checkpoint_records: Option<i64>,

    /// Sign a checkpoint of the audit journal this many minutes after the last one when a record
    /// was added since (0: never by time; with --audit-checkpoint-records 0 too, the worker signs
    /// none) [default: 10]
    #[arg(long, env = "OKNO_AUDIT_CHECKPOINT_MINUTES", value_name = "MINUTES")]
    pub audit_checkpoint_minutes: Option<u64>,

    /// Ed25519 seed (base64 of 32 bytes) that signs the documents the platform issues from now on;
    /// to rotate, set a new one and list the old public key in --document-retired-keys [default:
    /// derived from the master secret]
    #[arg(
        long,
        env = "OKNO_DOCUMENT_SIGNING_KEY",
        value_name = "BASE64",
        hide_env_values = true
    )]
    pub document_signing_key: Option<String>,

    /// Public keys (base64, comma-separated) of earlier document keys: what they signed still checks
    /// as genuine on /verify; a key left out of the list vouches for nothing (take them from GET
    /// /api/v1/documents/public-key before a rotation)
    #[arg(
        long,
        env = "OKNO_DOCUMENT_RETIRED_KEYS",
        value_name = "BASE64,…",
        value_delimiter = ','
    )]
    pub document_retired_keys: Option<Vec<String>>,

    /// PEM certificate chain; with --tls-key, serve HTTPS (rustls)
    #[arg(long, env = "OKNO_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert
    #[arg(long, env = "OKNO_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// The address people use to reach the platform, e.g. https://okno.example.ru; passkeys are
    /// bound to its host name, which must not be an IP address [default: http(s)://localhost:PORT
    /// of --listen]
    #[arg(long, env = "OKNO_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Mark cookies Secure (set it behind a proxy that terminates TLS) [default: true under TLS]
    #[arg(long, env = "OKNO_SECURE_COOKIES", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub secure_cookies: Option<bool>,

    /// Largest request body in bytes [default: 2097152]
    #[arg(long, env = "OKNO_BODY_LIMIT", value_name = "BYTES")]
    pub body_limit: Option<usize>,

    /// Seconds a request may take before it is answered 408 [default: 30]
    #[arg(long, env = "OKNO_REQUEST_TIMEOUT", value_name = "SECONDS")]
    pub request_timeout: Option<u64>,

    /// Minutes of inactivity after which a web session ends [default: 30]
    #[arg(long, env = "OKNO_SESSION_IDLE_MINUTES", value_name = "MINUTES")]
    pub session_idle_minutes: Option<u64>,

    /// Hours after which a web session ends regardless of activity [default: 12]
    #[arg(long, env = "OKNO_SESSION_ABSOLUTE_HOURS", value_name = "HOURS")]
    pub session_absolute_hours: Option<u64>,

    /// SMTP server for e-mail: smtp://host:25 (plain), smtp://host:587?tls=required (STARTTLS),
    /// smtps://user:password@host:465 (TLS); e-mail is off when unset
    #[arg(
        long,
        env = "OKNO_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,

    /// From address of e-mail [default: Окно <noreply@localhost>]
    #[arg(long, env = "OKNO_SMTP_FROM", value_name = "ADDRESS")]
    pub smtp_from: Option<String>,

    /// SMS gateway URL; SMS is off when unset
    #[arg(long, env = "OKNO_SMS_URL", value_name = "URL", hide_env_values = true)]
    pub sms_url: Option<String>,

    /// HTTP method of the SMS gateway: POST or PUT [default: POST]
    #[arg(long, env = "OKNO_SMS_METHOD", value_name = "METHOD")]
    pub sms_method: Option<String>,

    /// Content type of the SMS request: application/json or application/x-www-form-urlencoded
    /// [default: application/json]
    #[arg(long, env = "OKNO_SMS_CONTENT_TYPE", value_name = "TYPE")]
    pub sms_content_type: Option<String>,

    /// Body of the SMS request with {{to}}, {{text}} and {{id}} placeholders
    /// [default: {"to": "{{to}}", "text": "{{text}}"}]
    #[arg(long, env = "OKNO_SMS_BODY_TEMPLATE", value_name = "TEMPLATE")]
    pub sms_body_template: Option<String>,

    /// Extra header of SMS requests, "Name: value" (repeatable), e.g. an Authorization header
    #[arg(
        long = "sms-header",
        env = "OKNO_SMS_HEADERS",
        value_name = "HEADER",
        value_delimiter = '\n',
        hide_env_values = true
    )]
    pub sms_headers: Option<Vec<String>>,

    /// Print e-mail and SMS to standard output instead of refusing them when no SMTP server
    /// (--smtp-url) or no SMS gateway (--sms-url) is configured, one-time codes included; for
    /// trying the platform, never in production [default: true with --demo, otherwise false]
    #[arg(long, env = "OKNO_CONSOLE_CHANNELS", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub console_channels: Option<bool>,

    /// Seconds a channel (SMTP, SMS gateway) may take to answer [default: 15]
    #[arg(long, env = "OKNO_CHANNEL_TIMEOUT", value_name = "SECONDS")]
    pub channel_timeout: Option<u64>,

    /// Attempts before a delivery is given up (dead letter) [default: 8]
    #[arg(long, env = "OKNO_NOTIFY_MAX_ATTEMPTS", value_name = "N")]
    pub notify_max_attempts: Option<u32>,

    /// Milliseconds before the first retry; doubles each time [default: 5000]
    #[arg(long, env = "OKNO_NOTIFY_RETRY_BASE_MS", value_name = "MS")]
    pub notify_retry_base_ms: Option<u64>,

    /// Longest wait between retries in milliseconds [default: 3600000]
    #[arg(long, env = "OKNO_NOTIFY_RETRY_MAX_MS", value_name = "MS")]
    pub notify_retry_max_ms: Option<u64>,

    /// Sends the dispatcher keeps in flight at once, across channels (a slow gateway is asked
    /// concurrently) [default: 64]
    #[arg(long, env = "OKNO_NOTIFY_CONCURRENCY", value_name = "N")]
    pub notify_concurrency: Option<usize>,

    /// Events routed, and finished sends journalled, per database transaction [default: 200]
    #[arg(long, env = "OKNO_NOTIFY_BATCH", value_name = "N")]
    pub notify_batch: Option<usize>,

    /// How often idle workers look for new work, in milliseconds [default: 500]
    #[arg(long, env = "OKNO_WORKER_POLL_MS", value_name = "MS")]
    pub worker_poll_ms: Option<u64>,

    /// Argon2id memory per password hash in KiB (OWASP: 19456) [default: 19456]
    #[arg(long, env = "OKNO_ARGON2_MEMORY_KIB", value_name = "KIB")]
    pub argon2_memory_kib: Option<u32>,

    /// Argon2id iterations per password hash [default: 2]
    #[arg(long, env = "OKNO_ARGON2_ITERATIONS", value_name = "N")]
    pub argon2_iterations: Option<u32>,

    /// Password hashes computed at once; further sign-ins wait, so hashing never starves other
    /// requests [default: CPU cores]
    #[arg(long, env = "OKNO_HASH_WORKERS", value_name = "N")]
    pub hash_workers: Option<usize>,

    /// Shortest password accepted [default: 8]
    #[arg(long, env = "OKNO_PASSWORD_MIN_LENGTH", value_name = "CHARS")]
    pub password_min_length: Option<usize>,

    /// Failed sign-ins in a row that lock an account [default: 5]
    #[arg(long, env = "OKNO_LOCKOUT_AFTER", value_name = "N")]
    pub lockout_after: Option<i64>,

    /// Minutes of the first lockout; each next one lasts twice as long, at most a day [default: 15]
    #[arg(long, env = "OKNO_LOCKOUT_MINUTES", value_name = "MINUTES")]
    pub lockout_minutes: Option<i64>,

    /// Sign-in attempts per minute from one address (0: no limit) [default: 30]
    #[arg(long, env = "OKNO_SIGN_IN_RATE", value_name = "PER_MINUTE")]
    pub sign_in_rate: Option<u32>,

    /// State-registry adapter for profile checks: POST the profile as JSON to this URL (see
    /// docs/identity.md); unset: the CSV reference registry, or none
    #[arg(
        long,
        env = "OKNO_REGISTRY_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub registry_url: Option<String>,

    /// Reference registry loaded from a CSV file (last_name,first_name,middle_name,birth_date,sex,
    /// passport,snils,inn) [default with --demo: the demo's own registry; otherwise none]
    #[arg(long, env = "OKNO_REGISTRY_CSV", value_name = "FILE")]
    pub registry_csv: Option<PathBuf>,

    /// Minutes a queue visit is assumed to take when nobody was served at the office in the last
    /// hour (the wait estimate otherwise uses the last hour's median) [default: 10]
    #[arg(long, env = "OKNO_QUEUE_DEFAULT_VISIT_MINUTES", value_name = "MINUTES")]
    pub queue_default_visit_minutes: Option<u64>,

    /// Terms of appeals per kind: message, appeal, complaint, proposal, info_request and forward,
    /// each N working days (`w`) or N days (`d`, ending on a working day); kinds not named keep
    /// the defaults [default: message=10w,appeal=30d,complaint=30d,proposal=30d,info_request=30d,forward=7d]
    #[arg(long, env = "OKNO_APPEAL_TERMS", value_name = "KIND=TERM,…")]
    pub appeal_terms: Option<String>,

    /// How long a node serves the public figures of appeals (/appeals/figures and its JSON and CSV)
    /// from memory before computing them again; 0 computes them for every request [default: 60]
    #[arg(long, env = "OKNO_FIGURES_CACHE_SECONDS", value_name = "SECONDS")]
    pub figures_cache_seconds: Option<u64>,

    /// The card acquirer: the base address of a bank speaking T-Bank's acquiring API v2, e.g.
    /// https://securepay.tinkoff.ru [default with --demo: a sandbox bank started on 127.0.0.1;
    /// otherwise none: paying by card is off]
    #[arg(long, env = "OKNO_ACQUIRER_URL", value_name = "URL")]
    pub acquirer_url: Option<String>,

    /// The acquirer's terminal key (TerminalKey) for --acquirer-url
    #[arg(long, env = "OKNO_ACQUIRER_TERMINAL", value_name = "KEY")]
    pub acquirer_terminal: Option<String>,

    /// The acquirer's terminal password, which signs requests and notifications
    #[arg(
        long,
        env = "OKNO_ACQUIRER_PASSWORD",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub acquirer_password: Option<String>,

    /// Milliseconds the platform waits for the acquirer's answer; a payment whose answer did not
    /// come is asked about again by the reconciliation [default: 30000]
    #[arg(long, env = "OKNO_ACQUIRER_TIMEOUT_MS", value_name = "MS")]
    pub acquirer_timeout_ms: Option<u64>,

    /// Seconds a card payment stays quiet before the reconciliation asks the acquirer where it
    /// stands (an Init whose answer was lost is sent again) [default: 30]
    #[arg(long, env = "OKNO_PAYMENT_RECONCILE_SECONDS", value_name = "SECONDS")]
    pub payment_reconcile_seconds: Option<u64>,

    /// Minutes a card payment may stay unpaid before it is cancelled and expires [default: 30]
    #[arg(long, env = "OKNO_PAYMENT_EXPIRY_MINUTES", value_name = "MINUTES")]
    pub payment_expiry_minutes: Option<u64>,

    /// Run no background workers on this node (another node runs them)
    #[arg(long, env = "OKNO_NO_WORKERS", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub no_workers: Option<bool>,

    /// Log filter, e.g. info or okno=debug,sqlx=warn [default: info,sqlx=warn]
    #[arg(long, env = "OKNO_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// Log format: text or json [default: text]
    #[arg(long, env = "OKNO_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
}

impl Settings {
    /// Fills what flags and environment left unset from `okno.toml` (the given file, else
    /// `./okno.toml` when it exists).
    pub fn with_file(self, file: Option<&Path>) -> anyhow::Result<Settings> {
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from("okno.toml")).filter(|p| p.exists()),
        };
        let Some(path) = path else { return Ok(self) };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let from_file: Settings =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        overlay(self, from_file)
    }

    /// The public URL, without a trailing slash.
    pub fn public_url(&self, tls: bool) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!(
                "{}://localhost:{}",
                if tls { "https" } else { "http" },
                self.listen().port()
            ),
        }
    }

    pub fn listen(&self) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("okno-data"))
    }

    pub fn db_location(&self) -> anyhow::Result<okno_kernel::db::DbLocation> {
        match &self.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(okno_kernel::db::DbLocation::Postgres(url.clone()))
            }
            Some(url) => bail!(
                "--database-url must start with postgres:// (got {}); leave it unset for the embedded SQLite",
                okno_kernel::db::redact_url(url)
            ),
            None => Ok(okno_kernel::db::DbLocation::SqliteFile(self.data_dir().join("okno.db"))),
        }
    }

    pub fn channel_timeout(&self) -> Duration {
        Duration::from_secs(self.channel_timeout.unwrap_or(15))
    }
}

/// Values of `top` win; where `top` has none, `bottom`'s are taken.
fn overlay(top: Settings, bottom: Settings) -> anyhow::Result<Settings> {
    let top = serde_json::to_value(top)?;
    let mut merged = serde_json::to_value(bottom)?;
    if let (serde_json::Value::Object(t), serde_json::Value::Object(m)) = (top, &mut merged) {
        for (k, v) in t {
            if !v.is_null() {
                m.insert(k, v);
            }
        }
    }
    Ok(serde_json::from_value(merged)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_environment_win_over_the_file() {
        let cli = Settings {
            listen: Some("127.0.0.1:9000".parse().unwrap()),
            ..Default::default()
        };
        let file: Settings = toml::from_str(
            "listen = \"0.0.0.0:80\"\nsmtp_from = \"Окно <a@b.c>\"\nnotify_max_attempts = 3",
        )
        .unwrap();
        let s = overlay(cli, file).unwrap();
        assert_eq!(s.listen().to_string(), "127.0.0.1:9000");
        assert_eq!(s.smtp_from.as_deref(), Some("Окно <a@b.c>"));
        assert_eq!(s.notify_max_attempts, Some(3));
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        assert!(toml::from_str::<Settings>("lisen = \"x\"").is_err());
    }

    #[test]
    fn only_postgres_urls_are_accepted() {
        let s = Settings {
            database_url: Some("mysql://u:secret@h/d".into()),
            ..Default::default()
        };
        let e = s.db_location().unwrap_err().to_string();
        assert!(e.contains("postgres://") && !e.contains("secret"));
    }
}
