//! The transactional outbox: a use case enqueues events in its own transaction, so an event exists
//! exactly when the change it announces was committed. The notify part's dispatcher turns events
//! into deliveries; other parts react to them too, each as a named consumer that takes an event
//! exactly once ([`unconsumed`], then [`consume`] in the transaction that acts on it).

use serde::Serialize;

use crate::db::{AsConn, Tx};
use crate::error::Result;
use crate::{q_all, q_exec};

/// How far before its newest taken event a consumer looks again: an event is stamped when it is
/// enqueued and becomes visible when its transaction commits, a moment later and not always in
/// stamp order. Transactions are bounded by the request timeout, far below this.
pub const CONSUMER_LOOKBACK_MS: i64 = 10 * 60_000;

/// An event as stored in the outbox.
#[derive(Debug, Clone, serde::Deserialize, sqlx::FromRow)]
pub struct Event {
    pub id: String,
    pub created_at: i64,
    /// `part.subject.verb`, e.g. `notify.message`.
    pub kind: String,
    /// JSON text.
    pub payload: String,
}

/// Which events a worker takes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Someone is waiting for it right now (a one-time code): taken before any other.
    Urgent = 0,
    Normal = 1,
}

/// Enqueues an event in the use case's transaction; it is written when the transaction commits
/// and exists exactly if the transaction did. Returns the event's id.
pub async fn enqueue(tx: &mut Tx, kind: &str, payload: &impl Serialize) -> Result<String> {
    enqueue_with(tx, kind, payload, Priority::Normal).await
}

/// Like [`enqueue`], with a priority: urgent events are routed before the normal ones waiting.
pub async fn enqueue_with(
    tx: &mut Tx,
    kind: &str,
    payload: &impl Serialize,
    priority: Priority,
) -> Result<String> {
    let id = crate::clock::new_id();
    tx.journal.outbox.push(crate::journal::PendingEvent {
        id: id.clone(),
        created_at: crate::clock::now_ms(),
        kind: kind.to_string(),
        payload: serde_json::to_string(payload)?,
        priority: priority as i64,
    });
    Ok(id)
}

/// Events of `kind` the consumer has not taken yet, oldest first (at most `limit`).
pub async fn unconsumed(
    c: &mut impl AsConn,
    consumer: &str,
    kind: &str,
    limit: i64,
) -> Result<Vec<Event>> {
    Ok(q_all!(
        c,
        Event,
        "SELECT o.id, o.created_at, o.kind, o.payload FROM outbox o
         WHERE o.kind = $1
           AND o.created_at >= COALESCE((SELECT w.created_at FROM outbox_watermarks w WHERE w.consumer = $2), 0) - $3
           AND NOT EXISTS (SELECT 1 FROM outbox_consumed t WHERE t.consumer = $2 AND t.event_id = o.id)
         ORDER BY o.created_at, o.id LIMIT $4",
        kind,
        consumer,
        CONSUMER_LOOKBACK_MS,
        limit
    )?)
}

/// Marks the event taken by the consumer, in the transaction that acts on it. False when it was
/// taken already (another node was first): the caller then does nothing with it.
pub async fn consume(tx: &mut Tx, consumer: &str, event: &Event) -> Result<bool> {
    let n = q_exec!(
        tx,
        "INSERT INTO outbox_consumed (consumer, event_id, consumed_at) VALUES ($1, $2, $3)
         ON CONFLICT (consumer, event_id) DO NOTHING",
        consumer,
        &event.id,
        crate::clock::now_ms()
    )?;
    if n == 0 {
        return Ok(false);
    }
    q_exec!(
        tx,
        "INSERT INTO outbox_watermarks (consumer, created_at) VALUES ($1, $2)
         ON CONFLICT (consumer) DO UPDATE SET created_at = CASE
             WHEN outbox_watermarks.created_at > excluded.created_at THEN outbox_watermarks.created_at
             ELSE excluded.created_at END",
        consumer,
        event.created_at
    )?;
    Ok(true)
}

// --- routing: the notify dispatcher takes events through these, never through SQL -------------

/// Takes up to `limit` events not yet routed and not waiting for a retry, urgent ones first,
/// locking them against other nodes (in the routing transaction).
pub async fn claim_unrouted(tx: &mut Tx, limit: i64, now: i64) -> Result<Vec<Event>> {
    let sql = format!(
        "SELECT id, created_at, kind, payload FROM outbox
          WHERE routed_at IS NULL AND (route_after IS NULL OR route_after <= $1)
          ORDER BY priority, created_at LIMIT $2 {}",
        tx.dialect().for_update_skip_locked
    );
    Ok(q_all!(tx, Event, &sql, now, limit)?)
}

/// Takes one event again (to route it alone); false when another node routed it meanwhile.
pub async fn claim_unrouted_one(tx: &mut Tx, id: &str) -> Result<bool> {
    let sql = format!(
        "SELECT id FROM outbox WHERE id = $1 AND routed_at IS NULL {}",
        tx.dialect().for_update_skip_locked
    );
    Ok(crate::q_opt!(tx, (String,), &sql, id)?.is_some())
}

/// The event is not claimed again before `at` (its routing failed; the dispatcher backs off).
pub async fn route_after(tx: &mut Tx, id: &str, at: i64) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE outbox SET route_after = $1 WHERE id = $2",
        at,
        id
    )?;
    Ok(())
}

/// Marks events routed, all in one statement.
pub async fn mark_routed(tx: &mut Tx, event_ids: &[String], now: i64) -> Result<()> {
    if event_ids.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = (2..event_ids.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!(
        "UPDATE outbox SET routed_at = $1 WHERE id IN ({})",
        list.join(", ")
    );
    match crate::db::AsConn::as_conn(tx) {
        // A transaction on SQLite is always the writer connection.
        crate::db::ConnRef::Sqlite(_) => {
            return Err(sqlx::Error::Protocol(
                "outbox routing writes on the writer connection only".into(),
            )
            .into())
        }
        crate::db::ConnRef::Postgres(c) => {
            let mut q = sqlx::query(&sql).bind(now);
            for id in event_ids {
                q = q.bind(id);
            }
            q.execute(&mut *c)
                .await
                .map_err(crate::error::Error::from)?;
        }
        crate::db::ConnRef::SqliteWriter(c) => {
            let mut args: Vec<&dyn crate::db::rusqlite::ToSql> = vec![&now];
            args.extend(
                event_ids
                    .iter()
                    .map(|id| id as &dyn crate::db::rusqlite::ToSql),
            );
            crate::db::sync_exec(c, &sql, &args)?;
        }
    }
    Ok(())
}

/// Replaces an event's payload (the consumer keeps a redacted form once it holds the clear text
/// elsewhere), in the consumer's transaction.
pub async fn replace_payload(tx: &mut Tx, id: &str, payload: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE outbox SET payload = $1 WHERE id = $2",
        payload,
        id
    )?;
    Ok(())
}

/// An event by its id as stored, with its priority (for tools and tests that look at it).
pub async fn find(c: &mut impl AsConn, id: &str) -> Result<Option<(Event, Priority)>> {
    #[derive(serde::Deserialize, sqlx::FromRow)]
    struct Row {
        id: String,
        created_at: i64,
        kind: String,
        payload: String,
        priority: i64,
    }
    let row = crate::q_opt!(
        c,
        Row,
        "SELECT id, created_at, kind, payload, priority FROM outbox WHERE id = $1",
        id
    )?;
    Ok(row.map(|r| {
        let priority = if r.priority == Priority::Urgent as i64 {
            Priority::Urgent
        } else {
            Priority::Normal
        };
        let event = Event {
            id: r.id,
            created_at: r.created_at,
            kind: r.kind,
            payload: r.payload,
        };
        (event, priority)
    }))
}

/// How many events wait to be routed.
pub async fn unrouted(c: &mut impl AsConn) -> Result<i64> {
    Ok(crate::q_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM outbox WHERE routed_at IS NULL"
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    async fn event(db: &Db, kind: &str, n: i64) {
        let mut tx = db.begin().await.unwrap();
        enqueue(&mut tx, kind, &serde_json::json!({ "n": n }))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_consumer_takes_each_event_of_its_kind_once_and_others_keep_theirs() {
        for (db, _fresh) in crate::migrate::test_databases(
            "a_consumer_takes_each_event_of_its_kind_once_and_others_keep_theirs",
        )
        .await
        {
            for n in 0..3 {
                event(&db, "a.thing.done", n).await;
            }
            event(&db, "b.other.done", 9).await;
            let mut c = db.read().await.unwrap();
            let seen = unconsumed(&mut c, "x", "a.thing.done", 10).await.unwrap();
            drop(c);
            assert_eq!(seen.len(), 3);
            let mut tx = db.begin().await.unwrap();
            assert!(consume(&mut tx, "x", &seen[0]).await.unwrap());
            assert!(
                !consume(&mut tx, "x", &seen[0]).await.unwrap(),
                "taken once"
            );
            assert!(consume(&mut tx, "x", &seen[1]).await.unwrap());
            tx.commit().await.unwrap();
            let mut c = db.read().await.unwrap();
            let left = unconsumed(&mut c, "x", "a.thing.done", 10).await.unwrap();
            assert_eq!(
                left.iter().map(|e| &e.id).collect::<Vec<_>>(),
                [&seen[2].id]
            );
            // Another consumer has its own account of what it took.
            assert_eq!(
                unconsumed(&mut c, "y", "a.thing.done", 10)
                    .await
                    .unwrap()
                    .len(),
                3
            );
            drop(c);
            // A rolled-back take leaves the event to be taken again.
            let mut tx = db.begin().await.unwrap();
            assert!(consume(&mut tx, "x", &seen[2]).await.unwrap());
            drop(tx);
            let mut c = db.read().await.unwrap();
            assert_eq!(
                unconsumed(&mut c, "x", "a.thing.done", 10)
                    .await
                    .unwrap()
                    .len(),
                1
            );
        }
    }
}
