//! File storage of attachments: content-addressed files under the data directory
//! (`<data-dir>/files/ab/abcdef…`, named by their SHA-256, which is also stored with the record).
//!
//! The accepted types and size of uploads are one rule for every part (applications, appeals):
//! [`check_file`]. ARCHITECTURE §4 names `object_store`; this is the local filesystem case of it,
//! kept behind two functions so the backend can be swapped later.

use std::path::PathBuf;

use crate::error::{Error, Problem, Result};
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
        let tmp = dir.join(format!("{sha}.{}.tmp", crate::clock::new_id()));
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

/// The accepted attachment types, told from the content's first bytes, never from the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
}

/// The largest attachment accepted.
pub const MAX_FILE: usize = 5 * 1024 * 1024;

impl FileKind {
    /// Sniffs the content: `%PDF-`, JPEG's SOI marker `FF D8 FF`, PNG's 8-byte signature.
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileKind::Png)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
        }
    }
}

/// A file over [`MAX_FILE`].
pub fn too_large() -> Problem {
    Problem::new(413, "attachment.too_large", "Файл слишком большой")
        .with_detail("Файл больше 5 МБ. Уменьшите его (например, сохраните скан с меньшим разрешением) и приложите снова.")
}

/// Checks an upload: size, then type from the content.
pub fn check_file(bytes: &[u8]) -> Result<FileKind, Problem> {
    if bytes.len() > MAX_FILE {
        return Err(too_large());
    }
    if bytes.is_empty() {
        return Err(Problem::new(400, "attachment.empty", "Пустой файл")
            .with_detail("Файл пустой. Выберите другой файл."));
    }
    FileKind::sniff(bytes).ok_or_else(|| {
        Problem::new(415, "attachment.type", "Неподдерживаемый тип файла").with_detail(
            "Можно приложить только PDF, JPG или PNG. Содержимое этого файла не похоже ни на один из них, даже если так сказано в его имени.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_stored_once_by_content_and_checked_when_read() {
        let dir = std::env::temp_dir().join(format!("okno-files-{}", crate::clock::new_id()));
        let f = Files::new(&dir);
        let a = f.put(b"%PDF-1.4 one").await.unwrap();
        assert_eq!(f.put(b"%PDF-1.4 one").await.unwrap(), a);
        assert_eq!(f.get(&a).await.unwrap(), b"%PDF-1.4 one");
        std::fs::write(f.path(&a).unwrap(), b"changed").unwrap();
        assert!(f.get(&a).await.is_err());
        assert!(f.get("../../etc/passwd").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn attachments_are_told_by_content_not_name() {
        assert_eq!(check_file(b"%PDF-1.7\n").unwrap(), FileKind::Pdf);
        assert_eq!(
            check_file(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            FileKind::Jpeg
        );
        assert_eq!(check_file(b"\x89PNG\r\n\x1a\n....").unwrap(), FileKind::Png);
        assert_eq!(
            check_file(b"MZ\x90\x00").unwrap_err().code,
            "attachment.type"
        );
        assert_eq!(check_file(b"").unwrap_err().code, "attachment.empty");
        let big = vec![b'%'; MAX_FILE + 1];
        assert_eq!(check_file(&big).unwrap_err().code, "attachment.too_large");
    }
}
