//! Reference data: categories, bodies and territories.

use okno_kernel::db::Db;
use okno_kernel::error::Result;
use serde::Serialize;

use crate::store::{self, BodyRow, CategoryRow};

/// A category with its subcategories.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryView {
    pub code: String,
    pub title: String,
    pub subcategories: Vec<SubcategoryView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubcategoryView {
    pub code: String,
    pub title: String,
}

/// The category tree.
pub async fn categories(db: &Db) -> Result<Vec<CategoryView>> {
    let mut c = db.read().await?;
    let rows = store::categories(&mut c).await?;
    Ok(tree(&rows))
}

fn tree(rows: &[CategoryRow]) -> Vec<CategoryView> {
    rows.iter()
        .filter(|r| r.parent_code.is_none())
        .map(|r| CategoryView {
            code: r.code.clone(),
            title: r.title.clone(),
            subcategories: rows
                .iter()
                .filter(|s| s.parent_code.as_deref() == Some(&r.code))
                .map(|s| SubcategoryView {
                    code: s.code.clone(),
                    title: s.title.clone(),
                })
                .collect(),
        })
        .collect()
}

/// A body that answers appeals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BodyView {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub region_code: String,
    pub municipality_code: Option<String>,
    pub time_zone: String,
    /// Where escalations and low ratings go.
    pub supervisor_code: Option<String>,
}

fn body_view(b: BodyRow) -> BodyView {
    BodyView {
        code: b.code,
        name: b.name,
        short_name: b.short_name,
        region_code: b.region_code,
        municipality_code: b.municipality_code,
        time_zone: b.time_zone,
        supervisor_code: b.supervisor_code,
    }
}

pub async fn bodies(db: &Db) -> Result<Vec<BodyView>> {
    let mut c = db.read().await?;
    Ok(store::bodies(&mut c)
        .await?
        .into_iter()
        .map(body_view)
        .collect())
}

/// A region or a municipality.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TerritoryView {
    pub code: String,
    pub name: String,
    /// The region of a municipality.
    pub region_code: Option<String>,
}

pub async fn territories(db: &Db) -> Result<Vec<TerritoryView>> {
    let mut c = db.read().await?;
    Ok(store::territories(&mut c)
        .await?
        .into_iter()
        .map(|t| TerritoryView {
            code: t.code,
            name: t.name,
            region_code: t.region_code,
        })
        .collect())
}
