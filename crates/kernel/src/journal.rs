//! What a transaction journals — its audit records and outbox events — held until commit and then
//! written in one round trip: the chain's head is read (and on PostgreSQL locked), the records are
//! hashed onto it, and one statement inserts them, the events, and moves the head.
//!
//! One round trip instead of one per row matters: every statement is a hop to the database, and on
//! the journal's critical section (one writer on SQLite, the head's row lock on PostgreSQL) hops
//! are what limits audited writes per second.

use crate::audit::Record;
use crate::db::rusqlite;
use crate::db::{Engine, Tx};
use crate::{q_one, sqlx};

/// An outbox event waiting for commit.
#[derive(Debug)]
pub(crate) struct PendingEvent {
    pub id: String,
    pub created_at: i64,
    pub kind: String,
    pub payload: String,
}

/// Journal entries of an open transaction.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// Records whose `seq`, `prev_hash` and `hash` are set at flush.
    pub audit: Vec<Record>,
    pub outbox: Vec<PendingEvent>,
}

/// `INSERT INTO outbox …` for the events, their values appended to `args`.
fn outbox_insert(args: &mut Vec<Arg>, events: Vec<PendingEvent>) -> String {
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        rows.push(row(args.len(), 4));
        args.extend([
            Arg::Text(e.id),
            Arg::Int(e.created_at),
            Arg::Text(e.kind),
            Arg::Text(e.payload),
        ]);
    }
    format!(
        "INSERT INTO outbox (id, created_at, kind, payload) VALUES {}",
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

pub(crate) async fn flush(tx: &mut Tx, p: Pending) -> Result<(), sqlx::Error> {
    if p.audit.is_empty() && p.outbox.is_empty() {
        return Ok(());
    }
    let engine = tx.engine();
    let mut args: Vec<Arg> = Vec::new();
    let mut statements: Vec<String> = Vec::new();
    let mut head_after = None;

    if engine == Engine::Postgres && p.audit.len() == 1 {
        return append_one_postgres(tx, p).await;
    }
    if !p.audit.is_empty() {
        let sql = match engine {
            Engine::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
            // The row lock serialises appends across nodes, in commit order.
            Engine::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        };
        let head = q_one!(tx, Head, sql)?;
        let (mut seq, mut prev) = (head.seq, head.hash);
        let mut rows = Vec::with_capacity(p.audit.len());
        for mut r in p.audit {
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
        statements.push(format!(
            "INSERT INTO audit_log (seq, id, at, actor_kind, actor_id, actor_name, on_behalf_of_id, \
             on_behalf_of_name, action, subject_type, subject_id, details, request_id, prev_hash, hash) VALUES {}",
            rows.join(", ")
        ));
        head_after = Some((seq, prev));
    }
    if !p.outbox.is_empty() {
        statements.push(outbox_insert(&mut args, p.outbox));
    }
    if let Some((seq, hash)) = head_after {
        let n = args.len();
        statements.push(format!(
            "UPDATE audit_head SET seq = ${}, hash = ${} WHERE id = 1",
            n + 1,
            n + 2
        ));
        args.extend([Arg::Int(seq), Arg::Text(hash)]);
    }

    // SQLite runs several statements of one string with shared numbered parameters; PostgreSQL takes
    // one statement, so the inserts become data-modifying CTEs of the last.
    let sql = match engine {
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
    };
    execute(tx, &sql, args).await
}

/// PostgreSQL, one record (the common case): a single statement locks the head, hashes the record
/// onto it in SQL, inserts it and the events, and moves the head. The head's row lock is then held
/// for one statement and the commit, not for several round trips.
async fn append_one_postgres(tx: &mut Tx, p: Pending) -> Result<(), sqlx::Error> {
    let r = p.audit.into_iter().next().expect("one record");
    let digest = r.content_digest();
    let mut sql = String::from(
        "WITH h AS (
            UPDATE audit_head AS t
               SET seq = o.seq + 1,
                   hash = encode(sha256(convert_to(o.hash || ':' || (o.seq + 1)::text || ':' || $1, 'UTF8')), 'hex')
              FROM (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE) AS o
             WHERE t.id = 1
            RETURNING t.seq, t.hash, o.hash AS prev
        ), a AS (
            INSERT INTO audit_log (seq, id, at, actor_kind, actor_id, actor_name, on_behalf_of_id,
                on_behalf_of_name, action, subject_type, subject_id, details, request_id, prev_hash, hash)
            SELECT h.seq, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, h.prev, h.hash FROM h
            RETURNING 1
        )",
    );
    let mut args = vec![Arg::Text(digest)];
    args.extend(content_args(r));
    if !p.outbox.is_empty() {
        sql.push_str(&format!(
            ", o AS ({} RETURNING 1)",
            outbox_insert(&mut args, p.outbox)
        ));
    }
    sql.push_str(" SELECT seq FROM h");
    execute(tx, &sql, args).await
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
