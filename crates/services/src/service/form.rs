//! The form of a draft: saving what the person typed, attaching files and reading them back.

use std::collections::BTreeMap;

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::files::{self, Files};
use okno_kernel::Platform;
use serde_json::Value;

use crate::form::Form;
use crate::model::{self, Status};
use crate::store::{self, AppRow};

use super::access::{check_applicant, get, load};
use super::applicants::own_account;
use super::base::not_found_app;
use super::catalogue::{service_view, ServiceView};
use super::views::{status_of, view, ApplicationView, AttachmentView};

fn editable(status: Status) -> Result<()> {
    if matches!(status, Status::Draft | Status::NeedsInfo) {
        Ok(())
    } else {
        Err(model::Refusal::new(
            "application.not_editable",
            format!("Заявление в статусе «{}» изменить нельзя.", status.title()),
        )
        .into())
    }
}

pub(super) async fn form_of(db: &Db, a: &AppRow) -> Result<(ServiceView, Form)> {
    let mut c = db.read().await?;
    let s = service_view(
        store::service(&mut c, &a.service_code, Some(a.version))
            .await?
            .ok_or_else(|| Error::internal("application of a missing service version"))?,
    )?;
    let f = s.form.clone();
    Ok((s, f))
}

/// Saves what the person typed so far (the draft, or corrections while clarification is asked).
/// Nothing is required yet; only unknown fields are dropped and lengths capped.
pub async fn save(
    p: &Platform,
    actor: &Actor,
    id: &str,
    raw: BTreeMap<String, Value>,
) -> Result<ApplicationView> {
    let a = load(&p.db, id).await?;
    check_applicant(&p.db, actor, &a).await?;
    editable(status_of(&a)?)?;
    let (_, form) = form_of(&p.db, &a).await?;
    let values = form.normalise(&raw).map_err(Problem::invalid_fields)?;
    let mut tx = p.db.begin().await?;
    let mut a = store::application(&mut tx, id)
        .await?
        .ok_or_else(not_found_app)?;
    let expected = a.status.clone();
    editable(status_of(&a)?)?;
    a.data_enc = p.secrets.encrypt(&serde_json::to_string(&values)?);
    a.updated_at = now_ms();
    store::update_application(&mut tx, &a, &expected).await?;
    tx.commit().await?;
    view(p, a).await
}

/// Attaches a file to a file field of the form. The type comes from the content.
pub async fn attach(
    p: &Platform,
    files: &Files,
    actor: &Actor,
    id: &str,
    field: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<AttachmentView> {
    let a = load(&p.db, id).await?;
    check_applicant(&p.db, actor, &a).await?;
    let status = status_of(&a)?;
    editable(status)?;
    let (_, form) = form_of(&p.db, &a).await?;
    if form
        .field(field)
        .is_none_or(|f| f.kind != crate::form::FieldKind::File)
    {
        return Err(Problem::invalid_field(
            "field",
            "attachment.field",
            "В форме нет поля для файла с таким именем.",
        )
        .into());
    }
    let kind = files::check_file(bytes)?;
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    let name = if name.trim().is_empty() {
        "файл".to_string()
    } else {
        name
    };
    let sha = files.put(bytes).await?;
    let now = now_ms();
    let row = store::AttachmentRow {
        id: new_id(),
        application_id: a.id.clone(),
        field: field.into(),
        file_name: name,
        content_type: kind.mime().into(),
        size_bytes: bytes.len() as i64,
        sha256: sha,
        added_in: status.as_str().into(),
        uploaded_by: own_account(actor)?.into(),
        created_at: now,
    };
    let mut tx = p.db.begin().await?;
    let current = store::application(&mut tx, id)
        .await?
        .ok_or_else(not_found_app)?;
    editable(status_of(&current)?)?;
    store::insert_attachment(&mut tx, &row).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.attachment.added",
            subject_type: "application",
            subject_id: &a.id,
            details: serde_json::json!({ "attachment": row.id, "field": field, "sha256": row.sha256, "size": row.size_bytes }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(AttachmentView {
        id: row.id,
        field: row.field,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        added_in: row.added_in,
        created_at: rfc3339(now),
    })
}

/// A file of an application, for its applicant or an official of its agency.
pub async fn attachment(
    p: &Platform,
    files: &Files,
    actor: &Actor,
    id: &str,
    attachment_id: &str,
) -> Result<(AttachmentView, Vec<u8>)> {
    let v = get(p, actor, id).await?;
    let f = v
        .attachments
        .into_iter()
        .find(|f| f.id == attachment_id)
        .ok_or_else(|| Error::from(Problem::not_found("Файл не найден.")))?;
    let bytes = files.get(&f.sha256).await?;
    Ok((f, bytes))
}
