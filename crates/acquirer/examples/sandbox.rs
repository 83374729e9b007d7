//! Runs the sandbox bank alone, for trying the platform by hand:
//! `cargo run -p okno-acquirer --example sandbox`. Settings from the environment:
//! `OKNO_SANDBOX_ADDR` (default `127.0.0.1:8089`), `OKNO_SANDBOX_TERMINAL` (`OknoSandbox`),
//! `OKNO_SANDBOX_PASSWORD` (`sandbox`), `OKNO_SANDBOX_SLOW_MS` (`3000`).

use okno_acquirer::{serve_sandbox, SandboxConfig, TEST_CARDS};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let addr = var("OKNO_SANDBOX_ADDR", "127.0.0.1:8089");
    let mut cfg = SandboxConfig::new(
        &var("OKNO_SANDBOX_TERMINAL", "OknoSandbox"),
        &var("OKNO_SANDBOX_PASSWORD", "sandbox"),
    );
    cfg.slow_ms = var("OKNO_SANDBOX_SLOW_MS", "3000").parse().unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("Тестовый банк: http://{}", listener.local_addr()?);
    for (card, what) in TEST_CARDS {
        println!("  {card} — {what}");
    }
    serve_sandbox(listener, cfg).await
}
