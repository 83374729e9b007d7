//! What an appeal looks like to its readers: the view with its events, messages and files, its
//! status and whether it is overdue in its body's time zone.

use std::collections::BTreeMap;

use okno_kernel::clock::{now_ms, rfc3339};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Result};
use serde::Serialize;

use crate::model::{self, Kind, RejectReason, Status};
use crate::store::{self, AppealRow, BodyRow};

use super::base::DEFAULT_ZONE;

/// An appeal as its author, the moderators and the body see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppealView {
    pub id: String,
    /// Given at filing: `ОБ-2026-000123`.
    pub number: String,
    pub kind: Kind,
    pub kind_title: &'static str,
    pub category_code: String,
    pub category_title: String,
    pub subcategory_title: String,
    pub text: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub municipality_code: Option<String>,
    /// The author allowed publication (problem reports only).
    pub publish: bool,
    pub status: Status,
    pub status_title: &'static str,
    /// The moderator sent it back; the author corrects the text.
    pub awaiting_correction: bool,
    pub author_name: String,
    pub reply_address: Option<String>,
    pub body_code: Option<String>,
    pub body_name: Option<String>,
    /// Local date of registration at the body (ISO).
    pub registered_on: Option<String>,
    /// The answer is due by this date (ISO, the body's zone).
    pub due_date: Option<String>,
    /// A body without competence forwards it by this date (59-ФЗ art. 8 part 3).
    pub forward_due: Option<String>,
    /// The 59-ФЗ term was extended (once).
    pub extended: bool,
    pub overdue: bool,
    pub rating: Option<i64>,
    pub solved: Option<bool>,
    pub reject_reason: Option<RejectReason>,
    pub reject_reason_title: Option<&'static str>,
    pub history: Vec<EventView>,
    pub messages: Vec<MessageView>,
    pub files: Vec<FileView>,
    pub created_at: String,
    pub updated_at: String,
}

/// One change, as the author sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AppealEvent)]
pub struct EventView {
    pub at: String,
    pub actor_name: String,
    /// `filed`, `accepted`, `forwarded`, `escalated`, `answered`, …
    pub action: String,
    pub from_status: Status,
    pub to_status: Status,
    pub to_title: &'static str,
    pub body_code: Option<String>,
    /// The reason of a forwarding, a rejection, an extension: shown to the author.
    pub note: Option<String>,
}

/// An answer of the body or a comment of the author.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: String,
    /// `interim`, `final` (answers) or `comment` (the author's).
    pub kind: String,
    pub author_name: String,
    pub body_code: Option<String>,
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: String,
    /// The answer or comment the file belongs to.
    pub message_id: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: String,
}

pub(super) fn status_of(a: &AppealRow) -> Result<Status> {
    Status::parse(&a.status).ok_or_else(|| Error::internal("appeal of unknown status"))
}

pub(super) fn kind_of(a: &AppealRow) -> Result<Kind> {
    Kind::parse(&a.kind).ok_or_else(|| Error::internal("appeal of unknown kind"))
}

pub(super) fn zone_of(bodies: &BTreeMap<String, BodyRow>, a: &AppealRow) -> String {
    a.body_code
        .as_deref()
        .and_then(|b| bodies.get(b))
        .map_or(DEFAULT_ZONE.to_string(), |b| b.time_zone.clone())
}

pub(super) fn is_overdue(a: &AppealRow, status: Status, zone: &str, now: i64) -> bool {
    status.at_body()
        && a.due_date
            .as_deref()
            .and_then(model::parse_date)
            .is_some_and(|d| model::local_date(zone, now) > d)
}

pub(super) async fn body_map(
    c: &mut impl okno_kernel::db::AsConn,
) -> Result<BTreeMap<String, BodyRow>> {
    Ok(store::bodies(c)
        .await?
        .into_iter()
        .map(|b| (b.code.clone(), b))
        .collect())
}

pub(super) async fn view(db: &Db, a: AppealRow) -> Result<AppealView> {
    let mut c = db.read().await?;
    let cats = store::categories(&mut c).await?;
    let bodies = body_map(&mut c).await?;
    let events = store::events(&mut c, &a.id).await?;
    let messages = store::messages(&mut c, &a.id).await?;
    let files = store::files(&mut c, &a.id).await?;
    drop(c);
    let status = status_of(&a)?;
    let sub = cats.iter().find(|x| x.code == a.category_code);
    let parent = sub
        .and_then(|s| s.parent_code.as_deref())
        .and_then(|p| cats.iter().find(|x| x.code == p));
    let zone = zone_of(&bodies, &a);
    let reason = a.reject_reason.as_deref().and_then(RejectReason::parse);
    Ok(AppealView {
        kind: kind_of(&a)?,
        kind_title: kind_of(&a)?.title(),
        category_title: parent.map_or(String::new(), |p| p.title.clone()),
        subcategory_title: sub.map_or(String::new(), |s| s.title.clone()),
        lat: a.lat_micro.map(|v| v as f64 / 1e6),
        lon: a.lon_micro.map(|v| v as f64 / 1e6),
        publish: a.publish == 1,
        status,
        status_title: status.title(),
        awaiting_correction: a.correction == 1,
        body_name: a
            .body_code
            .as_deref()
            .and_then(|b| bodies.get(b))
            .map(|b| b.short_name.clone()),
        extended: a.extended == 1,
        overdue: is_overdue(&a, status, &zone, now_ms()),
        solved: a.solved.map(|s| s == 1),
        reject_reason: reason,
        reject_reason_title: reason.map(RejectReason::title),
        history: history(events),
        messages: messages.into_iter().map(message_view).collect(),
        files: files.into_iter().map(file_view).collect(),
        created_at: rfc3339(a.created_at),
        updated_at: rfc3339(a.updated_at),
        id: a.id,
        number: a.number,
        category_code: a.category_code,
        text: a.text,
        address: a.address,
        municipality_code: a.municipality_code,
        author_name: a.author_name,
        reply_address: a.reply_address,
        body_code: a.body_code,
        registered_on: a.registered_on,
        due_date: a.due_date,
        forward_due: a.forward_due,
        rating: a.rating,
    })
}

/// The appeal's events as shown (an event of an unknown status is left out).
fn history(events: Vec<store::EventRow>) -> Vec<EventView> {
    events
        .into_iter()
        .filter_map(|e| {
            let from = Status::parse(&e.from_status)?;
            let to = Status::parse(&e.to_status)?;
            Some(EventView {
                at: rfc3339(e.at),
                actor_name: e.actor_name,
                action: e.action,
                from_status: from,
                to_status: to,
                to_title: to.title(),
                body_code: e.body_code,
                note: e.note,
            })
        })
        .collect()
}

fn message_view(m: store::MessageRow) -> MessageView {
    MessageView {
        id: m.id,
        kind: m.kind,
        author_name: m.author_name,
        body_code: m.body_code,
        text: m.text,
        at: rfc3339(m.at),
    }
}

fn file_view(f: store::FileRow) -> FileView {
    FileView {
        id: f.id,
        message_id: f.message_id,
        file_name: f.file_name,
        content_type: f.content_type,
        size_bytes: f.size_bytes,
        sha256: f.sha256,
        created_at: rfc3339(f.created_at),
    }
}
