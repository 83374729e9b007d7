//! SQL of the notify part, written once for both engines: claiming outbox events and due deliveries,
//! recording attempts, the in-app inbox and the journal queries.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::outbox::Event;
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};
use serde::Serialize;

use crate::model::{Message, Status, MASKED, REDACTED};

/// A delivery. From [`claim_due`] it carries the real text, to be sent; from the journal queries
/// ([`list`], [`get`]) the text of a sensitive delivery is never the real one: [`MASKED`] while it is
/// pending, [`REDACTED`] (what is stored) once it is sent or dead.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    /// The message text; for a sensitive delivery, a marker instead.
    pub text: String,
    /// The message carries a secret (a one-time code): its text is never shown, and it is replaced
    /// by a marker once the delivery is sent or dead.
    pub sensitive: bool,
    pub status: String,
    pub attempts: i64,
    /// Attempts made before the last manual retry.
    pub budget_start: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// A delivery as stored (booleans are integers in portable SQL).
#[derive(Debug, serde::Deserialize, sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    event_id: String,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    sensitive: i64,
    status: String,
    attempts: i64,
    budget_start: i64,
    next_attempt_at: i64,
    created_at: i64,
    sent_at: Option<i64>,
    last_error: Option<String>,
}

impl DeliveryRow {
    /// The delivery with its real text, for the dispatcher only.
    fn for_sending(self) -> Delivery {
        Delivery {
            id: self.id,
            event_id: self.event_id,
            channel: self.channel,
            recipient: self.recipient,
            subject: self.subject,
            text: self.body,
            sensitive: self.sensitive != 0,
            status: self.status,
            attempts: self.attempts,
            budget_start: self.budget_start,
            next_attempt_at: self.next_attempt_at,
            created_at: self.created_at,
            sent_at: self.sent_at,
            last_error: self.last_error,
        }
    }

    /// The delivery as the journal may show it: a sensitive text that is still stored (pending) is
    /// masked, and so is its subject.
    fn for_journal(self) -> Delivery {
        let mut d = self.for_sending();
        if d.sensitive {
            if d.text != REDACTED {
                d.text = MASKED.into();
            }
            if !d.subject.is_empty() && d.subject != REDACTED {
                d.subject = MASKED.into();
            }
        }
        d
    }
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

const DELIVERY_COLUMNS: &str = "id, event_id, channel, recipient, subject, body, sensitive, status, attempts, budget_start, next_attempt_at, created_at, sent_at, last_error";

/// Takes up to `limit` events not yet routed, urgent ones first, locking them against other nodes.
/// An event whose routing failed waits for its next attempt (the kernel's `route_after`).
pub async fn claim_events(tx: &mut Tx, limit: i64, now: i64) -> Result<Vec<Event>, sqlx::Error> {
    okno_kernel::outbox::claim_unrouted(tx, limit, now)
        .await
        .map_err(into_sqlx)
}

/// Takes one event again (to route it alone); false when another node routed it meanwhile.
pub async fn claim_event(tx: &mut Tx, id: &str) -> Result<bool, sqlx::Error> {
    okno_kernel::outbox::claim_unrouted_one(tx, id)
        .await
        .map_err(into_sqlx)
}

/// The kernel's error as this store's (its functions answer `sqlx::Error`).
fn into_sqlx(e: okno_kernel::Error) -> sqlx::Error {
    match e {
        okno_kernel::Error::Db(e) => e,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// An event that could not be routed, as the delivery journal shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoutingFailure {
    pub event_id: String,
    pub kind: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    /// Given up: the event is marked routed and no delivery was made of it.
    pub dead: bool,
    pub first_failed_at: i64,
    pub last_failed_at: i64,
    pub last_error: String,
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct RoutingFailureRow {
    event_id: String,
    kind: String,
    attempts: i64,
    next_attempt_at: i64,
    dead: i64,
    first_failed_at: i64,
    last_failed_at: i64,
    last_error: String,
}

/// Counts a failed routing of `event` and returns how many attempts have failed so far.
pub async fn record_routing_failure(
    tx: &mut Tx,
    event: &Event,
    error: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    q_scalar!(
        tx,
        i64,
        "INSERT INTO routing_failures (event_id, kind, attempts, next_attempt_at, dead, first_failed_at, last_failed_at, last_error)
         VALUES ($1, $2, 1, $3, 0, $3, $3, $4)
         ON CONFLICT (event_id) DO UPDATE SET attempts = routing_failures.attempts + 1,
             last_failed_at = excluded.last_failed_at, last_error = excluded.last_error
         RETURNING attempts",
        &event.id,
        &event.kind,
        now,
        error
    )
}

/// Sets when the failed event is tried again, or gives it up (`dead`).
pub async fn schedule_routing_retry(
    tx: &mut Tx,
    event_id: &str,
    next_attempt_at: i64,
    dead: bool,
) -> Result<(), sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE routing_failures SET next_attempt_at = $1, dead = $2 WHERE event_id = $3",
        next_attempt_at,
        i64::from(dead),
        event_id
    )?;
    okno_kernel::outbox::route_after(tx, event_id, next_attempt_at)
        .await
        .map_err(into_sqlx)?;
    Ok(())
}

/// Events that could not be routed, the latest failure first.
pub async fn routing_failures(
    c: &mut impl AsConn,
    limit: i64,
) -> Result<Vec<RoutingFailure>, sqlx::Error> {
    Ok(q_all!(
        c,
        RoutingFailureRow,
        "SELECT event_id, kind, attempts, next_attempt_at, dead, first_failed_at, last_failed_at, last_error
         FROM routing_failures ORDER BY last_failed_at DESC LIMIT $1",
        limit
    )?
    .into_iter()
    .map(|r| RoutingFailure {
        event_id: r.event_id,
        kind: r.kind,
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at,
        dead: r.dead != 0,
        first_failed_at: r.first_failed_at,
        last_failed_at: r.last_failed_at,
        last_error: r.last_error,
    })
    .collect())
}

/// Marks events routed, all in one statement.
pub async fn mark_routed(tx: &mut Tx, event_ids: &[String], now: i64) -> Result<(), sqlx::Error> {
    okno_kernel::outbox::mark_routed(tx, event_ids, now)
        .await
        .map_err(into_sqlx)
}

/// Creates the delivery of a message unless the same (event, channel, recipient) exists already.
/// A `sensitive` one (from a sensitive event) keeps its text only until it is sent or dead.
pub async fn insert_delivery(
    tx: &mut Tx,
    event_id: &str,
    m: &Message,
    sensitive: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO deliveries (id, event_id, channel, recipient, subject, body, sensitive, status, attempts, next_attempt_at, created_at, priority)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8, $9)
         ON CONFLICT (event_id, channel, recipient) DO NOTHING",
        okno_kernel::clock::new_id(),
        event_id,
        m.channel.as_str(),
        &m.to,
        &m.subject,
        &m.text,
        i64::from(sensitive),
        now,
        // A one-time code is sent before anything else waiting.
        i64::from(!sensitive)
    )?;
    Ok(n == 1)
}

/// Replaces the payload of a routed sensitive event by its redacted form, in the routing
/// transaction, so the outbox does not keep the clear text once the deliveries hold it.
pub async fn redact_event(tx: &mut Tx, event_id: &str, payload: &str) -> Result<(), sqlx::Error> {
    okno_kernel::outbox::replace_payload(tx, event_id, payload)
        .await
        .map_err(into_sqlx)
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
         ORDER BY priority, next_attempt_at LIMIT $2 {}",
        tx.dialect().for_update_skip_locked
    );
    let due: Vec<Delivery> = q_all!(tx, DeliveryRow, &sql, now, limit)?
        .into_iter()
        .map(DeliveryRow::for_sending)
        .collect();
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
///
/// When a sensitive delivery reaches a final state (sent or dead), its text and subject are replaced
/// by [`REDACTED`] by the same statement; the caller passes a `detail` already scrubbed of the code.
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
    let redact = (d.sensitive && status != Status::Pending).then_some(REDACTED);
    let n = q_exec!(
        tx,
        "UPDATE deliveries SET status = $1, attempts = $2, next_attempt_at = $3, locked_until = NULL,
            sent_at = COALESCE($4, sent_at), last_error = $5,
            body = COALESCE($8, body), subject = CASE WHEN subject = '' THEN subject ELSE COALESCE($8, subject) END
         WHERE id = $6 AND status = 'pending' AND locked_until = $7",
        status.as_str(),
        attempt,
        next_attempt_at,
        sent_at,
        last_error,
        &d.id,
        lease_until,
        redact
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
        &d.text,
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

/// The journal, newest first; sensitive texts masked (see [`Delivery`]).
pub async fn list(c: &mut impl AsConn, f: &Filter) -> Result<Vec<Delivery>, sqlx::Error> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries
         WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR channel = $2) AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4"
    );
    Ok(q_all!(
        c,
        DeliveryRow,
        &sql,
        f.status.map(|s| s.as_str()),
        f.channel.as_deref(),
        f.before_id.as_deref(),
        f.limit
    )?
    .into_iter()
    .map(DeliveryRow::for_journal)
    .collect())
}

/// Every delivery to any of `recipients` (one person's account id, phone and e-mail), oldest
/// first, as the journal shows them (sensitive texts masked); for the person's data export.
pub async fn to_recipients(
    c: &mut impl AsConn,
    recipients: &[&str],
) -> Result<Vec<Delivery>, sqlx::Error> {
    let mut out = Vec::new();
    for r in recipients {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE recipient = $1 ORDER BY id LIMIT 10000"
        );
        out.extend(
            q_all!(c, DeliveryRow, &sql, *r)?
                .into_iter()
                .map(DeliveryRow::for_journal),
        );
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// One delivery for the journal; a sensitive text masked (see [`Delivery`]).
pub async fn get(c: &mut impl AsConn, id: &str) -> Result<Option<Delivery>, sqlx::Error> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1");
    Ok(q_opt!(c, DeliveryRow, &sql, id)?.map(DeliveryRow::for_journal))
}

pub async fn attempts(c: &mut impl AsConn, id: &str) -> Result<Vec<Attempt>, sqlx::Error> {
    q_all!(
        c,
        Attempt,
        "SELECT attempt, started_at, finished_at, outcome, detail FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt",
        id
    )
}

/// Puts a dead delivery back in the queue. False when it was not dead, or is sensitive (its text is
/// gone).
pub async fn requeue(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "UPDATE deliveries SET status = 'pending', next_attempt_at = $1, locked_until = NULL, budget_start = attempts
         WHERE id = $2 AND status = 'dead' AND sensitive = 0",
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
    let events = okno_kernel::outbox::unrouted(c).await.map_err(into_sqlx)?;
    let deliveries = q_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'"
    )?;
    Ok(Backlog { events, deliveries })
}
