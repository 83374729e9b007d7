//! SQL of the directory, portable across both engines.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_one, q_opt, q_scalar};
use serde::Serialize;

use crate::model::{Agency, AppealCategory, Office, Service, ServiceCategory};

pub async fn agencies(c: &mut impl AsConn) -> Result<Vec<Agency>, sqlx::Error> {
    q_all!(
        c,
        Agency,
        "SELECT * FROM agencies ORDER BY level, short_name"
    )
}

pub async fn agency(c: &mut impl AsConn, code: &str) -> Result<Option<Agency>, sqlx::Error> {
    q_opt!(c, Agency, "SELECT * FROM agencies WHERE code = $1", code)
}

pub async fn insert_agency(tx: &mut Tx, a: &Agency) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO agencies (id, code, name, short_name, level, inn, ogrn, region, time_zone, website, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (code) DO NOTHING",
        &a.id, &a.code, &a.name, &a.short_name, &a.level, &a.inn, &a.ogrn, &a.region, &a.time_zone, &a.website, a.created_at
    )?;
    Ok(n == 1)
}

pub async fn offices(c: &mut impl AsConn, city: Option<&str>) -> Result<Vec<Office>, sqlx::Error> {
    q_all!(
        c,
        Office,
        "SELECT * FROM offices WHERE ($1 IS NULL OR city = $1) ORDER BY city, name",
        city
    )
}

pub async fn office(c: &mut impl AsConn, code: &str) -> Result<Option<Office>, sqlx::Error> {
    q_opt!(c, Office, "SELECT * FROM offices WHERE code = $1", code)
}

pub async fn insert_office(tx: &mut Tx, o: &Office) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO offices (id, code, kind, name, city, address, lat_micro, lon_micro, time_zone, phone, hours, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (code) DO NOTHING",
        &o.id, &o.code, &o.kind, &o.name, &o.city, &o.address, o.lat_micro, o.lon_micro, &o.time_zone, &o.phone, &o.hours, o.created_at
    )?;
    Ok(n == 1)
}

/// Services, of one agency and of one category when given; `Some("")` as the category means the
/// services in no category.
pub async fn services(
    c: &mut impl AsConn,
    agency: Option<&str>,
    category: Option<&str>,
) -> Result<Vec<Service>, sqlx::Error> {
    q_all!(
        c,
        Service,
        "SELECT * FROM services WHERE ($1 IS NULL OR agency_code = $1)
             AND ($2 IS NULL OR COALESCE(category_code, '') = $2) ORDER BY title",
        agency,
        category
    )
}

pub async fn service_categories(c: &mut impl AsConn) -> Result<Vec<ServiceCategory>, sqlx::Error> {
    q_all!(
        c,
        ServiceCategory,
        "SELECT * FROM service_categories ORDER BY position, title"
    )
}

pub async fn service_category(
    c: &mut impl AsConn,
    code: &str,
) -> Result<Option<ServiceCategory>, sqlx::Error> {
    q_opt!(
        c,
        ServiceCategory,
        "SELECT * FROM service_categories WHERE code = $1",
        code
    )
}

pub async fn insert_service_category(
    tx: &mut Tx,
    k: &ServiceCategory,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO service_categories (id, code, title, description, position, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
        &k.id,
        &k.code,
        &k.title,
        &k.description,
        k.position,
        k.created_at
    )?;
    Ok(n == 1)
}

/// The position after every category's: where a category added without one goes.
pub async fn next_category_position(tx: &mut Tx) -> Result<i64, sqlx::Error> {
    q_scalar!(
        tx,
        i64,
        "SELECT COALESCE(MAX(position), 0) + 10 FROM service_categories"
    )
}

/// Puts a service into a category, only where it is in none yet (the demo loader uses this for
/// services stored before categories existed).
pub async fn categorise_if_none(
    tx: &mut Tx,
    service: &str,
    category: &str,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE services SET category_code = $2 WHERE code = $1 AND category_code IS NULL",
        service,
        category
    )
}

pub async fn service(c: &mut impl AsConn, code: &str) -> Result<Option<Service>, sqlx::Error> {
    q_opt!(c, Service, "SELECT * FROM services WHERE code = $1", code)
}

/// Marks a service as applied for online (once it has a form); 1 when it changed.
pub async fn mark_online(tx: &mut Tx, code: &str) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE services SET online = 1 WHERE code = $1 AND online = 0",
        code
    )
}

/// Writes a service's editable columns.
pub async fn update_service(tx: &mut Tx, s: &Service) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE services SET title = $2, summary = $3, fee_kopecks = $4, deadline_working_days = $5,
             level_required = $6, documents = $7, category_code = $8 WHERE code = $1",
        &s.code,
        &s.title,
        &s.summary,
        s.fee_kopecks,
        s.deadline_working_days,
        &s.level_required,
        &s.documents,
        &s.category_code
    )
}

pub async fn insert_service(tx: &mut Tx, s: &Service) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO services (id, code, agency_code, title, summary, fee_kopecks, deadline_working_days, level_required, documents, online, created_at, category_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (code) DO NOTHING",
        &s.id, &s.code, &s.agency_code, &s.title, &s.summary, s.fee_kopecks, s.deadline_working_days, &s.level_required, &s.documents, s.online, s.created_at, &s.category_code
    )?;
    Ok(n == 1)
}

pub async fn categories(c: &mut impl AsConn) -> Result<Vec<AppealCategory>, sqlx::Error> {
    q_all!(
        c,
        AppealCategory,
        "SELECT * FROM appeal_categories ORDER BY title"
    )
}

pub async fn insert_category(tx: &mut Tx, a: &AppealCategory) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO appeal_categories (id, code, title, description, agency_code, answer_days, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING",
        &a.id, &a.code, &a.title, &a.description, &a.agency_code, a.answer_days, a.created_at
    )?;
    Ok(n == 1)
}

/// How much the directory holds.
#[derive(
    Debug, Clone, Copy, Default, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema,
)]
pub struct Summary {
    pub agencies: i64,
    pub offices: i64,
    pub services: i64,
    pub categories: i64,
}

pub async fn summary(c: &mut impl AsConn) -> Result<Summary, sqlx::Error> {
    q_one!(
        c,
        Summary,
        "SELECT (SELECT COUNT(*) FROM agencies) AS agencies, (SELECT COUNT(*) FROM offices) AS offices,
                (SELECT COUNT(*) FROM services) AS services, (SELECT COUNT(*) FROM appeal_categories) AS categories"
    )
}
