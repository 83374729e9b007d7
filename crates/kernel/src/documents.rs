//! Documents the platform issues and signs: result documents of applications now, answers and
//! receipts later. Each is registered in `issued_documents` with the SHA-256 of its file and an
//! Ed25519 signature by the platform's document key, so the public page `/verify/{id}` can say
//! whether a document is genuine (the register holds it and the signature checks) and whether a
//! file someone holds is that document, unchanged (its SHA-256 is the registered one).
//!
//! The signature covers a canonical statement: the JSON array
//! `["okno-document:v1", id, kind, sha256, number, title, issuer, recipient, issued_at]`
//! (`issued_at` in UTC milliseconds, as a decimal string), so no field of the register can be
//! changed without breaking it.
//!
//! Keys rotate: each entry keeps the public key that signed it, and an entry is genuine when that
//! key is the current document key or one of the retired keys the operator still trusts
//! (`--document-retired-keys`); an entry naming any other key is not, whatever its signature. The
//! trusted keys come from the configuration, never from the database, so whoever can write the
//! register cannot vouch for their own key. ГОСТ Р 34.10-2012 signatures are a later
//! configuration; the statement stays the same.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, Verifier};
use serde::{Deserialize, Serialize};

use crate::db::{AsConn, Tx};
use crate::error::Result;
use crate::files::Files;
use crate::pii::Secrets;
use crate::{q_all, q_exec, q_opt};

/// What a part issues.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    /// `services.result`, …
    pub kind: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    /// «Результат предоставления услуги …».
    pub title: &'a str,
    /// The people-facing number it is about (заявление №).
    pub number: &'a str,
    /// The body that issued it.
    pub issuer: &'a str,
    /// Whom it was issued to, as the public page may show it ([`mask_name`]).
    pub recipient: &'a str,
}

/// A registered document.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct IssuedDocument {
    pub id: String,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub title: String,
    pub number: String,
    pub issuer: String,
    pub recipient: String,
    pub issued_at: i64,
    pub sha256: String,
    pub size: i64,
    /// Base64 Ed25519 signature of the statement.
    pub signature: String,
    /// Base64 public key that made it.
    pub public_key: String,
}

const COLS: &str = "id, kind, subject_type, subject_id, title, number, issuer, recipient, issued_at, sha256, size, signature, public_key";

fn statement(d: &IssuedDocument) -> Vec<u8> {
    serde_json::to_vec(&[
        "okno-document:v1",
        &d.id,
        &d.kind,
        &d.sha256,
        &d.number,
        &d.title,
        &d.issuer,
        &d.recipient,
        &d.issued_at.to_string(),
    ])
    .unwrap_or_default()
}

/// The public key that verifies this installation's new documents (base64).
pub fn public_key(secrets: &Secrets) -> String {
    B64.encode(secrets.document_signing_key().verifying_key().to_bytes())
}

/// The retired keys whose documents still check (base64).
pub fn retired_public_keys(secrets: &Secrets) -> Vec<String> {
    secrets
        .retired_document_keys()
        .iter()
        .map(|k| B64.encode(k.to_bytes()))
        .collect()
}

/// Stores the file, signs and registers it, in the caller's transaction. `id` is chosen by the
/// caller before the file is made, because the file carries its own verification link.
pub async fn issue(
    tx: &mut Tx,
    secrets: &Secrets,
    files: &Files,
    id: &str,
    d: &NewDocument<'_>,
    bytes: &[u8],
    issued_at: i64,
) -> Result<IssuedDocument> {
    let sha256 = files.put(bytes).await?;
    let key = secrets.document_signing_key();
    let mut doc = IssuedDocument {
        id: id.into(),
        kind: d.kind.into(),
        subject_type: d.subject_type.into(),
        subject_id: d.subject_id.into(),
        title: d.title.into(),
        number: d.number.into(),
        issuer: d.issuer.into(),
        recipient: d.recipient.into(),
        issued_at,
        sha256,
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        signature: String::new(),
        public_key: B64.encode(key.verifying_key().to_bytes()),
    };
    doc.signature = B64.encode(key.sign(&statement(&doc)).to_bytes());
    q_exec!(
        tx,
        &format!("INSERT INTO issued_documents ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"),
        &doc.id,
        &doc.kind,
        &doc.subject_type,
        &doc.subject_id,
        &doc.title,
        &doc.number,
        &doc.issuer,
        &doc.recipient,
        doc.issued_at,
        &doc.sha256,
        doc.size,
        &doc.signature,
        &doc.public_key
    )?;
    Ok(doc)
}

/// A registered document by its id.
pub async fn find(c: &mut impl AsConn, id: &str) -> Result<Option<IssuedDocument>> {
    Ok(q_opt!(
        c,
        IssuedDocument,
        &format!("SELECT {COLS} FROM issued_documents WHERE id = $1"),
        id
    )?)
}

/// The documents issued about one subject, oldest first.
pub async fn of_subject(
    c: &mut impl AsConn,
    subject_type: &str,
    subject_id: &str,
) -> Result<Vec<IssuedDocument>> {
    Ok(q_all!(
        c,
        IssuedDocument,
        &format!("SELECT {COLS} FROM issued_documents WHERE subject_type = $1 AND subject_id = $2 ORDER BY issued_at, id"),
        subject_type,
        subject_id
    )?)
}

/// Whether the register's entry is the platform's own: signed over exactly these fields by this
/// installation's document key or by a retired key it still trusts.
pub fn genuine(secrets: &Secrets, d: &IssuedDocument) -> bool {
    let current = secrets.document_signing_key().verifying_key();
    let Some(key) = std::iter::once(&current)
        .chain(secrets.retired_document_keys())
        .find(|k| B64.encode(k.to_bytes()) == d.public_key)
    else {
        return false;
    };
    let Ok(sig) = B64.decode(&d.signature) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&sig) else {
        return false;
    };
    key.verify(&statement(d), &sig).is_ok()
}

/// Whether the entry was signed by a retired key (it may still be genuine: see [`genuine`]).
pub fn signed_by_retired_key(secrets: &Secrets, d: &IssuedDocument) -> bool {
    secrets
        .retired_document_keys()
        .iter()
        .any(|k| B64.encode(k.to_bytes()) == d.public_key)
}

/// Whether `bytes` are the registered document, unchanged.
pub fn matches(d: &IssuedDocument, bytes: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes)) == d.sha256
}

/// A name as a public page may show it: the first word in full, the others as initials
/// («Кузнецова Вера Павловна» → «Кузнецова В. П.», «Анна Смирнова» → «Анна С.»): enough for the
/// holder of a document to see it is theirs, too little to learn a stranger's name.
pub fn mask_name(full: &str) -> String {
    let mut parts = full.split_whitespace();
    let Some(surname) = parts.next() else {
        return String::new();
    };
    let mut out = surname.to_string();
    for p in parts {
        if let Some(c) = p.chars().next() {
            out.push(' ');
            out.extend(c.to_uppercase());
            out.push('.');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(secrets: &Secrets) -> IssuedDocument {
        let key = secrets.document_signing_key();
        let mut d = IssuedDocument {
            id: "0193-doc".into(),
            kind: "services.result".into(),
            subject_type: "application".into(),
            subject_id: "app-1".into(),
            title: "Справка о наличии (отсутствии) судимости".into(),
            number: "2026-000001".into(),
            issuer: "МВД России".into(),
            recipient: "Кузнецова В. П.".into(),
            issued_at: 1_798_731_000_000,
            sha256: "ab".repeat(32),
            size: 1000,
            signature: String::new(),
            public_key: B64.encode(key.verifying_key().to_bytes()),
        };
        d.signature = B64.encode(key.sign(&statement(&d)).to_bytes());
        d
    }

    #[test]
    fn a_signed_entry_is_genuine_and_any_changed_field_is_not() {
        let s = Secrets::from_master(&[9; 32]);
        let d = doc(&s);
        assert!(genuine(&s, &d));
        let mut changed = d.clone();
        changed.recipient = "Иванов И. И.".into();
        assert!(!genuine(&s, &changed));
        let mut changed = d.clone();
        changed.sha256 = "cd".repeat(32);
        assert!(!genuine(&s, &changed));
        let mut changed = d.clone();
        changed.issued_at += 1;
        assert!(!genuine(&s, &changed));
        // Another installation's key does not vouch for this one's documents.
        assert!(!genuine(&Secrets::from_master(&[8; 32]), &d));
    }

    #[test]
    fn after_a_rotation_documents_of_a_retired_key_check_only_while_it_is_trusted() {
        let old = Secrets::from_master(&[9; 32]);
        let d = doc(&old);
        let new_seed = [5u8; 32];
        let retired = old.document_signing_key().verifying_key();
        let rotated =
            Secrets::from_master(&[9; 32]).with_document_keys(Some(new_seed), vec![retired]);
        assert_ne!(
            public_key(&rotated),
            public_key(&old),
            "new documents get the new key"
        );
        assert!(genuine(&rotated, &d), "the retired key is still trusted");
        assert!(signed_by_retired_key(&rotated, &d) && !signed_by_retired_key(&old, &d));
        assert_eq!(retired_public_keys(&rotated), vec![d.public_key.clone()]);
        let mut changed = d.clone();
        changed.title = "Другой документ".into();
        assert!(!genuine(&rotated, &changed), "and still checks every field");
        let dropped = Secrets::from_master(&[9; 32]).with_document_keys(Some(new_seed), vec![]);
        assert!(
            !genuine(&dropped, &d),
            "a key no longer listed vouches for nothing"
        );
        // Listing the current key as retired changes nothing.
        let same = Secrets::from_master(&[9; 32]).with_document_keys(None, vec![retired]);
        assert!(retired_public_keys(&same).is_empty() && genuine(&same, &d));
    }

    #[test]
    fn an_entry_naming_an_untrusted_key_is_not_genuine_even_if_its_signature_checks() {
        let platform = Secrets::from_master(&[9; 32]);
        // A forger signs the statement with a key of their own and writes its public key in.
        let forger = Secrets::from_master(&[1; 32]);
        let forged = doc(&forger);
        assert!(genuine(&forger, &forged));
        assert!(!genuine(&platform, &forged));
    }

    #[test]
    fn the_document_key_is_not_the_audit_key() {
        let s = Secrets::from_master(&[9; 32]);
        assert_ne!(
            s.document_signing_key().verifying_key(),
            s.audit_signing_key().verifying_key()
        );
    }

    #[test]
    fn a_file_matches_only_when_its_bytes_are_the_registered_ones() {
        use sha2::{Digest, Sha256};
        let s = Secrets::from_master(&[9; 32]);
        let mut d = doc(&s);
        d.sha256 = hex::encode(Sha256::digest(b"%PDF-1.7 result"));
        assert!(matches(&d, b"%PDF-1.7 result"));
        assert!(!matches(&d, b"%PDF-1.7 resulT"));
    }

    #[test]
    fn public_pages_show_initials_only() {
        assert_eq!(mask_name("Кузнецова Вера Павловна"), "Кузнецова В. П.");
        assert_eq!(mask_name("  Сидоров  Пётр "), "Сидоров П.");
        assert_eq!(mask_name("ООО"), "ООО");
        assert_eq!(mask_name(""), "");
    }
}
