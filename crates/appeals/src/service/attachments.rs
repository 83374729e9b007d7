//! Files of an appeal: attaching (size, type and name checked, stored by hash) and reading one
//! back by whoever may see the appeal.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::Tx;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::files::{self, Files};
use okno_kernel::Platform;

use crate::model::{self, Status};
use crate::store;

use super::access::{get, is_author, load, require_official};
use super::base::not_found;
use super::views::{status_of, FileView};

/// Attaches a photo or a document (the same rules as applications: PDF, JPG or PNG up to 5 MB,
/// told by content). The author attaches to the appeal until it is closed; an official of the
/// body attaches to one of the body's answers (`message`).
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    p: &Platform,
    files: &Files,
    actor: &Actor,
    id: &str,
    message: Option<&str>,
    file_name: &str,
    bytes: &[u8],
) -> Result<FileView> {
    let a = load(&p.db, id).await?;
    let status = status_of(&a)?;
    if message.is_some() {
        require_official(&p.db, actor, &a).await?;
        let mut c = p.db.read().await?;
        let ok = store::messages(&mut c, id).await?.iter().any(|m| {
            Some(m.id.as_str()) == message && m.kind != "comment" && m.body_code == a.body_code
        });
        if !ok {
            return Err(Problem::invalid_field(
                "message",
                "appeal.message_unknown",
                "Такого ответа у обращения нет.",
            )
            .into());
        }
    } else if !is_author(actor, &a) {
        return Err(not_found());
    }
    if matches!(status, Status::Closed | Status::Rejected) {
        return Err(model::Refusal::new(
            "appeal.closed",
            format!(
                "Обращение в статусе «{}»: файлы больше не добавляются.",
                status.title()
            ),
        )
        .into());
    }
    let kind = files::check_file(bytes)?;
    let sha = files.put(bytes).await?;
    let now = now_ms();
    let row = file_row(
        &a.id,
        message,
        actor,
        file_name,
        kind.mime(),
        bytes.len(),
        sha,
        now,
    );
    let mut tx = p.db.begin().await?;
    insert_file_audited(&mut tx, actor, &row).await?;
    tx.commit().await?;
    Ok(FileView {
        id: row.id,
        message_id: row.message_id,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        created_at: rfc3339(now),
    })
}

/// A file name as it may be stored and shown: no control characters or path separators, at most
/// 200 characters, «файл» when nothing is left.
pub(super) fn clean_file_name(name: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    if name.trim().is_empty() {
        "файл".to_string()
    } else {
        name
    }
}

/// The register row of a stored file.
#[allow(clippy::too_many_arguments)]
pub(super) fn file_row(
    appeal: &str,
    message: Option<&str>,
    actor: &Actor,
    file_name: &str,
    mime: &str,
    size: usize,
    sha256: String,
    now: i64,
) -> store::FileRow {
    store::FileRow {
        id: new_id(),
        appeal_id: appeal.to_string(),
        message_id: message.map(str::to_string),
        file_name: clean_file_name(file_name),
        content_type: mime.into(),
        size_bytes: size as i64,
        sha256,
        uploaded_by: actor.id.clone().unwrap_or_default(),
        created_at: now,
    }
}

pub(super) async fn insert_file_audited(
    tx: &mut Tx,
    actor: &Actor,
    row: &store::FileRow,
) -> Result<()> {
    store::insert_file(tx, row).await?;
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "appeals.file.added",
            subject_type: "appeal",
            subject_id: &row.appeal_id,
            details: serde_json::json!({ "file": row.id, "sha256": row.sha256, "size": row.size_bytes, "message": row.message_id }),
        },
    )
    .await?;
    Ok(())
}

/// A file of an appeal, for whoever may see the appeal.
pub async fn file_of(
    p: &Platform,
    files: &Files,
    actor: &Actor,
    id: &str,
    file_id: &str,
) -> Result<(FileView, Vec<u8>)> {
    let v = get(p, actor, id).await?;
    let f = v
        .files
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or_else(|| Error::from(Problem::not_found("Файл не найден.")))?;
    let bytes = files.get(&f.sha256).await?;
    Ok((f, bytes))
}
