//! SQL of the notify part, written once for both engines: claiming outbox events and due deliveries,
//! recording attempts, the in-app inbox and the journal queries.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::outbox::Event;
use okno_kernel::{q_all, q_exec, q_one, q_opt};
use serde::Serialize;

use crate::model::{Message, Status};

/// A delivery as stored.
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    #[serde(skip_serializing)]
    pub body: String,
    pub status: String,
    pub attempts: i64,
    /// Attempts made before the last manual retry.
    pub budget_start: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// One attempt of a delivery, as journalled.
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attempt {
    pub attempt: i64,
    pub started_at: i64,
    pub finished_at: i64,
    /// `sent`, `retry` or `permanent`.
    pub outcome: String,
    pub detail: String,
}

const DELIVERY_COLUMNS: &str = "id, event_id, channel, recipient, subject, body, status, attempts, budget_start, next_attempt_at, created_at, sent_at, last_error";

/// Takes up to `limit` events not yet routed, locking them against other nodes.
pub async fn claim_events(tx: &mut Tx, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
    let sql = format!(
        "SELECT id, created_at, kind, payload FROM outbox WHERE routed_at IS NULL ORDER BY created_at LIMIT $1 {}",
        tx.dialect().for_update_skip_locked
    );
    q_all!(tx, Event, &sql, limit)
}

/// Marks events routed, all in one statement.
pub async fn mark_routed(tx: &mut Tx, event_ids: &[String], now: i64) -> Result<(), sqlx::Error> {
    if event_ids.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = (2..event_ids.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!(
        "UPDATE outbox SET routed_at = $1 WHERE id IN ({})",
        list.join(", ")
    );
    match okno_kernel::db::AsConn::as_conn(tx) {
        // A transaction on SQLite is always the writer connection.
        okno_kernel::db::ConnRef::Sqlite(_) => {
            return Err(sqlx::Error::Protocol(
                "outbox routing writes on the writer connection only".into(),
            ))
        }
        okno_kernel::db::ConnRef::Postgres(c) => {
            let mut q = sqlx::query(&sql).bind(now);
            for id in event_ids {
                q = q.bind(id);
            }
            q.execute(&mut *c).await?;
        }
        okno_kernel::db::ConnRef::SqliteWriter(c) => {
            let mut args: Vec<&dyn okno_kernel::db::rusqlite::ToSql> = vec![&now];
            args.extend(
                event_ids
                    .iter()
                    .map(|id| id as &dyn okno_kernel::db::rusqlite::ToSql),
            );
            okno_kernel::db::sync_exec(c, &sql, &args)?;
        }
    }
    Ok(())
}

/// Creates the delivery of a message unless the same (event, channel, recipient) exists already.
pub async fn insert_delivery(
    tx: &mut Tx,
    event_id: &str,
    m: &Message,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO deliveries (id, event_id, channel, recipient, subject, body, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)
         ON CONFLICT (event_id, channel, recipient) DO NOTHING",
        okno_kernel::clock::new_id(),
        event_id,
        m.channel.as_str(),
        &m.to,
        &m.subject,
        &m.text,
        now
    )?;
    Ok(n == 1)
}

/// Takes up to `limit` due deliveries and leases them until `lease_until`, so no other worker sends
/// them meanwhile. A lease left by a crashed worker simply runs out.
pub async fn claim_due(
    tx: &mut Tx,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
         ORDER BY next_attempt_at LIMIT $2 {}",
        tx.dialect().for_update_skip_locked
    );
    let due = q_all!(tx, Delivery, &sql, now, limit)?;
    for d in &due {
        q_exec!(
            tx,
            "UPDATE deliveries SET locked_until = $1 WHERE id = $2",
            lease_until,
            &d.id
        )?;
    }
    Ok(due)
}

/// Journals an attempt and moves the delivery to its next state — if this worker's lease (claimed
/// until `lease_until`) still holds. Returns false when another worker took the delivery over.
#[allow(clippy::too_many_arguments)]
pub async fn finish_attempt(
    tx: &mut Tx,
    d: &Delivery,
    lease_until: i64,
    attempt: i64,
    started_at: i64,
    finished_at: i64,
    outcome: &str,
    detail: &str,
    status: Status,
    next_attempt_at: i64,
) -> Result<bool, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO delivery_attempts (id, delivery_id, attempt, started_at, finished_at, outcome, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        okno_kernel::clock::new_id(),
        &d.id,
        attempt,
        started_at,
        finished_at,
        outcome,
        detail
    )?;
    let sent_at = (status == Status::Sent).then_some(finished_at);
    let last_error = (status != Status::Sent).then_some(detail);
    let n = q_exec!(
        tx,
        "UPDATE deliveries SET status = $1, attempts = $2, next_attempt_at = $3, locked_until = NULL,
            sent_at = COALESCE($4, sent_at), last_error = $5
         WHERE id = $6 AND status = 'pending' AND locked_until = $7",
        status.as_str(),
        attempt,
        next_attempt_at,
        sent_at,
        last_error,
        &d.id,
        lease_until
    )?;
    Ok(n == 1)
}

/// Puts a message into the recipient's in-app inbox; idempotent by delivery id.
pub async fn insert_inbox(tx: &mut Tx, d: &Delivery, now: i64) -> Result<(), sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO inbox_messages (id, recipient, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
        &d.id,
        &d.recipient,
        &d.subject,
        &d.body,
        now
    )?;
    Ok(())
}

/// Filter of the delivery journal.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Option<Status>,
    pub channel: Option<String>,
    /// Show deliveries created before this one (cursor).
    pub before_id: Option<String>,
    pub limit: i64,
}

pub async fn list(c: &mut impl AsConn, f: &Filter) -> Result<Vec<Delivery>, sqlx::Error> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries
         WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR channel = $2) AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4"
    );
    q_all!(
        c,
        Delivery,
        &sql,
        f.status.map(|s| s.as_str()),
        f.channel.as_deref(),
        f.before_id.as_deref(),
        f.limit
    )
}

pub async fn get(c: &mut impl AsConn, id: &str) -> Result<Option<Delivery>, sqlx::Error> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1");
    q_opt!(c, Delivery, &sql, id)
}

pub async fn attempts(c: &mut impl AsConn, id: &str) -> Result<Vec<Attempt>, sqlx::Error> {
    q_all!(
        c,
        Attempt,
        "SELECT attempt, started_at, finished_at, outcome, detail FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt",
        id
    )
}

/// Puts a dead delivery back in the queue. False when it was not dead.
pub async fn requeue(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "UPDATE deliveries SET status = 'pending', next_attempt_at = $1, locked_until = NULL, budget_start = attempts
         WHERE id = $2 AND status = 'dead'",
        now,
        id
    )?;
    Ok(n == 1)
}

/// Work not yet done: events not routed and deliveries pending.
#[derive(
    Debug, Clone, Copy, Default, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema,
)]
pub struct Backlog {
    pub events: i64,
    pub deliveries: i64,
}

pub async fn backlog(c: &mut impl AsConn) -> Result<Backlog, sqlx::Error> {
    q_one!(
        c,
        Backlog,
        "SELECT (SELECT COUNT(*) FROM outbox WHERE routed_at IS NULL) AS events,
                (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS deliveries"
    )
}
