//! Signed checkpoints of the audit journal kept in the database (`audit_checkpoints`) and served to
//! outside witnesses: the worker that signs them, and the check of the chain against them.
//!
//! A checkpoint says «the chain up to record `seq` ends in `hash`», signed at `at` with the
//! installation's audit key. Whoever can write to the database can rewrite the chain consistently
//! (every later hash and the head) but cannot sign, so the stored checkpoints catch the rewrite;
//! and a witness who copied them (`GET /api/v1/audit/checkpoints`) catches it even when the
//! checkpoints table is rewritten too. The signature scheme is behind [`Signer`] and
//! [`Verifier`]: Ed25519 today, each checkpoint naming its algorithm, so a ГОСТ Р 34.10-2012
//! signer can be added beside it.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{Record, GENESIS};
use crate::db::Db;
use crate::error::Result;
use crate::{q_all, q_exec, q_one, q_opt};

/// Signs checkpoints with one key.
pub trait Signer: Send + Sync {
    /// The algorithm's name as stored with each checkpoint and covered by its signature: `ed25519`.
    fn algorithm(&self) -> &'static str;
    /// The public key that verifies the signatures, base64.
    fn public_key(&self) -> String;
    /// The signature of `message`, base64.
    fn sign(&self, message: &[u8]) -> String;
}

/// Verifies checkpoints signed with one key.
pub trait Verifier: Send + Sync {
    fn algorithm(&self) -> &'static str;
    /// The public key, base64, as checkpoints name it.
    fn public_key(&self) -> String;
    /// Whether `signature` (base64) is this key's signature of `message`.
    fn verify(&self, message: &[u8], signature: &str) -> bool;
}

/// The algorithm name of Ed25519 checkpoints.
pub const ED25519: &str = "ed25519";

impl Signer for ed25519_dalek::SigningKey {
    fn algorithm(&self) -> &'static str {
        ED25519
    }

    fn public_key(&self) -> String {
        B64.encode(self.verifying_key().as_bytes())
    }

    fn sign(&self, message: &[u8]) -> String {
        B64.encode(ed25519_dalek::Signer::sign(self, message).to_bytes())
    }
}

impl Verifier for ed25519_dalek::VerifyingKey {
    fn algorithm(&self) -> &'static str {
        ED25519
    }

    fn public_key(&self) -> String {
        B64.encode(self.as_bytes())
    }

    fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(bytes) = B64.decode(signature) else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else {
            return false;
        };
        self.verify_strict(message, &sig).is_ok()
    }
}

/// The keys whose checkpoints count: the current audit key and the retired ones the operator still
/// trusts. A checkpoint naming any other key vouches for nothing, whatever its signature.
pub struct TrustedKeys {
    keys: Vec<Box<dyn Verifier>>,
}

impl TrustedKeys {
    pub fn new(current: Box<dyn Verifier>, retired: Vec<Box<dyn Verifier>>) -> TrustedKeys {
        let mut keys = vec![current];
        keys.extend(retired);
        TrustedKeys { keys }
    }

    fn find(&self, algorithm: &str, public_key: &str) -> Option<&dyn Verifier> {
        self.keys
            .iter()
            .find(|k| k.algorithm() == algorithm && k.public_key() == public_key)
            .map(|k| k.as_ref())
    }
}

/// A stored checkpoint, as `GET /api/v1/audit/checkpoints` serves it and witnesses keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditCheckpoint {
    /// The number of the last record covered.
    pub seq: i64,
    /// That record's hash: the chain up to it ends in this hash.
    pub hash: String,
    /// When it was signed, milliseconds since 1970-01-01 UTC.
    pub at: i64,
    /// The signature algorithm: `ed25519`.
    pub algorithm: String,
    /// The signer's public key, base64.
    pub public_key: String,
    /// Base64 signature over `okno-audit-journal-checkpoint:v1:{algorithm}:{seq}:{hash}:{at}`.
    pub signature: String,
}

impl AuditCheckpoint {
    /// Signs «the chain up to `seq` ends in `hash`» now.
    pub fn sign(signer: &dyn Signer, seq: i64, hash: &str, at: i64) -> AuditCheckpoint {
        let mut cp = AuditCheckpoint {
            seq,
            hash: hash.to_string(),
            at,
            algorithm: signer.algorithm().to_string(),
            public_key: signer.public_key(),
            signature: String::new(),
        };
        cp.signature = signer.sign(cp.message().as_bytes());
        cp
    }

    /// The signed bytes. The prefix keeps them apart from an export's checkpoints
    /// (`okno-audit-checkpoint:v2:…`) and from any later version of this message.
    pub fn message(&self) -> String {
        format!(
            "okno-audit-journal-checkpoint:v1:{}:{}:{}:{}",
            self.algorithm, self.seq, self.hash, self.at
        )
    }

    /// Why the checkpoint is not one of a trusted key, if it is not.
    fn signature_fault(&self, keys: &TrustedKeys) -> Option<String> {
        match keys.find(&self.algorithm, &self.public_key) {
            None => Some(format!(
                "it is signed by an unknown key ({} {}): neither the current audit key nor one of --audit-retired-keys",
                self.algorithm, self.public_key
            )),
            Some(k) if !k.verify(self.message().as_bytes(), &self.signature) => {
                Some("its signature does not verify: the checkpoint was edited".into())
            }
            Some(_) => None,
        }
    }
}

/// When the worker signs a checkpoint: once `every_records` records were added since the last one,
/// or `every` after the last one when at least one record was added. Zero turns a trigger off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub every_records: i64,
    pub every: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            every_records: 1000,
            every: Duration::from_secs(600),
        }
    }
}

impl Policy {
    /// Whether a checkpoint is due with the chain at `head`, the last checkpoint at `last_seq`
    /// signed at `last_at` (the worker's start when there is none) and the time `now`.
    pub fn due(&self, head: i64, last_seq: i64, last_at: i64, now: i64) -> bool {
        let new = head - last_seq;
        if new <= 0 {
            return false;
        }
        (self.every_records > 0 && new >= self.every_records)
            || (!self.every.is_zero() && now - last_at >= self.every.as_millis() as i64)
    }

    /// Whether either trigger is on.
    pub fn enabled(&self) -> bool {
        self.every_records > 0 || !self.every.is_zero()
    }
}

/// What an attempt to sign a checkpoint did.
#[derive(Debug, PartialEq, Eq)]
pub enum Made {
    /// Signed and stored.
    Signed(AuditCheckpoint),
    /// Nothing was added since the checkpoint at this record (0: the journal is empty).
    NothingNew { seq: i64 },
    /// Another node stored a checkpoint of the same record first.
    Taken { seq: i64 },
    /// The records since the last checkpoint do not verify: nothing is signed over them.
    Refused { seq: i64, reason: String },
    /// Not due yet under the worker's policy.
    NotDue,
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: String,
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Last {
    seq: i64,
    hash: String,
    at: i64,
}

const PAGE: i64 = 5000;

/// Signs a checkpoint of the chain's head now, unless nothing was added since the last one.
pub async fn make(db: &Db, signer: &dyn Signer) -> Result<Made> {
    make_when(db, signer, None).await
}

/// Seals what waits, reads the head, and signs it when `due` allows (always when `None`). Before
/// signing, the records since the last checkpoint are checked: they must link onto it and hash as
/// stored, so the worker never vouches for a chain rewritten behind its back.
async fn make_when(db: &Db, signer: &dyn Signer, due: Option<(Policy, i64)>) -> Result<Made> {
    // On PostgreSQL records commit unlinked: seal first, so the head read is the whole journal.
    super::seal(db).await?;
    let mut c = db.read().await?;
    let head = q_one!(
        &mut c,
        Head,
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    )?;
    let last = q_opt!(
        &mut c,
        Last,
        "SELECT seq, hash, at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
    )?;
    let (last_seq, last_hash) = match &last {
        Some(l) => (l.seq, l.hash.clone()),
        None => (0, GENESIS.to_string()),
    };
    if head.seq <= last_seq {
        return Ok(Made::NothingNew { seq: last_seq });
    }
    if let Some((policy, started)) = due {
        let last_at = last.as_ref().map_or(started, |l| l.at);
        if !policy.due(head.seq, last_seq, last_at, crate::clock::now_ms()) {
            return Ok(Made::NotDue);
        }
    }
    if let Some(reason) = check_stretch(&mut c, last_seq, &last_hash, head.seq, &head.hash).await? {
        return Ok(Made::Refused {
            seq: head.seq,
            reason,
        });
    }
    drop(c);
    let cp = AuditCheckpoint::sign(signer, head.seq, &head.hash, crate::clock::now_ms());
    let mut tx = db.begin().await?;
    let n = q_exec!(
        &mut tx,
        "INSERT INTO audit_checkpoints (seq, hash, at, algorithm, public_key, signature)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (seq) DO NOTHING",
        cp.seq,
        &cp.hash,
        cp.at,
        &cp.algorithm,
        &cp.public_key,
        &cp.signature
    )?;
    tx.commit().await?;
    Ok(if n == 1 {
        Made::Signed(cp)
    } else {
        Made::Taken { seq: cp.seq }
    })
}

/// Checks that records `from_seq + 1 ..= to_seq` follow each other, link onto `from_hash` (which
/// record `from_seq` must still have) and hash as stored, ending in `to_hash`. Gives the fault.
async fn check_stretch(
    c: &mut crate::db::Conn,
    from_seq: i64,
    from_hash: &str,
    to_seq: i64,
    to_hash: &str,
) -> Result<Option<String>> {
    if from_seq > 0 {
        let stored = q_opt!(
            &mut *c,
            Head,
            "SELECT seq, hash FROM audit_log WHERE seq = $1",
            from_seq
        )?;
        if stored.map(|r| r.hash) != Some(from_hash.to_string()) {
            return Ok(Some(format!(
                "record {from_seq} no longer has the hash of the checkpoint signed over it"
            )));
        }
    }
    let (mut seq, mut prev) = (from_seq, from_hash.to_string());
    loop {
        let page = q_all!(
            &mut *c,
            Record,
            "SELECT * FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            seq,
            to_seq,
            PAGE
        )?;
        let done = (page.len() as i64) < PAGE;
        for r in page {
            if r.seq != seq + 1 {
                return Ok(Some(format!("record {} is missing", seq + 1)));
            }
            if r.prev_hash != prev || r.compute_hash() != r.hash {
                return Ok(Some(format!(
                    "record {} does not link or does not match its hash",
                    r.seq
                )));
            }
            (seq, prev) = (r.seq, r.hash);
        }
        if done {
            break;
        }
    }
    if seq != to_seq || prev != to_hash {
        return Ok(Some(format!(
            "the journal ends at record {seq}, not at the head's record {to_seq}"
        )));
    }
    Ok(None)
}

/// The checkpoint worker: every second, signs a checkpoint when the policy says one is due. Any
/// number of nodes may run it: a checkpoint is stored once per record (`seq` is the key).
pub async fn run_checkpointer(
    db: Db,
    signer: std::sync::Arc<dyn Signer>,
    policy: Policy,
    stop: tokio_util::sync::CancellationToken,
) {
    if !policy.enabled() {
        return;
    }
    let started = crate::clock::now_ms();
    loop {
        match make_when(&db, signer.as_ref(), Some((policy, started))).await {
            Ok(Made::Signed(cp)) => {
                tracing::info!(seq = cp.seq, "signed an audit checkpoint")
            }
            Ok(Made::Refused { seq, reason }) => tracing::error!(
                seq,
                reason = %reason,
                "the audit journal does not verify since the last checkpoint: no checkpoint signed; run okno audit verify"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "signing an audit checkpoint failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.cancelled() => break,
        }
    }
}

/// Stored checkpoints after record `after_seq`, oldest first, at most `limit`.
pub async fn list(db: &Db, after_seq: i64, limit: i64) -> Result<Vec<AuditCheckpoint>> {
    let mut c = db.read().await?;
    Ok(q_all!(
        &mut c,
        AuditCheckpoint,
        "SELECT * FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2",
        after_seq,
        limit
    )?)
}

/// What checking the journal against checkpoints found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every checkpoint is signed by a trusted key and matches its record.
    Anchored {
        /// Checkpoints in the database.
        stored: usize,
        /// Checkpoints of the witness's copy, when one was given.
        witnessed: usize,
        /// The newest record a checkpoint covers (0: none).
        last_seq: i64,
    },
    /// The first fault, English for the CLI and operators' logs; `seq` names the record.
    Broken { seq: i64, reason: String },
}

/// Checks every stored checkpoint — signed by a trusted key, and the record it covers still has
/// its hash — and then those of a witness's copy, which must also be in the database unchanged.
/// The hash chain itself is [`super::verify`]'s.
pub async fn verify(
    db: &Db,
    keys: &TrustedKeys,
    witness: Option<&[AuditCheckpoint]>,
) -> Result<Verdict> {
    let mut stored = Vec::new();
    loop {
        let after = stored.last().map_or(0, |c: &AuditCheckpoint| c.seq);
        let page = list(db, after, 1000).await?;
        let done = page.len() < 1000;
        stored.extend(page);
        if done {
            break;
        }
    }
    let mut c = db.read().await?;
    for cp in &stored {
        if let Some(fault) = check_one(&mut c, keys, cp, "in the database").await? {
            return Ok(fault);
        }
    }
    let mut witnessed = 0;
    let mut last_seq = stored.last().map_or(0, |c| c.seq);
    if let Some(w) = witness {
        let mut w: Vec<&AuditCheckpoint> = w.iter().collect();
        w.sort_by_key(|c| c.seq);
        for cp in w {
            if let Some(fault) = check_one(&mut c, keys, cp, "of the witness").await? {
                return Ok(fault);
            }
            match stored.binary_search_by_key(&cp.seq, |s| s.seq) {
                Err(_) => {
                    return Ok(Verdict::Broken {
                        seq: cp.seq,
                        reason: format!(
                            "checkpoint {} of the witness is missing from the database: its checkpoints were deleted",
                            cp.seq
                        ),
                    })
                }
                Ok(i) if stored[i] != *cp => {
                    return Ok(Verdict::Broken {
                        seq: cp.seq,
                        reason: format!(
                            "checkpoint {} of the witness differs from the database's: its checkpoints were rewritten",
                            cp.seq
                        ),
                    })
                }
                Ok(_) => {}
            }
            witnessed += 1;
            last_seq = last_seq.max(cp.seq);
        }
    }
    Ok(Verdict::Anchored {
        stored: stored.len(),
        witnessed,
        last_seq,
    })
}

async fn check_one(
    c: &mut crate::db::Conn,
    keys: &TrustedKeys,
    cp: &AuditCheckpoint,
    whose: &str,
) -> Result<Option<Verdict>> {
    let seq = cp.seq;
    if let Some(fault) = cp.signature_fault(keys) {
        return Ok(Some(Verdict::Broken {
            seq,
            reason: format!("checkpoint {seq} {whose}: {fault}"),
        }));
    }
    let record = q_opt!(
        &mut *c,
        Head,
        "SELECT seq, hash FROM audit_log WHERE seq = $1",
        seq
    )?;
    let signed = crate::clock::rfc3339(cp.at);
    Ok(match record {
        None => Some(Verdict::Broken {
            seq,
            reason: format!(
                "the journal has no record {seq}, which checkpoint {seq} {whose} (signed {signed}) covers: records were deleted"
            ),
        }),
        Some(r) if r.hash != cp.hash => Some(Verdict::Broken {
            seq,
            reason: format!(
                "record {seq} does not match checkpoint {seq} {whose} (signed {signed}): the journal up to it was rewritten after the checkpoint was signed (the record's hash is {}, the checkpoint's {})",
                r.hash, cp.hash
            ),
        }),
        Some(_) => None,
    })
}

/// Reads a witness's copy: the JSON array `GET /api/v1/audit/checkpoints` serves, several such
/// arrays one after another (pages saved into one file), or JSON Lines of checkpoints.
pub fn parse_witness(text: &str) -> std::result::Result<Vec<AuditCheckpoint>, String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item {
        Page(Vec<AuditCheckpoint>),
        One(AuditCheckpoint),
    }
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Item>();
    for (i, item) in stream.enumerate() {
        match item {
            Ok(Item::Page(p)) => out.extend(p),
            Ok(Item::One(c)) => out.push(c),
            Err(e) => {
                return Err(format!(
                "value {} is neither a checkpoint nor a list of checkpoints (line {}, column {})",
                i + 1,
                e.line(),
                e.column()
            ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[n; 32])
    }

    fn trusting(k: &ed25519_dalek::SigningKey) -> TrustedKeys {
        TrustedKeys::new(Box::new(k.verifying_key()), Vec::new())
    }

    #[test]
    fn an_audit_checkpoint_verifies_only_with_a_trusted_key_and_unchanged() {
        let (current, retired, stranger) = (key(1), key(2), key(3));
        let keys = TrustedKeys::new(
            Box::new(current.verifying_key()),
            vec![Box::new(retired.verifying_key())],
        );
        let cp = AuditCheckpoint::sign(&current, 7, "ab", 1000);
        assert_eq!(
            cp.message(),
            "okno-audit-journal-checkpoint:v1:ed25519:7:ab:1000"
        );
        assert_eq!(cp.signature_fault(&keys), None);
        let old = AuditCheckpoint::sign(&retired, 7, "ab", 1000);
        assert_eq!(
            old.signature_fault(&keys),
            None,
            "a retired key still counts"
        );
        let foreign = AuditCheckpoint::sign(&stranger, 7, "ab", 1000);
        assert!(foreign
            .signature_fault(&keys)
            .unwrap()
            .contains("unknown key"));
        for edit in [
            AuditCheckpoint {
                seq: 8,
                ..cp.clone()
            },
            AuditCheckpoint {
                hash: "cd".into(),
                ..cp.clone()
            },
            AuditCheckpoint {
                at: 1001,
                ..cp.clone()
            },
            AuditCheckpoint {
                signature: "AAAA".into(),
                ..cp.clone()
            },
        ] {
            assert!(edit
                .signature_fault(&keys)
                .unwrap()
                .contains("does not verify"));
        }
        // Another algorithm's name on an Ed25519 key is not that key.
        let renamed = AuditCheckpoint {
            algorithm: "gost2012".into(),
            ..cp
        };
        assert!(renamed
            .signature_fault(&keys)
            .unwrap()
            .contains("unknown key"));
    }

    #[test]
    fn an_audit_checkpoint_is_due_by_count_or_by_time_only_after_new_records() {
        let p = Policy {
            every_records: 10,
            every: Duration::from_secs(60),
        };
        assert!(!p.due(5, 5, 0, 1_000_000), "nothing new");
        assert!(p.due(15, 5, 1_000_000, 1_000_000), "ten new records");
        assert!(!p.due(14, 5, 1_000_000, 1_059_999));
        assert!(
            p.due(6, 5, 1_000_000, 1_060_000),
            "a minute with one new record"
        );
        let off = Policy {
            every_records: 0,
            every: Duration::ZERO,
        };
        assert!(!off.enabled() && !off.due(1000, 0, 0, i64::MAX));
    }

    #[test]
    fn a_witness_file_is_the_endpoints_json_its_pages_or_json_lines() {
        let a = AuditCheckpoint::sign(&key(1), 3, "aa", 1);
        let b = AuditCheckpoint::sign(&key(1), 9, "bb", 2);
        let one = serde_json::to_string(&vec![&a, &b]).unwrap();
        assert_eq!(parse_witness(&one).unwrap(), vec![a.clone(), b.clone()]);
        let pages = format!(
            "{}\n{}",
            serde_json::to_string(&vec![&a]).unwrap(),
            serde_json::to_string(&vec![&b]).unwrap()
        );
        assert_eq!(parse_witness(&pages).unwrap().len(), 2);
        let lines = format!(
            "{}\n{}\n",
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(parse_witness(&lines).unwrap(), vec![a, b]);
        assert!(parse_witness("{\"seq\": 1}")
            .unwrap_err()
            .contains("value 1"));
    }

    async fn record(db: &Db, n: i64) {
        let actor = crate::Actor::system("тест");
        let mut tx = db.begin().await.unwrap();
        super::super::append(
            &mut tx,
            super::super::Entry {
                actor: &actor,
                action: "test.thing.done",
                subject_type: "test",
                subject_id: &n.to_string(),
                details: serde_json::json!({ "n": n }),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn an_audit_checkpoint_is_signed_once_per_head_and_catches_a_rewritten_record() {
        for (db, _fresh) in crate::migrate::test_databases(
            "an_audit_checkpoint_is_signed_once_per_head_and_catches_a_rewritten_record",
        )
        .await
        {
            let k = key(1);
            assert_eq!(make(&db, &k).await.unwrap(), Made::NothingNew { seq: 0 });
            for n in 0..3 {
                record(&db, n).await;
            }
            let Made::Signed(cp) = make(&db, &k).await.unwrap() else {
                panic!("a checkpoint of record 3")
            };
            assert_eq!(cp.seq, 3);
            assert_eq!(make(&db, &k).await.unwrap(), Made::NothingNew { seq: 3 });
            assert_eq!(list(&db, 0, 10).await.unwrap(), vec![cp.clone()]);
            assert_eq!(
                verify(&db, &trusting(&k), Some(std::slice::from_ref(&cp)))
                    .await
                    .unwrap(),
                Verdict::Anchored {
                    stored: 1,
                    witnessed: 1,
                    last_seq: 3
                }
            );
            // Another key's installation trusts none of it.
            let Verdict::Broken { seq, reason } =
                verify(&db, &trusting(&key(2)), None).await.unwrap()
            else {
                panic!("an unknown key")
            };
            assert!(seq == 3 && reason.contains("unknown key"), "{reason}");

            // Record 2 changed and every hash after it recomputed: the checkpoint no longer matches,
            // and no new checkpoint is signed over the rewritten chain.
            let mut c = db.begin().await.unwrap();
            let mut records =
                q_all!(&mut c, Record, "SELECT * FROM audit_log ORDER BY seq").unwrap();
            let mut prev = GENESIS.to_string();
            for r in records.iter_mut() {
                if r.seq == 2 {
                    r.details = "{\"n\":99}".into();
                }
                r.prev_hash = prev;
                r.hash = r.compute_hash();
                prev = r.hash.clone();
                q_exec!(
                    &mut c,
                    "UPDATE audit_log SET details = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
                    &r.details,
                    &r.prev_hash,
                    &r.hash,
                    r.seq
                )
                .unwrap();
            }
            q_exec!(
                &mut c,
                "UPDATE audit_head SET hash = $1 WHERE id = 1",
                &prev
            )
            .unwrap();
            c.commit().await.unwrap();
            assert!(matches!(
                super::super::verify(&db).await.unwrap(),
                super::super::Verdict::Intact { .. }
            ));
            let Verdict::Broken { seq, reason } = verify(&db, &trusting(&k), None).await.unwrap()
            else {
                panic!("the rewrite is caught")
            };
            assert!(seq == 3 && reason.contains("rewritten"), "{reason}");
            record(&db, 3).await;
            assert!(matches!(
                make(&db, &k).await.unwrap(),
                Made::Refused { seq: 4, .. }
            ));
        }
    }
}
