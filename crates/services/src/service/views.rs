//! What an application looks like to its readers: its view with attachments, history, result
//! and rating, and the timing of its term.

use okno_kernel::clock::{now_ms, parse_date, rfc3339};
use okno_kernel::documents::{self, IssuedDocument};
use okno_kernel::error::{Error, Result};
use okno_kernel::Platform;
use serde::Serialize;

use crate::form::Values;
use crate::model::{self, ApplicantKind, Status};
use crate::store::{self, AppRow};

use super::base::calendar;

/// An application as its applicant and the desk see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: String,
    /// Given at submission: `2026-000123`.
    pub number: Option<String>,
    pub service_code: String,
    pub service_title: String,
    pub agency_name: String,
    /// The form version the application was started with.
    pub version: i64,
    pub status: Status,
    pub status_title: &'static str,
    pub applicant_kind: ApplicantKind,
    pub applicant_name: String,
    /// Who filed it, when not the applicant (a representative, an organisation's member, an
    /// operator at a service point).
    pub filed_by_name: String,
    /// The service point's code, when an operator filed it there for the person present.
    pub desk_office: Option<String>,
    /// The form's values.
    #[schema(value_type = Object)]
    pub data: Values,
    pub submitted_at: Option<String>,
    /// Expected decision date (ISO, the agency's zone).
    pub due_date: Option<String>,
    /// Working days left until the due date; while clarification is awaited, those left when it
    /// was asked for.
    pub working_days_left: Option<i64>,
    pub overdue: bool,
    pub reason: Option<String>,
    pub fee_kopecks: Option<i64>,
    /// The state fee's charge, once the payments part issued it.
    pub fee: Option<FeeView>,
    pub attachments: Vec<AttachmentView>,
    pub history: Vec<EventView>,
    /// The signed result document, once the result is issued.
    pub result: Option<ResultView>,
    /// The applicant's rating of the service, once given.
    pub rating: Option<RatingView>,
    /// Whether the applicant may rate it now (decided, not rated yet).
    pub can_rate: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// The signed result document of an application.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultView {
    /// The document's id in the register; its public check is `/verify/{id}`.
    pub id: String,
    pub title: String,
    pub issued_at: String,
    pub sha256: String,
    pub size_bytes: i64,
}

impl From<IssuedDocument> for ResultView {
    fn from(d: IssuedDocument) -> ResultView {
        ResultView {
            id: d.id,
            title: d.title,
            issued_at: rfc3339(d.issued_at),
            sha256: d.sha256,
            size_bytes: d.size,
        }
    }
}

/// An attached file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub field: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// The status in which it was added (`draft`, `needs_info`).
    pub added_in: String,
    pub created_at: String,
}

/// One change of status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ApplicationEvent)]
pub struct EventView {
    pub at: String,
    pub actor_name: String,
    pub transition: String,
    pub from_status: Status,
    pub to_status: Status,
    pub to_title: &'static str,
    pub comment: Option<String>,
}

pub(super) fn status_of(a: &AppRow) -> Result<Status> {
    Status::parse(&a.status).ok_or_else(|| Error::internal("application of unknown status"))
}

pub(super) fn values_of(p: &Platform, a: &AppRow) -> Result<Values> {
    let plain = p
        .secrets
        .decrypt(&a.data_enc)
        .map_err(|_| Error::internal("application data does not decrypt"))?;
    Ok(serde_json::from_str(&plain)?)
}

/// Working days left and whether the due date passed, in the agency's zone.
pub(super) fn timing(a: &AppRow, status: Status, zone: &str, now: i64) -> (Option<i64>, bool) {
    let Some(due) = a.due_date.as_deref().and_then(parse_date) else {
        return (None, false);
    };
    if status == Status::NeedsInfo {
        return (a.paused_days_left, false);
    }
    let today = model::local_date(zone, now);
    let left = model::working_days_left(calendar(), today, due) as i64;
    (
        Some(left),
        (status == Status::Submitted || status == Status::InReview) && today > due,
    )
}

pub(super) async fn view(p: &Platform, a: AppRow) -> Result<ApplicationView> {
    let mut c = p.db.read().await?;
    let s = store::service(&mut c, &a.service_code, Some(a.version))
        .await?
        .ok_or_else(|| Error::internal("application of a missing service version"))?;
    let status = status_of(&a)?;
    let (left, overdue) = timing(&a, status, &s.time_zone, now_ms());
    let attachments = store::attachments(&mut c, &a.id)
        .await?
        .into_iter()
        .map(|f| AttachmentView {
            id: f.id,
            field: f.field,
            file_name: f.file_name,
            content_type: f.content_type,
            size_bytes: f.size_bytes,
            sha256: f.sha256,
            added_in: f.added_in,
            created_at: rfc3339(f.created_at),
        })
        .collect();
    let history = store::events(&mut c, &a.id)
        .await?
        .into_iter()
        .filter_map(|e| {
            let from = Status::parse(&e.from_status)?;
            let to = Status::parse(&e.to_status)?;
            Some(EventView {
                at: rfc3339(e.at),
                actor_name: e.actor_name,
                transition: e.transition,
                from_status: from,
                to_status: to,
                to_title: to.title(),
                comment: e.comment,
            })
        })
        .collect();
    let result = documents::of_subject(&mut c, "application", &a.id)
        .await?
        .into_iter()
        .next_back()
        .map(ResultView::from);
    let fee = store::fee(&mut c, &a.id).await?.map(|f| FeeView {
        uin: f.uin,
        amount_kopecks: f.amount_kopecks,
        paid: f.paid_at.is_some(),
        paid_at: f.paid_at.map(rfc3339),
        paid_at_text: f
            .paid_at
            .map(|ms| okno_kernel::clock::moment_text(&s.time_zone, ms)),
    });
    let rating = store::rating(&mut c, &a.id).await?.map(|r| RatingView {
        rating: r.rating,
        comment: r.comment,
        rated_at: rfc3339(r.rated_at),
    });
    Ok(ApplicationView {
        can_rate: rating.is_none() && model::rateable(status),
        rating,
        data: values_of(p, &a)?,
        id: a.id,
        number: a.number,
        service_code: a.service_code,
        service_title: s.title,
        agency_name: s.agency_name,
        version: a.version,
        status,
        status_title: status.title(),
        applicant_kind: ApplicantKind::parse(&a.applicant_kind).unwrap_or(ApplicantKind::Person),
        applicant_name: a.applicant_name,
        filed_by_name: a.filed_by_name,
        desk_office: a.desk_office,
        submitted_at: a.submitted_at.map(rfc3339),
        due_date: a.due_date,
        working_days_left: left,
        overdue,
        reason: a.reason,
        fee_kopecks: s.fee_kopecks,
        fee,
        attachments,
        history,
        result,
        created_at: rfc3339(a.created_at),
        updated_at: rfc3339(a.updated_at),
    })
}

/// An application's state fee: the charge to pay by its УИН, and whether it is paid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeeView {
    pub uin: String,
    pub amount_kopecks: i64,
    pub paid: bool,
    /// RFC 3339, UTC.
    pub paid_at: Option<String>,
    /// «6 декабря 2026 г., 08:03 (МСК)», in the agency's zone.
    pub paid_at_text: Option<String>,
}

/// The applicant's rating of a decided application.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingView {
    /// 1–5.
    pub rating: i64,
    pub comment: Option<String>,
    pub rated_at: String,
}
