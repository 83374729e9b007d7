//! The journal's entries as a transaction holds them until commit: audit records and outbox
//! events. Below both the database handle (which carries them) and the journal (which writes them).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sqlx;

/// A stored record of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Record {
    pub seq: i64,
    pub id: String,
    /// Milliseconds since the epoch, UTC.
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub on_behalf_of_id: Option<String>,
    pub on_behalf_of_name: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    /// JSON text exactly as hashed.
    pub details: String,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Record {
    /// SHA-256 (hex) of the record's content: every field but `seq`, `prev_hash` and `hash`, as a
    /// canonical JSON array in a fixed order.
    pub fn content_digest(&self) -> String {
        let canonical = serde_json::json!([
            "okno-audit-v2",
            self.id,
            self.at,
            self.actor_kind,
            self.actor_id,
            self.actor_name,
            self.on_behalf_of_id,
            self.on_behalf_of_name,
            self.action,
            self.subject_type,
            self.subject_id,
            self.details,
            self.request_id,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }

    /// The record's hash: `sha256_hex("{prev_hash}:{seq}:{content_digest}")`, so the number, the
    /// content and the link to the previous record are all covered. PostgreSQL computes the same
    /// expression in SQL when it appends (see `journal.rs`).
    pub fn compute_hash(&self) -> String {
        link_hash(&self.prev_hash, self.seq, &self.content_digest())
    }
}

/// `sha256_hex("{prev}:{seq}:{digest}")`.
pub fn link_hash(prev: &str, seq: i64, digest: &str) -> String {
    hex::encode(Sha256::digest(format!("{prev}:{seq}:{digest}").as_bytes()))
}

/// An outbox event waiting for commit.
#[derive(Debug)]
pub(crate) struct PendingEvent {
    pub id: String,
    pub created_at: i64,
    pub kind: String,
    pub payload: String,
    /// 0 goes before 1 (see `outbox::Priority`).
    pub priority: i64,
}

/// Journal entries of an open transaction.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// Records whose `seq`, `prev_hash` and `hash` are set at flush.
    pub audit: Vec<Record>,
    pub outbox: Vec<PendingEvent>,
}
