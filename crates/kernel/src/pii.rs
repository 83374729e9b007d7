//! Personal data at rest: AES-256-GCM encryption of fields (passport, СНИЛС, ИНН, card tokens) and
//! a keyed HMAC-SHA-256 index so a record can be found by the value without storing it in clear.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The platform's secrets, all derived from one 32-byte master key. `Debug` shows nothing.
#[derive(Clone)]
pub struct Secrets {
    enc: Aes256Gcm,
    index_key: [u8; 32],
    csrf_key: [u8; 32],
    audit_seed: [u8; 32],
    document_seed: [u8; 32],
    /// Public keys of earlier document keys: what they signed still checks.
    retired_document_keys: Vec<ed25519_dalek::VerifyingKey>,
    demo_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(***)")
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(b"okno-key-derivation:v1:");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A stored ciphertext that could not be opened (wrong key or tampered).
#[derive(Debug, thiserror::Error)]
#[error("encrypted field cannot be decrypted (wrong key or tampered data)")]
pub struct DecryptError;

impl Secrets {
    pub fn from_master(master: &[u8; 32]) -> Secrets {
        let enc_key = derive(master, "pii-encryption");
        Secrets {
            enc: Aes256Gcm::new(&enc_key.into()),
            index_key: derive(master, "pii-index"),
            csrf_key: derive(master, "csrf"),
            audit_seed: derive(master, "audit-signing"),
            document_seed: derive(master, "document-signing"),
            retired_document_keys: Vec::new(),
            demo_key: derive(master, "demo-credentials"),
        }
    }

    /// Rotates the document key: `seed` (when given) signs from now on instead of the key derived
    /// from the master secret, and documents signed by the `retired` public keys stay genuine.
    pub fn with_document_keys(
        mut self,
        seed: Option<[u8; 32]>,
        retired: Vec<ed25519_dalek::VerifyingKey>,
    ) -> Secrets {
        if let Some(seed) = seed {
            self.document_seed = seed;
        }
        let current = self.document_signing_key().verifying_key();
        self.retired_document_keys = retired.into_iter().filter(|k| *k != current).collect();
        self
    }

    /// Parses a master key given as base64 (standard, padded or not) of 32 bytes.
    pub fn from_base64(s: &str) -> Result<Secrets, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .or_else(|_| B64.decode(s.trim()))
            .map_err(|_| "the secret key is not base64".to_string())?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 32 bytes (44 base64 characters)".to_string())?;
        Ok(Secrets::from_master(&arr))
    }

    /// A fresh random master key as base64.
    pub fn generate_base64() -> String {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        base64::engine::general_purpose::STANDARD.encode(k)
    }

    /// Encrypts `plain`; the result is `v1.` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .enc
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("v1.{}", B64.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, DecryptError> {
        let body = stored.strip_prefix("v1.").ok_or(DecryptError)?;
        let raw = B64.decode(body).map_err(|_| DecryptError)?;
        if raw.len() < 12 + 16 {
            return Err(DecryptError);
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self
            .enc
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }

    /// The search index of a value of a kind (`snils`, `passport`, …): hex HMAC-SHA-256.
    pub fn index(&self, kind: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("any key length");
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The key that signs CSRF tokens and cookies.
    pub fn csrf_key(&self) -> &[u8; 32] {
        &self.csrf_key
    }

    /// A secret for a demo credential, stable for this installation and unguessable without its key.
    pub fn demo_secret(&self, label: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.demo_key).expect("any key length");
        mac.update(label.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..12])
    }

    /// The Ed25519 key that signs audit checkpoints, unless one is configured separately.
    pub fn audit_signing_key(&self) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&self.audit_seed)
    }

    /// The Ed25519 key that signs the documents the platform issues (a key of its own, so an
    /// audit key handed to a regulator's tools never signs documents).
    pub fn document_signing_key(&self) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&self.document_seed)
    }

    /// The public keys of earlier document keys that are still trusted.
    pub fn retired_document_keys(&self) -> &[ed25519_dalek::VerifyingKey] {
        &self.retired_document_keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_fields_round_trip_and_do_not_repeat() {
        let s = Secrets::from_master(&[7; 32]);
        let a = s.encrypt("4508 123456");
        let b = s.encrypt("4508 123456");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("123456"));
        assert_eq!(s.decrypt(&a).unwrap(), "4508 123456");
    }

    #[test]
    fn a_tampered_ciphertext_or_a_wrong_key_is_refused() {
        let s = Secrets::from_master(&[7; 32]);
        // Flip one bit of the ciphertext itself (replacing a base64 character could leave it as
        // it was, one time in 64).
        let stored = s.encrypt("112-233-445 95");
        let mut raw = B64.decode(stored.strip_prefix("v1.").unwrap()).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = format!("v1.{}", B64.encode(raw));
        assert!(s.decrypt(&tampered).is_err());
        let other = Secrets::from_master(&[8; 32]);
        assert!(other.decrypt(&s.encrypt("x")).is_err());
    }

    #[test]
    fn the_index_is_stable_per_key_and_kind() {
        let s = Secrets::from_master(&[7; 32]);
        assert_eq!(
            s.index("snils", "11223344595"),
            s.index("snils", "11223344595")
        );
        assert_ne!(
            s.index("snils", "11223344595"),
            s.index("inn", "11223344595")
        );
        assert_ne!(
            s.index("snils", "1"),
            Secrets::from_master(&[9; 32]).index("snils", "1")
        );
    }

    #[test]
    fn debug_shows_no_key() {
        assert_eq!(
            format!("{:?}", Secrets::from_master(&[1; 32])),
            "Secrets(***)"
        );
    }
}
