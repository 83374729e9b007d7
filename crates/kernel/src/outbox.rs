//! The transactional outbox: a use case enqueues events in its own transaction, so an event exists
//! exactly when the change it announces was committed. The notify part's dispatcher turns events
//! into deliveries; other parts may react to them too.

use serde::Serialize;

use crate::db::Tx;
use crate::error::Result;
use crate::q_exec;

/// An event as stored in the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: String,
    pub created_at: i64,
    /// `part.subject.verb`, e.g. `notify.message`.
    pub kind: String,
    /// JSON text.
    pub payload: String,
}

/// Enqueues an event inside the use case's transaction; returns its id.
pub async fn enqueue(tx: &mut Tx, kind: &str, payload: &impl Serialize) -> Result<String> {
    let id = crate::clock::new_id();
    let payload = serde_json::to_string(payload)?;
    q_exec!(
        tx,
        "INSERT INTO outbox (id, created_at, kind, payload) VALUES ($1, $2, $3, $4)",
        &id,
        crate::clock::now_ms(),
        kind,
        &payload
    )?;
    Ok(id)
}
