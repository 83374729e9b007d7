//! The administrator adds a category to the catalogue of services.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Problem, Result};
use okno_kernel::{audit, outbox};
use serde::Deserialize;

use super::base::{field, is_code, NO_CATEGORY};
use crate::model::ServiceCategory;
use crate::store;

/// What an administrator sends to create a category of the catalogue.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServiceCategory {
    /// Latin letters, digits and hyphens, 2–40 characters.
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Order on the catalogue page; after the others when absent.
    #[serde(default)]
    pub position: Option<i64>,
}

/// A category's fields, checked and tidied: its code, title and description.
struct CategoryFields {
    code: String,
    title: String,
    description: String,
}

/// An administrator adds a category to the catalogue. Audited, announced through the outbox.
pub async fn create_service_category(
    db: &Db,
    actor: &Actor,
    n: NewServiceCategory,
) -> Result<ServiceCategory> {
    actor.require(Permission::DirectoryManage)?;
    let f = validate_category(&n)?;
    let mut tx = db.begin().await?;
    let position = match n.position {
        Some(p) => p,
        None => store::next_category_position(&mut tx).await?,
    };
    let category = ServiceCategory {
        id: okno_kernel::clock::new_id(),
        code: f.code,
        title: f.title,
        description: f.description,
        position,
        created_at: okno_kernel::clock::now_ms(),
    };
    if !store::insert_service_category(&mut tx, &category).await? {
        return Err(Problem::conflict(
            "category.code_taken",
            format!("Категория с кодом «{}» уже есть.", category.code),
        )
        .into());
    }
    record_category_created(&mut tx, actor, &category).await?;
    tx.commit().await?;
    Ok(category)
}

/// Checks every field of a new category and reports all problems together.
fn validate_category(n: &NewServiceCategory) -> std::result::Result<CategoryFields, Problem> {
    let mut e = Vec::new();
    let code = n.code.trim().to_ascii_lowercase();
    // `none` is what `/services?category=none` and the API's filter mean by «no category».
    if !is_code(&code) || code == NO_CATEGORY {
        field(
            &mut e,
            "code",
            "category.code",
            "Код — от 2 до 40 латинских букв, цифр и дефисов (кроме «none»).",
        );
    }
    let title = n.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(2..=100).contains(&title.chars().count()) {
        field(
            &mut e,
            "title",
            "category.title",
            "Название — от 2 до 100 символов.",
        );
    }
    let description = n.description.trim().to_string();
    if description.chars().count() > 500 {
        field(
            &mut e,
            "description",
            "category.description",
            "Описание — не длиннее 500 символов.",
        );
    }
    if n.position.is_some_and(|p| !(0..=10_000).contains(&p)) {
        field(
            &mut e,
            "position",
            "category.position",
            "Порядок — число от 0 до 10000.",
        );
    }
    if !e.is_empty() {
        return Err(Problem::invalid_fields(e));
    }
    Ok(CategoryFields {
        code,
        title,
        description,
    })
}

/// The audit record and the outbox event of a category added.
async fn record_category_created(
    tx: &mut Tx,
    actor: &Actor,
    category: &ServiceCategory,
) -> Result<()> {
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "directory.category.created",
            subject_type: "service_category",
            subject_id: &category.code,
            details: serde_json::json!({ "title": category.title, "position": category.position }),
        },
    )
    .await?;
    outbox::enqueue(
        tx,
        "directory.category.created",
        &serde_json::json!({ "code": category.code }),
    )
    .await?;
    Ok(())
}
