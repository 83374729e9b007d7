//! SQL of the services part, written once for both engines (portable `$n` SQL; see kernel/db.rs).

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};
use serde::Deserialize;

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

const SERVICE_SELECT: &str =
    "SELECT s.code, s.title, s.summary, s.agency_code, g.short_name AS agency_name,
        g.time_zone, s.fee_kopecks, s.deadline_working_days, s.level_required, s.documents,
        v.version, v.form, v.applicants, v.fee_at
    FROM services s JOIN agencies g ON g.code = s.agency_code
    JOIN service_versions v ON v.service_code = s.code";

/// Every service with a form, at its latest version.
pub async fn catalogue(c: &mut impl AsConn) -> Result<Vec<ServiceRow>, sqlx::Error> {
    q_all!(
        c,
        ServiceRow,
        &format!(
            "{SERVICE_SELECT} WHERE v.version = (SELECT MAX(version) FROM service_versions WHERE service_code = s.code)
             ORDER BY g.short_name, s.title"
        )
    )
}

/// A service at `version`, or at its latest when `None`.
pub async fn service(
    c: &mut impl AsConn,
    code: &str,
    version: Option<i64>,
) -> Result<Option<ServiceRow>, sqlx::Error> {
    match version {
        Some(v) => {
            q_opt!(
                c,
                ServiceRow,
                &format!("{SERVICE_SELECT} WHERE s.code = $1 AND v.version = $2"),
                code,
                v
            )
        }
        None => {
            q_opt!(
                c,
                ServiceRow,
                &format!(
                    "{SERVICE_SELECT} WHERE s.code = $1
                 AND v.version = (SELECT MAX(version) FROM service_versions WHERE service_code = s.code)"
                ),
                code
            )
        }
    }
}

/// A catalogue service that has no form version yet, as version 0 with an empty form (the page that
/// publishes the first version starts from it).
pub async fn unpublished(
    c: &mut impl AsConn,
    code: &str,
) -> Result<Option<ServiceRow>, sqlx::Error> {
    q_opt!(
        c,
        ServiceRow,
        "SELECT s.code, s.title, s.summary, s.agency_code, g.short_name AS agency_name,
            g.time_zone, s.fee_kopecks, s.deadline_working_days, s.level_required, s.documents,
            CAST(0 AS BIGINT) AS version, CAST('{\"fields\": []}' AS TEXT) AS form,
            CAST('person' AS TEXT) AS applicants, CAST('submission' AS TEXT) AS fee_at
         FROM services s JOIN agencies g ON g.code = s.agency_code
         WHERE s.code = $1 AND NOT EXISTS (SELECT 1 FROM service_versions v WHERE v.service_code = s.code)",
        code
    )
}

/// Catalogue services without a form version: (code, title, agency's short name).
pub async fn unpublished_all(
    c: &mut impl AsConn,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    q_all!(
        c,
        (String, String, String),
        "SELECT s.code, s.title, g.short_name FROM services s JOIN agencies g ON g.code = s.agency_code
         WHERE NOT EXISTS (SELECT 1 FROM service_versions v WHERE v.service_code = s.code)
         ORDER BY g.short_name, s.title"
    )
}

/// The directory's entry says the service is applied for online once it has a form.
pub async fn mark_online(tx: &mut Tx, code: &str) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE services SET online = 1 WHERE code = $1 AND online = 0",
        code
    )
}

pub async fn service_exists(c: &mut impl AsConn, code: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = q_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM services WHERE code = $1",
        code
    )?;
    Ok(n > 0)
}

pub async fn latest_version(tx: &mut Tx, code: &str) -> Result<i64, sqlx::Error> {
    q_scalar!(
        tx,
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
    q_all!(
        c,
        AppRow,
        &format!(
            "SELECT {APP_COLS} FROM applications
             WHERE status <> 'draft'
               AND service_code IN (SELECT s.code FROM services s JOIN official_agencies o
                                    ON o.agency_code = s.agency_code WHERE o.account_id = $1)
               AND ($2 = '' OR status = $2) AND ($3 = '' OR service_code = $3)
             ORDER BY due_date, submitted_at LIMIT 1000"
        ),
        official,
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

/// Applications past the draft, of the agencies `official` works for (every agency when
/// `official` is empty).
pub async fn figure_rows(
    c: &mut impl AsConn,
    official: &str,
) -> Result<Vec<FigureRow>, sqlx::Error> {
    q_all!(
        c,
        FigureRow,
        "SELECT s.agency_code, g.short_name AS agency_name, g.time_zone, a.status, a.submitted_at,
                a.decided_at, a.due_date
         FROM applications a JOIN services s ON s.code = a.service_code
         JOIN agencies g ON g.code = s.agency_code
         WHERE a.status <> 'draft'
           AND ($1 = '' OR s.agency_code IN (SELECT agency_code FROM official_agencies WHERE account_id = $1))",
        official
    )
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
    let n: i64 = q_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM agencies WHERE code = $1",
        code
    )?;
    Ok(n > 0)
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

/// The account level of an account (`registered`, `simplified`, …).
/// The name of a person's account that is not blocked.
pub async fn person_name(c: &mut impl AsConn, id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(
        c,
        (String,),
        "SELECT display_name FROM accounts WHERE id = $1 AND kind = 'person' AND status <> 'blocked'",
        id
    )?
    .map(|r| r.0))
}

pub async fn account_level(c: &mut impl AsConn, id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(c, Level, "SELECT level FROM accounts WHERE id = $1", id)?.map(|r| r.level))
}

/// The kind of an organisation (`legal_entity`, `sole_proprietor`).
pub async fn organisation_kind(
    c: &mut impl AsConn,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(c, Kind, "SELECT kind FROM organisations WHERE id = $1", id)?.map(|r| r.kind))
}

#[derive(Deserialize, sqlx::FromRow)]
struct AgencyCode {
    agency_code: String,
}

#[derive(Deserialize, sqlx::FromRow)]
struct Level {
    level: String,
}

#[derive(Deserialize, sqlx::FromRow)]
struct Kind {
    kind: String,
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
