//! Use cases of the appeals part, each one transaction with its audit record, the author's
//! notification and outbox events: filing, correction and comments, moderation, the body's work
//! (take, forward, answers, the 59-ФЗ extension), rating and re-opening, files, the officials'
//! assignment, the public list and the figures per body.

use std::collections::BTreeMap;
use std::path::PathBuf;

use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::files::{self, Files};
use okno_kernel::outbox;
use okno_kernel::Platform;
use okno_rules::calendar::ProductionCalendar;
use serde::{Deserialize, Serialize};

use crate::model::{self, Kind, Point, RejectReason, Status, Terms};
use crate::store::{self, AppealRow, BodyRow, CategoryRow};

/// Settings of the appeals part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where files are stored (`<data-dir>/files`, shared with applications).
    pub files_dir: PathBuf,
    /// The address people reach the platform at: Open311's `media_url` links there.
    pub public_url: String,
    /// Terms per kind (`--appeal-terms`).
    pub terms: Terms,
    /// How often the deadline worker looks at running terms.
    pub worker_poll: std::time::Duration,
    /// The public figures of this node (`--figures-cache-seconds`).
    pub figures: FiguresCache,
}

impl Settings {
    pub fn files(&self) -> Files {
        Files::new(&self.files_dir)
    }
}

/// The zone of dates before a body is known (numbers, the moderation queue).
pub const DEFAULT_ZONE: &str = "Europe/Moscow";

/// The longest text of an appeal, an answer or a comment.
pub const TEXT_MAX: usize = 10_000;

fn calendar() -> &'static ProductionCalendar {
    ProductionCalendar::shared()
}

fn not_found() -> Error {
    Problem::not_found("Обращение не найдено.").into()
}

fn changed() -> Error {
    Problem::conflict(
        "appeal.changed",
        "Обращение только что изменилось. Обновите страницу и повторите.",
    )
    .into()
}

fn clean_text(field: &str, text: &str, required: bool) -> Result<Option<String>> {
    let t = text.trim();
    if t.is_empty() {
        return if required {
            Err(Problem::invalid_field(field, "appeal.text_required", "Напишите текст.").into())
        } else {
            Ok(None)
        };
    }
    if t.chars().count() > TEXT_MAX {
        return Err(Problem::invalid_field(
            field,
            "appeal.text_too_long",
            format!("Не больше {TEXT_MAX} знаков."),
        )
        .into());
    }
    Ok(Some(t.to_string()))
}

// --- reference data --------------------------------------------------------------------------

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

// --- routing ---------------------------------------------------------------------------------

/// The body a rule set sends an appeal to: among the rules whose category (the subcategory, its
/// category, or any) and territory (a polygon containing the place, the municipality, the
/// region, or anywhere) match, the most specific wins — territory first (polygon > municipality >
/// region > anywhere), then category (subcategory > category > any); ties go to the older rule.
pub fn route(
    routes: &[store::RouteRow],
    sub: &str,
    parent: Option<&str>,
    municipality: Option<&str>,
    region: Option<&str>,
    place: Option<Point>,
) -> Option<String> {
    let mut best: Option<(u8, u8, &store::RouteRow)> = None;
    for r in routes {
        let cat = match r.category_code.as_deref() {
            None => 1,
            Some(c) if c == sub => 3,
            Some(c) if Some(c) == parent => 2,
            Some(_) => continue,
        };
        let terr = if let Some(poly) = r.polygon.as_deref() {
            let Some(p) = place else { continue };
            let ring: Vec<Point> = serde_json::from_str::<Vec<[f64; 2]>>(poly)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|[la, lo]| {
                    Some(Point {
                        lat: model::micro(la, 90.0)?,
                        lon: model::micro(lo, 180.0)?,
                    })
                })
                .collect();
            if !model::contains(&ring, p) {
                continue;
            }
            4
        } else if let Some(m) = r.municipality_code.as_deref() {
            if Some(m) != municipality {
                continue;
            }
            3
        } else if let Some(g) = r.region_code.as_deref() {
            if Some(g) != region {
                continue;
            }
            2
        } else {
            1
        };
        if best.is_none_or(|(t, c, _)| (terr, cat) > (t, c)) {
            best = Some((terr, cat, r));
        }
    }
    best.map(|(_, _, r)| r.body_code.clone())
}

// --- views -----------------------------------------------------------------------------------

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

fn status_of(a: &AppealRow) -> Result<Status> {
    Status::parse(&a.status).ok_or_else(|| Error::internal("appeal of unknown status"))
}

fn kind_of(a: &AppealRow) -> Result<Kind> {
    Kind::parse(&a.kind).ok_or_else(|| Error::internal("appeal of unknown kind"))
}

fn zone_of(bodies: &BTreeMap<String, BodyRow>, a: &AppealRow) -> String {
    a.body_code
        .as_deref()
        .and_then(|b| bodies.get(b))
        .map_or(DEFAULT_ZONE.to_string(), |b| b.time_zone.clone())
}

fn is_overdue(a: &AppealRow, status: Status, zone: &str, now: i64) -> bool {
    status.at_body()
        && a.due_date
            .as_deref()
            .and_then(model::parse_iso)
            .is_some_and(|d| model::local_date(zone, now) > d)
}

async fn body_map(c: &mut impl okno_kernel::db::AsConn) -> Result<BTreeMap<String, BodyRow>> {
    Ok(store::bodies(c)
        .await?
        .into_iter()
        .map(|b| (b.code.clone(), b))
        .collect())
}

async fn view(db: &Db, a: AppealRow) -> Result<AppealView> {
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
        history: events
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
            .collect(),
        messages: messages
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                kind: m.kind,
                author_name: m.author_name,
                body_code: m.body_code,
                text: m.text,
                at: rfc3339(m.at),
            })
            .collect(),
        files: files
            .into_iter()
            .map(|f| FileView {
                id: f.id,
                message_id: f.message_id,
                file_name: f.file_name,
                content_type: f.content_type,
                size_bytes: f.size_bytes,
                sha256: f.sha256,
                created_at: rfc3339(f.created_at),
            })
            .collect(),
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

// --- who may -----------------------------------------------------------------------------------

fn own_account(actor: &Actor) -> Result<&str> {
    match (actor.kind, actor.id.as_deref()) {
        (ActorKind::Account, Some(id)) => Ok(id),
        (ActorKind::Anonymous, _) => Err(Problem::unauthenticated().into()),
        _ => Err(Problem::new(403, "appeal.person_only", "Только для граждан")
            .with_detail("Подать обращение и работать с ним от своего имени может только человек, вошедший в личный кабинет.")
            .into()),
    }
}

fn is_author(actor: &Actor, a: &AppealRow) -> bool {
    actor.kind == ActorKind::Account && actor.id.as_deref() == Some(a.author_id.as_str())
}

async fn is_official_of(db: &Db, actor: &Actor, body: Option<&str>) -> Result<bool> {
    if actor.kind == ActorKind::System {
        return Ok(true);
    }
    let (Some(body), Some(id)) = (body, actor.id.as_deref()) else {
        return Ok(false);
    };
    if !actor.can(Permission::AppealsAnswer) {
        return Ok(false);
    }
    let mut c = db.read().await?;
    Ok(store::works_for(&mut c, id, body).await?)
}

async fn require_official(db: &Db, actor: &Actor, a: &AppealRow) -> Result<()> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    if is_official_of(db, actor, a.body_code.as_deref()).await? {
        Ok(())
    } else {
        Err(Problem::new(403, "appeal.not_official", "Вы не сотрудник этого органа")
            .with_detail("Работать с обращением могут только должностные лица органа, которому оно направлено. Обратитесь к администратору.")
            .into())
    }
}

/// The appeal as the transaction sees it, after an official's right was checked on `checked`
/// (read before the transaction): refused as changed if it has since gone to another body, so
/// an official of the body it left cannot act on it in the meantime.
async fn reload_at_body(tx: &mut Tx, checked: &AppealRow) -> Result<AppealRow> {
    let a = store::appeal(tx, &checked.id)
        .await?
        .ok_or_else(not_found)?;
    if a.body_code != checked.body_code {
        return Err(changed());
    }
    Ok(a)
}

async fn load(db: &Db, id: &str) -> Result<AppealRow> {
    let mut c = db.read().await?;
    store::appeal(&mut c, id).await?.ok_or_else(not_found)
}

/// An appeal for its author, a moderator, or an official of the body it is at.
pub async fn get(p: &Platform, actor: &Actor, id: &str) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    if !(is_author(actor, &a)
        || actor.can(Permission::AppealsModerate)
        || is_official_of(&p.db, actor, a.body_code.as_deref()).await?)
    {
        return Err(not_found());
    }
    view(&p.db, a).await
}

/// The actor's own appeals, newest first.
pub async fn mine(p: &Platform, actor: &Actor) -> Result<Vec<AppealView>> {
    let me = own_account(actor)?;
    let rows = {
        let mut c = p.db.read().await?;
        store::appeals_of(&mut c, me).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(&p.db, a).await?);
    }
    Ok(out)
}

// --- the change of an appeal -------------------------------------------------------------------

/// One change, kept in one transaction: the row (if unchanged since read), the event, the audit
/// record, the author's notification and the outbox event.
struct Change<'a> {
    actor: &'a Actor,
    action: &'static str,
    from: Status,
    note: Option<String>,
    /// What the author is told, after the status.
    tell: Option<String>,
}

async fn commit_change(
    tx: &mut Tx,
    a: &mut AppealRow,
    expected: i64,
    ch: Change<'_>,
    now: i64,
) -> Result<()> {
    // A strictly newer version stamp, so a change in the same millisecond is still told apart.
    a.updated_at = now.max(expected + 1);
    if store::update_appeal(tx, a, expected).await? != 1 {
        return Err(changed());
    }
    record(tx, a, ch, now).await
}

async fn record(tx: &mut Tx, a: &AppealRow, ch: Change<'_>, now: i64) -> Result<()> {
    let to = status_of(a)?;
    store::insert_event(
        tx,
        &store::EventRow {
            id: new_id(),
            appeal_id: a.id.clone(),
            at: now,
            actor_name: ch.actor.name.clone(),
            action: ch.action.into(),
            from_status: ch.from.as_str().into(),
            to_status: to.as_str().into(),
            body_code: a.body_code.clone(),
            note: ch.note.clone(),
        },
    )
    .await?;
    audit::append(
        tx,
        audit::Entry {
            actor: ch.actor,
            action: "appeals.appeal.changed",
            subject_type: "appeal",
            subject_id: &a.id,
            details: serde_json::json!({
                "number": a.number, "action": ch.action, "from": ch.from.as_str(), "to": to.as_str(),
                "body": a.body_code, "due_date": a.due_date,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        tx,
        "appeal.status_changed",
        &serde_json::json!({
            "appeal_id": a.id, "number": a.number, "action": ch.action,
            "from": ch.from.as_str(), "to": to.as_str(), "body": a.body_code,
        }),
    )
    .await?;
    let subject = format!("Обращение № {}: {}", a.number, to.title());
    let mut text = format!("Обращение № {} — статус «{}».", a.number, to.title());
    if let Some(t) = ch.tell {
        text.push(' ');
        text.push_str(&t);
    }
    notify_account(tx, &a.author_id, Topic::Appeals, &subject, &text).await?;
    Ok(())
}

// --- filing ------------------------------------------------------------------------------------

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
    let place = match (n.lat, n.lon) {
        (None, None) => None,
        (Some(la), Some(lo)) => match (model::micro(la, 90.0), model::micro(lo, 180.0)) {
            (Some(lat), Some(lon)) => Some(Point { lat, lon }),
            _ => {
                return Err(Problem::invalid_field(
                    "lat",
                    "appeal.place_invalid",
                    "Координаты вне допустимых пределов.",
                )
                .into())
            }
        },
        _ => {
            return Err(Problem::invalid_field(
                "lon",
                "appeal.place_invalid",
                "Укажите и широту, и долготу — или ни одну.",
            )
            .into())
        }
    };
    let address = n
        .address
        .map(|s| s.trim().chars().take(500).collect::<String>())
        .filter(|s| !s.is_empty());
    let reply = n
        .reply_address
        .map(|s| s.trim().chars().take(500).collect::<String>())
        .filter(|s| !s.is_empty());
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let cats = store::categories(&mut tx).await?;
    if !cats
        .iter()
        .any(|c| c.code == n.category && c.parent_code.is_some())
    {
        return Err(Problem::invalid_field(
            "category",
            "appeal.category_unknown",
            "Выберите тему и подтему обращения из списка.",
        )
        .into());
    }
    if let Some(m) = n.municipality.as_deref().filter(|m| !m.is_empty()) {
        let known = store::territories(&mut tx)
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
    let today = model::local_date(DEFAULT_ZONE, now);
    let seq = store::next_number(&mut tx, today.year() as i64).await?;
    let a = AppealRow {
        id: new_id(),
        number: format!("ОБ-{}-{seq:06}", today.year()),
        kind: n.kind.as_str().into(),
        category_code: n.category.clone(),
        text,
        address,
        lat_micro: place.map(|x| x.lat),
        lon_micro: place.map(|x| x.lon),
        municipality_code: n.municipality.filter(|m| !m.is_empty()),
        publish: i64::from(n.publish && n.kind == Kind::Message),
        status: Status::New.as_str().into(),
        correction: 0,
        author_id: author.id,
        author_name: author.name,
        reply_address: reply,
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
    };
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
                n.kind.title()
            )),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
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

// --- moderation --------------------------------------------------------------------------------

/// The moderation queue, oldest first.
pub async fn moderation_queue(p: &Platform, actor: &Actor) -> Result<Vec<AppealView>> {
    actor.require(Permission::AppealsModerate)?;
    let rows = {
        let mut c = p.db.read().await?;
        store::moderation_queue(&mut c).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(&p.db, a).await?);
    }
    Ok(out)
}

/// A moderator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Take it from the queue (optional; marks who works on it).
    Take,
    /// Accept: routed to the body the rules find (or the one named).
    Accept,
    /// Send back to the author for correction (a note says what to correct).
    SendBack,
    /// Reject with a reason from the fixed list.
    Reject,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    pub verdict: Verdict,
    /// For `reject`.
    #[serde(default)]
    pub reason: Option<RejectReason>,
    /// For `accept`: a body other than the one routing finds.
    #[serde(default)]
    pub body: Option<String>,
    /// For `send_back`: what to correct (shown to the author).
    #[serde(default)]
    pub note: Option<String>,
}

/// Registers the appeal at `body` from today: the answer's term for its kind and the forwarding
/// date (59-ФЗ art. 8 part 3). The term counts from the registration at the body that answers:
/// an appeal forwarded or escalated is registered anew there, as 59-ФЗ art. 8 has the receiving
/// body register it.
fn register(a: &mut AppealRow, body: &BodyRow, terms: &Terms, now: i64) -> Result<()> {
    let today = model::local_date(&body.time_zone, now);
    let kind = kind_of(a)?;
    a.body_code = Some(body.code.clone());
    a.registered_on = Some(today.to_string());
    a.due_date = Some(terms.of(kind).due(calendar(), today).to_string());
    a.forward_due = Some(terms.forward.due(calendar(), today).to_string());
    a.extended = 0;
    a.routed_at = Some(now);
    a.warned_at = None;
    a.escalated_at = None;
    Ok(())
}

fn due_text(a: &AppealRow) -> String {
    a.due_date
        .as_deref()
        .and_then(model::parse_iso)
        .map(|d| format!("Срок ответа — до {}.", model::date_text(d)))
        .unwrap_or_default()
}

/// A moderator takes, accepts, sends back or rejects an appeal.
pub async fn moderate(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    m: Moderation,
) -> Result<AppealView> {
    actor.require(Permission::AppealsModerate)?;
    let note = match m.note.as_deref() {
        Some(n) => clean_text("note", n, false)?,
        None => None,
    };
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = store::appeal(&mut tx, id).await?.ok_or_else(not_found)?;
    let from = status_of(&a)?;
    let expected = a.updated_at;
    let change = match m.verdict {
        Verdict::Take => {
            a.status = from
                .take_for_moderation()
                .map_err(Error::from)?
                .as_str()
                .into();
            Change {
                actor,
                action: "moderation_taken",
                from,
                note: None,
                tell: None,
            }
        }
        Verdict::Accept => {
            let to = from.accept().map_err(Error::from)?;
            let code = match m.body.filter(|b| !b.is_empty()) {
                Some(b) => b,
                None => {
                    let cats = store::categories(&mut tx).await?;
                    let parent = cats
                        .iter()
                        .find(|c| c.code == a.category_code)
                        .and_then(|c| c.parent_code.clone());
                    let region = match a.municipality_code.as_deref() {
                        Some(m) => store::territories(&mut tx)
                            .await?
                            .into_iter()
                            .find(|t| t.code == m)
                            .and_then(|t| t.region_code),
                        None => None,
                    };
                    let place = a
                        .lat_micro
                        .zip(a.lon_micro)
                        .map(|(lat, lon)| Point { lat, lon });
                    route(
                        &store::routes(&mut tx).await?,
                        &a.category_code,
                        parent.as_deref(),
                        a.municipality_code.as_deref(),
                        region.as_deref(),
                        place,
                    )
                    .ok_or_else(|| {
                        Error::from(Problem::conflict(
                            "appeal.no_route",
                            "Правила маршрутизации не нашли орган для этой темы и территории. Укажите орган вручную.",
                        ))
                    })?
                }
            };
            let body = store::body(&mut tx, &code).await?.ok_or_else(|| {
                Error::from(Problem::invalid_field(
                    "body",
                    "appeal.body_unknown",
                    "Такого органа нет.",
                ))
            })?;
            register(&mut a, &body, &settings.terms, now)?;
            a.status = to.as_str().into();
            Change {
                actor,
                action: "accepted",
                from,
                note: None,
                tell: Some(format!("Направлено: {}. {}", body.name, due_text(&a))),
            }
        }
        Verdict::SendBack => {
            let to = from.send_back().map_err(Error::from)?;
            let Some(n) = note.clone() else {
                return Err(Problem::invalid_field(
                    "note",
                    "appeal.note_required",
                    "Напишите, что автору нужно исправить.",
                )
                .into());
            };
            a.status = to.as_str().into();
            a.correction = 1;
            Change {
                actor,
                action: "sent_back",
                from,
                note: Some(n.clone()),
                tell: Some(format!("Модератор вернул обращение на доработку: {n}")),
            }
        }
        Verdict::Reject => {
            let to = from.reject().map_err(Error::from)?;
            let Some(reason) = m.reason else {
                return Err(Problem::invalid_field(
                    "reason",
                    "appeal.reason_required",
                    "Выберите причину отклонения из списка.",
                )
                .into());
            };
            a.status = to.as_str().into();
            a.reject_reason = Some(reason.as_str().into());
            a.closed_at = Some(now);
            Change {
                actor,
                action: "rejected",
                from,
                note: Some(reason.title().into()),
                tell: Some(format!("Причина: {}.", reason.title())),
            }
        }
    };
    commit_change(&mut tx, &mut a, expected, change, now).await?;
    tx.commit().await?;
    view(&p.db, a).await
}

// --- the body's work ---------------------------------------------------------------------------

/// One line of the body's desk.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AppealDeskRow)]
pub struct DeskRow {
    pub id: String,
    pub number: String,
    pub kind_title: &'static str,
    pub body_code: String,
    pub status: Status,
    pub status_title: &'static str,
    pub due_date: Option<String>,
    /// Working days left until the due date (0 on it and after).
    pub working_days_left: Option<i64>,
    pub overdue: bool,
    pub created_at: String,
}

/// Appeals at the bodies the official works for; overdue first, then by due date.
pub async fn desk(p: &Platform, actor: &Actor, status: Option<&str>) -> Result<Vec<DeskRow>> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    actor.require(Permission::AppealsAnswer)?;
    let status = status.unwrap_or_default();
    if !status.is_empty() && Status::parse(status).is_none() {
        return Err(Problem::invalid_field("status", "desk.status", "Неизвестный статус.").into());
    }
    let mut c = p.db.read().await?;
    let rows = store::desk(&mut c, actor.id.as_deref().unwrap_or_default(), status).await?;
    let bodies = body_map(&mut c).await?;
    let now = now_ms();
    let mut out: Vec<DeskRow> = rows
        .into_iter()
        .filter_map(|a| {
            let st = Status::parse(&a.status)?;
            let zone = zone_of(&bodies, &a);
            let due = a.due_date.as_deref().and_then(model::parse_iso);
            Some(DeskRow {
                overdue: is_overdue(&a, st, &zone, now),
                working_days_left: due.filter(|_| st.at_body()).map(|d| {
                    calendar().working_days_between(model::local_date(&zone, now), d) as i64
                }),
                kind_title: Kind::parse(&a.kind).map_or("", Kind::title),
                body_code: a.body_code.clone().unwrap_or_default(),
                status: st,
                status_title: st.title(),
                created_at: rfc3339(a.created_at),
                due_date: a.due_date,
                id: a.id,
                number: a.number,
            })
        })
        .collect();
    out.sort_by(|x, y| {
        y.overdue
            .cmp(&x.overdue)
            .then_with(|| x.due_date.cmp(&y.due_date))
    });
    Ok(out)
}

/// The body takes the appeal in work.
pub async fn take(p: &Platform, actor: &Actor, id: &str) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    require_official(&p.db, actor, &a).await?;
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = reload_at_body(&mut tx, &a).await?;
    let from = status_of(&a)?;
    let expected = a.updated_at;
    a.status = from.take().map_err(Error::from)?.as_str().into();
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
            actor,
            action: "taken",
            from,
            note: None,
            tell: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// Forwarding to another body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    pub body: String,
    /// Why (shown to the author).
    pub reason: String,
}

/// The body forwards the appeal to another one, with a reason the author sees. 59-ФЗ art. 8
/// part 3: an appeal outside the body's competence is forwarded within 7 days of its
/// registration, with a notice to the author; a forwarding after that date is still done (the
/// appeal must reach the competent body) but is journalled as late.
pub async fn forward(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    f: Forward,
) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    require_official(&p.db, actor, &a).await?;
    let reason = clean_text("reason", &f.reason, true)?.unwrap_or_default();
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = reload_at_body(&mut tx, &a).await?;
    let from = status_of(&a)?;
    let to = from.forward().map_err(Error::from)?;
    if a.body_code.as_deref() == Some(f.body.as_str()) {
        return Err(Problem::invalid_field(
            "body",
            "appeal.same_body",
            "Обращение уже в этом органе.",
        )
        .into());
    }
    let target = store::body(&mut tx, &f.body).await?.ok_or_else(|| {
        Error::from(Problem::invalid_field(
            "body",
            "appeal.body_unknown",
            "Такого органа нет.",
        ))
    })?;
    let old_zone = match a.body_code.as_deref() {
        Some(b) => store::body(&mut tx, b)
            .await?
            .map_or(DEFAULT_ZONE.to_string(), |b| b.time_zone),
        None => DEFAULT_ZONE.to_string(),
    };
    let late = a
        .forward_due
        .as_deref()
        .and_then(model::parse_iso)
        .is_some_and(|d| model::local_date(&old_zone, now) > d);
    let expected = a.updated_at;
    register(&mut a, &target, &settings.terms, now)?;
    a.status = to.as_str().into();
    let tell = format!(
        "Перенаправлено в орган «{}». Причина: {reason} {}",
        target.name,
        due_text(&a)
    );
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
            actor,
            action: if late { "forwarded_late" } else { "forwarded" },
            from,
            note: Some(reason),
            tell: Some(tell),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// An answer of the body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// An interim answer keeps the appeal in work; the final one ends the body's term.
    #[serde(rename = "final")]
    pub is_final: bool,
    pub text: String,
}

/// The body answers: an interim answer, or the final one (which the author then rates).
pub async fn answer(p: &Platform, actor: &Actor, id: &str, ans: Answer) -> Result<AppealView> {
    answer_with_files(p, None, actor, id, ans, Vec::new()).await
}

/// A file as it came in a form: the name the person's computer gave it, and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// An answer with its files, in one transaction: every file is checked (PDF, JPG or PNG up to
/// 5 MB, told by content) before anything is written, so a refused file leaves no answer sent
/// without it, and the author is told of the answer once, with its files.
pub async fn answer_with_files(
    p: &Platform,
    files: Option<&Files>,
    actor: &Actor,
    id: &str,
    ans: Answer,
    uploads: Vec<Upload>,
) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    require_official(&p.db, actor, &a).await?;
    let text = clean_text("text", &ans.text, true)?.unwrap_or_default();
    // Refused before any file is stored when the appeal is not where an answer can be given (the
    // transaction checks again on the row it changes).
    let status = status_of(&a)?;
    if ans.is_final {
        status.final_answer()
    } else {
        status.interim_answer()
    }
    .map_err(Error::from)?;
    let mut checked = Vec::with_capacity(uploads.len());
    for u in &uploads {
        let kind = files::check_file(&u.bytes).map_err(|mut pr| {
            pr.detail = format!("Файл «{}»: {}", clean_file_name(&u.file_name), pr.detail);
            Error::from(pr)
        })?;
        checked.push(kind);
    }
    let message_id = new_id();
    let now = now_ms();
    let mut rows = Vec::with_capacity(uploads.len());
    if !uploads.is_empty() {
        let files = files.ok_or_else(|| Error::internal("answer files without a file store"))?;
        for (u, kind) in uploads.iter().zip(checked) {
            let sha = files.put(&u.bytes).await?;
            rows.push(file_row(
                &a.id,
                Some(&message_id),
                actor,
                &u.file_name,
                kind.mime(),
                u.bytes.len(),
                sha,
                now,
            ));
        }
    }
    let mut tx = p.db.begin().await?;
    let mut a = reload_at_body(&mut tx, &a).await?;
    let from = status_of(&a)?;
    let to = if ans.is_final {
        from.final_answer()
    } else {
        from.interim_answer()
    }
    .map_err(Error::from)?;
    let expected = a.updated_at;
    let zone = match a.body_code.as_deref() {
        Some(b) => store::body(&mut tx, b)
            .await?
            .map_or(DEFAULT_ZONE.to_string(), |b| b.time_zone),
        None => DEFAULT_ZONE.to_string(),
    };
    store::insert_message(
        &mut tx,
        &store::MessageRow {
            id: message_id.clone(),
            appeal_id: a.id.clone(),
            kind: if ans.is_final { "final" } else { "interim" }.into(),
            author_name: actor.name.clone(),
            body_code: a.body_code.clone(),
            text: text.clone(),
            at: now,
        },
    )
    .await?;
    for row in &rows {
        insert_file_audited(&mut tx, actor, row).await?;
    }
    a.status = to.as_str().into();
    if ans.is_final {
        a.answered_at = Some(now);
        a.answered_late = Some(i64::from(is_overdue(&a, from, &zone, now)));
    }
    let tell = if ans.is_final {
        "Дан ответ. Оцените его в личном кабинете: если проблема не решена, обращение будет пересмотрено вышестоящим органом.".to_string()
    } else {
        "Орган дал промежуточный ответ.".to_string()
    };
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
            actor,
            action: if ans.is_final {
                "answered"
            } else {
                "interim_answer"
            },
            from,
            note: None,
            tell: Some(tell),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

/// The 59-ФЗ extension.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// By how many days (1–30).
    #[schema(minimum = 1, maximum = 30)]
    pub days: u32,
    /// Why (shown to the author).
    pub reason: String,
}

/// The body extends the term: 59-ФЗ art. 12 part 2 — in exceptional cases the head of the body
/// may extend the 30-day term once, by no more than 30 days, telling the author. Only for the
/// kinds under 59-ФЗ; calendar days, moved off a day off like the term itself.
pub async fn extend(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    e: Extension,
) -> Result<AppealView> {
    let a = load(&p.db, id).await?;
    require_official(&p.db, actor, &a).await?;
    let reason = clean_text("reason", &e.reason, true)?.unwrap_or_default();
    if e.days == 0 || e.days > settings.terms.extension_max_days {
        return Err(Problem::invalid_field(
            "days",
            "appeal.extension_days",
            format!(
                "Срок продлевается не более чем на {} дней.",
                settings.terms.extension_max_days
            ),
        )
        .into());
    }
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = reload_at_body(&mut tx, &a).await?;
    let from = status_of(&a)?;
    if !kind_of(&a)?.under_59fz() {
        return Err(model::Refusal::new(
            "appeal.extension_not_allowed",
            "Срок ответа на сообщение о проблеме не продлевается: продление предусмотрено только для обращений по 59-ФЗ.",
        ).into());
    }
    if !from.at_body() {
        return Err(model::Refusal::new(
            "appeal.transition_forbidden",
            format!(
                "Нельзя продлить срок: обращение в статусе «{}».",
                from.title()
            ),
        )
        .into());
    }
    if a.extended == 1 {
        return Err(model::Refusal::new(
            "appeal.already_extended",
            "Срок уже продлевался: по 59-ФЗ его продлевают только один раз.",
        )
        .into());
    }
    let due = a
        .due_date
        .as_deref()
        .and_then(model::parse_iso)
        .ok_or_else(|| Error::internal("appeal at a body without a due date"))?;
    let expected = a.updated_at;
    let new_due = model::Term {
        days: e.days,
        working: false,
    }
    .due(calendar(), due);
    a.due_date = Some(new_due.to_string());
    a.extended = 1;
    a.warned_at = None;
    a.escalated_at = None;
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
            actor,
            action: "extended",
            from,
            note: Some(reason.clone()),
            tell: Some(format!(
                "Срок рассмотрения продлён до {}. Причина: {reason}",
                model::date_text(new_due)
            )),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

// --- rating ------------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    /// Was the problem solved?
    pub solved: bool,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The author rates the final answer. A rating of [`model::LOW_RATING`] or lower within 30 days
/// of the answer re-opens the appeal at the supervising body (with a fresh term); otherwise —
/// or when the body has no supervisor — the appeal is closed.
pub async fn rate(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    r: Rating,
) -> Result<AppealView> {
    if !(1..=5).contains(&r.rating) {
        return Err(
            Problem::invalid_field("rating", "appeal.rating_range", "Оценка — от 1 до 5.").into(),
        );
    }
    let comment = match r.comment.as_deref() {
        Some(c) => clean_text("comment", c, false)?,
        None => None,
    };
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = store::appeal(&mut tx, id).await?.ok_or_else(not_found)?;
    if !is_author(actor, &a) {
        return Err(not_found());
    }
    let from = status_of(&a)?;
    let since = now - a.answered_at.unwrap_or(now);
    let supervisor = match a.body_code.as_deref() {
        Some(b) => match store::body(&mut tx, b)
            .await?
            .and_then(|b| b.supervisor_code)
        {
            Some(s) => store::body(&mut tx, &s).await?,
            None => None,
        },
        None => None,
    };
    let reopen = model::reopens(r.rating, since) && supervisor.is_some();
    let to = from.rate(reopen).map_err(Error::from)?;
    let expected = a.updated_at;
    a.rating = Some(r.rating);
    a.solved = Some(i64::from(r.solved));
    if let Some(c) = &comment {
        store::insert_message(
            &mut tx,
            &store::MessageRow {
                id: new_id(),
                appeal_id: a.id.clone(),
                kind: "comment".into(),
                author_name: actor.name.clone(),
                body_code: None,
                text: c.clone(),
                at: now,
            },
        )
        .await?;
    }
    let (action, tell) = match (&supervisor, reopen) {
        (Some(s), true) => {
            register(&mut a, s, &settings.terms, now)?;
            (
                "reopened",
                format!(
                    "Оценка {}: обращение повторно открыто и направлено в вышестоящий орган «{}». {}",
                    r.rating,
                    s.name,
                    due_text(&a)
                ),
            )
        }
        _ => {
            a.closed_at = Some(now);
            ("rated", format!("Спасибо за оценку: {}.", r.rating))
        }
    };
    a.status = to.as_str().into();
    commit_change(
        &mut tx,
        &mut a,
        expected,
        Change {
            actor,
            action,
            from,
            note: Some(format!(
                "Оценка {}, проблема {}",
                r.rating,
                if r.solved {
                    "решена"
                } else {
                    "не решена"
                }
            )),
            tell: Some(tell),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    view(&p.db, a).await
}

// --- files -------------------------------------------------------------------------------------

/// Attaches a photo or a document (the same rules as applications: PDF, JPG or PNG up to 5 MB,
/// told by content). The author attaches to the appeal until it is closed; an official of the
/// body attaches to one of the body's answers (`message`).
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    p: &Platform,
    files: &Files,
    actor: &Actor,
    id: &str,
    message: Option<&str>,
    file_name: &str,
    bytes: &[u8],
) -> Result<FileView> {
    let a = load(&p.db, id).await?;
    let status = status_of(&a)?;
    if message.is_some() {
        require_official(&p.db, actor, &a).await?;
        let mut c = p.db.read().await?;
        let ok = store::messages(&mut c, id).await?.iter().any(|m| {
            Some(m.id.as_str()) == message && m.kind != "comment" && m.body_code == a.body_code
        });
        if !ok {
            return Err(Problem::invalid_field(
                "message",
                "appeal.message_unknown",
                "Такого ответа у обращения нет.",
            )
            .into());
        }
    } else if !is_author(actor, &a) {
        return Err(not_found());
    }
    if matches!(status, Status::Closed | Status::Rejected) {
        return Err(model::Refusal::new(
            "appeal.closed",
            format!(
                "Обращение в статусе «{}»: файлы больше не добавляются.",
                status.title()
            ),
        )
        .into());
    }
    let kind = files::check_file(bytes)?;
    let sha = files.put(bytes).await?;
    let now = now_ms();
    let row = file_row(
        &a.id,
        message,
        actor,
        file_name,
        kind.mime(),
        bytes.len(),
        sha,
        now,
    );
    let mut tx = p.db.begin().await?;
    insert_file_audited(&mut tx, actor, &row).await?;
    tx.commit().await?;
    Ok(FileView {
        id: row.id,
        message_id: row.message_id,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        created_at: rfc3339(now),
    })
}

/// A file name as it may be stored and shown: no control characters or path separators, at most
/// 200 characters, «файл» when nothing is left.
fn clean_file_name(name: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    if name.trim().is_empty() {
        "файл".to_string()
    } else {
        name
    }
}

/// The register row of a stored file.
#[allow(clippy::too_many_arguments)]
fn file_row(
    appeal: &str,
    message: Option<&str>,
    actor: &Actor,
    file_name: &str,
    mime: &str,
    size: usize,
    sha256: String,
    now: i64,
) -> store::FileRow {
    store::FileRow {
        id: new_id(),
        appeal_id: appeal.to_string(),
        message_id: message.map(str::to_string),
        file_name: clean_file_name(file_name),
        content_type: mime.into(),
        size_bytes: size as i64,
        sha256,
        uploaded_by: actor.id.clone().unwrap_or_default(),
        created_at: now,
    }
}

async fn insert_file_audited(tx: &mut Tx, actor: &Actor, row: &store::FileRow) -> Result<()> {
    store::insert_file(tx, row).await?;
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "appeals.file.added",
            subject_type: "appeal",
            subject_id: &row.appeal_id,
            details: serde_json::json!({ "file": row.id, "sha256": row.sha256, "size": row.size_bytes, "message": row.message_id }),
        },
    )
    .await?;
    Ok(())
}

/// A file of an appeal, for whoever may see the appeal.
pub async fn file_of(
    p: &Platform,
    files: &Files,
    actor: &Actor,
    id: &str,
    file_id: &str,
) -> Result<(FileView, Vec<u8>)> {
    let v = get(p, actor, id).await?;
    let f = v
        .files
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or_else(|| Error::from(Problem::not_found("Файл не найден.")))?;
    let bytes = files.get(&f.sha256).await?;
    Ok((f, bytes))
}

// --- officials ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AppealOfficialAssignment)]
pub struct Assignment {
    /// The staff account's or the API token's id.
    pub account_id: String,
    pub body_code: String,
}

/// Assigns an official to a body (administrators). True when it was new.
pub async fn assign_official(db: &Db, actor: &Actor, a: &Assignment) -> Result<bool> {
    actor.require(Permission::StaffManage)?;
    let mut tx = db.begin().await?;
    if store::body(&mut tx, &a.body_code).await?.is_none() {
        return Err(Problem::not_found("Орган не найден.").into());
    }
    let added = store::assign_official(
        &mut tx,
        &a.account_id,
        &a.body_code,
        actor.id.as_deref().unwrap_or("system"),
        now_ms(),
    )
    .await?
        > 0;
    if added {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "appeals.official.assigned",
                subject_type: "account",
                subject_id: &a.account_id,
                details: serde_json::json!({ "body": a.body_code }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// The bodies the actor works for.
pub async fn my_bodies(db: &Db, actor: &Actor) -> Result<Vec<String>> {
    let mut c = db.read().await?;
    Ok(store::bodies_of(&mut c, actor.id.as_deref().unwrap_or_default()).await?)
}

// --- the public side ---------------------------------------------------------------------------

/// A published problem report: no author, no reply address, no comments — only what the place
/// and the body's answer say.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicReport {
    pub number: String,
    pub category_title: String,
    pub subcategory_title: String,
    pub text: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub status: Status,
    pub status_title: &'static str,
    pub body_name: Option<String>,
    /// The final answer, once given.
    pub answer: Option<String>,
    pub created_at: String,
}

/// Removes what names or reaches a person from a text the public sees: e-mail addresses and
/// phone-like runs of digits (the author's name and reply address are never shown at all).
pub fn depersonalise(text: &str) -> String {
    // Phone-like runs: digits with spaces, brackets, dashes and a plus, holding 7 digits or more.
    let chars: Vec<char> = text.chars().collect();
    let phoneish = |c: char| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | ' ');
    let mut masked = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(' {
            let mut j = i;
            while j < chars.len() && phoneish(chars[j]) {
                j += 1;
            }
            // Give back trailing spaces and dashes.
            let mut end = j;
            while end > i && matches!(chars[end - 1], ' ' | '-') {
                end -= 1;
            }
            let run: String = chars[i..end].iter().collect();
            if run.chars().filter(char::is_ascii_digit).count() >= 7 {
                masked.push_str("[номер скрыт]");
            } else {
                masked.push_str(&run);
            }
            i = end;
        } else {
            masked.push(chars[i]);
            i += 1;
        }
    }
    masked
        .split(' ')
        .map(|w| {
            if w.contains('@') && w.contains('.') {
                "[e-mail скрыт]"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn published(db: &Db, limit: i64) -> Result<Vec<PublicReport>> {
    let mut c = db.read().await?;
    let rows = store::published(&mut c, limit).await?;
    let cats = store::categories(&mut c).await?;
    let bodies = body_map(&mut c).await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let Some(status) = Status::parse(&a.status) else {
            continue;
        };
        let sub = cats.iter().find(|x| x.code == a.category_code);
        let parent = sub
            .and_then(|s| s.parent_code.as_deref())
            .and_then(|p| cats.iter().find(|x| x.code == p));
        let answer = store::messages(&mut c, &a.id)
            .await?
            .into_iter()
            .rfind(|m| m.kind == "final")
            .map(|m| depersonalise(&m.text));
        out.push(PublicReport {
            number: a.number,
            category_title: parent.map_or(String::new(), |p| p.title.clone()),
            subcategory_title: sub.map_or(String::new(), |s| s.title.clone()),
            text: depersonalise(&a.text),
            address: a.address.map(|s| depersonalise(&s)),
            lat: a.lat_micro.map(|v| v as f64 / 1e6),
            lon: a.lon_micro.map(|v| v as f64 / 1e6),
            status,
            status_title: status.title(),
            body_name: a
                .body_code
                .as_deref()
                .and_then(|b| bodies.get(b))
                .map(|b| b.short_name.clone()),
            answer,
            created_at: rfc3339(a.created_at),
        });
    }
    Ok(out)
}

/// How a body performs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub body_code: String,
    pub body_name: String,
    /// Appeals that reached the body (it is or was last responsible for them).
    pub received: i64,
    pub answered: i64,
    /// Final answers given by the due date.
    pub answered_in_time: i64,
    /// Answered late, or past the due date and still unanswered, among those received, 0–1.
    pub overdue_share: f64,
    /// Median time from routing to the final answer, in days (one decimal).
    pub median_answer_days: Option<f64>,
    /// Mean rating 1–5 of the answers rated (two decimals).
    pub mean_rating: Option<f64>,
    pub rated: i64,
    /// Ratings of the state services the body provides (as an agency of the catalogue).
    pub service_rated: i64,
    /// Their mean, 1–5 (two decimals).
    pub service_mean_rating: Option<f64>,
}

fn mean(sum: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum as f64 / n as f64 * 100.0).round() / 100.0)
}

/// The public figures as this node last computed them: they read every appeal that reached a
/// body, so under load they are computed at most once per `ttl` and served from memory in between
/// (one request computes; those arriving meanwhile wait for it). A zero `ttl` computes them for
/// every request.
#[derive(Debug, Clone)]
pub struct FiguresCache {
    ttl: std::time::Duration,
    slot: std::sync::Arc<tokio::sync::Mutex<Option<Computed>>>,
}

/// Figures and when they were computed.
#[derive(Debug, Clone)]
pub struct Computed {
    pub figures: std::sync::Arc<Vec<Figures>>,
    /// UTC milliseconds.
    pub at_ms: i64,
    at: std::time::Instant,
}

impl FiguresCache {
    pub fn new(ttl: std::time::Duration) -> FiguresCache {
        FiguresCache {
            ttl,
            slot: Default::default(),
        }
    }

    /// The figures, computed now or at most `ttl` ago.
    pub async fn get(&self, db: &Db) -> Result<Computed> {
        let fresh = |figures: Vec<Figures>| Computed {
            figures: std::sync::Arc::new(figures),
            at_ms: now_ms(),
            at: std::time::Instant::now(),
        };
        if self.ttl.is_zero() {
            return Ok(fresh(figures(db).await?));
        }
        let mut slot = self.slot.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| c.at.elapsed() < self.ttl) {
            return Ok(c.clone());
        }
        let c = fresh(figures(db).await?);
        *slot = Some(c.clone());
        Ok(c)
    }
}

pub async fn figures(db: &Db) -> Result<Vec<Figures>> {
    let mut c = db.read().await?;
    let rows = store::figures(&mut c).await?;
    let timings = store::timings(&mut c).await?;
    let bodies = body_map(&mut c).await?;
    let mut services: BTreeMap<String, store::ServiceRatingRow> = store::service_ratings(&mut c)
        .await?
        .into_iter()
        .map(|r| (r.agency_code.clone(), r))
        .collect();
    drop(c);
    // A body's service ratings: those of the agency it is, or of the agency of its own code.
    let mut service_of = |body: &str| {
        let agency = bodies
            .get(body)
            .and_then(|b| b.agency_code.clone())
            .unwrap_or_else(|| body.to_string());
        services.remove(&agency)
    };
    let now = now_ms();
    let mut out = Vec::new();
    for r in rows {
        let service = service_of(&r.body_code);
        let zone = bodies
            .get(&r.body_code)
            .map_or(DEFAULT_ZONE.to_string(), |b| b.time_zone.clone());
        let today = model::local_date(&zone, now);
        let mine: Vec<&store::TimingRow> = timings
            .iter()
            .filter(|t| t.body_code == r.body_code)
            .collect();
        let open_overdue = mine
            .iter()
            .filter(|t| {
                Status::parse(&t.status).is_some_and(Status::at_body)
                    && t.due_date
                        .as_deref()
                        .and_then(model::parse_iso)
                        .is_some_and(|d| today > d)
            })
            .count() as i64;
        let late = r.answered - r.answered_in_time;
        let mut days: Vec<i64> = mine
            .iter()
            .filter_map(|t| Some(t.answered_at? - t.routed_at?))
            .filter(|d| *d >= 0)
            .collect();
        days.sort_unstable();
        let median = if days.is_empty() {
            None
        } else if days.len() % 2 == 1 {
            Some(days[days.len() / 2] as f64)
        } else {
            Some((days[days.len() / 2 - 1] + days[days.len() / 2]) as f64 / 2.0)
        };
        out.push(Figures {
            body_name: bodies
                .get(&r.body_code)
                .map_or(r.body_code.clone(), |b| b.short_name.clone()),
            overdue_share: if r.received == 0 {
                0.0
            } else {
                ((late + open_overdue) as f64 / r.received as f64 * 1000.0).round() / 1000.0
            },
            median_answer_days: median.map(|ms| (ms / 86_400_000.0 * 10.0).round() / 10.0),
            mean_rating: mean(r.rating_sum, r.rated),
            service_rated: service.as_ref().map_or(0, |s| s.rated),
            service_mean_rating: service.and_then(|s| mean(s.rating_sum, s.rated)),
            body_code: r.body_code,
            received: r.received,
            answered: r.answered,
            answered_in_time: r.answered_in_time,
            rated: r.rated,
        });
    }
    // Agencies rated for their services that no appeal reached (yet) have their row too.
    let mut rest: Vec<store::ServiceRatingRow> = Vec::new();
    for b in bodies.values() {
        if !out.iter().any(|f| f.body_code == b.code) {
            if let Some(s) = service_of(&b.code) {
                rest.push(store::ServiceRatingRow {
                    agency_code: b.code.clone(),
                    agency_name: b.short_name.clone(),
                    ..s
                });
            }
        }
    }
    rest.extend(services.into_values());
    for s in rest {
        out.push(Figures {
            body_code: s.agency_code,
            body_name: s.agency_name,
            received: 0,
            answered: 0,
            answered_in_time: 0,
            overdue_share: 0.0,
            median_answer_days: None,
            mean_rating: None,
            rated: 0,
            service_mean_rating: mean(s.rating_sum, s.rated),
            service_rated: s.rated,
        });
    }
    Ok(out)
}

/// The figures as CSV (UTF-8 with a BOM, `;`-separated, decimal commas, as spreadsheet programs
/// in Russia expect).
pub fn figures_csv(rows: &[Figures]) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    }
    fn num(v: Option<f64>) -> String {
        v.map(|x| x.to_string().replace('.', ","))
            .unwrap_or_default()
    }
    let mut out = String::from(
        "\u{feff}Код;Орган;Поступило;Отвечено;Отвечено в срок;Доля просроченных;Медиана срока ответа, дней;Средняя оценка;Оценок;Средняя оценка услуг;Оценок услуг\r\n",
    );
    for r in rows {
        let line = [
            cell(&r.body_code),
            cell(&r.body_name),
            r.received.to_string(),
            r.answered.to_string(),
            r.answered_in_time.to_string(),
            num(Some(r.overdue_share)),
            num(r.median_answer_days),
            num(r.mean_rating),
            r.rated.to_string(),
            num(r.service_mean_rating),
            r.service_rated.to_string(),
        ];
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        cat: Option<&str>,
        m: Option<&str>,
        g: Option<&str>,
        poly: Option<&str>,
        body: &str,
    ) -> store::RouteRow {
        store::RouteRow {
            id: body.into(),
            category_code: cat.map(Into::into),
            region_code: g.map(Into::into),
            municipality_code: m.map(Into::into),
            polygon: poly.map(Into::into),
            body_code: body.into(),
        }
    }

    #[test]
    fn the_most_specific_rule_routes_the_appeal() {
        let poly = "[[54.18, 37.60], [54.18, 37.64], [54.21, 37.64], [54.21, 37.60]]";
        let rules = vec![
            rule(None, None, Some("71"), None, "region"),
            rule(Some("roads"), None, Some("71"), None, "roads-ministry"),
            rule(Some("roads"), Some("tula"), None, None, "tula-city"),
            rule(Some("pothole"), Some("tula"), None, None, "tula-roads"),
            rule(None, None, None, Some(poly), "central-district"),
        ];
        let inside = Some(Point {
            lat: 54_193_000,
            lon: 37_617_000,
        });
        let outside = Some(Point {
            lat: 54_100_000,
            lon: 37_500_000,
        });
        let r = |sub: &str, parent: &str, m: Option<&str>, place| {
            route(&rules, sub, Some(parent), m, Some("71"), place)
        };
        // The polygon containing the place wins over the municipality.
        assert_eq!(
            r("pothole", "roads", Some("tula"), inside).as_deref(),
            Some("central-district")
        );
        // Else the subcategory's rule in the municipality, then the category's.
        assert_eq!(
            r("pothole", "roads", Some("tula"), outside).as_deref(),
            Some("tula-roads")
        );
        assert_eq!(
            r("lights", "roads", Some("tula"), None).as_deref(),
            Some("tula-city")
        );
        // Elsewhere in the region: the category's regional rule, then any.
        assert_eq!(
            r("lights", "roads", Some("novomoskovsk"), None).as_deref(),
            Some("roads-ministry")
        );
        assert_eq!(
            r("heating", "housing", None, None).as_deref(),
            Some("region")
        );
        assert_eq!(
            route(&rules, "heating", Some("housing"), None, Some("40"), None),
            None
        );
    }

    #[test]
    fn published_texts_lose_e_mails_and_phone_numbers() {
        assert_eq!(
            depersonalise("Звоните +7 (915) 123-45-67 или 89151234567, пишите ivan@mail.ru"),
            "Звоните [номер скрыт] или [номер скрыт], пишите [e-mail скрыт]"
        );
    }

    #[test]
    fn csv_quotes_cells_and_uses_decimal_commas() {
        let csv = figures_csv(&[Figures {
            body_code: "tula".into(),
            body_name: "=Администрация".into(),
            received: 4,
            answered: 2,
            answered_in_time: 1,
            overdue_share: 0.25,
            median_answer_days: Some(3.5),
            mean_rating: None,
            rated: 0,
            service_rated: 2,
            service_mean_rating: Some(4.5),
        }]);
        assert!(csv.starts_with('\u{feff}'));
        assert!(
            csv.contains("\"'=Администрация\";4;2;1;0,25;3,5;;0;4,5;2"),
            "{csv}"
        );
    }
}
