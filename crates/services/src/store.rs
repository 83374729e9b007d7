//! SQL of the services part, written once for both engines (portable `$n` SQL; see kernel/db.rs).

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A catalogue service joined with its agency and its latest form version.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct ServiceRow {
    pub code: String,
    pub title: String,
    pub summary: String,
    pub agency_code: String,
    pub agency_name: String,
    pub time_zone: String,
    pub fee_kopecks: Option<i64>,
    pub deadline_working_days: i64,
    pub level_required: String,
    pub documents: String,
    pub version: i64,
    pub form: String,
    pub applicants: String,
    pub fee_at: String,
}

/// A form version of a service, as this part keeps it.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
struct VersionRow {
    service_code: String,
    version: i64,
    form: String,
    applicants: String,
    fee_at: String,
}

const VERSION_COLS: &str = "service_code, version, form, applicants, fee_at";

/// The catalogue entry (the directory's) and its form version (this part's) as one row.
fn joined(
    s: okno_directory::model::Service,
    g: &okno_directory::model::Agency,
    v: VersionRow,
) -> ServiceRow {
    ServiceRow {
        code: s.code,
        title: s.title,
        summary: s.summary,
        agency_code: s.agency_code,
        agency_name: g.short_name.clone(),
        time_zone: g.time_zone.clone(),
        fee_kopecks: s.fee_kopecks,
        deadline_working_days: s.deadline_working_days,
        level_required: s.level_required,
        documents: s.documents,
        version: v.version,
        form: v.form,
        applicants: v.applicants,
        fee_at: v.fee_at,
    }
}

/// The directory's services with their agencies, sorted as the catalogue shows them.
async fn directory_services(
    c: &mut impl AsConn,
) -> Result<
    Vec<(
        okno_directory::model::Service,
        okno_directory::model::Agency,
    )>,
    sqlx::Error,
> {
    let agencies: BTreeMap<String, okno_directory::model::Agency> =
        okno_directory::store::agencies(c)
            .await?
            .into_iter()
            .map(|a| (a.code.clone(), a))
            .collect();
    let mut out: Vec<_> = okno_directory::store::services(c, None, None)
        .await?
        .into_iter()
        .filter_map(|s| agencies.get(&s.agency_code).cloned().map(|g| (s, g)))
        .collect();
    out.sort_by(|(a, ga), (b, gb)| (&ga.short_name, &a.title).cmp(&(&gb.short_name, &b.title)));
    Ok(out)
}

/// The latest form version of every service that has one.
async fn latest_versions(c: &mut impl AsConn) -> Result<BTreeMap<String, VersionRow>, sqlx::Error> {
    Ok(q_all!(
        c,
        VersionRow,
        &format!(
            "SELECT {VERSION_COLS} FROM service_versions v
              WHERE v.version = (SELECT MAX(version) FROM service_versions WHERE service_code = v.service_code)"
        )
    )?
    .into_iter()
    .map(|v| (v.service_code.clone(), v))
    .collect())
}

/// Every service with a form, at its latest version.
pub async fn catalogue(c: &mut impl AsConn) -> Result<Vec<ServiceRow>, sqlx::Error> {
    let mut versions = latest_versions(c).await?;
    Ok(directory_services(c)
        .await?
        .into_iter()
        .filter_map(|(s, g)| versions.remove(&s.code).map(|v| joined(s, &g, v)))
        .collect())
}

/// A service at `version`, or at its latest when `None`.
pub async fn service(
    c: &mut impl AsConn,
    code: &str,
    version: Option<i64>,
) -> Result<Option<ServiceRow>, sqlx::Error> {
    let v = match version {
        Some(version) => {
            q_opt!(
                c,
                VersionRow,
                &format!("SELECT {VERSION_COLS} FROM service_versions WHERE service_code = $1 AND version = $2"),
                code,
                version
            )?
        }
        None => {
            q_opt!(
                c,
                VersionRow,
                &format!(
                    "SELECT {VERSION_COLS} FROM service_versions WHERE service_code = $1
                      ORDER BY version DESC LIMIT 1"
                ),
                code
            )?
        }
    };
    let Some(v) = v else { return Ok(None) };
    let Some(s) = okno_directory::store::service(c, code).await? else {
        return Ok(None);
    };
    let Some(g) = okno_directory::store::agency(c, &s.agency_code).await? else {
        return Ok(None);
    };
    Ok(Some(joined(s, &g, v)))
}

/// The form a service starts from before its first version: empty, for people.
fn unpublished_version(code: &str) -> VersionRow {
    VersionRow {
        service_code: code.to_string(),
        version: 0,
        form: "{\"fields\": []}".into(),
        applicants: "person".into(),
        fee_at: "submission".into(),
    }
}

/// A catalogue service that has no form version yet, as version 0 with an empty form (the page that
/// publishes the first version starts from it).
pub async fn unpublished(
    c: &mut impl AsConn,
    code: &str,
) -> Result<Option<ServiceRow>, sqlx::Error> {
    if latest_version(c, code).await? > 0 {
        return Ok(None);
    }
    let Some(s) = okno_directory::store::service(c, code).await? else {
        return Ok(None);
    };
    let Some(g) = okno_directory::store::agency(c, &s.agency_code).await? else {
        return Ok(None);
    };
    Ok(Some(joined(s, &g, unpublished_version(code))))
}

/// Catalogue services without a form version: (code, title, agency's short name).
pub async fn unpublished_all(
    c: &mut impl AsConn,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let versions = latest_versions(c).await?;
    Ok(directory_services(c)
        .await?
        .into_iter()
        .filter(|(s, _)| !versions.contains_key(&s.code))
        .map(|(s, g)| (s.code, s.title, g.short_name))
        .collect())
}

/// The directory's entry says the service is applied for online once it has a form.
pub async fn mark_online(tx: &mut Tx, code: &str) -> Result<u64, sqlx::Error> {
    okno_directory::store::mark_online(tx, code).await
}

pub async fn service_exists(c: &mut impl AsConn, code: &str) -> Result<bool, sqlx::Error> {
    Ok(okno_directory::store::service(c, code).await?.is_some())
}

/// The newest version of a service's form, 0 when it has none.
pub async fn latest_version(c: &mut impl AsConn, code: &str) -> Result<i64, sqlx::Error> {
    q_scalar!(
        c,
        i64,
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM service_versions WHERE service_code = $1",
        code
    )
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_version(
    tx: &mut Tx,
    code: &str,
    version: i64,
    form: &str,
    applicants: &str,
    fee_at: &str,
    by: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO service_versions (service_code, version, form, applicants, fee_at, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        code,
        version,
        form,
        applicants,
        fee_at,
        by,
        now
    )
}

/// An application as stored.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct AppRow {
    pub id: String,
    pub number: Option<String>,
    pub service_code: String,
    pub version: i64,
    pub status: String,
    pub applicant_kind: String,
    pub applicant_id: String,
    pub applicant_name: String,
    pub filed_by: String,
    pub filed_by_name: String,
    pub notify_account: String,
    pub data_enc: String,
    pub submitted_at: Option<i64>,
    pub due_date: Option<String>,
    pub paused_days_left: Option<i64>,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
    pub assigned_to: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The office an operator filed it at for a person present.
    pub desk_office: Option<String>,
}

const APP_COLS: &str = "id, number, service_code, version, status, applicant_kind, applicant_id, applicant_name,
    filed_by, filed_by_name, notify_account, data_enc, submitted_at, due_date, paused_days_left, decided_at,
    reason, assigned_to, created_at, updated_at, desk_office";

pub async fn insert_application(tx: &mut Tx, a: &AppRow) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        &format!(
            "INSERT INTO applications ({APP_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
             $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        ),
        a.id.clone(),
        a.number.clone(),
        a.service_code.clone(),
        a.version,
        a.status.clone(),
        a.applicant_kind.clone(),
        a.applicant_id.clone(),
        a.applicant_name.clone(),
        a.filed_by.clone(),
        a.filed_by_name.clone(),
        a.notify_account.clone(),
        a.data_enc.clone(),
        a.submitted_at,
        a.due_date.clone(),
        a.paused_days_left,
        a.decided_at,
        a.reason.clone(),
        a.assigned_to.clone(),
        a.created_at,
        a.updated_at,
        a.desk_office.clone()
    )
}

/// Writes every changeable column of an application, if its status is still `expected` (a
/// concurrent change in between makes it affect no row).
pub async fn update_application(
    tx: &mut Tx,
    a: &AppRow,
    expected: &str,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE applications SET number = $2, status = $3, data_enc = $4, submitted_at = $5, due_date = $6,
             paused_days_left = $7, decided_at = $8, reason = $9, assigned_to = $10, updated_at = $11
         WHERE id = $1 AND status = $12",
        a.id.clone(),
        a.number.clone(),
        a.status.clone(),
        a.data_enc.clone(),
        a.submitted_at,
        a.due_date.clone(),
        a.paused_days_left,
        a.decided_at,
        a.reason.clone(),
        a.assigned_to.clone(),
        a.updated_at,
        expected
    )
}

pub async fn application(c: &mut impl AsConn, id: &str) -> Result<Option<AppRow>, sqlx::Error> {
    q_opt!(
        c,
        AppRow,
        &format!("SELECT {APP_COLS} FROM applications WHERE id = $1"),
        id
    )
}

/// Applications of a person (or of `principal`, when acting for one).
pub async fn applications_of(
    c: &mut impl AsConn,
    account: &str,
    principal: Option<&str>,
) -> Result<Vec<AppRow>, sqlx::Error> {
    q_all!(
        c,
        AppRow,
        &format!(
            "SELECT {APP_COLS} FROM applications WHERE applicant_id = $1 ORDER BY created_at DESC LIMIT 200"
        ),
        principal.unwrap_or(account)
    )
}

/// The desk: applications past the draft of the agencies an official works for.
pub async fn desk(
    c: &mut impl AsConn,
    official: &str,
    status: &str,
    service: &str,
) -> Result<Vec<AppRow>, sqlx::Error> {
    // The services of the agencies the official works for, as a comma-separated list the query
    // matches against (service codes hold no commas): the catalogue is the directory's.
    let mut codes = Vec::new();
    for agency in agencies_of(c, official).await? {
        for s in okno_directory::store::services(c, Some(&agency), None).await? {
            codes.push(s.code);
        }
    }
    let codes = format!(",{},", codes.join(","));
    q_all!(
        c,
        AppRow,
        &format!(
            "SELECT {APP_COLS} FROM applications
             WHERE status <> 'draft'
               AND $1 LIKE ('%,' || service_code || ',%')
               AND ($2 = '' OR status = $2) AND ($3 = '' OR service_code = $3)
             ORDER BY due_date, submitted_at LIMIT 1000"
        ),
        &codes,
        status,
        service
    )
}

/// What the figures of an agency are computed from: one row per application past the draft.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct FigureRow {
    pub agency_code: String,
    pub agency_name: String,
    pub time_zone: String,
    pub status: String,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub due_date: Option<String>,
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
struct FigureApp {
    service_code: String,
    status: String,
    submitted_at: Option<i64>,
    decided_at: Option<i64>,
    due_date: Option<String>,
}

/// Applications past the draft, of the agencies `official` works for (every agency when
/// `official` is empty).
pub async fn figure_rows(
    c: &mut impl AsConn,
    official: &str,
) -> Result<Vec<FigureRow>, sqlx::Error> {
    let mine = agencies_of(c, official).await?;
    let services: BTreeMap<String, okno_directory::model::Agency> = directory_services(c)
        .await?
        .into_iter()
        .filter(|(s, _)| official.is_empty() || mine.contains(&s.agency_code))
        .map(|(s, g)| (s.code, g))
        .collect();
    let apps = q_all!(
        c,
        FigureApp,
        "SELECT service_code, status, submitted_at, decided_at, due_date FROM applications
          WHERE status <> 'draft'"
    )?;
    Ok(apps
        .into_iter()
        .filter_map(|a| {
            let g = services.get(&a.service_code)?;
            Some(FigureRow {
                agency_code: g.code.clone(),
                agency_name: g.short_name.clone(),
                time_zone: g.time_zone.clone(),
                status: a.status,
                submitted_at: a.submitted_at,
                decided_at: a.decided_at,
                due_date: a.due_date,
            })
        })
        .collect())
}

/// The next number of `year` (1, 2, …), counted in the database.
pub async fn next_number(tx: &mut Tx, year: i64) -> Result<i64, sqlx::Error> {
    q_scalar!(
        tx,
        i64,
        "INSERT INTO application_counters (year, last) VALUES ($1, 1)
         ON CONFLICT (year) DO UPDATE SET last = application_counters.last + 1
         RETURNING last",
        year
    )
}

/// One change of status, as kept.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub application_id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub transition: String,
    pub from_status: String,
    pub to_status: String,
    pub comment: Option<String>,
}

pub async fn insert_event(tx: &mut Tx, e: &EventRow) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO application_events (id, application_id, at, actor_id, actor_name, transition, from_status, to_status, comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        e.id.clone(),
        e.application_id.clone(),
        e.at,
        e.actor_id.clone(),
        e.actor_name.clone(),
        e.transition.clone(),
        e.from_status.clone(),
        e.to_status.clone(),
        e.comment.clone()
    )
}

pub async fn events(c: &mut impl AsConn, app: &str) -> Result<Vec<EventRow>, sqlx::Error> {
    q_all!(
        c,
        EventRow,
        "SELECT id, application_id, at, actor_id, actor_name, transition, from_status, to_status, comment
         FROM application_events WHERE application_id = $1 ORDER BY at, id",
        app
    )
}

/// An attachment's record.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: String,
    pub application_id: String,
    pub field: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub added_in: String,
    pub uploaded_by: String,
    pub created_at: i64,
}

pub async fn insert_attachment(tx: &mut Tx, a: &AttachmentRow) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO application_attachments (id, application_id, field, file_name, content_type, size_bytes, sha256, added_in, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        a.id.clone(),
        a.application_id.clone(),
        a.field.clone(),
        a.file_name.clone(),
        a.content_type.clone(),
        a.size_bytes,
        a.sha256.clone(),
        a.added_in.clone(),
        a.uploaded_by.clone(),
        a.created_at
    )
}

pub async fn attachments(
    c: &mut impl AsConn,
    app: &str,
) -> Result<Vec<AttachmentRow>, sqlx::Error> {
    q_all!(
        c,
        AttachmentRow,
        "SELECT id, application_id, field, file_name, content_type, size_bytes, sha256, added_in, uploaded_by, created_at
         FROM application_attachments WHERE application_id = $1 ORDER BY created_at, id",
        app
    )
}

pub async fn agency_exists(c: &mut impl AsConn, code: &str) -> Result<bool, sqlx::Error> {
    Ok(okno_directory::store::agency(c, code).await?.is_some())
}

pub async fn assign_official(
    tx: &mut Tx,
    account: &str,
    agency: &str,
    by: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO official_agencies (account_id, agency_code, created_by, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        account,
        agency,
        by,
        now
    )
}

pub async fn works_for(
    c: &mut impl AsConn,
    account: &str,
    agency: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = q_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM official_agencies WHERE account_id = $1 AND agency_code = $2",
        account,
        agency
    )?;
    Ok(n > 0)
}

pub async fn agencies_of(c: &mut impl AsConn, account: &str) -> Result<Vec<String>, sqlx::Error> {
    Ok(q_all!(
        c,
        AgencyCode,
        "SELECT agency_code FROM official_agencies WHERE account_id = $1 ORDER BY agency_code",
        account
    )?
    .into_iter()
    .map(|r| r.agency_code)
    .collect())
}

#[derive(Deserialize, sqlx::FromRow)]
struct AgencyCode {
    agency_code: String,
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct RatingRow {
    pub rating: i64,
    pub comment: Option<String>,
    pub rated_at: i64,
}

pub async fn rating(
    c: &mut impl AsConn,
    application: &str,
) -> Result<Option<RatingRow>, sqlx::Error> {
    q_opt!(
        c,
        RatingRow,
        "SELECT rating, comment, rated_at FROM application_ratings WHERE application_id = $1",
        application
    )
}

/// Stores the rating; false when the application was rated already.
pub async fn insert_rating(
    tx: &mut Tx,
    application: &str,
    account: &str,
    r: &RatingRow,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO application_ratings (application_id, account_id, rating, comment, rated_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (application_id) DO NOTHING",
        application,
        account,
        r.rating,
        &r.comment,
        r.rated_at
    )?;
    Ok(n == 1)
}

/// An application's state fee as the payments part announced it.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct FeeRow {
    pub application_id: String,
    pub uin: String,
    pub amount_kopecks: i64,
    pub paid_at: Option<i64>,
    pub payment_id: Option<String>,
    pub updated_at: i64,
}

pub async fn fee(c: &mut impl AsConn, application_id: &str) -> Result<Option<FeeRow>, sqlx::Error> {
    q_opt!(
        c,
        FeeRow,
        "SELECT application_id, uin, amount_kopecks, paid_at, payment_id, updated_at FROM application_fees
         WHERE application_id = $1",
        application_id
    )
}

/// Records the fee's charge; false when the application has one recorded (or does not exist).
pub async fn insert_fee(tx: &mut Tx, f: &FeeRow) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO application_fees (application_id, uin, amount_kopecks, paid_at, payment_id, updated_at)
         SELECT $1, $2, $3, NULL, NULL, $4 WHERE EXISTS (SELECT 1 FROM applications WHERE id = $1)
         ON CONFLICT (application_id) DO NOTHING",
        &f.application_id,
        &f.uin,
        f.amount_kopecks,
        f.updated_at
    )?;
    Ok(n == 1)
}

/// Marks the fee paid, once: false when it was paid already or is not recorded.
pub async fn fee_paid(
    tx: &mut Tx,
    application_id: &str,
    payment_id: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "UPDATE application_fees SET paid_at = $1, payment_id = $2, updated_at = $1
         WHERE application_id = $3 AND paid_at IS NULL",
        at,
        payment_id,
        application_id
    )?;
    Ok(n == 1)
}
