//! End-to-end tests of the audit journal: every audited write extends one hash chain, also under
//! concurrency; `okno audit verify` names the first record changed, deleted or reordered behind the
//! platform's back; exports verify offline with the public key alone.

use std::path::{Path, PathBuf};

use okno_testkit::{engines, tamper, Engine, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_okno");

/// How many records the demo data itself journals (every part loads its own): read from the
/// journal of a fresh demo app before a test adds its own records.
static DEMO_RECORDS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(-1);

fn demo() -> i64 {
    let n = DEMO_RECORDS.load(std::sync::atomic::Ordering::SeqCst);
    assert!(n > 0, "app_with_records runs first");
    n
}

/// The count in `okno audit verify`'s «intact: N records».
fn intact_count(out: &str) -> i64 {
    out.split("intact: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {out}"))
}

async fn app_with_records(engine: Engine, n: usize) -> TestApp {
    let app = TestApp::demo(BIN, engine, &[]).await;
    let (code, out) = verify(&app);
    assert_eq!(code, 0, "{out}");
    DEMO_RECORDS.store(intact_count(&out), std::sync::atomic::Ordering::SeqCst);
    add_agencies(&app, 0, n).await;
    app
}

/// The newest `limit` records of the journal, as the demo auditor reads them.
async fn audit_records(app: &TestApp, limit: usize) -> Vec<Value> {
    app.client
        .get(app.url(&format!("/api/v1/audit?limit={limit}")))
        .bearer_auth(app.auditor_token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn add_agencies(app: &TestApp, from: usize, n: usize) {
    for i in from..from + n {
        let r = app
            .post_json(
                "/api/v1/agencies",
                app.admin_token.as_deref(),
                &json!({"code": format!("agency-{i}"), "name": format!("Ведомство {i}"), "short_name": format!("В{i}"),
                        "level": "municipal", "region": "Тульская область", "time_zone": "Europe/Moscow"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
}

fn verify(app: &TestApp) -> (i32, String) {
    let (code, out, err) = app.okno(&["audit", "verify"]);
    (code, format!("{out}{err}"))
}

#[tokio::test]
async fn an_untouched_journal_verifies_with_its_record_count() {
    for engine in engines("an_untouched_journal_verifies_with_its_record_count").await {
        let app = app_with_records(engine, 5).await;
        let (code, out) = verify(&app);
        assert_eq!(code, 0, "{out}");
        // The demo's records and five agencies.
        assert_eq!(intact_count(&out), demo() + 5, "{out}");
        let status: Value = app
            .get_as_admin("/api/v1/audit/verify")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            status["code"], "auth.forbidden",
            "the administrator is not an auditor"
        );
        let r = app
            .client
            .get(app.url("/api/v1/audit/verify"))
            .bearer_auth(app.auditor_token.as_deref().unwrap())
            .send()
            .await
            .unwrap();
        let status: Value = r.json().await.unwrap();
        assert_eq!(status["intact"], true);
        assert_eq!(status["records"], demo() + 5);
    }
}

#[tokio::test]
async fn records_show_who_did_what_in_the_same_transaction_as_the_change() {
    for engine in engines("records_show_who_did_what_in_the_same_transaction_as_the_change").await {
        let app = app_with_records(engine, 1).await;
        let records = audit_records(&app, 1).await;
        let r = &records[0];
        assert_eq!(r["action"], "directory.agency.created");
        assert_eq!(r["actor_name"], "токен «Демо: администратор»");
        assert_eq!(r["actor_kind"], "token");
        assert!(r["request_id"].is_string(), "the request is named");
        let agency: Value = app
            .get("/api/v1/agencies/agency-0")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(r["subject_id"], agency["id"]);
        // A refused write leaves no record.
        let before = audit_records(&app, 500).await;
        let dup = app
            .post_json("/api/v1/agencies", app.admin_token.as_deref(),
                &json!({"code": "agency-0", "name": "Дубль", "short_name": "Д", "level": "municipal", "region": "Р", "time_zone": "Europe/Moscow"}))
            .await;
        assert_eq!(dup.status(), 409);
        let after = audit_records(&app, 500).await;
        assert_eq!(before.len(), after.len());
    }
}

#[tokio::test]
async fn concurrent_audited_writes_keep_one_unbroken_chain() {
    for engine in engines("concurrent_audited_writes_keep_one_unbroken_chain").await {
        let app = app_with_records(engine, 0).await;
        let mut tasks = Vec::new();
        for i in 0..120 {
            let client = app.client.clone();
            let url = app.url("/api/v1/agencies");
            let token = app.admin_token.clone().unwrap();
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"code": format!("c-{i}"), "name": "Параллельное", "short_name": "П", "level": "municipal", "region": "Р", "time_zone": "Europe/Moscow"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 201);
        }
        let (code, out) = verify(&app);
        assert_eq!(code, 0, "{out}");
        assert_eq!(intact_count(&out), demo() + 120, "{out}");
    }
}

#[tokio::test]
async fn records_committed_but_not_yet_linked_when_the_node_died_are_linked_after_restart() {
    // PostgreSQL links records after commit: a node killed between its COMMIT and the sealer's
    // round leaves committed records in `audit_pending`. The next node links them on its own.
    let test = "records_committed_but_not_yet_linked_when_the_node_died_are_linked_after_restart";
    for engine in engines(test).await {
        if engine != Engine::Postgres {
            continue; // SQLite links at commit: there is no such window.
        }
        let mut app = app_with_records(engine, 3).await;
        app.kill_9();
        use sqlx::Connection;
        let url = app.db.url.clone().unwrap();
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(
            "INSERT INTO audit_pending (id, at, actor_kind, actor_name, action, subject_type, subject_id, details)
             VALUES ('0190a000-0000-7000-8000-000000000001', 1, 'system', 'система: тест', 'test.committed_before_crash', 'test', 't1', '{}')",
        )
        .execute(&mut c)
        .await
        .unwrap();
        app.restart(Vec::new()).await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_pending")
                .fetch_one(&mut c)
                .await
                .unwrap();
            if waiting == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the restarted node never sealed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let linked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'test.committed_before_crash'",
        )
        .fetch_one(&mut c)
        .await
        .unwrap();
        assert_eq!(linked, 1);
        let (code, out) = verify(&app);
        assert_eq!(code, 0, "{out}");
        assert_eq!(intact_count(&out), demo() + 3 + 1, "{out}");
    }
}

/// On each engine: `sql` edits the journal of a demo app with four records added, behind the
/// platform's back; `okno audit verify` then exits 1 and says each of `said`.
async fn caught(test: &str, sql: &str, said: &[&str]) {
    for engine in engines(test).await {
        let app = app_with_records(engine, 4).await;
        tamper(&app, sql).await.unwrap();
        let (code, out) = verify(&app);
        assert_eq!(code, 1, "{out}");
        for s in said {
            assert!(out.contains(s), "{s} in {out}");
        }
    }
}

#[tokio::test]
async fn a_changed_record_is_named() {
    let sql = "UPDATE audit_log SET details = '{\"code\":\"forged\"}' WHERE seq = 5";
    let said = ["BROKEN at record 5", "was changed"];
    caught("a_changed_record_is_named", sql, &said).await;
}

#[tokio::test]
async fn a_changed_and_rehashed_record_breaks_the_next_link() {
    // The forger recomputes nothing but the record's own hash field: still caught by the link.
    let sql = "UPDATE audit_log SET hash = '00' || substr(hash, 3) WHERE seq = 4";
    let test = "a_changed_and_rehashed_record_breaks_the_next_link";
    caught(test, sql, &["BROKEN at record 4"]).await;
}

#[tokio::test]
async fn a_deleted_record_is_named() {
    let sql = "DELETE FROM audit_log WHERE seq = 3";
    caught(
        "a_deleted_record_is_named",
        sql,
        &["BROKEN at record 3", "missing"],
    )
    .await;
}

#[tokio::test]
async fn deleting_the_newest_records_is_caught_by_the_head() {
    let sql = "DELETE FROM audit_log WHERE seq >= 6";
    let test = "deleting_the_newest_records_is_caught_by_the_head";
    caught(test, sql, &["BROKEN at record 6", "deleted"]).await;
}

#[tokio::test]
async fn reordered_records_are_named() {
    let sql = "UPDATE audit_log SET seq = -1 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = -1;";
    caught("reordered_records_are_named", sql, &["BROKEN at record 4"]).await;
}

/// Exports into `DATA_DIR/name` with the extra arguments; gives the file and the public key.
fn export(app: &TestApp, name: &str, extra: &[&str]) -> (PathBuf, String) {
    let file = app.data_dir.join(name);
    let file_s = file.display().to_string();
    let mut args = vec!["audit", "export"];
    args.extend_from_slice(extra);
    args.extend(["-o", file_s.as_str()]);
    let (code, _, err) = app.okno(&args);
    assert_eq!(code, 0, "{err}");
    let (_, key, _) = app.okno(&["audit", "public-key"]);
    (file, key.trim().to_string())
}

/// `okno audit verify-export FILE --public-key KEY`: the exit code and what it printed.
fn verify_export(app: &TestApp, file: &Path, key: &str) -> (i32, String) {
    let file = file.display().to_string();
    let (code, out, _) = app.okno_plain(&["audit", "verify-export", &file, "--public-key", key]);
    (code, out)
}

#[tokio::test]
async fn an_export_verifies_offline_and_any_edit_to_it_is_caught() {
    for engine in engines("an_export_verifies_offline_and_any_edit_to_it_is_caught").await {
        let app = app_with_records(engine, 3).await;
        let (file, key) = export(
            &app,
            "export.jsonl",
            &["--from", "2020-01-01", "--to", "2100-01-01"],
        );
        let (code, out) = verify_export(&app, &file, &key);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!(
                "{} records covered by 1 signed checkpoints",
                demo() + 3
            )),
            "{out}"
        );

        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let forged_path = app.data_dir.join("forged.jsonl");
        let check = |content: String, expect: &str| {
            std::fs::write(&forged_path, content).unwrap();
            let (code, out) = verify_export(&app, &forged_path, &key);
            assert_eq!(code, 1, "{expect}: {out}");
            assert!(
                out.contains("line") && out.contains(expect),
                "{expect}: {out}"
            );
        };
        check(text.replacen("agency-1", "agency-X", 1), "was changed");
        // Cutting off the checkpoint leaves records unsigned.
        let cut: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| !l.contains("\"checkpoint\""))
            .collect();
        check(cut.join("\n"), "not covered by a signed checkpoint");
        // Dropping the first records, editing the header, repeating a checkpoint: all caught.
        let mut without_first = lines.clone();
        without_first.remove(1);
        check(without_first.join("\n"), "records at the start are missing");
        let mut header_edited = lines.clone();
        let edited = header_edited[0].replace("\"from\":", "\"from\":1");
        header_edited[0] = &edited;
        check(header_edited.join("\n"), "the header was changed");
        let mut repeated = lines.clone();
        repeated.push(lines[lines.len() - 1]);
        check(
            repeated.join("\n"),
            "nothing may follow the final checkpoint",
        );

        // Another installation's key does not verify it.
        let (code, out) =
            verify_export(&app, &file, "ELdweW09cvT/XZupiXG+/ez5olkMk8HQm1RDrLXCAV4=");
        assert_eq!(code, 1);
        assert!(out.contains("signature does not verify"), "{out}");
    }
}

#[tokio::test]
async fn an_export_of_a_whole_number_of_checkpoint_intervals_verifies() {
    // The demo's records and enough agencies make exactly 1000, so the final checkpoint directly
    // follows the one signed after the 1000th record.
    let app = app_with_records(Engine::Sqlite, 0).await;
    add_agencies(&app, 0, (1000 - demo()) as usize).await;
    let (file, key) = export(&app, "export.jsonl", &[]);
    let (code, out) = verify_export(&app, &file, &key);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1000 records covered by 2 signed checkpoints"),
        "{out}"
    );
}

#[tokio::test]
async fn a_period_export_is_a_contiguous_verifiable_piece_of_the_chain() {
    for engine in engines("a_period_export_is_a_contiguous_verifiable_piece_of_the_chain").await {
        let app = app_with_records(engine, 5).await;
        let records = audit_records(&app, 500).await;
        // From the time of the fourth record on: the export starts at a record no later than it and
        // runs to the newest, every link intact.
        let fourth = records.iter().find(|r| r["seq"] == 4).unwrap()["at"]
            .as_i64()
            .unwrap();
        let (file, key) = export(&app, "period.jsonl", &["--from", &rfc3339(fourth)]);
        let (code, out) = verify_export(&app, &file, &key);
        assert_eq!(code, 0, "{out}");
        let text = std::fs::read_to_string(&file).unwrap();
        let first: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        assert!(first["seq"].as_i64().unwrap() <= 4, "{first}");
        assert!(
            out.contains(&format!(
                "{} records",
                demo() + 5 + 1 - first["seq"].as_i64().unwrap()
            )),
            "{out}"
        );
    }
}

/// RFC 3339 (UTC, milliseconds) of milliseconds since the epoch.
fn rfc3339(ms: i64) -> String {
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // The civil date of a day number (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `GET /api/v1/audit/checkpoints` with a query, without credentials: status and JSON.
async fn checkpoints(app: &TestApp, query: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/audit/checkpoints{query}")))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if status != 200 {
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("application/problem+json"), "{ct}");
    }
    (status, r.json().await.unwrap())
}

/// `okno audit verify` with extra arguments: the exit code and what it printed.
fn verify_with(app: &TestApp, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(extra);
    let (code, out, err) = app.okno(&args);
    (code, format!("{out}{err}"))
}

#[tokio::test]
async fn the_worker_signs_checkpoints_that_anyone_may_page_through() {
    for engine in engines("the_worker_signs_checkpoints_that_anyone_may_page_through").await {
        let app = TestApp::demo(BIN, engine, &["--audit-checkpoint-records", "5"]).await;
        // The demo journals more than five records: the worker signs the head soon after start;
        // five more records, and it signs again.
        let wait_for = |n: usize| {
            let app = &app;
            async move {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
                loop {
                    let (status, list) = checkpoints(app, "?limit=1000").await;
                    assert_eq!(status, 200, "{list}");
                    let list = list.as_array().unwrap().clone();
                    if list.len() >= n {
                        return list;
                    }
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the worker signed {} checkpoints, not {n}",
                        list.len()
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        };
        let first = wait_for(1).await[0].clone();
        add_agencies(&app, 0, 5).await;
        let list = wait_for(2).await;
        let (_, key, _) = app.okno(&["audit", "public-key"]);
        for cp in &list {
            assert_eq!(cp["algorithm"], "ed25519");
            assert_eq!(cp["public_key"], key.trim());
            assert_eq!(cp["hash"].as_str().unwrap().len(), 64);
        }
        assert!(list[1]["seq"].as_i64().unwrap() >= first["seq"].as_i64().unwrap() + 5);
        let (code, out) = verify(&app);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("matches 2 signed checkpoints"), "{out}");

        // Paged by the last seq received.
        let (status, page) =
            checkpoints(&app, &format!("?after_seq={}&limit=1", first["seq"])).await;
        assert_eq!(status, 200);
        assert_eq!(page, json!([list[1].clone()]));
        let (_, rest) = checkpoints(&app, &format!("?after_seq={}", list[1]["seq"])).await;
        assert_eq!(rest, json!([]));
        for (query, field) in [
            ("?limit=0", "limit"),
            ("?limit=1001", "limit"),
            ("?after_seq=-1", "after_seq"),
        ] {
            let (status, problem) = checkpoints(&app, query).await;
            assert_eq!(status, 400, "{query}: {problem}");
            assert_eq!(problem["code"], "validation.failed", "{query}");
            assert_eq!(problem["errors"][0]["field"], field, "{query}");
        }
        let (status, problem) = checkpoints(&app, "?limit=many").await;
        assert_eq!(status, 400, "{problem}");
    }
}

/// The SQL that rewrites the journal consistently from record `from` on: its details changed and
/// every later hash and the head recomputed, as someone with write access to the database could.
async fn rewrite_chain_sql(app: &TestApp, from: i64) -> String {
    let mut records: Vec<okno_kernel::audit::Record> = app
        .client
        .get(app.url("/api/v1/audit?limit=500"))
        .bearer_auth(app.auditor_token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    records.sort_by_key(|r| r.seq);
    assert_eq!(records[0].seq, 1, "the whole journal fits in one page");
    let mut sql = String::new();
    let mut prev = okno_kernel::audit::GENESIS.to_string();
    for mut r in records {
        if r.seq == from {
            r.details = "{\"code\":\"forged\"}".into();
        }
        r.prev_hash = prev;
        r.hash = r.compute_hash();
        if r.seq >= from {
            sql.push_str(&format!(
                "UPDATE audit_log SET details = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {};\n",
                r.details.replace('\'', "''"),
                r.prev_hash,
                r.hash,
                r.seq
            ));
        }
        prev = r.hash;
    }
    sql + &format!("UPDATE audit_head SET hash = '{prev}' WHERE id = 1;")
}

#[tokio::test]
async fn a_consistently_rewritten_journal_fails_on_its_checkpoints_and_on_a_witness_copy() {
    let test = "a_consistently_rewritten_journal_fails_on_its_checkpoints_and_on_a_witness_copy";
    for engine in engines(test).await {
        let app = app_with_records(engine, 3).await;
        let (code, out, _) = app.okno(&["audit", "checkpoint"]);
        assert_eq!(code, 0, "{out}");
        let first = demo() + 3;
        assert!(
            out.contains(&format!("checkpoint signed: record {first}")),
            "{out}"
        );
        add_agencies(&app, 3, 3).await;
        let (code, out, _) = app.okno(&["audit", "checkpoint"]);
        assert_eq!(code, 0, "{out}");
        let (_, out, _) = app.okno(&["audit", "checkpoint"]);
        assert!(out.contains("already has a checkpoint"), "{out}");

        // A witness keeps the endpoint's JSON.
        let (status, list) = checkpoints(&app, "").await;
        assert_eq!(status, 200);
        assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
        let witness = app.data_dir.join("witness.json");
        std::fs::write(&witness, list.to_string()).unwrap();
        let witness = witness.display().to_string();
        let with_witness = ["--witness", witness.as_str()];

        // Untouched, the journal verifies with and without the witness.
        let (code, out) = verify(&app);
        assert_eq!(code, 0, "{out}");
        assert_eq!(intact_count(&out), demo() + 6, "{out}");
        assert!(
            out.contains("matches 2 signed checkpoints; the newest record is covered"),
            "{out}"
        );
        let (code, out) = verify_with(&app, &with_witness);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("and 2 of the witness"), "{out}");

        // Record 2 of the agencies changed and every later hash and the head recomputed: the chain
        // recomputes, the first checkpoint after the change does not match.
        tamper(&app, &rewrite_chain_sql(&app, demo() + 2).await)
            .await
            .unwrap();
        let broken =
            format!("BROKEN at record {first}: record {first} does not match checkpoint {first}");
        let (code, out) = verify(&app);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("hash chain recomputes"), "{out}");
        assert!(
            out.contains(&broken) && out.contains("in the database") && out.contains("rewritten"),
            "{out}"
        );
        let (code, out) = verify_with(&app, &with_witness);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(&broken), "{out}");

        // The checkpoints table emptied too: the database alone no longer tells, the witness does.
        tamper(&app, "DELETE FROM audit_checkpoints").await.unwrap();
        let (code, out) = verify(&app);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("matches 0 signed checkpoints"), "{out}");
        let (code, out) = verify_with(&app, &with_witness);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&broken) && out.contains("of the witness"),
            "{out}"
        );

        // Checkpoints put back with the rewritten hashes but their old signatures, or signed anew
        // with a key of the forger's own: each is refused.
        let rewritten_hash = |seq: i64| {
            let app = &app;
            async move {
                okno_testkit::query_text(
                    app,
                    &format!("SELECT hash FROM audit_log WHERE seq = {seq}"),
                )
                .await
                .unwrap()
            }
        };
        let cp = &list[0];
        let forged_hash = rewritten_hash(first).await;
        tamper(
            &app,
            &format!(
                "INSERT INTO audit_checkpoints (seq, hash, at, algorithm, public_key, signature) VALUES ({first}, '{forged_hash}', {}, 'ed25519', '{}', '{}')",
                cp["at"], cp["public_key"].as_str().unwrap(), cp["signature"].as_str().unwrap()
            ),
        )
        .await
        .unwrap();
        let (code, out) = verify(&app);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("signature does not verify"), "{out}");
        let forger = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let resigned =
            okno_kernel::audit::checkpoints::AuditCheckpoint::sign(&forger, first, &forged_hash, 1);
        tamper(
            &app,
            &format!(
                "UPDATE audit_checkpoints SET at = 1, public_key = '{}', signature = '{}' WHERE seq = {first}",
                resigned.public_key, resigned.signature
            ),
        )
        .await
        .unwrap();
        let (code, out) = verify(&app);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!("BROKEN at record {first}")) && out.contains("unknown key"),
            "{out}"
        );
        let (code, out) = verify_with(&app, &with_witness);
        assert_eq!(code, 1, "{out}");
    }
}
