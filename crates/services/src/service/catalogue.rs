//! The catalogue: services as published, and publishing a new version of a service's form.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::outbox;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::form::Form;
use crate::model::{ApplicantKind, FeeAt};
use crate::store::{self, ServiceRow};

use super::base::not_found_service;

/// A service as the catalogue shows it, with its current form.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    pub code: String,
    pub title: String,
    pub summary: String,
    pub agency_code: String,
    pub agency_name: String,
    /// The agency's IANA time zone: deadlines are counted in it.
    pub time_zone: String,
    /// State fee in kopecks; none when free.
    pub fee_kopecks: Option<i64>,
    pub fee_at: FeeAt,
    pub deadline_working_days: i64,
    /// Account level needed: `simplified`, `standard`, `confirmed`.
    pub level_required: String,
    pub documents: Vec<String>,
    pub applicants: Vec<ApplicantKind>,
    pub version: i64,
    pub form: Form,
}

pub(super) fn service_view(r: ServiceRow) -> Result<ServiceView> {
    let form_json: Value = serde_json::from_str(&r.form)?;
    let form = Form::parse(&form_json)
        .map_err(|e| Error::internal(format!("stored form of {}: {e}", r.code)))?;
    Ok(ServiceView {
        documents: serde_json::from_str(&r.documents).unwrap_or_default(),
        applicants: r
            .applicants
            .split(',')
            .filter_map(ApplicantKind::parse)
            .collect(),
        fee_at: if r.fee_at == "approval" {
            FeeAt::Approval
        } else {
            FeeAt::Submission
        },
        code: r.code,
        title: r.title,
        summary: r.summary,
        agency_code: r.agency_code,
        agency_name: r.agency_name,
        time_zone: r.time_zone,
        fee_kopecks: r.fee_kopecks,
        deadline_working_days: r.deadline_working_days,
        level_required: r.level_required,
        version: r.version,
        form,
    })
}

/// Every service that takes applications online, at its current version.
pub async fn catalogue(db: &Db) -> Result<Vec<ServiceView>> {
    let mut c = db.read().await?;
    store::catalogue(&mut c)
        .await?
        .into_iter()
        .map(service_view)
        .collect()
}

/// One service at its current version.
pub async fn service(db: &Db, code: &str) -> Result<ServiceView> {
    let mut c = db.read().await?;
    service_view(
        store::service(&mut c, code, None)
            .await?
            .ok_or_else(not_found_service)?,
    )
}

/// A service as its form's page edits it: at its current version, or as version 0 with an empty
/// form when none is published yet.
pub async fn service_for_editing(db: &Db, code: &str) -> Result<ServiceView> {
    let mut c = db.read().await?;
    let row = match store::service(&mut c, code, None).await? {
        Some(r) => r,
        None => store::unpublished(&mut c, code)
            .await?
            .ok_or_else(not_found_service)?,
    };
    service_view(row)
}

/// Catalogue services with no form yet: (code, title, agency).
pub async fn unpublished(db: &Db) -> Result<Vec<(String, String, String)>> {
    let mut c = db.read().await?;
    Ok(store::unpublished_all(&mut c).await?)
}

/// A new version of a service's form (administrators).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    #[schema(value_type = Object)]
    pub form: Value,
    pub applicants: Vec<ApplicantKind>,
    pub fee_at: FeeAt,
}

/// Publishes a new version of a service's form. Applications already started keep theirs.
pub async fn publish_version(
    db: &Db,
    actor: &Actor,
    code: &str,
    v: NewVersion,
) -> Result<ServiceView> {
    actor.require(Permission::DirectoryManage)?;
    let form = valid_version(&v)?;
    let mut tx = db.begin().await?;
    if !store::service_exists(&mut tx, code).await? {
        return Err(not_found_service());
    }
    let version = store::latest_version(&mut tx, code).await? + 1;
    let applicants = v
        .applicants
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(",");
    store::insert_version(
        &mut tx,
        code,
        version,
        &serde_json::to_string(&form)?,
        &applicants,
        v.fee_at.as_str(),
        actor.id.as_deref().unwrap_or("system"),
        now_ms(),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.version.published",
            subject_type: "service",
            subject_id: code,
            details: serde_json::json!({ "version": version, "fields": form.fields.len() }),
        },
    )
    .await?;
    go_online(&mut tx, actor, code).await?;
    tx.commit().await?;
    service(db, code).await
}

/// A new version's form, parsed, and who may apply, not nobody.
fn valid_version(v: &NewVersion) -> Result<Form> {
    let form = Form::parse(&v.form).map_err(|e| {
        Problem::invalid_field(
            "form",
            "form.invalid",
            format!("Описание формы неверно: {e}."),
        )
    })?;
    if v.applicants.is_empty() {
        return Err(Problem::invalid_field(
            "applicants",
            "service.applicants_empty",
            "Укажите, кто может подать заявление.",
        )
        .into());
    }
    Ok(form)
}

/// With its first form the service takes applications online: the directory's entry changes,
/// recorded and announced as any change to it is.
async fn go_online(tx: &mut Tx, actor: &Actor, code: &str) -> Result<()> {
    if store::mark_online(tx, code).await? > 0 {
        audit::append(
            tx,
            audit::Entry {
                actor,
                action: "directory.service.updated",
                subject_type: "service",
                subject_id: code,
                details: serde_json::json!({
                    "changed": { "online": { "from": false, "to": true } },
                    "by": "services.version.published",
                }),
            },
        )
        .await?;
        outbox::enqueue(
            tx,
            "directory.service.updated",
            &serde_json::json!({ "code": code }),
        )
        .await?;
    }
    Ok(())
}
