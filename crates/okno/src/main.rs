//! `okno`: the one binary. Commands to serve the platform, migrate and load demo data, verify and
//! export the audit journal, check identifiers, compute working days and manage access tokens.

mod payments;
mod settings;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::Engine as _;
use clap::{Parser, Subcommand};
use okno_kernel::db::{Db, PoolSettings};
use okno_kernel::pii::Secrets;
use okno_kernel::{audit, auth, Actor, Platform, Role};
use tokio_util::sync::CancellationToken;

use crate::settings::Settings;

#[derive(Parser, Debug)]
#[command(
    name = "okno",
    version,
    about = "Окно — единое окно взаимодействия граждан с государством"
)]
struct Cli {
    /// Settings file (TOML, keys as the long flags with underscores) [default: ./okno.toml if present]
    #[arg(long, global = true, env = "OKNO_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the platform: apply migrations, run the web server and the workers
    Serve {
        /// Load the Russian demo data first and print the demo credentials
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Apply database migrations and exit
    Migrate {
        #[command(flatten)]
        settings: Settings,
    },
    /// Load the Russian demo data (idempotent) and print the demo credentials
    Demo {
        #[command(flatten)]
        settings: Settings,
    },
    /// The audit journal
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Check an identifier: snils, inn, ogrn, ogrnip, kpp, bik, account, uin, kbk, oktmo, passport, phone
    Validate {
        kind: String,
        value: String,
        /// BIK of the bank, to check an account number
        #[arg(long)]
        bik: Option<String>,
    },
    /// Working days on the production calendar of the Russian Federation
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Administration
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Payments: the ledger
    Payments {
        #[command(subcommand)]
        command: payments::PaymentsCommand,
    },
    /// A test bank speaking the acquirer's protocol (T-Bank acquiring API v2), with test cards,
    /// a 3-D Secure page and faults on demand: for development and demonstrations, never for money
    SandboxAcquirer(payments::SandboxArgs),
    /// Print docs/configuration.md, generated from the settings
    #[command(hide = true)]
    ConfigDoc,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Recompute the hash chain and check it against every signed checkpoint in the database (and a
    /// witness's copy); exit 0 with the record count when intact, 1 naming what broke otherwise
    Verify {
        /// A witness's copy of the checkpoints: the JSON of GET /api/v1/audit/checkpoints (one or
        /// several pages) or JSON Lines of checkpoints
        #[arg(long, value_name = "FILE")]
        witness: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Sign a checkpoint of the journal's newest record now (the worker signs them every
    /// --audit-checkpoint-records records or --audit-checkpoint-minutes minutes)
    Checkpoint {
        #[command(flatten)]
        settings: Settings,
    },
    /// Export records of a period as JSON Lines with Ed25519-signed checkpoints
    Export {
        /// Start of the period (YYYY-MM-DD or RFC 3339), inclusive [default: the beginning]
        #[arg(long)]
        from: Option<String>,
        /// End of the period (YYYY-MM-DD or RFC 3339), exclusive [default: now]
        #[arg(long)]
        to: Option<String>,
        /// Write to this file instead of standard output
        #[arg(long, short)]
        out: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Verify an export file offline with the public key of its signer
    VerifyExport {
        file: PathBuf,
        /// Base64 Ed25519 public key (from `okno audit public-key`)
        #[arg(long)]
        public_key: String,
    },
    /// Print the public key that verifies this installation's exports
    PublicKey {
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand, Debug)]
enum CalendarCommand {
    /// The date N working days after DATE
    AddWorkingDays { date: String, n: u32 },
    /// `working` or `non-working`
    IsWorking { date: String },
    /// Working days after FROM up to and including TO
    WorkingDaysBetween { from: String, to: String },
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// API tokens for integrations and staff
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Staff accounts (operators, officials, moderators, …) that sign in with a password and a
    /// second factor
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// People for test and training installations (never for a production one)
    Person {
        #[command(subcommand)]
        command: PersonCommand,
    },
    /// The feedback platform's territories, bodies, category tree and routing rules
    Appeals {
        #[command(subcommand)]
        command: AppealsCommand,
    },
}

#[derive(Subcommand, Debug)]
enum AppealsCommand {
    /// Add the territories, bodies, categories and routing rules of a JSON file (the format of
    /// crates/appeals/data/demo.json, see docs/appeals.md); what exists is left as it is
    Import {
        file: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand, Debug)]
enum PersonCommand {
    /// Add a person at a level that no document stands behind, with no password and no contacts
    /// (audited as identity.person.seeded); print the account id and, with --session, the secret
    /// of a session opened for them (shown only once)
    Create {
        /// Фамилия, имя, отчество
        #[arg(long)]
        name: String,
        /// registered, simplified, standard or confirmed
        #[arg(long)]
        level: String,
        /// The account's id [default: a new one]; with --count, the ids are ID-000, ID-001, …
        #[arg(long)]
        id: Option<String>,
        /// How many such people to add (each printed as its id and, with --session, its secret)
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
        count: u16,
        /// Open a session for the person and print its secret
        #[arg(long)]
        session: bool,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand, Debug)]
enum StaffCommand {
    /// Create a staff account and print its temporary password (valid 24 hours, shown only once)
    Create {
        /// Фамилия, имя, отчество
        #[arg(long)]
        name: String,
        /// Mobile phone: the second factor by SMS until an authenticator app is added
        #[arg(long)]
        phone: String,
        #[arg(long)]
        email: String,
        /// Role: administrator, auditor, operator, official, moderator, merchant_admin (repeatable)
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Issue a token and print its secret (shown only once)
    Create {
        #[arg(long)]
        name: String,
        /// Role: administrator, auditor, operator, official, moderator, merchant_admin, bank (repeatable)
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Lifetime in days [default: until revoked]
        #[arg(long)]
        ttl_days: Option<i64>,
        #[command(flatten)]
        settings: Settings,
    },
    /// List tokens (never their secrets)
    List {
        #[command(flatten)]
        settings: Settings,
    },
    /// Revoke a token
    Revoke {
        id: String,
        #[command(flatten)]
        settings: Settings,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("okno: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// `okno validate KIND VALUE [--bik BIK]`.
fn validate(kind: &str, value: &str, bik: Option<&str>) -> anyhow::Result<std::process::ExitCode> {
    if !okno_rules::KINDS.contains(&kind) {
        bail!(
            "unknown kind {kind}; one of: {}",
            okno_rules::KINDS.join(", ")
        );
    }
    if bik.is_some() && kind != "account" {
        bail!("--bik applies to account only");
    }
    match okno_rules::validate(kind, value, bik) {
        Ok(()) => {
            println!("valid");
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{e}");
            Ok(std::process::ExitCode::from(1))
        }
    }
}

/// `okno audit verify-export FILE --public-key KEY`: needs no database.
fn audit_verify_export(
    file: &std::path::Path,
    public_key: &str,
) -> anyhow::Result<std::process::ExitCode> {
    let key = audit::parse_public_key(public_key).map_err(anyhow::Error::msg)?;
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    match audit::verify_export(std::io::BufReader::new(f), &key) {
        Ok(v) => {
            println!(
                "export intact: {} records covered by {} signed checkpoints",
                v.records, v.checkpoints
            );
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("export broken: {e}");
            Ok(std::process::ExitCode::from(1))
        }
    }
}

/// `okno admin appeals import FILE`: bodies, themes and routing rules from a JSON file.
fn appeals_import(s: Settings, file: &std::path::Path) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    init_logging(&s, "warn")?;
    let json =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    runtime()?.block_on(async {
        let (db, secrets) = open(&s, Mode::Existing).await?;
        let platform = Platform {
            db: db.clone(),
            secrets: Arc::new(secrets),
        };
        let actor = Actor::system("настройка обращений из файла");
        let done = okno_appeals::demo::import(&platform, &json, &actor).await;
        db.close().await;
        match done {
            Ok(l) => {
                println!(
                    "Добавлено органов {}, тем и подтем {}, правил маршрутизации {}.",
                    l.bodies, l.categories, l.routes
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                let p = e.to_problem();
                eprintln!("{}: {} ({})", p.title, p.detail, p.code);
                for f in &p.errors {
                    eprintln!("  {}: {} ({})", f.field, f.message, f.code);
                }
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    let config = cli.config.clone();
    let load = |s: Settings| s.with_file(config.as_deref());
    match cli.command {
        Command::Validate { kind, value, bik } => validate(&kind, &value, bik.as_deref()),
        Command::Calendar { command } => calendar(command),
        Command::ConfigDoc => {
            print!("{}", config_doc());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::VerifyExport { file, public_key },
        } => audit_verify_export(&file, &public_key),
        Command::Serve { demo, settings } => {
            let s = load(settings)?;
            init_logging(&s, "info,sqlx=warn")?;
            runtime()?.block_on(serve(s, demo))
        }
        Command::Migrate { settings } => {
            let s = load(settings)?;
            init_logging(&s, "info,sqlx=warn")?;
            runtime()?.block_on(async {
                let (db, _) = open(&s, Mode::Create).await?;
                db.close().await;
                println!("migrations applied");
                Ok(ExitCode::SUCCESS)
            })
        }
        Command::Demo { settings } => {
            let s = load(settings)?;
            init_logging(&s, "info,sqlx=warn")?;
            runtime()?.block_on(async {
                let (db, secrets) = open(&s, Mode::Create).await?;
                load_demo(&db, &secrets, &s).await?;
                db.close().await;
                Ok(ExitCode::SUCCESS)
            })
        }
        Command::Audit { command } => runtime()?.block_on(audit_command(command, &load)),
        Command::Admin {
            command: AdminCommand::Token { command },
        } => runtime()?.block_on(token_command(command, &load)),
        Command::Admin {
            command: AdminCommand::Staff { command },
        } => runtime()?.block_on(staff_command(command, &load)),
        Command::Admin {
            command: AdminCommand::Person { command },
        } => runtime()?.block_on(person_command(command, &load)),
        Command::Admin {
            command:
                AdminCommand::Appeals {
                    command: AppealsCommand::Import { file, settings },
                },
        } => appeals_import(load(settings)?, &file),
        Command::SandboxAcquirer(a) => runtime()?.block_on(payments::sandbox(a)),
        Command::Payments {
            command:
                payments::PaymentsCommand::Ledger {
                    command: payments::LedgerCommand::Check { settings },
                },
        } => {
            let s = load(settings)?;
            runtime()?.block_on(async {
                let (db, _) = open(&s, Mode::Existing).await?;
                let code = payments::ledger_check(&db).await;
                db.close().await;
                code
            })
        }
    }
}

fn init_logging(s: &Settings, default: &str) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(s.log.as_deref().unwrap_or(default))
        .context("--log is not a valid filter")?;
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match s.log_format.as_deref().unwrap_or("text") {
        "json" => builder.json().try_init().map_err(anyhow::Error::msg)?,
        "text" => builder.try_init().map_err(anyhow::Error::msg)?,
        other => bail!("--log-format must be text or json, not {other}"),
    }
    Ok(())
}

/// Whether a command may create what is missing (a new database, a new secret) or must find an
/// existing installation (so a mistyped `--data-dir` fails instead of answering for an empty one).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    Existing,
}

/// Reads the master secret from the settings or from `DATA_DIR/secret.key`, creating that file on
/// first start (mode 0600).
/// The master secret with the document keys the settings give.
fn secrets(s: &Settings, mode: Mode) -> anyhow::Result<Secrets> {
    let seed = s
        .document_signing_key
        .as_deref()
        .map(|b64| seed_32(b64, "--document-signing-key"))
        .transpose()?;
    let retired = s
        .document_retired_keys
        .iter()
        .flatten()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .map(|k| {
            okno_kernel::audit::parse_public_key(k)
                .map_err(|e| anyhow::anyhow!("--document-retired-keys: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(master_secrets(s, mode)?.with_document_keys(seed, retired))
}

/// 32 bytes given as base64 in `flag`.
fn seed_32(b64: &str, flag: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .with_context(|| format!("{flag} is not base64"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{flag} must be 32 bytes (44 base64 characters)"))
}

fn master_secrets(s: &Settings, mode: Mode) -> anyhow::Result<Secrets> {
    if let Some(k) = &s.secret_key {
        return Secrets::from_base64(k).map_err(|e| anyhow::anyhow!("--secret-key: {e}"));
    }
    let dir = s.data_dir();
    let path = dir.join("secret.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Secrets::from_base64(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    if mode == Mode::Existing {
        bail!(
            "no secret key: neither --secret-key (OKNO_SECRET_KEY) nor {} exists; check --data-dir",
            path.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = Secrets::generate_base64();
    write_private(&path, &key)?;
    tracing::warn!(
        path = %path.display(),
        "generated a new master secret; back it up (personal data cannot be decrypted without it) and give every node of a cluster the same OKNO_SECRET_KEY"
    );
    Secrets::from_base64(&key).map_err(anyhow::Error::msg)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

fn signing_key(s: &Settings, secrets: &Secrets) -> anyhow::Result<ed25519_dalek::SigningKey> {
    match &s.audit_signing_key {
        None => Ok(secrets.audit_signing_key()),
        Some(b64) => Ok(ed25519_dalek::SigningKey::from_bytes(&seed_32(
            b64,
            "--audit-signing-key",
        )?)),
    }
}

/// The keys whose audit checkpoints verify: the current audit key and --audit-retired-keys.
fn trusted_audit_keys(
    s: &Settings,
    secrets: &Secrets,
) -> anyhow::Result<audit::checkpoints::TrustedKeys> {
    let current = signing_key(s, secrets)?.verifying_key();
    let mut retired: Vec<Box<dyn audit::checkpoints::Verifier>> = Vec::new();
    for k in s
        .audit_retired_keys
        .iter()
        .flatten()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
    {
        let key =
            audit::parse_public_key(k).map_err(|e| anyhow::anyhow!("--audit-retired-keys: {e}"))?;
        retired.push(Box::new(key));
    }
    Ok(audit::checkpoints::TrustedKeys::new(
        Box::new(current),
        retired,
    ))
}

fn checkpoint_policy(s: &Settings) -> audit::checkpoints::Policy {
    let d = audit::checkpoints::Policy::default();
    audit::checkpoints::Policy {
        every_records: s
            .audit_checkpoint_records
            .map_or(d.every_records, |n| n.max(0)),
        every: s
            .audit_checkpoint_minutes
            .map_or(d.every, |m| Duration::from_secs(60 * m.min(525_600))),
    }
}

/// Every part's migrations, in the order of the parts' dependencies (not of this list).
fn all_migrations() -> Vec<okno_kernel::migrate::Migration> {
    okno_kernel::migrate::in_dependency_order(parts())
}

/// The parts that keep tables.
pub fn parts() -> Vec<okno_kernel::migrate::Part> {
    vec![
        okno_payments::part(),
        okno_appeals::part(),
        okno_services::part(),
        okno_offices::part(),
        okno_directory::part(),
        okno_identity::part(),
        okno_notify::part(),
        okno_kernel::part(),
    ]
}

async fn open(s: &Settings, mode: Mode) -> anyhow::Result<(Db, Secrets)> {
    let location = s.db_location()?;
    if let (Mode::Existing, okno_kernel::db::DbLocation::SqliteFile(path)) = (mode, &location) {
        if !path.exists() {
            bail!(
                "no database at {}: check --data-dir (okno serve or okno migrate creates one)",
                path.display()
            );
        }
    }
    let secrets = secrets(s, mode)?;
    let pool = PoolSettings {
        // The PostgreSQL wiki's rule of thumb: about two connections per core (plus one).
        max_connections: s.db_max_connections.unwrap_or_else(|| {
            2 * std::thread::available_parallelism().map_or(4, |n| n.get() as u32) + 1
        }),
        ..PoolSettings::default()
    };
    let db = Db::connect(&location, &pool)
        .await
        .with_context(|| format!("opening the database {location:?}"))?;
    let applied = okno_kernel::migrate::run(&db, &all_migrations())
        .await
        .context("applying migrations")?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    Ok((db, secrets))
}

async fn load_demo(db: &Db, secrets: &Secrets, s: &Settings) -> anyhow::Result<()> {
    let actor = Actor::system("демо-данные");
    let loaded = okno_directory::demo::load(db, &actor).await?;
    let offices = okno_offices::demo::load(db, &actor).await?;
    let forms = okno_services::demo::load(db, &actor).await?;
    let platform = Platform {
        db: db.clone(),
        secrets: Arc::new(secrets.clone()),
    };
    let appeals = okno_appeals::demo::load(&platform, &appeals_settings(s, false)?, &actor).await?;
    let payments = okno_payments::demo::load(&platform, &actor).await?;
    let admin = format!("okno_demo_admin_{}", secrets.demo_secret("administrator"));
    let auditor = format!("okno_demo_auditor_{}", secrets.demo_secret("auditor"));
    auth::ensure_token(
        db,
        &actor,
        "Демо: администратор",
        &[Role::Administrator],
        &admin,
    )
    .await?;
    auth::ensure_token(db, &actor, "Демо: аудитор", &[Role::Auditor], &auditor).await?;
    println!(
        "Демо-данные: добавлено ведомств {}, пунктов обслуживания {}, категорий услуг {}, услуг {}, тем обращений {}.",
        loaded.agencies, loaded.offices, loaded.service_categories, loaded.services, loaded.categories
    );
    println!(
        "Демо-данные пунктов: добавлено услуг в пунктах {}, времени для записи {}.",
        offices.services, offices.slots
    );
    println!("Демо-данные услуг: добавлено форм заявлений {forms}.");
    println!(
        "Демо-данные обращений: добавлено органов {}, тем и подтем {}, правил маршрутизации {}, обращений {}.",
        appeals.bodies, appeals.categories, appeals.routes, appeals.appeals
    );
    println!(
        "Демо-данные платежей: добавлено получателей {}, начислений {}.",
        payments.payees, payments.charges
    );
    for uin in &payments.uins {
        println!("  штраф со скидкой 50 %: найдите УИН {uin} на странице /pay");
    }
    println!("Демо-доступ (вход для сотрудников: /admin/login):");
    println!("  администратор: {admin}");
    println!("  аудитор:       {auditor}");
    println!("Не используйте демо-данные в рабочей системе.");
    Ok(())
}

async fn shutdown_signal(stop: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
    stop.cancel();
}

async fn serve(s: Settings, demo: bool) -> anyhow::Result<std::process::ExitCode> {
    let started = Instant::now();
    let tls = match (&s.tls_cert, &s.tls_key) {
        (Some(c), Some(k)) => Some(okno_web::tls_acceptor(c, k)?),
        (None, None) => None,
        _ => bail!("--tls-cert and --tls-key go together"),
    };
    let (db, secrets) = open(&s, Mode::Create).await?;
    if demo {
        load_demo(&db, &secrets, &s).await?;
    }
    let audit_signer: Arc<dyn audit::checkpoints::Signer> = Arc::new(signing_key(&s, &secrets)?);
    let payments =
        Arc::new(payments::settings(&s, s.public_url(tls.is_some()), demo, &secrets).await?);
    let platform = Platform {
        db: db.clone(),
        secrets: Arc::new(secrets),
    };
    let web = web_settings(&s, tls.as_ref());
    let identity = Arc::new(identity(&s, &web, demo)?);
    let metrics = Arc::new(okno_web::metrics::Metrics::new());
    let offices = Arc::new(offices_settings(&s, tls.is_some()));
    let appeals = Arc::new(appeals_settings(&s, tls.is_some())?);
    let app = okno_web::app(
        platform.clone(),
        web,
        metrics,
        identity,
        sign_in_limits(&s),
        offices.clone(),
        Arc::new(okno_services::Settings {
            files_dir: s.data_dir().join("files"),
            public_url: s.public_url(tls.is_some()),
        }),
        appeals.clone(),
        payments.clone(),
    );

    let stop = CancellationToken::new();
    // The audit sealer runs on every node, workers or not: it completes what use cases commit.
    let mut workers = vec![tokio::spawn(okno_kernel::audit::run_sealer(
        db.clone(),
        stop.clone(),
    ))];
    // So does the checkpoint worker: nodes share the audit key, and a checkpoint is stored once.
    workers.push(tokio::spawn(audit::checkpoints::run_checkpointer(
        db.clone(),
        audit_signer,
        checkpoint_policy(&s),
        stop.clone(),
    )));
    if !s.no_workers.unwrap_or(false) {
        let dispatcher = dispatcher(&s, &db, demo)?;
        workers.push(tokio::spawn(dispatcher.run(stop.clone())));
        workers.push(tokio::spawn(okno_appeals::worker::run(
            db.clone(),
            appeals.terms.clone(),
            appeals.worker_poll,
            stop.clone(),
        )));
        workers.push(tokio::spawn(okno_services::worker::run(
            db.clone(),
            appeals.worker_poll,
            stop.clone(),
        )));
        workers.push(tokio::spawn(okno_payments::worker::run(
            platform,
            payments,
            appeals.worker_poll,
            stop.clone(),
        )));
        workers.push(tokio::spawn(okno_offices::service::run_reminders(
            db.clone(),
            offices.reminder_poll,
            stop.clone(),
        )));
    }

    let listener = listen(&s, &db, tls.is_some(), started).await?;
    tokio::spawn(shutdown_signal(stop.clone()));
    okno_web::serve(listener, tls, app, stop.clone(), Duration::from_secs(25)).await?;
    for w in workers {
        let _ = w.await;
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(std::process::ExitCode::SUCCESS)
}

/// The notify dispatcher with its channels (SMTP, the SMS gateway, or the console in the demo)
/// and retry policy from the settings.
fn dispatcher(s: &Settings, db: &Db, demo: bool) -> anyhow::Result<okno_notify::Dispatcher> {
    let mut channels = okno_notify::Channels::new(smtp_settings(s), sms_settings(s)?)
        .map_err(anyhow::Error::msg)?;
    if s.console_channels.unwrap_or(demo) {
        channels = channels.with_console();
    }
    let printed = match (channels.console_sms(), channels.console_email()) {
        (true, true) => Some("SMS и письма"),
        (true, false) => Some("SMS"),
        (false, true) => Some("Письма"),
        (false, false) => None,
    };
    if let Some(what) = printed {
        println!("{what} не уходят наружу, а печатаются здесь, с кодами подтверждения (--console-channels).");
    }
    let timeout = s.channel_timeout();
    let settings = okno_notify::Settings {
        retry: okno_notify::RetryPolicy {
            max_attempts: s.notify_max_attempts.unwrap_or(8).max(1),
            base: Duration::from_millis(s.notify_retry_base_ms.unwrap_or(5000)),
            max: Duration::from_millis(s.notify_retry_max_ms.unwrap_or(3_600_000)),
        },
        poll: Duration::from_millis(s.worker_poll_ms.unwrap_or(500).max(10)),
        lease: timeout * 2 + Duration::from_secs(5),
        concurrency: s.notify_concurrency.unwrap_or(64).clamp(1, 1024),
        batch: s.notify_batch.unwrap_or(200).clamp(1, 10_000) as i64,
        journal_batch: s.notify_batch.unwrap_or(200).clamp(1, 10_000),
    };
    Ok(okno_notify::Dispatcher::new(
        db.clone(),
        Arc::new(channels),
        settings,
    ))
}
/// Binds the listening address and says where the platform is.
async fn listen(
    s: &Settings,
    db: &Db,
    tls: bool,
    started: Instant,
) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = s.listen();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    let scheme = if tls { "https" } else { "http" };
    println!("Окно работает: {scheme}://{local}/");
    if s.public_url.is_none() && local.ip().is_loopback() {
        println!(
            "Ключи доступа (passkeys) работают по адресу {}/ (--public-url)",
            s.public_url(tls)
        );
    }
    tracing::info!(
        url = %format!("{scheme}://{local}/"),
        database = db.engine().name(),
        ready_ms = started.elapsed().as_millis() as u64,
        "ready"
    );
    Ok(listener)
}

fn web_settings<T>(s: &Settings, tls: Option<&T>) -> okno_web::WebSettings {
    okno_web::WebSettings {
        tls: tls.is_some(),
        secure_cookies: s.secure_cookies.unwrap_or(tls.is_some()),
        body_limit: s.body_limit.unwrap_or(2 * 1024 * 1024),
        request_timeout: Duration::from_secs(s.request_timeout.unwrap_or(30)),
        session_idle: Duration::from_secs(60 * s.session_idle_minutes.unwrap_or(30)),
        session_absolute: Duration::from_secs(3600 * s.session_absolute_hours.unwrap_or(12)),
    }
}

fn registry(
    s: &Settings,
    demo: bool,
) -> anyhow::Result<Arc<dyn okno_identity::registry::Registry>> {
    use okno_identity::registry::{CsvRegistry, HttpRegistry, NoRegistry, DEMO_CSV};
    Ok(match (&s.registry_url, &s.registry_csv) {
        (Some(_), Some(_)) => bail!("--registry-url and --registry-csv exclude each other"),
        (Some(url), None) => {
            Arc::new(HttpRegistry::new(url, s.channel_timeout()).map_err(anyhow::Error::msg)?)
        }
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            Arc::new(CsvRegistry::parse(&text).map_err(anyhow::Error::msg)?)
        }
        (None, None) if demo => Arc::new(CsvRegistry::parse(DEMO_CSV).map_err(anyhow::Error::msg)?),
        (None, None) => Arc::new(NoRegistry),
    })
}

fn identity(
    s: &Settings,
    web: &okno_web::WebSettings,
    demo: bool,
) -> anyhow::Result<okno_identity::Identity> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let defaults = okno_identity::password::HashParams::default();
    let params = okno_identity::password::HashParams {
        memory_kib: s.argon2_memory_kib.unwrap_or(defaults.memory_kib),
        iterations: s.argon2_iterations.unwrap_or(defaults.iterations),
        ..defaults
    };
    let hasher = okno_identity::password::Hasher::new(params, s.hash_workers.unwrap_or(cores))
        .map_err(|e| anyhow::anyhow!("password hashing settings: {e}"))?;
    let d = okno_identity::Settings::default();
    Ok(okno_identity::Identity {
        hasher,
        policy: okno_identity::password::Policy {
            min_length: s.password_min_length.unwrap_or(8).max(8),
        },
        settings: Arc::new(okno_identity::Settings {
            lockout_after: s.lockout_after.unwrap_or(d.lockout_after).max(1),
            lockout_ms: s
                .lockout_minutes
                .map_or(d.lockout_ms, |m| m.max(1) * 60_000),
            session: okno_kernel::auth::SessionPolicy {
                idle_ms: web.session_idle.as_millis() as i64,
                absolute_ms: web.session_absolute.as_millis() as i64,
            },
            secure_cookies: web.secure_cookies,
            ..d
        }),
        registry: registry(s, demo)?,
        passkeys: okno_identity::relying_party::RelyingParty::new(&s.public_url(web.tls), "Окно")
            .map_err(|e| anyhow::anyhow!("--public-url: {e}"))?,
    })
}

fn appeals_settings(s: &Settings, tls: bool) -> anyhow::Result<okno_appeals::Settings> {
    let terms = okno_appeals::model::Terms::parse(s.appeal_terms.as_deref().unwrap_or(""))
        .map_err(|e| anyhow::anyhow!("--appeal-terms: {e}"))?;
    Ok(okno_appeals::Settings {
        files_dir: s.data_dir().join("files"),
        public_url: s.public_url(tls),
        terms,
        worker_poll: Duration::from_millis(s.worker_poll_ms.unwrap_or(500).max(10))
            .max(Duration::from_millis(50))
            .min(Duration::from_secs(60)),
        figures: okno_appeals::service::FiguresCache::new(Duration::from_secs(
            s.figures_cache_seconds.unwrap_or(60).min(86_400),
        )),
    })
}

fn offices_settings(s: &Settings, tls: bool) -> okno_offices::Settings {
    let d = okno_offices::Settings::default();
    okno_offices::Settings {
        default_visit: s.queue_default_visit_minutes.map_or(d.default_visit, |m| {
            Duration::from_secs(60 * m.clamp(1, 240))
        }),
        reminder_poll: Duration::from_millis(s.worker_poll_ms.unwrap_or(500).max(10))
            .max(Duration::from_millis(50))
            .min(d.reminder_poll),
        public_url: s.public_url(tls),
    }
}

fn sign_in_limits(s: &Settings) -> okno_identity::limits::Limits {
    okno_identity::limits::Limits {
        sign_in: s.sign_in_rate.unwrap_or(30),
        ..Default::default()
    }
}

fn smtp_settings(s: &Settings) -> Option<okno_notify::SmtpSettings> {
    s.smtp_url.as_ref().map(|url| okno_notify::SmtpSettings {
        url: url.clone(),
        from: s
            .smtp_from
            .clone()
            .unwrap_or_else(|| "Окно <noreply@localhost>".into()),
        timeout: s.channel_timeout(),
    })
}

fn sms_settings(s: &Settings) -> anyhow::Result<Option<okno_notify::SmsSettings>> {
    let Some(url) = &s.sms_url else {
        return Ok(None);
    };
    let mut headers = Vec::new();
    for h in s
        .sms_headers
        .iter()
        .flatten()
        .filter(|h| !h.trim().is_empty())
    {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("--sms-header must be \"Name: value\""))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(Some(okno_notify::SmsSettings {
        url: url.clone(),
        method: s.sms_method.clone().unwrap_or_else(|| "POST".into()),
        content_type: s
            .sms_content_type
            .clone()
            .unwrap_or_else(|| "application/json".into()),
        body_template: s
            .sms_body_template
            .clone()
            .unwrap_or_else(|| okno_notify::channels::DEFAULT_SMS_TEMPLATE.into()),
        headers,
        timeout: s.channel_timeout(),
    }))
}

async fn audit_command(
    command: AuditCommand,
    load: &dyn Fn(Settings) -> anyhow::Result<Settings>,
) -> anyhow::Result<std::process::ExitCode> {
    match command {
        AuditCommand::Verify { witness, settings } => audit_verify(load(settings)?, witness).await,
        AuditCommand::Checkpoint { settings } => audit_checkpoint(load(settings)?).await,
        AuditCommand::Export {
            from,
            to,
            out,
            settings,
        } => audit_export(load(settings)?, from, to, out).await,
        AuditCommand::PublicKey { settings } => audit_public_key(load(settings)?),
        AuditCommand::VerifyExport { .. } => unreachable!("handled without a database"),
    }
}

/// `okno audit verify`: the hash chain, then the signed checkpoints (and a witness file's).
async fn audit_verify(
    s: Settings,
    witness: Option<std::path::PathBuf>,
) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    init_logging(&s, "warn")?;
    let witness_path = witness;
    let witness = match &witness_path {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(
                audit::checkpoints::parse_witness(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            )
        }
    };
    let (db, secrets) = open(&s, Mode::Existing).await?;
    let keys = trusted_audit_keys(&s, &secrets)?;
    let verdict = audit::verify(&db).await?;
    let (count, last_hash) = match verdict {
        audit::Verdict::Intact { count, last_hash } => (count, last_hash),
        audit::Verdict::Broken { seq, reason, .. } => {
            db.close().await;
            println!("audit journal BROKEN at record {seq}: {reason}");
            return Ok(ExitCode::from(1));
        }
    };
    let anchored = audit::checkpoints::verify(&db, &keys, witness.as_deref()).await?;
    db.close().await;
    match anchored {
        audit::checkpoints::Verdict::Anchored {
            stored,
            witnessed,
            last_seq,
        } => {
            let mut by = format!("{stored} signed checkpoints");
            if let Some(path) = &witness_path {
                by.push_str(&format!(
                    " and {witnessed} of the witness {}",
                    path.display()
                ));
            }
            let tail = if last_seq == 0 {
                "no record is covered by a checkpoint yet".to_string()
            } else if last_seq < count {
                format!("records after {last_seq} are not covered by a checkpoint yet")
            } else {
                "the newest record is covered".to_string()
            };
            println!(
                "audit journal intact: {count} records, last hash {last_hash}; matches {by}; {tail}"
            );
            Ok(ExitCode::SUCCESS)
        }
        audit::checkpoints::Verdict::Broken { seq, reason } => {
            println!("hash chain recomputes: {count} records, last hash {last_hash}");
            println!("audit journal BROKEN at record {seq}: {reason}");
            Ok(ExitCode::from(1))
        }
    }
}

/// `okno audit checkpoint`: signs the newest record when it is not signed yet.
async fn audit_checkpoint(s: Settings) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    init_logging(&s, "warn")?;
    let (db, secrets) = open(&s, Mode::Existing).await?;
    let key = signing_key(&s, &secrets)?;
    let made = audit::checkpoints::make(&db, &key).await?;
    db.close().await;
    use audit::checkpoints::Made;
    match made {
        Made::Signed(cp) => {
            println!("checkpoint signed: record {}, hash {}", cp.seq, cp.hash);
            Ok(ExitCode::SUCCESS)
        }
        Made::NothingNew { seq: 0 } => {
            println!("the journal is empty: nothing to sign");
            Ok(ExitCode::SUCCESS)
        }
        Made::NothingNew { seq } | Made::Taken { seq } => {
            println!("record {seq} is the newest and already has a checkpoint");
            Ok(ExitCode::SUCCESS)
        }
        Made::NotDue => {
            println!("nothing to sign");
            Ok(ExitCode::SUCCESS)
        }
        Made::Refused { seq, reason } => {
            println!("checkpoint REFUSED at record {seq}: {reason}; run okno audit verify");
            Ok(ExitCode::from(1))
        }
    }
}

/// `okno audit export`: the records of a period with their checkpoints, signed.
async fn audit_export(
    s: Settings,
    from: Option<String>,
    to: Option<String>,
    out: Option<std::path::PathBuf>,
) -> anyhow::Result<std::process::ExitCode> {
    init_logging(&s, "warn")?;
    let parse = |v: &Option<String>, default: i64, name: &str| -> anyhow::Result<i64> {
        match v {
            None => Ok(default),
            Some(t) => okno_kernel::clock::parse_instant(t).ok_or_else(|| {
                anyhow::anyhow!("--{name}: expected YYYY-MM-DD or RFC 3339, got {t}")
            }),
        }
    };
    let from = parse(&from, 0, "from")?;
    let to = parse(&to, okno_kernel::clock::now_ms() + 1, "to")?;
    let (db, secrets) = open(&s, Mode::Existing).await?;
    let key = signing_key(&s, &secrets)?;
    let actor = Actor::system("экспорт журнала аудита");
    let count = match &out {
        Some(path) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            audit::export(&db, &actor, from, to, &key, &mut f).await?
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            audit::export(&db, &actor, from, to, &key, &mut stdout).await?
        }
    };
    db.close().await;
    eprintln!(
        "exported {count} records; verify with: okno audit verify-export FILE --public-key {}",
        base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes())
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// `okno audit public-key`: the key exports are signed with, in base64.
fn audit_public_key(s: Settings) -> anyhow::Result<std::process::ExitCode> {
    init_logging(&s, "warn")?;
    let secrets = secrets(&s, Mode::Existing)?;
    let key = signing_key(&s, &secrets)?;
    println!(
        "{}",
        base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes())
    );
    Ok(std::process::ExitCode::SUCCESS)
}

async fn staff_command(
    command: StaffCommand,
    load: &dyn Fn(Settings) -> anyhow::Result<Settings>,
) -> anyhow::Result<std::process::ExitCode> {
    let StaffCommand::Create {
        name,
        phone,
        email,
        roles,
        settings,
    } = command;
    let s = load(settings)?;
    init_logging(&s, "warn")?;
    let mut parsed = Vec::new();
    for r in &roles {
        parsed.push(Role::parse(r).ok_or_else(|| anyhow::anyhow!("unknown role {r}"))?);
    }
    let (db, _) = open(&s, Mode::Existing).await?;
    let identity = identity(&s, &web_settings::<()>(&s, None), false)?;
    let created = okno_identity::staff::create(
        &db,
        &identity,
        &Actor::system("командная строка"),
        okno_identity::staff::NewStaff {
            full_name: name,
            phone,
            email,
            roles: parsed,
        },
    )
    .await
    .map_err(problem_text)?;
    db.close().await;
    println!(
        "staff account {} created; temporary password, valid 24 hours and shown only now:",
        created.account_id
    );
    println!("{}", created.temporary_password);
    Ok(std::process::ExitCode::SUCCESS)
}

async fn person_command(
    command: PersonCommand,
    load: &dyn Fn(Settings) -> anyhow::Result<Settings>,
) -> anyhow::Result<std::process::ExitCode> {
    let PersonCommand::Create {
        name,
        level,
        id,
        count,
        session,
        settings,
    } = command;
    let s = load(settings)?;
    init_logging(&s, "warn")?;
    let level = okno_identity::model::Level::parse(&level).ok_or_else(|| {
        anyhow::anyhow!(
            "неизвестный уровень {level}; допустимы: registered, simplified, standard, confirmed"
        )
    })?;
    let (db, _) = open(&s, Mode::Existing).await?;
    let identity = identity(&s, &web_settings::<()>(&s, None), false)?;
    for i in 0..count {
        let id = match (&id, count) {
            (Some(id), 1) => Some(id.clone()),
            (Some(id), _) => Some(format!("{id}-{i:03}")),
            (None, _) => None,
        };
        let seeded = okno_identity::seeding::add_person(
            &db,
            &identity,
            &Actor::system("командная строка"),
            okno_identity::seeding::SeededPerson {
                id,
                full_name: name.clone(),
                level,
            },
            session,
        )
        .await
        .map_err(problem_text)?;
        println!("{}", seeded.account_id);
        if let Some(secret) = seeded.session {
            println!("{secret}");
        }
    }
    db.close().await;
    Ok(std::process::ExitCode::SUCCESS)
}

/// A refusal of a use case as one line for the terminal: the detail and each field's message.
fn problem_text(e: okno_kernel::error::Error) -> anyhow::Error {
    let p = e.to_problem();
    let fields: Vec<String> = p
        .errors
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    anyhow::anyhow!("{} {}", p.detail, fields.join("; "))
}

async fn token_command(
    command: TokenCommand,
    load: &dyn Fn(Settings) -> anyhow::Result<Settings>,
) -> anyhow::Result<std::process::ExitCode> {
    let actor = Actor::system("командная строка");
    match command {
        TokenCommand::Create {
            name,
            roles,
            ttl_days,
            settings,
        } => {
            let s = load(settings)?;
            init_logging(&s, "warn")?;
            let mut parsed = Vec::new();
            for r in &roles {
                parsed.push(Role::parse(r).ok_or_else(|| anyhow::anyhow!("unknown role {r}"))?);
            }
            let (db, _) = open(&s, Mode::Existing).await?;
            let (info, secret) = auth::issue_token(
                &db,
                &actor,
                &name,
                &parsed,
                ttl_days.map(|d| d * 86_400_000),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.to_problem().detail))?;
            db.close().await;
            println!(
                "token {} ({}) issued; its secret, shown only now:",
                info.id, info.roles
            );
            println!("{secret}");
        }
        TokenCommand::List { settings } => {
            let s = load(settings)?;
            init_logging(&s, "warn")?;
            let (db, _) = open(&s, Mode::Existing).await?;
            let mut c = db.read().await?;
            for t in auth::list_tokens(&mut c, &actor).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}\t{}", t.id, state, t.roles, t.name);
            }
            drop(c);
            db.close().await;
        }
        TokenCommand::Revoke { id, settings } => {
            let s = load(settings)?;
            init_logging(&s, "warn")?;
            let (db, _) = open(&s, Mode::Existing).await?;
            auth::revoke_token(&db, &actor, &id)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.to_problem().detail))?;
            db.close().await;
            println!("token {id} revoked");
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn calendar(command: CalendarCommand) -> anyhow::Result<std::process::ExitCode> {
    use okno_rules::calendar::ProductionCalendar;
    let cal = ProductionCalendar::shared();
    let date = |s: &str| -> anyhow::Result<okno_kernel::clock::Date> {
        okno_kernel::clock::parse_date(s)
            .with_context(|| format!("expected a date as YYYY-MM-DD, got {s}"))
    };
    let note = |years: &[i16]| {
        let mut years: Vec<i32> = years
            .iter()
            .map(|y| i32::from(*y))
            .filter(|y| !cal.covers(*y))
            .collect();
        years.dedup();
        for y in years {
            eprintln!(
                "note: no decree data for {y}: weekends and the holidays of art. 112 of the Labour Code (moved off weekends as it prescribes) are applied; transfers set by a government decree are not known"
            );
        }
    };
    match command {
        CalendarCommand::AddWorkingDays { date: d, n } => {
            let d = date(&d)?;
            let r = cal.add_working_days(d, n);
            note(&[d.year(), r.year()]);
            println!("{r}");
        }
        CalendarCommand::IsWorking { date: d } => {
            let d = date(&d)?;
            note(&[d.year()]);
            println!(
                "{}",
                if cal.is_working_day(d) {
                    "working"
                } else {
                    "non-working"
                }
            );
        }
        CalendarCommand::WorkingDaysBetween { from, to } => {
            let (a, b) = (date(&from)?, date(&to)?);
            note(&(a.year()..=b.year()).collect::<Vec<_>>());
            println!("{}", cal.working_days_between(a, b));
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// docs/configuration.md, from the `serve` command's arguments.
fn config_doc() -> String {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let serve = cmd
        .get_subcommands()
        .find(|c| c.get_name() == "serve")
        .expect("serve exists");
    let mut out = String::from(
        "# Configuration\n\n\
         Generated by `okno config-doc` from the settings struct; `okno serve --help` shows the same.\n\n\
         Each setting is taken from the command-line flag, else the environment variable, else the\n\
         settings file (`--config FILE`, or `./okno.toml` when present; keys are the flag names with\n\
         underscores, e.g. `smtp_url = \"smtp://localhost:25\"`), else its default.\n\n\
         | flag | environment | file key | meaning |\n|---|---|---|---|\n",
    );
    for arg in serve.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "demo" | "config" | "version") {
            continue;
        }
        let env = arg
            .get_env()
            .map(|e| format!("`{}`", e.to_string_lossy()))
            .unwrap_or_default();
        let help = arg
            .get_help()
            .map(|h| h.to_string())
            .unwrap_or_default()
            .replace('\n', " ")
            .replace('|', "\\|");
        out.push_str(&format!(
            "| `--{long}` | {env} | `{}` | {help} |\n",
            arg.get_id()
        ));
    }
    out
}
