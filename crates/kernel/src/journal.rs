//! What a transaction journals — its audit records and outbox events — held until commit and then
//! written in one statement. On SQLite (one writer at a time) the records are hashed onto the
//! chain's head right there. On PostgreSQL they go to `audit_pending` without any lock and the
//! sealer links them into the chain just after commit, in batches.
//!
//! Why two ways: a single chain has a single head. Holding its row lock from the append through
//! `COMMIT` and its WAL flush serialises every audited transaction on PostgreSQL (about 1 000/s
//! here); sealing after commit takes the lock once per batch, so commits proceed in parallel and
//! share their flushes. The record still commits with its change: only its link waits, for
//! milliseconds, and `audit::verify`/`export` seal before they read.

use crate::db::rusqlite;
use crate::db::{Db, Engine, Tx};
pub use crate::record::{link_hash, Record};
pub(crate) use crate::record::{Pending, PendingEvent};
use crate::{q_all, q_one, q_scalar, sqlx};

impl Tx {
    /// Writes what the use case journalled, then commits.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let pending = std::mem::take(&mut self.journal);
        let audited = !pending.audit.is_empty();
        flush(&mut self, pending).await?;
        let engine = self.engine();
        self.finish().await?;
        if audited && engine == Engine::Postgres {
            SEALER.notify_one();
        }
        Ok(())
    }
}

/// `INSERT INTO outbox …` for the events, their values appended to `args`.
fn outbox_insert(args: &mut Vec<Arg>, events: Vec<PendingEvent>) -> String {
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        rows.push(row(args.len(), 5));
        args.extend([
            Arg::Text(e.id),
            Arg::Int(e.created_at),
            Arg::Text(e.kind),
            Arg::Text(e.payload),
            Arg::Int(e.priority),
        ]);
    }
    format!(
        "INSERT INTO outbox (id, created_at, kind, payload, priority) VALUES {}",
        rows.join(", ")
    )
}

/// The record's content columns, `id` to `request_id`, in table order.
fn content_args(r: Record) -> [Arg; 12] {
    [
        Arg::Text(r.id),
        Arg::Int(r.at),
        Arg::Text(r.actor_kind),
        Arg::OptText(r.actor_id),
        Arg::Text(r.actor_name),
        Arg::OptText(r.on_behalf_of_id),
        Arg::OptText(r.on_behalf_of_name),
        Arg::Text(r.action),
        Arg::Text(r.subject_type),
        Arg::Text(r.subject_id),
        Arg::Text(r.details),
        Arg::OptText(r.request_id),
    ]
}

enum Arg {
    Int(i64),
    Text(String),
    OptText(Option<String>),
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: String,
}

/// Placeholders `($n+1, …, $n+k)` for a row of `k` values starting after `n` arguments.
fn row(n: usize, k: usize) -> String {
    let list: Vec<String> = (n + 1..=n + k).map(|i| format!("${i}")).collect();
    format!("({})", list.join(", "))
}

async fn flush(tx: &mut Tx, p: Pending) -> Result<(), sqlx::Error> {
    if p.audit.is_empty() && p.outbox.is_empty() {
        return Ok(());
    }
    let engine = tx.engine();
    let mut args: Vec<Arg> = Vec::new();
    let mut statements: Vec<String> = Vec::new();
    if !p.audit.is_empty() {
        match engine {
            // One writer at a time anyway: the records are linked now, under the write lock.
            Engine::Sqlite => {
                let head = q_one!(tx, Head, "SELECT seq, hash FROM audit_head WHERE id = 1")?;
                statements.extend(link(&mut args, head, p.audit));
            }
            // No lock: the records wait in `audit_pending` and the sealer links them after
            // commit, so concurrent transactions commit (and share their WAL flushes) in parallel.
            Engine::Postgres => statements.push(pending_insert(&mut args, p.audit)),
        }
    }
    if !p.outbox.is_empty() {
        statements.push(outbox_insert(&mut args, p.outbox));
    }
    execute(tx, &one_statement(engine, statements), args).await
}

/// The statements that hash `records` onto `head` in order, insert them into `audit_log` and move
/// the head; their values appended to `args`.
fn link(args: &mut Vec<Arg>, head: Head, records: Vec<Record>) -> [String; 2] {
    let (mut seq, mut prev) = (head.seq, head.hash);
    let mut rows = Vec::with_capacity(records.len());
    for mut r in records {
        seq += 1;
        r.seq = seq;
        r.prev_hash = prev;
        r.hash = r.compute_hash();
        prev = r.hash.clone();
        rows.push(row(args.len(), 15));
        args.push(Arg::Int(r.seq));
        let (prev_hash, hash) = (r.prev_hash.clone(), r.hash.clone());
        args.extend(content_args(r));
        args.extend([Arg::Text(prev_hash), Arg::Text(hash)]);
    }
    let insert = format!(
        "INSERT INTO audit_log (seq, id, at, actor_kind, actor_id, actor_name, on_behalf_of_id, \
         on_behalf_of_name, action, subject_type, subject_id, details, request_id, prev_hash, hash) VALUES {}",
        rows.join(", ")
    );
    let n = args.len();
    args.extend([Arg::Int(seq), Arg::Text(prev)]);
    [
        insert,
        format!(
            "UPDATE audit_head SET seq = ${}, hash = ${} WHERE id = 1",
            n + 1,
            n + 2
        ),
    ]
}

/// `INSERT INTO audit_pending …` for records not yet linked.
fn pending_insert(args: &mut Vec<Arg>, records: Vec<Record>) -> String {
    let mut rows = Vec::with_capacity(records.len());
    for r in records {
        rows.push(row(args.len(), 12));
        args.extend(content_args(r));
    }
    format!(
        "INSERT INTO audit_pending (id, at, actor_kind, actor_id, actor_name, on_behalf_of_id, \
         on_behalf_of_name, action, subject_type, subject_id, details, request_id) VALUES {}",
        rows.join(", ")
    )
}

/// SQLite runs several statements of one string with shared numbered parameters; PostgreSQL takes
/// one statement, so all but the last become data-modifying CTEs of the last.
fn one_statement(engine: Engine, statements: Vec<String>) -> String {
    match engine {
        Engine::Sqlite => statements.join(";\n"),
        Engine::Postgres => {
            let (last, before) = statements.split_last().expect("at least one statement");
            if before.is_empty() {
                last.clone()
            } else {
                let ctes: Vec<String> = before
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("j{i} AS ({s} RETURNING 1)"))
                    .collect();
                format!("WITH {} {last}", ctes.join(", "))
            }
        }
    }
}

/// Wakes the sealer after a commit that left records in `audit_pending`.
pub(crate) static SEALER: std::sync::LazyLock<tokio::sync::Notify> =
    std::sync::LazyLock::new(tokio::sync::Notify::new);

/// Links committed records waiting in `audit_pending` into the chain, oldest first, `batch` per
/// transaction, until none wait. The head's row lock makes sealers on several nodes take turns.
/// Returns how many records were sealed. Nothing to do on SQLite.
pub(crate) async fn seal(db: &Db, batch: i64) -> Result<usize, sqlx::Error> {
    if db.engine() == Engine::Sqlite {
        return Ok(0);
    }
    let mut total = 0;
    loop {
        // A look without a lock first, so an idle sealer never takes the head.
        let waiting = {
            let mut c = db.read().await?;
            q_scalar!(
                &mut c,
                i64,
                "SELECT COUNT(*) FROM (SELECT 1 FROM audit_pending LIMIT 1) AS p"
            )?
        };
        if waiting == 0 {
            return Ok(total);
        }
        let mut tx = db.begin().await?;
        let head = q_one!(
            &mut tx,
            Head,
            "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
        )?;
        // Read after the head is locked: every record committed before another sealer let go of
        // the head is either linked already (and deleted here) or seen now.
        let records = q_all!(
            &mut tx,
            Record,
            "SELECT CAST(0 AS BIGINT) AS seq, id, at, actor_kind, actor_id, actor_name, on_behalf_of_id, \
             on_behalf_of_name, action, subject_type, subject_id, details, request_id, \
             '' AS prev_hash, '' AS hash FROM audit_pending ORDER BY at, id LIMIT $1",
            batch
        )?;
        let n = records.len();
        if n == 0 {
            return Ok(total);
        }
        let mut args = Vec::with_capacity(n * 16 + 2);
        let ids: Vec<String> = records
            .iter()
            .map(|r| {
                args.push(Arg::Text(r.id.clone()));
                format!("${}", args.len())
            })
            .collect();
        let delete = format!("DELETE FROM audit_pending WHERE id IN ({})", ids.join(", "));
        let mut statements = vec![delete];
        statements.extend(link(&mut args, head, records));
        execute(&mut tx, &one_statement(Engine::Postgres, statements), args).await?;
        tx.commit().await?;
        total += n;
        if (n as i64) < batch {
            return Ok(total);
        }
    }
}

async fn execute(tx: &mut Tx, sql: &str, args: Vec<Arg>) -> Result<(), sqlx::Error> {
    match crate::db::AsConn::as_conn(tx) {
        // A transaction on SQLite is always the writer connection; readers never write.
        crate::db::ConnRef::Sqlite(_) => {
            return Err(sqlx::Error::Protocol(
                "journal entries are written on the writer connection only".into(),
            ))
        }
        crate::db::ConnRef::Postgres(c) => {
            let mut q = sqlx::query(sql);
            for a in args {
                q = match a {
                    Arg::Int(v) => q.bind(v),
                    Arg::Text(v) => q.bind(v),
                    Arg::OptText(v) => q.bind(v),
                };
            }
            q.execute(&mut *c).await?;
        }
        crate::db::ConnRef::SqliteWriter(c) => {
            let refs: Vec<&dyn rusqlite::ToSql> = args
                .iter()
                .map(|a| match a {
                    Arg::Int(v) => v as &dyn rusqlite::ToSql,
                    Arg::Text(v) => v as &dyn rusqlite::ToSql,
                    Arg::OptText(v) => v as &dyn rusqlite::ToSql,
                })
                .collect();
            // Statements one by one, each binding the numbered arguments it names.
            for statement in sql.split(";\n") {
                crate::db::sync_exec(c, statement, &refs)?;
            }
        }
    }
    Ok(())
}
