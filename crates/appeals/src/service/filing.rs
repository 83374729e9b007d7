//! Filing an appeal (by the person or at a desk for them), correcting it before moderation and
//! commenting on it.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::Tx;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::outbox;
use okno_kernel::Platform;
use serde::Deserialize;

use crate::model::{self, Kind, Point, Status};
use crate::store::{self, AppealRow};

use super::access::{is_author, own_account};
use super::base::{clean_text, not_found, DEFAULT_ZONE};
use super::change::{commit_change, record, Change};
use super::views::{status_of, view, AppealView};

/// What a person files.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppeal {
    pub kind: Kind,
    /// A subcategory's code (its category follows from the tree).
    pub category: String,
    pub text: String,
    /// The place's address as the person describes it.
    #[serde(default)]
    pub address: Option<String>,
    /// Latitude and longitude in degrees (WGS 84), both or neither.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// The municipality (a territory code), when known.
    #[serde(default)]
    pub municipality: Option<String>,
    /// May the problem report be shown publicly (without personal data)?
    #[serde(default)]
    pub publish: bool,
    /// Where the answer goes (e-mail or postal address); required for a 59-ФЗ appeal only at
    /// moderation (a missing one is a rejection reason).
    #[serde(default)]
    pub reply_address: Option<String>,
}

/// Who files: a person's account, or a registered app through Open311 (on behalf of a reporter
/// it names).
pub struct Author {
    pub id: String,
    pub name: String,
    pub via_app: Option<String>,
}

/// A person files an appeal: checked, numbered at once, and put in the moderation queue.
pub async fn file(p: &Platform, actor: &Actor, n: NewAppeal) -> Result<AppealView> {
    let me = own_account(actor)?.to_string();
    file_as(
        p,
        actor,
        Author {
            id: me,
            name: actor.name.clone(),
            via_app: None,
        },
        n,
    )
    .await
}

/// Files an appeal for `author` (a person, or an Open311 app's reporter).
pub async fn file_as(
    p: &Platform,
    actor: &Actor,
    author: Author,
    n: NewAppeal,
) -> Result<AppealView> {
    let text = clean_text("text", &n.text, true)?.unwrap_or_default();
    let place = checked_place(n.lat, n.lon)?;
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    check_category(&mut tx, &n.category).await?;
    check_municipality(&mut tx, n.municipality.as_deref()).await?;
    let today = model::local_date(DEFAULT_ZONE, now);
    let seq = store::next_number(&mut tx, today.year() as i64).await?;
    let number = format!("ОБ-{}-{seq:06}", today.year());
    let kind = n.kind;
    let a = new_row(n, author, text, place, number, now);
    store::insert_appeal(&mut tx, &a).await?;
    record(
        &mut tx,
        &a,
        Change {
            actor,
            action: "filed",
            from: Status::New,
            note: None,
            tell: Some(format!(
                "{} зарегистрировано и ждёт проверки модератором.",
                kind.title()
            )),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// The place in micro-degrees: both coordinates within their limits, or neither.
fn checked_place(lat: Option<f64>, lon: Option<f64>) -> Result<Option<Point>> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(la), Some(lo)) => match (model::micro(la, 90.0), model::micro(lo, 180.0)) {
            (Some(lat), Some(lon)) => Ok(Some(Point { lat, lon })),
            _ => Err(Problem::invalid_field(
                "lat",
                "appeal.place_invalid",
                "Координаты вне допустимых пределов.",
            )
            .into()),
        },
        _ => Err(Problem::invalid_field(
            "lon",
            "appeal.place_invalid",
            "Укажите и широту, и долготу — или ни одну.",
        )
        .into()),
    }
}

/// The category is a subcategory of the tree.
async fn check_category(tx: &mut Tx, category: &str) -> Result<()> {
    let cats = store::categories(tx).await?;
    if !cats
        .iter()
        .any(|c| c.code == category && c.parent_code.is_some())
    {
        return Err(Problem::invalid_field(
            "category",
            "appeal.category_unknown",
            "Выберите тему и подтему обращения из списка.",
        )
        .into());
    }
    Ok(())
}

/// The municipality, when given, is a known territory within a region.
async fn check_municipality(tx: &mut Tx, municipality: Option<&str>) -> Result<()> {
    if let Some(m) = municipality.filter(|m| !m.is_empty()) {
        let known = store::territories(tx)
            .await?
            .iter()
            .any(|t| t.code == m && t.region_code.is_some());
        if !known {
            return Err(Problem::invalid_field(
                "municipality",
                "appeal.municipality_unknown",
                "Выберите муниципальное образование из списка.",
            )
            .into());
        }
    }
    Ok(())
}

/// Text the person typed for a line: trimmed, at most 500 characters, none when empty.
fn line(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().chars().take(500).collect::<String>())
        .filter(|s| !s.is_empty())
}

/// The new appeal's row: numbered, in the moderation queue, with no body yet.
fn new_row(
    n: NewAppeal,
    author: Author,
    text: String,
    place: Option<Point>,
    number: String,
    now: i64,
) -> AppealRow {
    AppealRow {
        id: new_id(),
        number,
        kind: n.kind.as_str().into(),
        category_code: n.category.clone(),
        text,
        address: line(n.address),
        lat_micro: place.map(|x| x.lat),
        lon_micro: place.map(|x| x.lon),
        municipality_code: n.municipality.filter(|m| !m.is_empty()),
        publish: i64::from(n.publish && n.kind == Kind::Message),
        status: Status::New.as_str().into(),
        correction: 0,
        author_id: author.id,
        author_name: author.name,
        reply_address: line(n.reply_address),
        via_app: author.via_app,
        body_code: None,
        registered_on: None,
        due_date: None,
        forward_due: None,
        extended: 0,
        routed_at: None,
        warned_at: None,
        escalated_at: None,
        answered_at: None,
        answered_late: None,
        closed_at: None,
        rating: None,
        solved: None,
        reject_reason: None,
        created_at: now,
        updated_at: now,
    }
}

/// The author corrects the text after the moderator sent it back; it returns to the queue.
pub async fn correct(p: &Platform, actor: &Actor, id: &str, text: &str) -> Result<AppealView> {
    let text = clean_text("text", text, true)?.unwrap_or_default();
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = store::appeal(&mut tx, id).await?.ok_or_else(not_found)?;
    if !is_author(actor, &a) {
        return Err(not_found());
    }
    let from = status_of(&a)?;
    if from != Status::New || a.correction != 1 {
        return Err(Error::from(model::Refusal::new(
            "appeal.not_editable",
            format!(
                "Текст можно исправить, только когда модератор вернул обращение на доработку; сейчас статус «{}».",
                from.title()
            ),
        )));
    }
    let expected = a.updated_at;
    a.text = text;
    a.correction = 0;
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
            actor,
            action: "corrected",
            from,
            note: None,
            tell: Some("Исправленный текст снова ждёт проверки модератором.".into()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// The author adds a comment to their own appeal without filing a new one.
pub async fn comment(p: &Platform, actor: &Actor, id: &str, text: &str) -> Result<AppealView> {
    let text = clean_text("text", text, true)?.unwrap_or_default();
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let a = store::appeal(&mut tx, id).await?.ok_or_else(not_found)?;
    if !is_author(actor, &a) {
        return Err(not_found());
    }
    let status = status_of(&a)?;
    if matches!(status, Status::Closed | Status::Rejected) {
        return Err(model::Refusal::new(
            "appeal.closed",
            format!(
                "Обращение в статусе «{}»: подайте новое обращение.",
                status.title()
            ),
        )
        .into());
    }
    store::insert_message(
        &mut tx,
        &store::MessageRow {
            id: new_id(),
            appeal_id: a.id.clone(),
            kind: "comment".into(),
            author_name: actor.name.clone(),
            body_code: None,
            text,
            at: now,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "appeals.comment.added",
            subject_type: "appeal",
            subject_id: &a.id,
            details: serde_json::json!({ "number": a.number }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        "appeal.commented",
        &serde_json::json!({ "appeal_id": a.id, "number": a.number, "body": a.body_code }),
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}
