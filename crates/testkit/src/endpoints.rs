//! Real peers for the outbox channels: an SMTP server (Python aiosmtpd, started as a process) that
//! records every message, and an HTTP SMS gateway (in-process) that records every request and
//! answers with the statuses a test scripts.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

/// What `received` gives once it holds at least `n` items, or after `secs` whatever it holds.
async fn at_least<T>(n: usize, secs: u64, received: impl Fn() -> Vec<T>) -> Vec<T> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let got = received();
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A real SMTP server on 127.0.0.1.
pub struct SmtpServer {
    pub port: u16,
    file: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts aiosmtpd on `port` (a fresh one when `None`).
    pub fn start(port: Option<u16>) -> anyhow::Result<SmtpServer> {
        let port = port.unwrap_or_else(crate::free_port);
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("mail.jsonl");
        let mut child = Command::new("python3")
            .arg(crate::script("smtp_sink.py"))
            .arg(port.to_string())
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting python3 smtp_sink.py (is aiosmtpd installed? ./test.sh installs it): {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(SmtpServer {
                    port,
                    file,
                    child,
                    _dir: dir,
                });
            }
            if let Some(s) = child.try_wait()? {
                anyhow::bail!("the SMTP server exited with {s} (is aiosmtpd installed?)");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        anyhow::bail!("the SMTP server did not start on port {port}")
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits until at least `n` messages arrived.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<serde_json::Value> {
        at_least(n, secs, || self.messages()).await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request the SMS gateway received.
#[derive(Debug, Clone)]
pub struct SmsRequest {
    pub headers: HeaderMap,
    pub body: String,
}

impl SmsRequest {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct GatewayState {
    requests: Vec<SmsRequest>,
    script: VecDeque<u16>,
}

/// An HTTP SMS gateway on 127.0.0.1: answers each request with the next scripted status (200 when
/// the script is empty) and records it.
pub struct SmsGateway {
    pub port: u16,
    state: Arc<Mutex<GatewayState>>,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(
    State(state): State<Arc<Mutex<GatewayState>>>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let mut s = state.lock().expect("gateway state");
    s.requests.push(SmsRequest { headers, body });
    let code = s.script.pop_front().unwrap_or(200);
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
        format!("{{\"status\": {code}}}"),
    )
}

impl SmsGateway {
    pub async fn start(script: &[u16]) -> anyhow::Result<SmsGateway> {
        Self::start_on(0, script).await
    }

    /// Starts on a given port (0 for any).
    pub async fn start_on(port: u16, script: &[u16]) -> anyhow::Result<SmsGateway> {
        let state = Arc::new(Mutex::new(GatewayState {
            requests: Vec::new(),
            script: script.iter().copied().collect(),
        }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let app = Router::new()
            .route("/send", post(receive))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SmsGateway { port, state, task })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/send", self.port)
    }

    pub fn requests(&self) -> Vec<SmsRequest> {
        self.state.lock().expect("gateway state").requests.clone()
    }

    /// Waits until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<SmsRequest> {
        at_least(n, secs, || self.requests()).await
    }
}

impl Drop for SmsGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}
