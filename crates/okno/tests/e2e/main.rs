//! The end-to-end tests, one binary: each module drives the release binary (`okno`) over HTTP, the
//! command line and headless Chromium, on SQLite and on PostgreSQL (`okno_testkit::engines`).
//! One binary rather than one per file: the workspace is linked once, and the tests of every file
//! share the test threads instead of waiting for each other file by file.

mod appeals;
mod audit;
mod browser;
mod browser_appeals;
mod browser_desk;
mod browser_identity;
mod browser_passkeys;
mod browser_payments;
mod browser_services;
mod conformance;
mod demo_console;
mod desk;
mod identity;
mod offices;
mod organisations;
mod outbox;
mod ownership;
mod payments;
mod platform;
mod polls_pages;
mod sensitive;
mod services;

/// Asserts that the audit journal holds each of `actions` among its sealed records whose action is
/// `LIKE` the pattern `like` (`'offices.%'`). Here and not in the testkit: the testkit names no
/// table of a part (see `ownership`), the tests read the journal as an auditor would.
async fn assert_journal_has(app: &okno_testkit::TestApp, like: &str, actions: &[&str]) {
    let journal = okno_testkit::query_text(
        app,
        &format!("SELECT action FROM audit_log WHERE action LIKE '{like}' ORDER BY seq"),
    )
    .await
    .expect("the journal is read");
    for action in actions {
        assert!(journal.contains(action), "{action} missing from {journal}");
    }
}
