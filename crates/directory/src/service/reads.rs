//! The directory's public reads, each on a read connection.

use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};

use crate::model::{Agency, AppealCategory, Office, Service, ServiceCategory};
use crate::store::{self, Summary};

pub async fn summary(db: &Db) -> Result<Summary> {
    let mut c = db.read().await?;
    Ok(store::summary(&mut c).await?)
}

pub async fn agencies(db: &Db) -> Result<Vec<Agency>> {
    let mut c = db.read().await?;
    Ok(store::agencies(&mut c).await?)
}

pub async fn agency(db: &Db, code: &str) -> Result<Agency> {
    let mut c = db.read().await?;
    store::agency(&mut c, code)
        .await?
        .ok_or_else(|| Problem::not_found("Ведомство не найдено.").into())
}

pub async fn offices(db: &Db, city: Option<&str>) -> Result<Vec<Office>> {
    let mut c = db.read().await?;
    Ok(store::offices(&mut c, city).await?)
}

/// Services, of one agency and of one category when given (`Some("")`: in no category).
pub async fn services(
    db: &Db,
    agency: Option<&str>,
    category: Option<&str>,
) -> Result<Vec<Service>> {
    let mut c = db.read().await?;
    Ok(store::services(&mut c, agency, category).await?)
}

pub async fn service_categories(db: &Db) -> Result<Vec<ServiceCategory>> {
    let mut c = db.read().await?;
    Ok(store::service_categories(&mut c).await?)
}

pub async fn service(db: &Db, code: &str) -> Result<Service> {
    let mut c = db.read().await?;
    store::service(&mut c, code)
        .await?
        .ok_or_else(|| Problem::not_found("Услуга не найдена.").into())
}

pub async fn categories(db: &Db) -> Result<Vec<AppealCategory>> {
    let mut c = db.read().await?;
    Ok(store::categories(&mut c).await?)
}
