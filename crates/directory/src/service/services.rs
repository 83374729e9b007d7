//! The administrator's services in the catalogue: adding one and editing one's entry.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::{audit, outbox};
use serde::Deserialize;

use super::base::{field, is_code};
use crate::model::Service;
use crate::store;

/// A service's entry as an administrator edits it (its code and agency stay).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceEdit {
    pub title: String,
    pub summary: String,
    /// State fee in kopecks; none (or 0) when free.
    #[serde(default)]
    pub fee_kopecks: Option<i64>,
    pub deadline_working_days: i64,
    /// `simplified`, `standard` or `confirmed`.
    pub level_required: String,
    #[serde(default)]
    pub documents: Vec<String>,
    /// The catalogue category (code). Absent or null keeps the current one; `""` takes the
    /// service out of every category.
    #[serde(default)]
    pub category_code: Option<String>,
}

fn validate_edit(e: ServiceEdit) -> std::result::Result<ServiceEdit, Problem> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut bad = |field: &str, code: &str, message: &str| {
        errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        })
    };
    let title = e.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(3..=300).contains(&title.chars().count()) {
        bad(
            "title",
            "service.title_invalid",
            "Название — от 3 до 300 символов.",
        );
    }
    let summary = e.summary.trim().to_string();
    if summary.chars().count() > 2000 {
        bad(
            "summary",
            "service.summary_too_long",
            "Описание — не длиннее 2000 символов.",
        );
    }
    let fee = e.fee_kopecks.filter(|k| *k != 0);
    if fee.is_some_and(|k| !(1..=100_000_000_000).contains(&k)) {
        bad(
            "fee_kopecks",
            "service.fee_invalid",
            "Пошлина — от 1 копейки до миллиарда рублей, или без пошлины.",
        );
    }
    if !(1..=365).contains(&e.deadline_working_days) {
        bad(
            "deadline_working_days",
            "service.deadline_invalid",
            "Срок решения — от 1 до 365 рабочих дней.",
        );
    }
    if !["simplified", "standard", "confirmed"].contains(&e.level_required.as_str()) {
        bad(
            "level_required",
            "service.level_invalid",
            "Уровень учётной записи — упрощённая, стандартная или подтверждённая.",
        );
    }
    let documents: Vec<String> = e
        .documents
        .iter()
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|d| !d.is_empty())
        .collect();
    if documents.len() > 30 || documents.iter().any(|d| d.chars().count() > 300) {
        bad(
            "documents",
            "service.documents_invalid",
            "Документов — не больше 30, каждый не длиннее 300 символов.",
        );
    }
    if !errors.is_empty() {
        return Err(Problem::invalid_fields(errors));
    }
    Ok(ServiceEdit {
        title,
        summary,
        fee_kopecks: fee,
        documents,
        ..e
    })
}

/// What an administrator sends to add a service to the catalogue. It takes applications online
/// once the services part publishes its first form version.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    /// Latin letters, digits and hyphens, 2–40 characters: the card is at `/services/{code}`.
    pub code: String,
    /// The agency that provides the service (code).
    pub agency_code: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// State fee in kopecks; none (or 0) when free.
    #[serde(default)]
    pub fee_kopecks: Option<i64>,
    pub deadline_working_days: i64,
    /// `simplified`, `standard` or `confirmed`.
    pub level_required: String,
    #[serde(default)]
    pub documents: Vec<String>,
    /// The catalogue category (code); none when absent or `""`.
    #[serde(default)]
    pub category_code: Option<String>,
}

/// The category a service is put in: none for `""`, else one that exists.
async fn known_category(
    tx: &mut okno_kernel::db::Tx,
    code: Option<&str>,
) -> Result<std::result::Result<Option<String>, FieldError>> {
    match code.map(str::trim) {
        None | Some("") => Ok(Ok(None)),
        Some(c) => Ok(match store::service_category(tx, c).await? {
            Some(k) => Ok(Some(k.code)),
            None => Err(FieldError {
                field: "category_code".into(),
                code: "service.category_unknown".into(),
                message: format!("Категории «{c}» в каталоге нет."),
            }),
        }),
    }
}

/// An administrator adds a service to the catalogue. Every field is checked and every problem
/// named at once; audited and announced as `directory.service.created`.
pub async fn create_service(db: &Db, actor: &Actor, n: NewService) -> Result<Service> {
    create_service_unless(db, actor, n, Vec::new()).await
}

/// [`create_service`] for a form that parsed some fields itself: `already` holds the errors it
/// found there. With any, nothing is added, and they are refused together with the entry's own,
/// so the person sees every mistake at once.
pub async fn create_service_unless(
    db: &Db,
    actor: &Actor,
    n: NewService,
    already: Vec<FieldError>,
) -> Result<Service> {
    actor.require(Permission::DirectoryManage)?;
    let mut e = already;
    let code = n.code.trim().to_ascii_lowercase();
    // `new` is the address of the page that adds a service.
    if !is_code(&code) || code == "new" {
        field(
            &mut e,
            "code",
            "service.code",
            "Код — от 2 до 40 латинских букв, цифр и дефисов (кроме «new»).",
        );
    }
    let edit = validate_edit(ServiceEdit {
        title: n.title,
        summary: n.summary,
        fee_kopecks: n.fee_kopecks,
        deadline_working_days: n.deadline_working_days,
        level_required: n.level_required,
        documents: n.documents,
        category_code: None,
    });
    let agency_code = n.agency_code.trim().to_string();
    let mut tx = db.begin().await?;
    let (edit, category) =
        check_in_catalogue(&mut tx, &agency_code, n.category_code.as_deref(), edit, e).await?;
    let service = Service {
        id: okno_kernel::clock::new_id(),
        code,
        agency_code,
        title: edit.title,
        summary: edit.summary,
        fee_kopecks: edit.fee_kopecks,
        deadline_working_days: edit.deadline_working_days,
        level_required: edit.level_required,
        documents: serde_json::to_string(&edit.documents)?,
        online: 0,
        created_at: okno_kernel::clock::now_ms(),
        category_code: category,
    };
    if !store::insert_service(&mut tx, &service).await? {
        return Err(Problem::conflict(
            "service.code_taken",
            format!("Услуга с кодом «{}» уже есть.", service.code),
        )
        .into());
    }
    record_service_created(&mut tx, actor, &service).await?;
    tx.commit().await?;
    Ok(service)
}

/// The new service's agency and category, checked in the transaction that adds it, with the
/// errors found so far (`e`) and the entry's own (`edit`): the entry and its category when
/// there is none, else every error together.
async fn check_in_catalogue(
    tx: &mut Tx,
    agency_code: &str,
    category_code: Option<&str>,
    edit: std::result::Result<ServiceEdit, Problem>,
    mut e: Vec<FieldError>,
) -> Result<(ServiceEdit, Option<String>)> {
    if store::agency(tx, agency_code).await?.is_none() {
        field(
            &mut e,
            "agency_code",
            "service.agency_unknown",
            "Выберите ведомство, которое оказывает услугу.",
        );
    }
    let edit = match edit {
        Ok(edit) => Some(edit),
        Err(p) => {
            e.extend(p.errors);
            None
        }
    };
    let category = match known_category(tx, category_code).await? {
        Ok(c) => c,
        Err(f) => {
            e.push(f);
            None
        }
    };
    let Some(edit) = edit.filter(|_| e.is_empty()) else {
        return Err(Problem::invalid_fields(e).into());
    };
    Ok((edit, category))
}

/// The audit record and the outbox event of a service added.
async fn record_service_created(tx: &mut Tx, actor: &Actor, service: &Service) -> Result<()> {
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "directory.service.created",
            subject_type: "service",
            subject_id: &service.code,
            details: serde_json::json!({
                "agency_code": service.agency_code, "title": service.title,
                "fee_kopecks": service.fee_kopecks, "deadline_working_days": service.deadline_working_days,
                "level_required": service.level_required, "category_code": service.category_code,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        tx,
        "directory.service.created",
        &serde_json::json!({ "code": service.code, "agency_code": service.agency_code }),
    )
    .await?;
    Ok(())
}

/// An administrator edits a service's entry. Applications already submitted keep the due date and
/// fee they were given; the change applies from the next submission. Audited with what changed.
pub async fn update_service(db: &Db, actor: &Actor, code: &str, e: ServiceEdit) -> Result<Service> {
    actor.require(Permission::DirectoryManage)?;
    let e = validate_edit(e)?;
    let mut tx = db.begin().await?;
    let before = store::service(&mut tx, code)
        .await?
        .ok_or_else(|| Error::from(Problem::not_found("Услуга не найдена.")))?;
    let documents = serde_json::to_string(&e.documents)?;
    let category_code = match e.category_code.as_deref() {
        None => before.category_code.clone(),
        Some(c) => known_category(&mut tx, Some(c))
            .await?
            .map_err(|f| Error::from(Problem::invalid_fields(vec![f])))?,
    };
    let after = Service {
        category_code,
        title: e.title,
        summary: e.summary,
        fee_kopecks: e.fee_kopecks,
        deadline_working_days: e.deadline_working_days,
        level_required: e.level_required,
        documents,
        ..before.clone()
    };
    store::update_service(&mut tx, &after).await?;
    record_service_updated(&mut tx, actor, code, changes(&before, &after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// What an edit changed: each field that differs, `{"from": before, "to": after}`.
fn changes(before: &Service, after: &Service) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let pairs = [
        ("title", json!(before.title), json!(after.title)),
        ("summary", json!(before.summary), json!(after.summary)),
        (
            "fee_kopecks",
            json!(before.fee_kopecks),
            json!(after.fee_kopecks),
        ),
        (
            "deadline_working_days",
            json!(before.deadline_working_days),
            json!(after.deadline_working_days),
        ),
        (
            "level_required",
            json!(before.level_required),
            json!(after.level_required),
        ),
        ("documents", json!(before.documents), json!(after.documents)),
        (
            "category_code",
            json!(before.category_code),
            json!(after.category_code),
        ),
    ];
    let mut changed = serde_json::Map::new();
    for (k, b, a) in pairs {
        if b != a {
            changed.insert(k.into(), json!({ "from": b, "to": a }));
        }
    }
    changed
}

/// The audit record (with what changed) and the outbox event of a service edited.
async fn record_service_updated(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    changed: serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "directory.service.updated",
            subject_type: "service",
            subject_id: code,
            details: serde_json::json!({ "changed": changed }),
        },
    )
    .await?;
    outbox::enqueue(
        tx,
        "directory.service.updated",
        &serde_json::json!({ "code": code }),
    )
    .await?;
    Ok(())
}
