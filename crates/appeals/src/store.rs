//! SQL of the appeals part, written once for both engines (portable `$n` SQL; see kernel/db.rs).

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct BodyRow {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub region_code: String,
    pub municipality_code: Option<String>,
    pub time_zone: String,
    pub supervisor_code: Option<String>,
    /// The catalogue's agency this body is, if it is one.
    pub agency_code: Option<String>,
    pub created_at: i64,
}

pub async fn bodies(c: &mut impl AsConn) -> Result<Vec<BodyRow>, sqlx::Error> {
    q_all!(
        c,
        BodyRow,
        "SELECT code, name, short_name, region_code, municipality_code, time_zone, supervisor_code, agency_code, created_at
         FROM appeal_bodies ORDER BY name"
    )
}

pub async fn body(c: &mut impl AsConn, code: &str) -> Result<Option<BodyRow>, sqlx::Error> {
    q_opt!(
        c,
        BodyRow,
        "SELECT code, name, short_name, region_code, municipality_code, time_zone, supervisor_code, agency_code, created_at
         FROM appeal_bodies WHERE code = $1",
        code
    )
}

pub async fn insert_body(tx: &mut Tx, b: &BodyRow) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_bodies (code, name, short_name, region_code, municipality_code, time_zone, supervisor_code, created_at, agency_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        b.code.clone(),
        b.name.clone(),
        b.short_name.clone(),
        b.region_code.clone(),
        b.municipality_code.clone(),
        b.time_zone.clone(),
        b.supervisor_code.clone(),
        b.created_at,
        b.agency_code.clone()
    )
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct TerritoryRow {
    pub code: String,
    pub name: String,
    pub region_code: Option<String>,
}

pub async fn territories(c: &mut impl AsConn) -> Result<Vec<TerritoryRow>, sqlx::Error> {
    q_all!(
        c,
        TerritoryRow,
        "SELECT code, name, region_code FROM appeal_territories ORDER BY region_code, name"
    )
}

pub async fn insert_territory(tx: &mut Tx, t: &TerritoryRow, now: i64) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_territories (code, name, region_code, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        t.code.clone(),
        t.name.clone(),
        t.region_code.clone(),
        now
    )
}

pub async fn territory_exists(c: &mut impl AsConn, code: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = q_scalar!(
        c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM appeal_territories WHERE code = $1",
        code
    )?;
    Ok(n > 0)
}

pub async fn category_exists(c: &mut impl AsConn, code: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = q_scalar!(
        c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM appeal_category_tree WHERE code = $1",
        code
    )?;
    Ok(n > 0)
}

/// Where the tree ends: a category added later goes after it.
pub async fn last_category_position(c: &mut impl AsConn) -> Result<i64, sqlx::Error> {
    q_scalar!(
        c,
        i64,
        "SELECT CAST(COALESCE(MAX(position), 0) AS BIGINT) FROM appeal_category_tree"
    )
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct CategoryRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub title: String,
    pub position: i64,
}

pub async fn categories(c: &mut impl AsConn) -> Result<Vec<CategoryRow>, sqlx::Error> {
    q_all!(
        c,
        CategoryRow,
        "SELECT code, parent_code, title, position FROM appeal_category_tree ORDER BY position, code"
    )
}

pub async fn insert_category(tx: &mut Tx, r: &CategoryRow, now: i64) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_category_tree (code, parent_code, title, position, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        r.code.clone(),
        r.parent_code.clone(),
        r.title.clone(),
        r.position,
        now
    )
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct RouteRow {
    pub id: String,
    pub category_code: Option<String>,
    pub region_code: Option<String>,
    pub municipality_code: Option<String>,
    pub polygon: Option<String>,
    pub body_code: String,
}

pub async fn routes(c: &mut impl AsConn) -> Result<Vec<RouteRow>, sqlx::Error> {
    q_all!(
        c,
        RouteRow,
        "SELECT id, category_code, region_code, municipality_code, polygon, body_code FROM appeal_routes ORDER BY id"
    )
}

pub async fn insert_route(tx: &mut Tx, r: &RouteRow, now: i64) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_routes (id, category_code, region_code, municipality_code, polygon, body_code, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        r.id.clone(),
        r.category_code.clone(),
        r.region_code.clone(),
        r.municipality_code.clone(),
        r.polygon.clone(),
        r.body_code.clone(),
        now
    )
}

/// An appeal as stored.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct AppealRow {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub category_code: String,
    pub text: String,
    pub address: Option<String>,
    pub lat_micro: Option<i64>,
    pub lon_micro: Option<i64>,
    pub municipality_code: Option<String>,
    pub publish: i64,
    pub status: String,
    pub correction: i64,
    pub author_id: String,
    pub author_name: String,
    pub reply_address: Option<String>,
    pub via_app: Option<String>,
    pub body_code: Option<String>,
    pub registered_on: Option<String>,
    pub due_date: Option<String>,
    pub forward_due: Option<String>,
    pub extended: i64,
    pub routed_at: Option<i64>,
    pub warned_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub answered_late: Option<i64>,
    pub closed_at: Option<i64>,
    pub rating: Option<i64>,
    pub solved: Option<i64>,
    pub reject_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const APPEAL_COLS: &str = "id, number, kind, category_code, text, address, lat_micro, lon_micro,
    municipality_code, publish, status, correction, author_id, author_name, reply_address, via_app, body_code,
    registered_on, due_date, forward_due, extended, routed_at, warned_at, escalated_at, answered_at,
    answered_late, closed_at, rating, solved, reject_reason, created_at, updated_at";

pub async fn insert_appeal(tx: &mut Tx, a: &AppealRow) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        &format!(
            "INSERT INTO appeals ({APPEAL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
             $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)"
        ),
        a.id.clone(),
        a.number.clone(),
        a.kind.clone(),
        a.category_code.clone(),
        a.text.clone(),
        a.address.clone(),
        a.lat_micro,
        a.lon_micro,
        a.municipality_code.clone(),
        a.publish,
        a.status.clone(),
        a.correction,
        a.author_id.clone(),
        a.author_name.clone(),
        a.reply_address.clone(),
        a.via_app.clone(),
        a.body_code.clone(),
        a.registered_on.clone(),
        a.due_date.clone(),
        a.forward_due.clone(),
        a.extended,
        a.routed_at,
        a.warned_at,
        a.escalated_at,
        a.answered_at,
        a.answered_late,
        a.closed_at,
        a.rating,
        a.solved,
        a.reject_reason.clone(),
        a.created_at,
        a.updated_at
    )
}

/// Writes every changeable column, if the appeal was not changed since it was read (`expected`
/// is the `updated_at` read): a concurrent change in between makes it affect no row.
pub async fn update_appeal(tx: &mut Tx, a: &AppealRow, expected: i64) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE appeals SET text = $2, status = $3, correction = $4, body_code = $5, registered_on = $6,
             due_date = $7, forward_due = $8, extended = $9, routed_at = $10, warned_at = $11,
             escalated_at = $12, answered_at = $13, answered_late = $14, closed_at = $15, rating = $16,
             solved = $17, reject_reason = $18, updated_at = $19
         WHERE id = $1 AND updated_at = $20",
        a.id.clone(),
        a.text.clone(),
        a.status.clone(),
        a.correction,
        a.body_code.clone(),
        a.registered_on.clone(),
        a.due_date.clone(),
        a.forward_due.clone(),
        a.extended,
        a.routed_at,
        a.warned_at,
        a.escalated_at,
        a.answered_at,
        a.answered_late,
        a.closed_at,
        a.rating,
        a.solved,
        a.reject_reason.clone(),
        a.updated_at,
        expected
    )
}

pub async fn appeal(c: &mut impl AsConn, id: &str) -> Result<Option<AppealRow>, sqlx::Error> {
    q_opt!(
        c,
        AppealRow,
        &format!("SELECT {APPEAL_COLS} FROM appeals WHERE id = $1"),
        id
    )
}

pub async fn appeal_by_number(
    c: &mut impl AsConn,
    number: &str,
) -> Result<Option<AppealRow>, sqlx::Error> {
    q_opt!(
        c,
        AppealRow,
        &format!("SELECT {APPEAL_COLS} FROM appeals WHERE number = $1"),
        number
    )
}

pub async fn appeals_of(c: &mut impl AsConn, author: &str) -> Result<Vec<AppealRow>, sqlx::Error> {
    q_all!(
        c,
        AppealRow,
        &format!(
            "SELECT {APPEAL_COLS} FROM appeals WHERE author_id = $1 ORDER BY created_at DESC LIMIT 200"
        ),
        author
    )
}

/// The moderation queue: filed and not waiting for the author's correction, oldest first.
pub async fn moderation_queue(c: &mut impl AsConn) -> Result<Vec<AppealRow>, sqlx::Error> {
    q_all!(
        c,
        AppealRow,
        &format!(
            "SELECT {APPEAL_COLS} FROM appeals
             WHERE status IN ('new', 'moderation') AND correction = 0 ORDER BY created_at LIMIT 500"
        )
    )
}

/// The desk: appeals at the bodies an official works for (`status` '' = all), soonest due first.
pub async fn desk(
    c: &mut impl AsConn,
    official: &str,
    status: &str,
) -> Result<Vec<AppealRow>, sqlx::Error> {
    q_all!(
        c,
        AppealRow,
        &format!(
            "SELECT {APPEAL_COLS} FROM appeals
             WHERE body_code IN (SELECT body_code FROM appeal_officials WHERE account_id = $1)
               AND status NOT IN ('new', 'moderation', 'rejected')
               AND ($2 = '' OR status = $2)
             ORDER BY due_date, created_at LIMIT 1000"
        ),
        official,
        status
    )
}

/// Published problem reports (the public list and map), newest first.
pub async fn published(c: &mut impl AsConn, limit: i64) -> Result<Vec<AppealRow>, sqlx::Error> {
    q_all!(
        c,
        AppealRow,
        &format!(
            "SELECT {APPEAL_COLS} FROM appeals
             WHERE publish = 1 AND kind = 'message' AND status NOT IN ('new', 'moderation', 'rejected')
             ORDER BY created_at DESC LIMIT $1"
        ),
        limit
    )
}

/// Appeals at a body whose term runs and ends by `horizon` (ISO date): the worker's candidates.
/// One already marked overdue (a body without a supervisor) is not: the worker has nothing more
/// to do on it, and it must not crowd newer appeals out of the batch.
pub async fn running(c: &mut impl AsConn, horizon: &str) -> Result<Vec<AppealRow>, sqlx::Error> {
    q_all!(
        c,
        AppealRow,
        &format!(
            "SELECT {APPEAL_COLS} FROM appeals
             WHERE status IN ('routed', 'in_work', 'reopened') AND due_date IS NOT NULL AND due_date <= $1
               AND escalated_at IS NULL
             ORDER BY due_date LIMIT 500"
        ),
        horizon
    )
}

/// Per-body figures over every appeal that reached a body.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct FigureRow {
    pub body_code: String,
    pub received: i64,
    pub answered: i64,
    pub answered_in_time: i64,
    pub rated: i64,
    pub rating_sum: i64,
}

pub async fn figures(c: &mut impl AsConn) -> Result<Vec<FigureRow>, sqlx::Error> {
    q_all!(
        c,
        FigureRow,
        "SELECT body_code,
            CAST(COUNT(*) AS BIGINT) AS received,
            CAST(SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS answered,
            CAST(SUM(CASE WHEN answered_at IS NOT NULL AND answered_late = 0 THEN 1 ELSE 0 END) AS BIGINT) AS answered_in_time,
            CAST(SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS rated,
            CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS rating_sum
         FROM appeals WHERE body_code IS NOT NULL GROUP BY body_code ORDER BY body_code"
    )
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct TimingRow {
    pub body_code: String,
    pub status: String,
    pub due_date: Option<String>,
    pub routed_at: Option<i64>,
    pub answered_at: Option<i64>,
}

/// What the overdue share and the median answer time are computed from.
pub async fn timings(c: &mut impl AsConn) -> Result<Vec<TimingRow>, sqlx::Error> {
    q_all!(
        c,
        TimingRow,
        "SELECT body_code, status, due_date, routed_at, answered_at FROM appeals
         WHERE body_code IS NOT NULL ORDER BY body_code"
    )
}

/// The next number of `year` (1, 2, …), counted in the database.
pub async fn next_number(tx: &mut Tx, year: i64) -> Result<i64, sqlx::Error> {
    q_scalar!(
        tx,
        i64,
        "INSERT INTO appeal_counters (year, last) VALUES ($1, 1)
         ON CONFLICT (year) DO UPDATE SET last = appeal_counters.last + 1
         RETURNING last",
        year
    )
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub appeal_id: String,
    pub at: i64,
    pub actor_name: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub body_code: Option<String>,
    pub note: Option<String>,
}

pub async fn insert_event(tx: &mut Tx, e: &EventRow) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_events (id, appeal_id, at, actor_name, action, from_status, to_status, body_code, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        e.id.clone(),
        e.appeal_id.clone(),
        e.at,
        e.actor_name.clone(),
        e.action.clone(),
        e.from_status.clone(),
        e.to_status.clone(),
        e.body_code.clone(),
        e.note.clone()
    )
}

pub async fn events(c: &mut impl AsConn, appeal: &str) -> Result<Vec<EventRow>, sqlx::Error> {
    q_all!(
        c,
        EventRow,
        "SELECT id, appeal_id, at, actor_name, action, from_status, to_status, body_code, note
         FROM appeal_events WHERE appeal_id = $1 ORDER BY at, id",
        appeal
    )
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub appeal_id: String,
    pub kind: String,
    pub author_name: String,
    pub body_code: Option<String>,
    pub text: String,
    pub at: i64,
}

pub async fn insert_message(tx: &mut Tx, m: &MessageRow) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_messages (id, appeal_id, kind, author_name, body_code, text, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        m.id.clone(),
        m.appeal_id.clone(),
        m.kind.clone(),
        m.author_name.clone(),
        m.body_code.clone(),
        m.text.clone(),
        m.at
    )
}

pub async fn messages(c: &mut impl AsConn, appeal: &str) -> Result<Vec<MessageRow>, sqlx::Error> {
    q_all!(
        c,
        MessageRow,
        "SELECT id, appeal_id, kind, author_name, body_code, text, at
         FROM appeal_messages WHERE appeal_id = $1 ORDER BY at, id",
        appeal
    )
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct FileRow {
    pub id: String,
    pub appeal_id: String,
    pub message_id: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: i64,
}

pub async fn insert_file(tx: &mut Tx, f: &FileRow) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_files (id, appeal_id, message_id, file_name, content_type, size_bytes, sha256, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        f.id.clone(),
        f.appeal_id.clone(),
        f.message_id.clone(),
        f.file_name.clone(),
        f.content_type.clone(),
        f.size_bytes,
        f.sha256.clone(),
        f.uploaded_by.clone(),
        f.created_at
    )
}

pub async fn files(c: &mut impl AsConn, appeal: &str) -> Result<Vec<FileRow>, sqlx::Error> {
    q_all!(
        c,
        FileRow,
        "SELECT id, appeal_id, message_id, file_name, content_type, size_bytes, sha256, uploaded_by, created_at
         FROM appeal_files WHERE appeal_id = $1 ORDER BY created_at, id",
        appeal
    )
}

pub async fn assign_official(
    tx: &mut Tx,
    account: &str,
    body: &str,
    by: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_officials (account_id, body_code, created_by, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        account,
        body,
        by,
        now
    )
}

pub async fn works_for(
    c: &mut impl AsConn,
    account: &str,
    body: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = q_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM appeal_officials WHERE account_id = $1 AND body_code = $2",
        account,
        body
    )?;
    Ok(n > 0)
}

pub async fn bodies_of(c: &mut impl AsConn, account: &str) -> Result<Vec<String>, sqlx::Error> {
    Ok(q_all!(
        c,
        BodyCode,
        "SELECT body_code FROM appeal_officials WHERE account_id = $1 ORDER BY body_code",
        account
    )?
    .into_iter()
    .map(|r| r.body_code)
    .collect())
}

/// The accounts of a body's officials (to tell them of a near deadline).
pub async fn officials_of(c: &mut impl AsConn, body: &str) -> Result<Vec<String>, sqlx::Error> {
    Ok(q_all!(
        c,
        AccountId,
        "SELECT account_id FROM appeal_officials WHERE body_code = $1 ORDER BY account_id",
        body
    )?
    .into_iter()
    .map(|r| r.account_id)
    .collect())
}

#[derive(Deserialize, sqlx::FromRow)]
struct BodyCode {
    body_code: String,
}

#[derive(Deserialize, sqlx::FromRow)]
struct AccountId {
    account_id: String,
}

/// A rating of a state service, as taken from the services part's event.
pub async fn insert_service_rating(
    tx: &mut Tx,
    event_id: &str,
    r: &ServiceRating,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO appeal_service_ratings (event_id, application_id, agency_code, agency_name, service_code, rating, rated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        event_id,
        &r.application_id,
        &r.agency,
        &r.agency_name,
        &r.service,
        r.rating,
        r.rated_at
    )
}

/// The payload of `services.application.rated` that the figures need.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceRating {
    pub application_id: String,
    pub agency: String,
    pub agency_name: String,
    pub service: String,
    pub rating: i64,
    pub rated_at: i64,
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct ServiceRatingRow {
    pub agency_code: String,
    pub agency_name: String,
    pub rated: i64,
    pub rating_sum: i64,
}

/// Service ratings per agency.
pub async fn service_ratings(c: &mut impl AsConn) -> Result<Vec<ServiceRatingRow>, sqlx::Error> {
    q_all!(
        c,
        ServiceRatingRow,
        "SELECT agency_code, MAX(agency_name) AS agency_name, CAST(COUNT(*) AS BIGINT) AS rated,
            CAST(SUM(rating) AS BIGINT) AS rating_sum
         FROM appeal_service_ratings GROUP BY agency_code ORDER BY agency_code"
    )
}

/// The first photo (JPEG or PNG) the author attached to each appeal, by appeal.
pub async fn first_photos(c: &mut impl AsConn) -> Result<Vec<(String, String)>, sqlx::Error> {
    q_all!(
        c,
        (String, String),
        "SELECT appeal_id, MIN(id) FROM appeal_files
         WHERE message_id IS NULL AND content_type IN ('image/jpeg', 'image/png') GROUP BY appeal_id"
    )
}

/// A photo the author attached to a published problem report, for the public.
pub async fn published_photo(
    c: &mut impl AsConn,
    appeal: &str,
    file: &str,
) -> Result<Option<FileRow>, sqlx::Error> {
    q_opt!(
        c,
        FileRow,
        "SELECT f.id, f.appeal_id, f.message_id, f.file_name, f.content_type, f.size_bytes, f.sha256, f.uploaded_by, f.created_at
         FROM appeal_files f JOIN appeals a ON a.id = f.appeal_id
         WHERE f.appeal_id = $1 AND f.id = $2 AND f.message_id IS NULL
           AND f.content_type IN ('image/jpeg', 'image/png')
           AND a.publish = 1 AND a.kind = 'message' AND a.status NOT IN ('new', 'moderation', 'rejected')",
        appeal,
        file
    )
}
