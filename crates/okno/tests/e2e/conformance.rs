//! The OpenAPI description held against the release binary by schemathesis 4 (`--checks all`,
//! every phase but stateful), anonymously and with an administrator's token, on both engines: no
//! 5xx, no answer outside its schema, no status code the description does not list, no operation
//! schemathesis cannot use. `./test.sh` installs schemathesis and requires this test to run; a run
//! without it says loudly that it skipped.

use okno_testkit::{postgres_available, Engine, Options, TestApp};
use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_okno");

/// Test cases per operation and phase: enough to cross every declared range and enum, few enough
/// to keep `./test.sh` short (each run takes about 30 s; four runs, two engines by two callers).
const MAX_EXAMPLES: &str = "8";

fn schemathesis() -> Option<PathBuf> {
    let path = std::env::var_os("OKNO_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("schemathesis"));
    let found = Command::new(&path)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(path);
    }
    if std::env::var("OKNO_REQUIRE_SCHEMATHESIS").as_deref() == Ok("1") {
        panic!("OKNO_REQUIRE_SCHEMATHESIS=1 but schemathesis is not at {path:?}");
    }
    eprintln!(
        "\n*** SKIPPED: schemathesis is not installed (./test.sh installs it); \
         the API description was NOT checked against the server ***\n"
    );
    None
}

fn run(st: &PathBuf, app: &TestApp, token: Option<&str>) -> (bool, String) {
    let here = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let mut cmd = Command::new(st);
    cmd.args([
        "--config-file",
        &format!("{here}/schemathesis.toml"),
        "run",
        &app.url("/api/openapi.json"),
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        "16",
        "--no-shrink",
        // One worker: Hypothesis reads its lambdas' source, which races between threads on
        // Python 3.11 ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--output-truncate",
        "false",
    ])
    // Its cache and crash records go to a scratch directory, not into the work tree.
    .current_dir(scratch.path())
    .env("PYTHONPATH", here)
    .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
    .env("NO_COLOR", "1")
    .env("SCHEMATHESIS_TELEMETRY", "false");
    if let Some(token) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let out = cmd.output().expect("schemathesis runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs schemathesis against a demo server on `engine`, anonymously and then as administrator.
async fn conforms(engine: Engine) {
    let Some(st) = schemathesis() else { return };
    let app = TestApp::start(
        BIN,
        engine,
        Options {
            demo: true,
            ..Default::default()
        },
    )
    .await
    .expect("okno starts");
    let admin = app.admin_token.clone().expect("the demo prints a token");
    let name = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    for (who, token) in [("anonymous", None), ("administrator", Some(admin.as_str()))] {
        let (ok, text) = tokio::task::block_in_place(|| run(&st, &app, token));
        assert!(
            ok,
            "schemathesis found the API unlike its description ({name}, {who}):\n{text}"
        );
    }
}

// One test per engine, so that the two runs share the test threads with the other tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_the_api_as_described_on_sqlite() {
    conforms(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_the_api_as_described_on_postgres() {
    if postgres_available("schemathesis_finds_the_api_as_described_on_postgres").await {
        conforms(Engine::Postgres).await;
    }
}
