//! The append-only, hash-chained audit journal: every use case appends a record in its own
//! transaction; `verify` recomputes the chain; `export` writes JSON Lines with Ed25519-signed
//! checkpoints that `verify_export` checks offline with only the public key.
//!
//! Each record's hash covers its number, a digest of its content and the previous record's hash, so
//! changing, deleting or reordering any record breaks every link after it. Records are written
//! when their transaction commits (see `journal.rs`): on SQLite they are linked onto the head
//! (`audit_head`, one row) right there; on PostgreSQL they commit into `audit_pending` and the
//! sealer ([`run_sealer`], [`seal`]) links them in batches right after, under the head's row lock.
//! Signed checkpoints of the chain are kept in the database and served to witnesses
//! ([`checkpoints`]).

pub mod checkpoints;

use std::io::{BufRead, Write};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::actor::{Actor, ActorKind};
use crate::db::{Db, Tx};
use crate::error::{Problem, Result};
use crate::{q_all, q_one, q_opt};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a use case records.
#[derive(Debug)]
pub struct Entry<'a> {
    pub actor: &'a Actor,
    /// What happened, `part.subject.verb`: `directory.agency.created`.
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    /// What changed. Never personal data in clear: ids and field names, not passport numbers.
    pub details: serde_json::Value,
}

pub use crate::journal::{link_hash, Record};

fn kind_name(k: ActorKind) -> &'static str {
    match k {
        ActorKind::Anonymous => "anonymous",
        ActorKind::System => "system",
        ActorKind::Account => "account",
        ActorKind::Token => "token",
    }
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct SeqRange {
    first: Option<i64>,
    last: Option<i64>,
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: String,
}

/// Adds a record to the journal of the use case's transaction. It is hashed onto the chain and
/// written when the transaction commits, in the same transaction as the change it records.
pub async fn append(tx: &mut Tx, e: Entry<'_>) -> Result<()> {
    tx.journal.audit.push(Record {
        seq: 0,
        id: crate::clock::new_id(),
        at: crate::clock::now_ms(),
        actor_kind: kind_name(e.actor.kind).into(),
        actor_id: e.actor.id.clone(),
        actor_name: e.actor.name.clone(),
        on_behalf_of_id: e.actor.on_behalf_of.as_ref().map(|p| p.id.clone()),
        on_behalf_of_name: e.actor.on_behalf_of.as_ref().map(|p| p.name.clone()),
        action: e.action.into(),
        subject_type: e.subject_type.into(),
        subject_id: e.subject_id.into(),
        details: e.details.to_string(),
        request_id: crate::ctx::request_id(),
        prev_hash: String::new(),
        hash: String::new(),
    });
    Ok(())
}

/// Records linked per sealing transaction.
const SEAL_BATCH: i64 = 1000;

/// Links every committed record still waiting for its place in the chain (PostgreSQL; a no-op on
/// SQLite, which links at commit). Readers of the journal call it first, so what they read is the
/// whole journal up to now. Returns how many records it linked.
pub async fn seal(db: &Db) -> Result<usize> {
    Ok(crate::journal::seal(db, SEAL_BATCH).await?)
}

/// How many committed records wait for their link (`/metrics`).
pub async fn unsealed(db: &Db) -> Result<i64> {
    let mut c = db.read().await?;
    Ok(crate::q_scalar!(
        &mut c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_pending"
    )?)
}

/// The sealer worker: seals after every audited commit of this node (woken at once) and every
/// second (records of other nodes, or left over by a crash), and once more when stopped. Any
/// number of nodes may run it.
pub async fn run_sealer(db: Db, stop: tokio_util::sync::CancellationToken) {
    loop {
        if let Err(e) = seal(&db).await {
            tracing::warn!(error = %e, "sealing audit records failed; retrying");
        }
        tokio::select! {
            _ = crate::journal::SEALER.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            _ = stop.cancelled() => break,
        }
    }
    if let Err(e) = seal(&db).await {
        tracing::warn!(error = %e, "sealing audit records at shutdown failed; the next start seals them");
    }
}

/// How the chain is broken at the first bad record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// A record is missing from the sequence.
    Missing,
    /// A record does not link to the one before it.
    Unlinked,
    /// A record's content does not match its hash.
    Changed,
    /// Records at the end were deleted.
    TailDeleted,
}

impl BreakKind {
    /// Russian wording for pages and problems.
    pub fn title(self) -> &'static str {
        match self {
            BreakKind::Missing => "запись удалена",
            BreakKind::Unlinked => {
                "запись не ссылается на предыдущую (записи переставлены или заменены)"
            }
            BreakKind::Changed => "содержимое записи изменено",
            BreakKind::TailDeleted => "удалены последние записи журнала",
        }
    }
}

/// The result of checking the journal in the database.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        count: i64,
        last_hash: String,
    },
    /// `reason` is English for operators' logs and the CLI; `kind` says it in Russian for pages.
    Broken {
        seq: i64,
        kind: BreakKind,
        reason: String,
    },
}

const PAGE: i64 = 5000;

/// Seals what waits, then recomputes the whole chain and names the first broken record.
pub async fn verify(db: &Db) -> Result<Verdict> {
    seal(db).await?;
    let mut c = db.read().await?;
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_string();
    loop {
        let page = q_all!(
            &mut c,
            Record,
            "SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
            expected_seq,
            PAGE
        )?;
        let done = (page.len() as i64) < PAGE;
        for r in page {
            if r.seq != expected_seq {
                return Ok(Verdict::Broken {
                    kind: BreakKind::Missing,
                    seq: expected_seq,
                    reason: format!(
                        "record {expected_seq} is missing (deleted); the next present is {}",
                        r.seq
                    ),
                });
            }
            if r.prev_hash != prev {
                return Ok(Verdict::Broken {
                kind: BreakKind::Unlinked,
                    seq: r.seq,
                    reason: format!(
                        "record {} ({}) does not link to the record before it (reordered or a record before it was replaced)",
                        r.seq, r.id
                    ),
                });
            }
            if r.compute_hash() != r.hash {
                return Ok(Verdict::Broken {
                    kind: BreakKind::Changed,
                    seq: r.seq,
                    reason: format!(
                        "record {} ({}) was changed: its hash does not match its content",
                        r.seq, r.id
                    ),
                });
            }
            prev = r.hash;
            expected_seq += 1;
        }
        if done {
            break;
        }
    }
    let head = q_opt!(
        &mut c,
        Head,
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    )?
    .ok_or_else(|| crate::error::Error::internal("audit_head row is missing"))?;
    let count = expected_seq - 1;
    if head.seq != count || head.hash != prev {
        return Ok(Verdict::Broken {
                kind: BreakKind::TailDeleted,
            seq: count + 1,
            reason: format!(
                "the journal ends at record {count}, but its head says {}: records after {count} were deleted",
                head.seq
            ),
        });
    }
    Ok(Verdict::Intact {
        count,
        last_hash: prev,
    })
}

/// A page of records for the auditor's API, newest first (sealed first, so none is left out).
pub async fn list(
    db: &Db,
    actor: &Actor,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<Record>> {
    actor.require(crate::actor::Permission::AuditRead)?;
    seal(db).await?;
    let before = before_seq.unwrap_or(i64::MAX);
    let mut c = db.read().await?;
    Ok(q_all!(
        &mut c,
        Record,
        "SELECT * FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
        before,
        limit.clamp(1, 500)
    )?)
}

/// The records about one subject or made by it as the actor (`subject_id` is then its id), oldest
/// first, at most `limit`. No permission is checked here: the caller answers for the reader being
/// the subject itself (a person downloading the data held about them).
pub async fn records_about(
    db: &Db,
    subject_type: &str,
    subject_id: &str,
    limit: i64,
) -> Result<Vec<Record>> {
    seal(db).await?;
    let mut c = db.read().await?;
    Ok(q_all!(
        &mut c,
        Record,
        "SELECT * FROM audit_log WHERE (subject_type = $1 AND subject_id = $2) OR actor_id = $2 ORDER BY seq LIMIT $3",
        subject_type,
        subject_id,
        limit
    )?)
}

/// A line of an export file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExportLine {
    Header(ExportHeader),
    Record(Record),
    Checkpoint(Checkpoint),
}

/// The first line of an export: what was asked for and where the chain starts. Every checkpoint
/// signs the SHA-256 of this line, so it cannot be edited.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportHeader {
    pub format: String,
    /// Requested period, milliseconds, `[from, to)`.
    pub from: i64,
    pub to: i64,
    pub exported_at: i64,
    /// The number of the first record in the file (0 when there is none).
    pub first_seq: i64,
    /// The hash the first record links to (the record before the period).
    pub anchor_hash: String,
}

/// A signed statement «the chain up to record `seq` ends in `hash`, and this file so far holds
/// `count` records after the header whose SHA-256 is `header_sha256`».
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    /// Records in the file up to here.
    pub count: i64,
    /// The last checkpoint of the file: nothing may follow it.
    #[serde(rename = "final")]
    pub is_final: bool,
    pub header_sha256: String,
    /// Base64 of the 32-byte Ed25519 public key that signed.
    pub public_key: String,
    /// Base64 of the Ed25519 signature over [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// The signed bytes.
    pub fn message(&self) -> String {
        format!(
            "okno-audit-checkpoint:v2:{}:{}:{}:{}:{}:{}",
            self.seq, self.hash, self.at, self.count, self.is_final, self.header_sha256
        )
    }
}

/// How many records between signed checkpoints in an export.
pub const CHECKPOINT_EVERY: usize = 1000;

const EXPORT_FORMAT: &str = "okno-audit-export/2";

/// Writes the records of the period `[from, to)` (milliseconds; the contiguous run from the first
/// to the last record whose time is in it) as JSON Lines: a header,
/// the records, a signed checkpoint every [`CHECKPOINT_EVERY`] records and a final signed one.
/// Returns the record count.
pub async fn export(
    db: &Db,
    actor: &Actor,
    from: i64,
    to: i64,
    key: &SigningKey,
    out: &mut impl Write,
) -> Result<i64> {
    actor.require(crate::actor::Permission::AuditExport)?;
    seal(db).await?;
    let io = |e: std::io::Error| crate::error::Error::internal(format!("writing the export: {e}"));
    let mut c = db.read().await?;
    // Records get their number at commit but their time when the use case ran, so under concurrent
    // writes time is not quite monotonic in `seq`. The export takes the contiguous run from the first
    // to the last record of the period, so it is always a verifiable piece of the chain.
    let range = q_one!(
        &mut c,
        SeqRange,
        "SELECT CAST(MIN(seq) AS BIGINT) AS first, CAST(MAX(seq) AS BIGINT) AS last FROM audit_log WHERE at >= $1 AND at < $2",
        from,
        to
    )?;
    let (first_seq, last_seq) = (range.first.unwrap_or(1), range.last.unwrap_or(0));
    const FETCH: &str =
        "SELECT * FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3";
    let mut page = q_all!(&mut c, Record, FETCH, first_seq - 1, last_seq, PAGE)?;
    let header = ExportHeader {
        format: EXPORT_FORMAT.into(),
        from,
        to,
        exported_at: crate::clock::now_ms(),
        first_seq: page.first().map(|r| r.seq).unwrap_or(0),
        anchor_hash: page
            .first()
            .map(|r| r.prev_hash.clone())
            .unwrap_or_default(),
    };
    let header_line = serde_json::to_string(&ExportLine::Header(header))?;
    let header_sha256 = hex::encode(Sha256::digest(header_line.as_bytes()));
    out.write_all(header_line.as_bytes()).map_err(io)?;
    out.write_all(b"\n").map_err(io)?;
    let signer = CheckpointSigner {
        key,
        public_key: B64.encode(key.verifying_key().as_bytes()),
        header_sha256,
    };
    let mut count = 0i64;
    let mut since_checkpoint = 0usize;
    let mut last: Option<(i64, String)> = None;
    loop {
        let done = (page.len() as i64) < PAGE;
        for r in page {
            last = Some((r.seq, r.hash.clone()));
            out.write_all(serde_json::to_string(&ExportLine::Record(r))?.as_bytes())
                .map_err(io)?;
            out.write_all(b"\n").map_err(io)?;
            count += 1;
            since_checkpoint += 1;
            if since_checkpoint == CHECKPOINT_EVERY {
                if let Some((seq, hash)) = &last {
                    signer.write(out, *seq, hash, count, false)?;
                }
                since_checkpoint = 0;
            }
        }
        if done {
            break;
        }
        let after = last.as_ref().map(|(s, _)| *s).unwrap_or(0);
        page = q_all!(&mut c, Record, FETCH, after, last_seq, PAGE)?;
    }
    let (seq, hash) = last.unwrap_or((0, String::new()));
    signer.write(out, seq, &hash, count, true)?;
    out.flush().map_err(io)?;
    Ok(count)
}

struct CheckpointSigner<'a> {
    key: &'a SigningKey,
    public_key: String,
    header_sha256: String,
}

impl CheckpointSigner<'_> {
    fn write(
        &self,
        out: &mut impl Write,
        seq: i64,
        hash: &str,
        count: i64,
        is_final: bool,
    ) -> Result<()> {
        let mut cp = Checkpoint {
            seq,
            hash: hash.to_string(),
            at: crate::clock::now_ms(),
            count,
            is_final,
            header_sha256: self.header_sha256.clone(),
            public_key: self.public_key.clone(),
            signature: String::new(),
        };
        cp.signature = B64.encode(self.key.sign(cp.message().as_bytes()).to_bytes());
        let line = serde_json::to_string(&ExportLine::Checkpoint(cp))? + "\n";
        out.write_all(line.as_bytes())
            .map_err(|e| crate::error::Error::internal(format!("writing the export: {e}")))
    }
}

/// What an offline check of an export found.
#[derive(Debug, PartialEq, Eq)]
pub struct ExportVerdict {
    pub records: i64,
    pub checkpoints: i64,
}

/// Parses a base64 Ed25519 public key (32 bytes).
pub fn parse_public_key(b64: &str) -> Result<VerifyingKey, String> {
    let bytes = B64
        .decode(b64.trim())
        .map_err(|e| format!("the public key is not base64: {e}"))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "the public key must be 32 bytes".to_string())?;
    VerifyingKey::from_bytes(&arr).map_err(|e| format!("not an Ed25519 public key: {e}"))
}

/// Checks an export file offline: the header, every record's hash and link, that the first record
/// is the one the header names, that checkpoints signed with `key` cover every record and the
/// header, and that the file ends with the final checkpoint. The error names the line.
pub fn verify_export(
    input: impl BufRead,
    key: &VerifyingKey,
) -> std::result::Result<ExportVerdict, String> {
    let mut reading = ExportReading::default();
    for (i, line) in input.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| format!("line {n}: cannot read: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        if reading.finished {
            return Err(format!("line {n}: nothing may follow the final checkpoint"));
        }
        let parsed: ExportLine = serde_json::from_str(&line)
            .map_err(|e| format!("line {n}: not an export line: {e}"))?;
        match parsed {
            ExportLine::Header(h) => reading.header(n, h, &line)?,
            ExportLine::Record(r) => reading.record(n, r)?,
            ExportLine::Checkpoint(cp) => reading.checkpoint(n, &cp, key)?,
        }
    }
    reading.end()
}

/// What [`verify_export`] has read so far.
#[derive(Default)]
struct ExportReading {
    /// The header and the SHA-256 of its line, which checkpoints sign.
    header: Option<(ExportHeader, String)>,
    /// The last record's sequence number and hash.
    prev: Option<(i64, String)>,
    records: i64,
    checkpoints: i64,
    /// The line of the first record not yet covered by a checkpoint.
    unsigned_since: Option<usize>,
    finished: bool,
}

impl ExportReading {
    fn header(&mut self, n: usize, h: ExportHeader, line: &str) -> std::result::Result<(), String> {
        if self.header.is_some() || n != 1 {
            return Err(format!("line {n}: a header may only be the first line"));
        }
        if h.format != EXPORT_FORMAT {
            return Err(format!("line {n}: unknown format {}", h.format));
        }
        self.header = Some((h, hex::encode(Sha256::digest(line.as_bytes()))));
        Ok(())
    }

    fn record(&mut self, n: usize, r: Record) -> std::result::Result<(), String> {
        let Some((h, _)) = &self.header else {
            return Err(format!("line {n}: the file does not start with a header"));
        };
        if r.compute_hash() != r.hash {
            return Err(format!(
                "line {n}: record {} was changed: its hash does not match its content",
                r.seq
            ));
        }
        match &self.prev {
            Some((pseq, _)) if r.seq != pseq + 1 => {
                return Err(format!(
                    "line {n}: record {} follows record {pseq}: records are missing or reordered",
                    r.seq
                ));
            }
            Some((pseq, phash)) if &r.prev_hash != phash => {
                return Err(format!(
                    "line {n}: record {} does not link to record {pseq}",
                    r.seq
                ));
            }
            None if r.seq != h.first_seq || r.prev_hash != h.anchor_hash => {
                return Err(format!("line {n}: record {} is not the first record the header names ({}): records at the start are missing", r.seq, h.first_seq));
            }
            _ => {}
        }
        self.prev = Some((r.seq, r.hash));
        self.records += 1;
        self.unsigned_since.get_or_insert(n);
        Ok(())
    }

    fn checkpoint(
        &mut self,
        n: usize,
        cp: &Checkpoint,
        key: &VerifyingKey,
    ) -> std::result::Result<(), String> {
        let Some((_, header_sha)) = &self.header else {
            return Err(format!("line {n}: the file does not start with a header"));
        };
        if self.unsigned_since.is_none() && !cp.is_final {
            return Err(format!("line {n}: a checkpoint with no records before it"));
        }
        let (pseq, phash) = self.prev.clone().unwrap_or((0, String::new()));
        if cp.seq != pseq || cp.hash != phash || cp.count != self.records {
            return Err(format!(
                "line {n}: the checkpoint does not cover the records before it (up to {pseq})"
            ));
        }
        if &cp.header_sha256 != header_sha {
            return Err(format!(
                "line {n}: the checkpoint was signed for another header: the header was changed"
            ));
        }
        let sig_bytes = B64
            .decode(&cp.signature)
            .map_err(|_| format!("line {n}: the signature is not base64"))?;
        let sig = Signature::from_slice(&sig_bytes)
            .map_err(|_| format!("line {n}: the signature is malformed"))?;
        key.verify(cp.message().as_bytes(), &sig).map_err(|_| {
            format!(
                "line {n}: the checkpoint's signature does not verify with the given public key"
            )
        })?;
        self.checkpoints += 1;
        self.unsigned_since = None;
        self.finished = cp.is_final;
        Ok(())
    }

    fn end(self) -> std::result::Result<ExportVerdict, String> {
        if self.header.is_none() {
            return Err("the file is empty or has no header".into());
        }
        if let Some(line) = self.unsigned_since {
            return Err(format!("records from line {line} on are not covered by a signed checkpoint (the file was cut or extended)"));
        }
        if !self.finished {
            return Err(
                "the file does not end with the final signed checkpoint: it was cut".into(),
            );
        }
        Ok(ExportVerdict {
            records: self.records,
            checkpoints: self.checkpoints,
        })
    }
}

/// Turns a verdict into a problem for the API.
pub fn broken_problem(seq: i64, kind: BreakKind) -> Problem {
    Problem::new(409, "audit.chain_broken", "Цепочка журнала аудита нарушена")
        .with_detail(format!("Запись {seq}: {}.", kind.title()))
}
