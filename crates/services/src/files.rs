//! File storage of attachments: content-addressed files under the data directory
//! (`<data-dir>/files/ab/abcdef…`, named by their SHA-256, which is also stored with the record).
//!
//! The kernel has no file storage yet (ARCHITECTURE §4 names `object_store`); this is the local
//! filesystem case of it, kept behind two functions so the backend can be swapped later.

use std::path::PathBuf;

use okno_kernel::error::{Error, Result};
use sha2::{Digest, Sha256};

/// Where attachment files live.
#[derive(Debug, Clone)]
pub struct Files {
    dir: PathBuf,
}

impl Files {
    pub fn new(dir: impl Into<PathBuf>) -> Files {
        Files { dir: dir.into() }
    }

    fn path(&self, sha256: &str) -> Result<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::internal("attachment hash is not SHA-256 hex"));
        }
        Ok(self.dir.join(&sha256[..2]).join(sha256))
    }

    /// Stores `bytes` (once per content) and gives their SHA-256 in hex. Written to a temporary
    /// name and renamed, so a reader never sees half a file.
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.path(&sha)?;
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(sha);
        }
        let dir = path
            .parent()
            .ok_or_else(|| Error::internal("attachment path has no parent"))?;
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| Error::internal(format!("creating the files directory: {e}")))?;
        let tmp = dir.join(format!("{sha}.{}.tmp", okno_kernel::clock::new_id()));
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| Error::internal(format!("writing an attachment: {e}")))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| Error::internal(format!("storing an attachment: {e}")))?;
        Ok(sha)
    }

    /// Reads a stored file back and checks it against its hash.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        let bytes = tokio::fs::read(self.path(sha256)?)
            .await
            .map_err(|e| Error::internal(format!("reading an attachment: {e}")))?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(Error::internal(
                "a stored attachment does not match its SHA-256",
            ));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_stored_once_by_content_and_checked_when_read() {
        let dir = std::env::temp_dir().join(format!("okno-files-{}", okno_kernel::clock::new_id()));
        let f = Files::new(&dir);
        let a = f.put(b"%PDF-1.4 one").await.unwrap();
        assert_eq!(f.put(b"%PDF-1.4 one").await.unwrap(), a);
        assert_eq!(f.get(&a).await.unwrap(), b"%PDF-1.4 one");
        std::fs::write(f.path(&a).unwrap(), b"changed").unwrap();
        assert!(f.get(&a).await.is_err());
        assert!(f.get("../../etc/passwd").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
