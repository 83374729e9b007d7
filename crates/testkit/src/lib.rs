//! The app in tests as it runs in production: [`TestApp`] starts the real `okno` binary on a random
//! port over a fresh SQLite directory or a fresh PostgreSQL database, and talks to it over HTTP.
//! [`SmtpServer`] is a real SMTP server (Python `aiosmtpd`) and [`SmsGateway`] a real HTTP endpoint.

pub mod browser;
mod endpoints;
pub mod http;
pub mod journeys;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use endpoints::{SmsGateway, SmsRequest, SmtpServer};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Where the local PostgreSQL is (override with `OKNO_TEST_POSTGRES`).
pub fn postgres_admin_url() -> String {
    std::env::var("OKNO_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Is PostgreSQL reachable? When it is not, the test says so loudly and is skipped — unless
/// `OKNO_REQUIRE_POSTGRES=1` (set by ./test.sh when it started PostgreSQL), which makes it fail.
pub async fn postgres_available(test: &str) -> bool {
    let ok = tokio::time::timeout(Duration::from_secs(3), async {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&postgres_admin_url())
            .await
            .is_ok()
    })
    .await
    .unwrap_or(false);
    if !ok {
        if std::env::var("OKNO_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!(
                "PostgreSQL is required (OKNO_REQUIRE_POSTGRES=1) but unreachable at {}",
                postgres_admin_url()
            );
        }
        eprintln!(
            "\n*** SKIPPED on PostgreSQL: {test}: PostgreSQL unreachable at {} ***\n",
            postgres_admin_url()
        );
    }
    ok
}

/// Engines to run a test on: SQLite always, PostgreSQL when reachable.
pub async fn engines(test: &str) -> Vec<Engine> {
    let mut e = vec![Engine::Sqlite];
    if postgres_available(test).await {
        e.push(Engine::Postgres);
    }
    e
}

/// A fresh database for one test.
pub struct Database {
    pub engine: Engine,
    /// `--database-url` for PostgreSQL.
    pub url: Option<String>,
    pg_name: Option<String>,
}

impl Database {
    pub async fn fresh(engine: Engine) -> anyhow::Result<Database> {
        match engine {
            Engine::Sqlite => Ok(Database {
                engine,
                url: None,
                pg_name: None,
            }),
            Engine::Postgres => {
                use sqlx::Connection;
                let name = format!("okno_test_{}", uuid::Uuid::new_v4().simple());
                let mut c = sqlx::PgConnection::connect(&postgres_admin_url()).await?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut c)
                    .await?;
                let base = postgres_admin_url();
                let url = match base.rsplit_once('/') {
                    Some((prefix, _)) => format!("{prefix}/{name}"),
                    None => anyhow::bail!("bad OKNO_TEST_POSTGRES"),
                };
                Ok(Database {
                    engine,
                    url: Some(url),
                    pg_name: Some(name),
                })
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Best effort, on a thread of its own: Drop may run inside a runtime.
            let admin = postgres_admin_url();
            let _ = std::thread::spawn(move || drop_database(admin, name)).join();
        }
    }
}

/// Drops the PostgreSQL database `name`, best effort, on a runtime of its own.
#[tokio::main(flavor = "current_thread")]
async fn drop_database(admin: String, name: String) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut c)
            .await;
    }
}

/// A fresh, empty database for a test that opens it itself (a part's database tests): an SQLite
/// file in a directory of its own, or a PostgreSQL database. Dropped with the test.
pub struct FreshDatabase {
    pub engine: Engine,
    database: Database,
    dir: tempfile::TempDir,
}

impl FreshDatabase {
    /// The SQLite file to open (when `postgres_url` is `None`).
    pub fn sqlite_file(&self) -> PathBuf {
        self.dir.path().join("okno.db")
    }

    pub fn postgres_url(&self) -> Option<&str> {
        self.database.url.as_deref()
    }
}

/// A fresh database on each engine of [`engines`]: SQLite always, PostgreSQL when reachable.
pub async fn fresh_databases(test: &str) -> Vec<FreshDatabase> {
    let mut out = Vec::new();
    for engine in engines(test).await {
        out.push(FreshDatabase {
            engine,
            database: Database::fresh(engine).await.expect("a fresh database"),
            dir: tempfile::tempdir().expect("a temporary directory"),
        });
    }
    out
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `okno serve`.
pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub db: std::sync::Arc<Database>,
    pub client: reqwest::Client,
    bin: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    /// Every line the server printed to stdout, across restarts.
    stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _dir: std::sync::Arc<tempfile::TempDir>,
    /// The demo administrator's token, when started with `--demo`.
    pub admin_token: Option<String>,
    pub auditor_token: Option<String>,
}

/// How to start the app.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub demo: bool,
    /// Extra `okno serve` arguments; `{port}` in one stands for the port the app listens on.
    pub args: Vec<String>,
}

impl TestApp {
    /// Starts `bin serve` on a fresh database and waits until `/readyz` answers.
    pub async fn start(bin: &str, engine: Engine, opts: Options) -> anyhow::Result<TestApp> {
        let db = Database::fresh(engine).await?;
        let dir = tempfile::tempdir()?;
        let mut app = TestApp {
            base: String::new(),
            port: 0,
            data_dir: dir.path().join("data"),
            db: std::sync::Arc::new(db),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            bin: PathBuf::from(bin),
            args: opts.args.clone(),
            child: None,
            stdout: Default::default(),
            _dir: std::sync::Arc::new(dir),
            admin_token: None,
            auditor_token: None,
        };
        app.launch(opts.demo).await?;
        Ok(app)
    }

    /// `okno serve --demo` with `args` on a fresh database of `engine`, ready; panics when it does
    /// not start.
    pub async fn demo(bin: &str, engine: Engine, args: &[&str]) -> TestApp {
        Self::started(bin, engine, true, args).await
    }

    /// `okno serve` with `args` and no demo data on a fresh database of `engine`, ready; panics
    /// when it does not start.
    pub async fn plain(bin: &str, engine: Engine, args: &[&str]) -> TestApp {
        Self::started(bin, engine, false, args).await
    }

    async fn started(bin: &str, engine: Engine, demo: bool, args: &[&str]) -> TestApp {
        let args = args.iter().map(|a| a.to_string()).collect();
        TestApp::start(bin, engine, Options { demo, args })
            .await
            .unwrap_or_else(|e| panic!("okno starts: {e}"))
    }

    /// Common arguments naming this app's database and data directory.
    pub fn db_args(&self) -> Vec<String> {
        let mut a = vec![
            "--data-dir".to_string(),
            self.data_dir.display().to_string(),
        ];
        if let Some(url) = &self.db.url {
            a.push("--database-url".into());
            a.push(url.clone());
        }
        a
    }

    async fn launch(&mut self, demo: bool) -> anyhow::Result<()> {
        // The port was free when picked, but another test's process may bind it first: then
        // okno exits at once, and it is started again on another port.
        for _ in 0..4 {
            match self.launch_once(demo).await {
                Err(e) if e.to_string().contains("Address already in use") => self.kill_9(),
                done => return done,
            }
        }
        self.launch_once(demo).await
    }

    async fn launch_once(&mut self, demo: bool) -> anyhow::Result<()> {
        self.port = free_port();
        self.base = format!("http://127.0.0.1:{}", self.port);
        let mut cmd = Command::new(&self.bin);
        cmd.arg("serve")
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(self.db_args())
            .args(
                self.args
                    .iter()
                    .map(|a| a.replace("{port}", &self.port.to_string())),
            )
            .env("OKNO_LOG", "info,sqlx=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(self.log_path())?));
        if demo {
            cmd.arg("--demo");
        }
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take();
        self.child = Some(child);
        // Read the printed lines (demo credentials, the URL) on a thread; keep them for `stdout()`.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        if let Some(out) = stdout {
            let kept = self.stdout.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                    if let Ok(mut k) = kept.lock() {
                        k.push(line.clone());
                    }
                    let _ = tx.send(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut saw_url = false;
        while Instant::now() < deadline {
            while let Ok(line) = rx.try_recv() {
                if let Some(t) = line.trim().strip_prefix("администратор:") {
                    self.admin_token = Some(t.trim().to_string());
                }
                if let Some(t) = line.trim().strip_prefix("аудитор:") {
                    self.auditor_token = Some(t.trim().to_string());
                }
                if line.contains(&format!("http://127.0.0.1:{}/", self.port))
                    || line.contains(&format!("https://127.0.0.1:{}/", self.port))
                {
                    saw_url = true;
                }
            }
            if saw_url {
                if let Ok(r) = self
                    .client
                    .get(format!("{}/readyz", self.base))
                    .send()
                    .await
                {
                    if r.status().is_success() {
                        return Ok(());
                    }
                }
            }
            if let Some(c) = self.child.as_mut() {
                if let Some(status) = c.try_wait()? {
                    anyhow::bail!(
                        "okno exited with {status} before it was ready:\n{}",
                        self.log()
                    );
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("okno was not ready in 30 s:\n{}", self.log())
    }

    pub fn log_path(&self) -> PathBuf {
        self._dir.path().join("okno.log")
    }

    /// What the server wrote to stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// What the server printed to stdout so far (every start of it), one line per line.
    pub fn stdout(&self) -> String {
        self.stdout
            .lock()
            .map(|lines| lines.join("\n"))
            .unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET with the demo administrator's token.
    pub async fn get_as_admin(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(self.admin_token.as_deref().unwrap_or(""))
            .send()
            .await
            .expect("GET")
    }

    /// POST JSON with a bearer token.
    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut r = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("POST")
    }

    /// The administrator queues messages by hand.
    pub async fn admin_sends(&self, messages: serde_json::Value) -> reqwest::Response {
        self.post_json(
            "/api/v1/notifications",
            self.admin_token.as_deref(),
            &serde_json::json!({ "messages": messages }),
        )
        .await
    }

    /// Deliveries as the administrator sees them.
    pub async fn deliveries(&self) -> Vec<serde_json::Value> {
        self.get_as_admin("/api/v1/deliveries?limit=200")
            .await
            .json()
            .await
            .expect("deliveries JSON")
    }

    /// One delivery with its attempts, as the administrator sees it.
    pub async fn delivery(&self, id: &str) -> serde_json::Value {
        self.get_as_admin(&format!("/api/v1/deliveries/{id}"))
            .await
            .json()
            .await
            .expect("the delivery's JSON")
    }

    /// Waits until `f` holds for the deliveries, or panics with the log after `secs`.
    pub async fn wait_deliveries(
        &self,
        secs: u64,
        what: &str,
        f: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let d = self.deliveries().await;
            if f(&d) {
                return d;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; deliveries: {d:#?}\nlog:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An API call: the status and the JSON answer (`null` when the body is not JSON). `bearer`
    /// may carry a desk's device credential after a space («token device»), sent as
    /// `x-okno-device`.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut r = self.client.request(method, self.url(path));
        if let Some(b) = bearer {
            match b.split_once(' ') {
                Some((token, device)) => r = r.bearer_auth(token).header("x-okno-device", device),
                None => r = r.bearer_auth(b),
            }
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let r = r.send().await.expect("the request is sent");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A person's account at `level` (`simplified`, `standard`, `confirmed`) with id `id` and a
    /// live web session, made by the product's own command (`okno admin person create`: a person
    /// no document stands behind, as registration is rate-limited and needs codes); gives the
    /// session's bearer secret.
    pub async fn person(&self, id: &str, name: &str, level: &str) -> String {
        let (code, out, err) = self.okno(&[
            "admin",
            "person",
            "create",
            "--id",
            id,
            "--name",
            name,
            "--level",
            level,
            "--session",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(id), "{out}");
        lines
            .next()
            .expect("the session's secret")
            .trim()
            .to_string()
    }

    /// `n` people named `name` at `level`, with ids `{tag}-000`, `{tag}-001`, … and live web
    /// sessions, made by one run of the product's command; gives their bearer secrets in order.
    pub async fn people(&self, tag: &str, name: &str, level: &str, n: usize) -> Vec<String> {
        let count = n.to_string();
        let (code, out, err) = self.okno(&[
            "admin",
            "person",
            "create",
            "--id",
            tag,
            "--name",
            name,
            "--level",
            level,
            "--count",
            &count,
            "--session",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2 * n, "{out}");
        lines.chunks(2).map(|p| p[1].trim().to_string()).collect()
    }

    /// A staff API token with `role`, issued by the CLI; gives its secret and id.
    pub async fn staff_token(&self, name: &str, role: &str) -> (String, String) {
        let (code, out, err) =
            self.okno(&["admin", "token", "create", "--name", name, "--role", role]);
        assert_eq!(code, 0, "{out}{err}");
        // «token <id> (<roles>) issued; its secret, shown only now:» and the secret.
        let id = out
            .split_whitespace()
            .nth(1)
            .expect("the token's id")
            .to_string();
        let secret = out.lines().last().unwrap_or_default().trim().to_string();
        (secret, id)
    }

    /// A staff account (`okno admin staff create`) named `name` with a phone and an e-mail for the
    /// second factor and `role`; gives its temporary password.
    pub fn staff_account(&self, name: &str, phone: &str, email: &str, role: &str) -> String {
        let (code, out, err) = self.okno(&[
            "admin", "staff", "create", "--name", name, "--phone", phone, "--email", email,
            "--role", role,
        ]);
        assert_eq!(code, 0, "{out}{err}");
        out.lines()
            .last()
            .expect("the temporary password")
            .trim()
            .to_string()
    }

    /// Runs another `okno` command against this app's database; gives (exit code, stdout, stderr).
    pub fn okno(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args).args(self.db_args());
        run(cmd)
    }

    /// Runs an `okno` command that takes no database settings.
    pub fn okno_plain(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args);
        run(cmd)
    }

    /// Another node of the platform on this app's database, running the workers too, started
    /// with `args` and waited for until it answers `/readyz`; stopped when dropped.
    pub async fn second_node(&self, args: &[&str]) -> Node {
        let port = free_port();
        let child = Command::new(&self.bin)
            .arg("serve")
            .args(self.db_args())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the second node starts");
        let node = Node { child, port };
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !reqwest::get(&ready).await.is_ok_and(|r| r.status() == 200) {
            assert!(Instant::now() < deadline, "the second node never got ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        node
    }

    /// Sends SIGKILL: no shutdown, no flush.
    pub fn kill_9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM and waits for the exit; gives the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut c = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(s)) = c.try_wait() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        None
    }

    /// Starts the binary again on the same database and data directory (after a kill or stop).
    pub async fn restart(&mut self, args: Vec<String>) -> anyhow::Result<()> {
        self.kill_9();
        self.args = args;
        self.launch(false).await
    }
}

/// A second node started by [`TestApp::second_node`]; killed when dropped.
pub struct Node {
    child: Child,
    pub port: u16,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// The CSRF token of the first form on a page (`<input name="csrf_token" value="…">`).
pub fn csrf_token(html: &str) -> String {
    let field = "name=\"csrf_token\" value=\"";
    let at = html
        .find(field)
        .unwrap_or_else(|| panic!("no form token in {html}"))
        + field.len();
    html[at..].split('"').next().unwrap_or_default().to_string()
}

/// Runs a command; gives (exit code, stdout, stderr).
pub fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().expect("command runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Executes SQL on the app's database behind the platform's back.
pub async fn tamper(app: &TestApp, sql: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    match &app.db.url {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await?;
            // The tamperer edits the chain: wait until the sealer has linked every record.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_pending")
                    .fetch_one(&mut c)
                    .await?;
                if waiting == 0 {
                    break;
                }
                anyhow::ensure!(
                    std::time::Instant::now() < deadline,
                    "{waiting} audit records were never sealed"
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            sqlx::raw_sql(sql).execute(&mut c).await?;
        }
        None => {
            let path = app.data_dir.join("okno.db");
            let mut c =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await?;
            sqlx::raw_sql(sql).execute(&mut c).await?;
        }
    }
    Ok(())
}

/// Reads one text value (every row's first column, joined by newlines) from the app's database
/// behind the platform's back: what an intruder with a copy of the database would see.
pub async fn query_text(app: &TestApp, sql: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let rows: Vec<String> = match &app.db.url {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await?;
            sqlx::query_scalar(sql).fetch_all(&mut c).await?
        }
        None => {
            let path = app.data_dir.join("okno.db");
            let mut c =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await?;
            sqlx::query_scalar(sql).fetch_all(&mut c).await?
        }
    };
    Ok(rows.join("\n"))
}

/// The path of a helper script shipped with the tests.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}
