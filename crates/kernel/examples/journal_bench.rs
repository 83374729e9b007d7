//! Measures audited transactions per second on the kernel alone (no HTTP): each transaction appends
//! one audit record and one outbox event. Usage: journal_bench [sqlite|postgres://…] [N] [tasks]
use std::time::Instant;

use okno_kernel::db::{Db, DbLocation, PoolSettings};
use okno_kernel::{audit, outbox, Actor};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5000);
    let tasks: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(8);
    let dir = tempfile::tempdir().unwrap();
    let location = if target == "sqlite" {
        DbLocation::SqliteFile(dir.path().join("bench.db"))
    } else {
        DbLocation::Postgres(target.clone())
    };
    let db = Db::connect(&location, &PoolSettings::default())
        .await
        .unwrap();
    okno_kernel::migrate::run(&db, &okno_kernel::migrations())
        .await
        .unwrap();
    let actor = Actor::system("bench");
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let db = db.clone();
        let actor = actor.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..n / tasks {
                let mut tx = db.begin().await.unwrap();
                let id = format!("{t}-{i}");
                if std::env::var("MODE").as_deref() == Ok("empty") {
                    tx.commit().await.unwrap();
                    continue;
                }
                if std::env::var("MODE").as_deref() == Ok("select") {
                    let _: i64 = okno_kernel::q_scalar!(
                        &mut tx,
                        i64,
                        "SELECT seq FROM audit_head WHERE id = 1"
                    )
                    .unwrap();
                    tx.commit().await.unwrap();
                    continue;
                }
                outbox::enqueue(&mut tx, "bench.event", &serde_json::json!({ "id": id }))
                    .await
                    .unwrap();
                audit::append(
                    &mut tx,
                    audit::Entry {
                        actor: &actor,
                        action: "bench.write",
                        subject_type: "bench",
                        subject_id: &id,
                        details: serde_json::json!({}),
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{target}: {} audited transactions in {secs:.2} s = {:.0} tx/s",
        n / tasks * tasks,
        (n / tasks * tasks) as f64 / secs
    );
    match audit::verify(&db).await.unwrap() {
        audit::Verdict::Intact { count, .. } => println!("chain intact: {count}"),
        v => panic!("{v:?}"),
    }
}
