//! The payments part's commands and wiring: `okno sandbox-acquirer` (a test bank speaking the
//! acquirer's protocol), `okno payments ledger check`, and the part's settings for `serve` (the
//! acquirer configured, or in the demo a sandbox bank started beside the platform).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use okno_acquirer::{SandboxConfig, TBankClient, TBankConfig, Timeouts};
use okno_kernel::pii::Secrets;

use crate::settings::Settings;

/// The demo's terminal at its sandbox bank.
const DEMO_TERMINAL: &str = "OknoDemo";

#[derive(Subcommand, Debug)]
pub enum PaymentsCommand {
    /// The double-entry ledger
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Check that every ledger transaction balances and that each charge's paid amount equals
    /// what the ledger credited its payee; exit 0 when so, 1 naming every difference otherwise
    Check {
        #[command(flatten)]
        settings: Settings,
    },
}

/// `okno sandbox-acquirer`: a test bank for development and demonstrations.
#[derive(clap::Args, Debug)]
pub struct SandboxArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// The terminal key the platform signs with (its --acquirer-terminal)
    #[arg(long, default_value = DEMO_TERMINAL)]
    pub terminal: String,
    /// The terminal's password (the platform's --acquirer-password)
    #[arg(long, env = "OKNO_ACQUIRER_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// How long the slow test card keeps a payment in processing, in milliseconds
    #[arg(long, default_value_t = 3000)]
    pub slow_ms: u64,
}

pub async fn sandbox(a: SandboxArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| format!("listening on {}", a.listen))?;
    let mut cfg = SandboxConfig::new(&a.terminal, &a.password);
    cfg.slow_ms = a.slow_ms;
    println!(
        "Тестовый банк (протокол T-Bank API v2) слушает http://{}: терминал {}. Тестовые карты — на странице /sandbox.",
        listener.local_addr()?,
        a.terminal
    );
    okno_acquirer::serve_sandbox(listener, cfg).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn ledger_check(db: &okno_kernel::db::Db) -> anyhow::Result<ExitCode> {
    let check = okno_payments::service::check_ledger(db).await?;
    for (txn, sum) in &check.unbalanced {
        println!("проводка {txn} не сбалансирована: сумма {sum} коп.");
    }
    for (uin, paid, credited) in &check.mismatched {
        println!("начисление {uin}: оплачено {paid} коп., а получателю зачислено {credited} коп.");
    }
    if check.ok() {
        println!("ledger ok: {} postings", check.postings);
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

/// The payments part's settings: the configured acquirer or, in the demo, a sandbox bank started
/// now on a free local port (its address printed).
pub async fn settings(
    s: &Settings,
    public_url: String,
    demo: bool,
    secrets: &Secrets,
) -> anyhow::Result<okno_payments::Settings> {
    let acquirer = match (&s.acquirer_url, demo) {
        (Some(url), _) => {
            let (Some(terminal), Some(password)) = (&s.acquirer_terminal, &s.acquirer_password)
            else {
                bail!("--acquirer-url needs --acquirer-terminal and --acquirer-password");
            };
            Some(client(url, terminal, password, timeouts(s))?)
        }
        (None, true) => {
            let password = secrets.demo_secret("acquirer");
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
            let url = format!("http://{}", listener.local_addr()?);
            tokio::spawn(okno_acquirer::serve_sandbox(
                listener,
                SandboxConfig::new(DEMO_TERMINAL, &password),
            ));
            println!("Тестовый банк для оплаты картой: {url}/sandbox (тестовые карты там же).");
            Some(client(&url, DEMO_TERMINAL, &password, timeouts(s))?)
        }
        (None, false) => None,
    };
    Ok(okno_payments::Settings {
        acquirer,
        public_url,
        expire_after_ms: 60_000
            * i64::try_from(s.payment_expiry_minutes.unwrap_or(30).clamp(1, 24 * 60))?,
        files_dir: s.data_dir().join("files"),
        quiet_ms: 1000 * i64::try_from(s.payment_reconcile_seconds.unwrap_or(30).clamp(1, 3600))?,
    })
}

/// The client's timeouts: --acquirer-timeout-ms for the whole call, the connection at most 5 s.
fn timeouts(s: &Settings) -> Timeouts {
    let request =
        Duration::from_millis(s.acquirer_timeout_ms.unwrap_or(30_000).clamp(100, 120_000));
    Timeouts {
        request,
        connect: request.min(Timeouts::default().connect),
    }
}

fn client(
    url: &str,
    terminal: &str,
    password: &str,
    timeouts: Timeouts,
) -> anyhow::Result<TBankClient> {
    TBankClient::new(TBankConfig {
        base_url: url.trim_end_matches('/').to_string(),
        terminal_key: terminal.to_string(),
        password: password.to_string(),
        timeouts,
    })
    .map_err(|e| anyhow::anyhow!("the acquirer's client: {e}"))
}
