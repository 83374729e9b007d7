//! The transactional outbox: a use case enqueues events in its own transaction, so an event exists
//! exactly when the change it announces was committed. The notify part's dispatcher turns events
//! into deliveries; other parts may react to them too.

use serde::Serialize;

use crate::db::Tx;
use crate::error::Result;

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

/// Enqueues an event in the use case's transaction; it is written when the transaction commits
/// and exists exactly if the transaction did. Returns the event's id.
pub async fn enqueue(tx: &mut Tx, kind: &str, payload: &impl Serialize) -> Result<String> {
    let id = crate::clock::new_id();
    tx.journal.outbox.push(crate::journal::PendingEvent {
        id: id.clone(),
        created_at: crate::clock::now_ms(),
        kind: kind.to_string(),
        payload: serde_json::to_string(payload)?,
    });
    Ok(id)
}
