//! Use cases of the services part, each one transaction with its audit record, notifications and
//! outbox events: the catalogue and its form versions, drafts and attachments, every status
//! transition, the agency desk and the assignment of officials to agencies.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::{Actor, ActorKind, Permission, Role};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::{Db, Tx};
use okno_kernel::documents::{self, IssuedDocument, NewDocument};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::files::{self, Files};
use okno_kernel::outbox;
use okno_kernel::Platform;
use okno_rules::calendar::ProductionCalendar;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::form::{Form, Values};
use crate::model::{self, ApplicantKind, FeeAt, Status, Transition};
use crate::store::{self, AppRow, ServiceRow};

/// Settings of the services part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where attachments and result documents are stored (`<data-dir>/files` by default).
    pub files_dir: PathBuf,
    /// The address people reach the platform at; result documents link to `/verify/{id}` there.
    pub public_url: String,
}

impl Settings {
    pub fn files(&self) -> Files {
        Files::new(&self.files_dir)
    }
}

fn calendar() -> &'static ProductionCalendar {
    ProductionCalendar::shared()
}

fn not_found_app() -> Error {
    Problem::not_found("Заявление не найдено.").into()
}

fn not_found_service() -> Error {
    Problem::not_found("Услуга не найдена или ещё не принимает заявления онлайн.").into()
}

// --- the catalogue ---------------------------------------------------------------------------

/// A service as the catalogue shows it, with its current form.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    pub code: String,
    pub title: String,
    pub summary: String,
    pub agency_code: String,
    pub agency_name: String,
    /// The agency's IANA time zone: deadlines are counted in it.
    pub time_zone: String,
    /// State fee in kopecks; none when free.
    pub fee_kopecks: Option<i64>,
    pub fee_at: FeeAt,
    pub deadline_working_days: i64,
    /// Account level needed: `simplified`, `standard`, `confirmed`.
    pub level_required: String,
    pub documents: Vec<String>,
    pub applicants: Vec<ApplicantKind>,
    pub version: i64,
    pub form: Form,
}

fn service_view(r: ServiceRow) -> Result<ServiceView> {
    let form_json: Value = serde_json::from_str(&r.form)?;
    let form = Form::parse(&form_json)
        .map_err(|e| Error::internal(format!("stored form of {}: {e}", r.code)))?;
    Ok(ServiceView {
        documents: serde_json::from_str(&r.documents).unwrap_or_default(),
        applicants: r
            .applicants
            .split(',')
            .filter_map(ApplicantKind::parse)
            .collect(),
        fee_at: if r.fee_at == "approval" {
            FeeAt::Approval
        } else {
            FeeAt::Submission
        },
        code: r.code,
        title: r.title,
        summary: r.summary,
        agency_code: r.agency_code,
        agency_name: r.agency_name,
        time_zone: r.time_zone,
        fee_kopecks: r.fee_kopecks,
        deadline_working_days: r.deadline_working_days,
        level_required: r.level_required,
        version: r.version,
        form,
    })
}

/// Every service that takes applications online, at its current version.
pub async fn catalogue(db: &Db) -> Result<Vec<ServiceView>> {
    let mut c = db.read().await?;
    store::catalogue(&mut c)
        .await?
        .into_iter()
        .map(service_view)
        .collect()
}

/// One service at its current version.
pub async fn service(db: &Db, code: &str) -> Result<ServiceView> {
    let mut c = db.read().await?;
    service_view(
        store::service(&mut c, code, None)
            .await?
            .ok_or_else(not_found_service)?,
    )
}

/// A service as its form's page edits it: at its current version, or as version 0 with an empty
/// form when none is published yet.
pub async fn service_for_editing(db: &Db, code: &str) -> Result<ServiceView> {
    let mut c = db.read().await?;
    let row = match store::service(&mut c, code, None).await? {
        Some(r) => r,
        None => store::unpublished(&mut c, code)
            .await?
            .ok_or_else(not_found_service)?,
    };
    service_view(row)
}

/// Catalogue services with no form yet: (code, title, agency).
pub async fn unpublished(db: &Db) -> Result<Vec<(String, String, String)>> {
    let mut c = db.read().await?;
    Ok(store::unpublished_all(&mut c).await?)
}

/// A new version of a service's form (administrators).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    #[schema(value_type = Object)]
    pub form: Value,
    pub applicants: Vec<ApplicantKind>,
    pub fee_at: FeeAt,
}

/// Publishes a new version of a service's form. Applications already started keep theirs.
pub async fn publish_version(
    db: &Db,
    actor: &Actor,
    code: &str,
    v: NewVersion,
) -> Result<ServiceView> {
    actor.require(Permission::DirectoryManage)?;
    let form = Form::parse(&v.form).map_err(|e| {
        Problem::invalid_field(
            "form",
            "form.invalid",
            format!("Описание формы неверно: {e}."),
        )
    })?;
    if v.applicants.is_empty() {
        return Err(Problem::invalid_field(
            "applicants",
            "service.applicants_empty",
            "Укажите, кто может подать заявление.",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    if !store::service_exists(&mut tx, code).await? {
        return Err(not_found_service());
    }
    let version = store::latest_version(&mut tx, code).await? + 1;
    let applicants = v
        .applicants
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(",");
    store::insert_version(
        &mut tx,
        code,
        version,
        &serde_json::to_string(&form)?,
        &applicants,
        v.fee_at.as_str(),
        actor.id.as_deref().unwrap_or("system"),
        now_ms(),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.version.published",
            subject_type: "service",
            subject_id: code,
            details: serde_json::json!({ "version": version, "fields": form.fields.len() }),
        },
    )
    .await?;
    if store::mark_online(&mut tx, code).await? > 0 {
        // The directory's entry changes with the first form: recorded as any change to it is.
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "directory.service.updated",
                subject_type: "service",
                subject_id: code,
                details: serde_json::json!({
                    "changed": { "online": { "from": false, "to": true } },
                    "by": "services.version.published",
                }),
            },
        )
        .await?;
        outbox::enqueue(
            &mut tx,
            "directory.service.updated",
            &serde_json::json!({ "code": code }),
        )
        .await?;
    }
    tx.commit().await?;
    service(db, code).await
}

// --- who applies -----------------------------------------------------------------------------

/// The applicant of a new application, resolved from the actor.
struct Applicant {
    kind: ApplicantKind,
    id: String,
    name: String,
    filer: String,
    notify: String,
}

fn own_account(actor: &Actor) -> Result<&str> {
    match (actor.kind, actor.id.as_deref()) {
        (ActorKind::Account, Some(id)) => Ok(id),
        (ActorKind::Anonymous, _) => Err(Problem::unauthenticated().into()),
        _ => Err(Problem::new(403, "application.person_only", "Только для граждан")
            .with_detail(
                "Подать заявление может только человек, вошедший в личный кабинет (за себя, по доверенности или от имени организации).",
            )
            .into()),
    }
}

/// Who applies: the person, their principal under a power of attorney (in scope), or the
/// organisation the session acts for (with a role that may file applications).
async fn applicant(db: &Db, actor: &Actor) -> Result<Applicant> {
    let me = own_account(actor)?.to_string();
    match &actor.on_behalf_of {
        None => Ok(Applicant {
            kind: ApplicantKind::Person,
            id: me.clone(),
            name: actor.name.clone(),
            filer: me.clone(),
            notify: me,
        }),
        Some(p) if p.id.starts_with(okno_identity::organisations::ORG_PREFIX) => {
            let org =
                okno_identity::organisations::require_org_topic(db, actor, Topic::Applications)
                    .await?;
            let mut c = db.read().await?;
            let kind = okno_identity::store::organisation_kind(&mut c, &org)
                .await?
                .and_then(|k| ApplicantKind::parse(&k))
                .ok_or_else(|| Error::internal("organisation of unknown kind"))?;
            Ok(Applicant {
                kind,
                id: p.id.clone(),
                name: p.name.clone(),
                filer: me.clone(),
                notify: me,
            })
        }
        Some(p) => {
            okno_identity::representation::require_scope(db, actor, Topic::Applications).await?;
            Ok(Applicant {
                kind: ApplicantKind::Person,
                id: p.id.clone(),
                name: p.name.clone(),
                filer: me,
                notify: p.id.clone(),
            })
        }
    }
}

fn level_rank(level: &str) -> u8 {
    match level {
        "simplified" => 1,
        "standard" => 2,
        "confirmed" => 3,
        _ => 0,
    }
}

fn level_title(level: &str) -> &'static str {
    match level {
        "simplified" => "упрощённая",
        "standard" => "стандартная",
        "confirmed" => "подтверждённая",
        _ => "не завершена",
    }
}

/// The signing person's account must have the level the service needs, and the applicant must be
/// of a kind the service admits.
async fn may_apply(db: &Db, actor: &Actor, s: &ServiceView, who: &Applicant) -> Result<()> {
    may_apply_as(db, own_account(actor)?, s, who).await
}

/// As [`may_apply`], with the level of the account `level_of` (the person at a desk).
async fn may_apply_as(db: &Db, level_of: &str, s: &ServiceView, who: &Applicant) -> Result<()> {
    if !s.applicants.contains(&who.kind) {
        let allowed = s
            .applicants
            .iter()
            .map(|a| a.title())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Problem::new(
            403,
            "application.applicant_kind",
            "Заявитель этого вида не может подать заявление",
        )
        .with_detail(format!(
            "Эту услугу получает {allowed}; вы подаёте заявление как {}.",
            who.kind.title()
        ))
        .into());
    }
    let mut c = db.read().await?;
    let level = okno_identity::store::account_level(&mut c, level_of)
        .await?
        .unwrap_or_default();
    if level_rank(&level) < level_rank(&s.level_required) {
        return Err(Problem::new(403, "application.level_too_low", "Нужен более высокий уровень учётной записи")
            .with_detail(format!(
                "Для этой услуги нужна {} учётная запись, у вас — {}. Повысьте уровень в личном кабинете.",
                level_title(&s.level_required),
                level_title(&level)
            ))
            .into());
    }
    Ok(())
}

// --- applications ----------------------------------------------------------------------------

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

fn status_of(a: &AppRow) -> Result<Status> {
    Status::parse(&a.status).ok_or_else(|| Error::internal("application of unknown status"))
}

fn values_of(p: &Platform, a: &AppRow) -> Result<Values> {
    let plain = p
        .secrets
        .decrypt(&a.data_enc)
        .map_err(|_| Error::internal("application data does not decrypt"))?;
    Ok(serde_json::from_str(&plain)?)
}

/// Working days left and whether the due date passed, in the agency's zone.
fn timing(a: &AppRow, status: Status, zone: &str, now: i64) -> (Option<i64>, bool) {
    let Some(due) = a.due_date.as_deref().and_then(parse_iso) else {
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

fn parse_iso(s: &str) -> Option<time::Date> {
    time::Date::parse(s, &time::format_description::well_known::Iso8601::DATE).ok()
}

async fn view(p: &Platform, a: AppRow) -> Result<ApplicationView> {
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
        attachments,
        history,
        result,
        created_at: rfc3339(a.created_at),
        updated_at: rfc3339(a.updated_at),
    })
}

/// Starts a draft of `code` at the service's current form version.
pub async fn start(p: &Platform, actor: &Actor, code: &str) -> Result<ApplicationView> {
    let s = service(&p.db, code).await?;
    let who = applicant(&p.db, actor).await?;
    may_apply(&p.db, actor, &s, &who).await?;
    let filed_by_name = actor.name.clone();
    insert_draft(p, actor, &s, who, filed_by_name, None, None).await
}

/// Stores a new draft of `s` for `who` with its audit record, in one transaction.
async fn insert_draft(
    p: &Platform,
    actor: &Actor,
    s: &ServiceView,
    who: Applicant,
    filed_by_name: String,
    desk_office: Option<String>,
    at_desk: Option<serde_json::Value>,
) -> Result<ApplicationView> {
    let now = now_ms();
    let a = AppRow {
        id: new_id(),
        number: None,
        service_code: s.code.clone(),
        version: s.version,
        status: Status::Draft.as_str().into(),
        applicant_kind: who.kind.as_str().into(),
        applicant_id: who.id,
        applicant_name: who.name,
        filed_by: who.filer,
        filed_by_name,
        notify_account: who.notify,
        data_enc: p.secrets.encrypt("{}"),
        submitted_at: None,
        due_date: None,
        paused_days_left: None,
        decided_at: None,
        reason: None,
        assigned_to: None,
        created_at: now,
        updated_at: now,
        desk_office,
    };
    let mut details = serde_json::json!({ "service": s.code, "version": s.version, "applicant_kind": a.applicant_kind });
    if let Some(d) = at_desk {
        details["at_desk"] = d;
    }
    let mut tx = p.db.begin().await?;
    store::insert_application(&mut tx, &a).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.application.started",
            subject_type: "application",
            subject_id: &a.id,
            details,
        },
    )
    .await?;
    tx.commit().await?;
    view(p, a).await
}

/// The name of a person's account (not blocked), for the desk's pages.
pub async fn person_name(db: &Db, id: &str) -> Result<Option<String>> {
    let mut c = db.read().await?;
    Ok(okno_identity::store::person_name(&mut c, id).await?)
}

/// An operator at a registered desk starts a draft for a person present (found at the desk and
/// identified by their passport there): the person is the applicant and is told of every change;
/// the operator fills the form with them and submits it, from a desk of that office only. The
/// service's level is checked against the person's account.
pub async fn start_at_desk(
    p: &Platform,
    actor: &Actor,
    person: &str,
    code: &str,
) -> Result<ApplicationView> {
    let operator = own_account(actor)?.to_string();
    let (office, ctx) = okno_offices::desk::current_desk(&p.db, actor).await?;
    if ctx.role.is_none() {
        return Err(Problem::forbidden(Permission::OfficesManage.name()).into());
    }
    let s = service(&p.db, code).await?;
    let name = {
        let mut c = p.db.read().await?;
        okno_identity::store::person_name(&mut c, person).await?
    }
    .filter(|_| person != operator)
    .ok_or_else(|| Error::from(Problem::not_found("Учётная запись гражданина не найдена.")))?;
    let who = Applicant {
        kind: ApplicantKind::Person,
        id: person.to_string(),
        name,
        filer: operator.clone(),
        notify: person.to_string(),
    };
    may_apply_as(&p.db, person, &s, &who).await?;
    let filed_by_name = format!("{} (оператор, {})", actor.name, office.name);
    let at_desk =
        serde_json::json!({ "office": office.code, "device": ctx.device_id, "person": person });
    insert_draft(
        p,
        actor,
        &s,
        who,
        filed_by_name,
        Some(office.code.clone()),
        Some(at_desk),
    )
    .await
}

/// Is `actor` the applicant's side of `a`: the applicant, or acting for the applicant with a live
/// power of attorney or organisation role? Having filed it is not enough: a representative whose
/// power of attorney ended, or a member who left the organisation, no longer sees it.
async fn check_applicant(db: &Db, actor: &Actor, a: &AppRow) -> Result<()> {
    let me = own_account(actor)?;
    if let Some(office) = a.desk_office.as_deref().filter(|_| a.filed_by == me) {
        // The operator who filed it at a desk goes on with it from a desk of that office only.
        let (o, _) = okno_offices::desk::current_desk(db, actor).await?;
        return if o.code == office {
            Ok(())
        } else {
            Err(Problem::new(
                403,
                "desk.other_office",
                "Недоступно с этого рабочего места",
            )
            .with_detail(
                "Заявление подано в другом центре обслуживания: продолжить его можно только там.",
            )
            .into())
        };
    }
    let ok = match &actor.on_behalf_of {
        None => a.applicant_id == me,
        Some(p) if p.id == a.applicant_id => {
            if p.id.starts_with(okno_identity::organisations::ORG_PREFIX) {
                okno_identity::organisations::require_org_topic(db, actor, Topic::Applications)
                    .await?;
            } else {
                okno_identity::representation::require_scope(db, actor, Topic::Applications)
                    .await?;
            }
            true
        }
        Some(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(not_found_app())
    }
}

/// Is `actor` an official of the agency that provides `service_code`?
async fn check_official(db: &Db, actor: &Actor, agency: &str) -> Result<()> {
    if actor.kind == ActorKind::System {
        return Ok(());
    }
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    let id = actor.id.as_deref().unwrap_or_default();
    let mut c = db.read().await?;
    if actor.roles.contains(&Role::Official) && store::works_for(&mut c, id, agency).await? {
        Ok(())
    } else {
        Err(Problem::new(403, "desk.not_official", "Вы не сотрудник этого ведомства")
            .with_detail("Работать с заявлениями могут только должностные лица ведомства, которое оказывает услугу. Обратитесь к администратору.")
            .into())
    }
}

async fn load(db: &Db, id: &str) -> Result<AppRow> {
    let mut c = db.read().await?;
    store::application(&mut c, id)
        .await?
        .ok_or_else(not_found_app)
}

/// An application, for its applicant or an official of its agency.
pub async fn get(p: &Platform, actor: &Actor, id: &str) -> Result<ApplicationView> {
    let a = load(&p.db, id).await?;
    if check_applicant(&p.db, actor, &a).await.is_err() {
        let mut c = p.db.read().await?;
        let s = store::service(&mut c, &a.service_code, Some(a.version))
            .await?
            .ok_or_else(not_found_app)?;
        drop(c);
        if status_of(&a)? == Status::Draft {
            return Err(not_found_app());
        }
        check_official(&p.db, actor, &s.agency_code)
            .await
            .map_err(|_| not_found_app())?;
    }
    view(p, a).await
}

/// The applications of the actor (or of the principal or organisation the actor acts for).
pub async fn mine(p: &Platform, actor: &Actor) -> Result<Vec<ApplicationView>> {
    let me = own_account(actor)?;
    let principal = match &actor.on_behalf_of {
        Some(pr) if pr.id.starts_with(okno_identity::organisations::ORG_PREFIX) => {
            okno_identity::organisations::require_org_topic(&p.db, actor, Topic::Applications)
                .await?;
            Some(pr.id.as_str())
        }
        Some(pr) => {
            okno_identity::representation::require_scope(&p.db, actor, Topic::Applications).await?;
            Some(pr.id.as_str())
        }
        None => None,
    };
    let rows = {
        let mut c = p.db.read().await?;
        store::applications_of(&mut c, me, principal).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(p, a).await?);
    }
    Ok(out)
}

fn editable(status: Status) -> Result<()> {
    if matches!(status, Status::Draft | Status::NeedsInfo) {
        Ok(())
    } else {
        Err(model::Refusal::new(
            "application.not_editable",
            format!("Заявление в статусе «{}» изменить нельзя.", status.title()),
        )
        .into())
    }
}

async fn form_of(db: &Db, a: &AppRow) -> Result<(ServiceView, Form)> {
    let mut c = db.read().await?;
    let s = service_view(
        store::service(&mut c, &a.service_code, Some(a.version))
            .await?
            .ok_or_else(|| Error::internal("application of a missing service version"))?,
    )?;
    let f = s.form.clone();
    Ok((s, f))
}

/// Saves what the person typed so far (the draft, or corrections while clarification is asked).
/// Nothing is required yet; only unknown fields are dropped and lengths capped.
pub async fn save(
    p: &Platform,
    actor: &Actor,
    id: &str,
    raw: BTreeMap<String, Value>,
) -> Result<ApplicationView> {
    let a = load(&p.db, id).await?;
    check_applicant(&p.db, actor, &a).await?;
    editable(status_of(&a)?)?;
    let (_, form) = form_of(&p.db, &a).await?;
    let values = form.normalise(&raw).map_err(Problem::invalid_fields)?;
    let mut tx = p.db.begin().await?;
    let mut a = store::application(&mut tx, id)
        .await?
        .ok_or_else(not_found_app)?;
    let expected = a.status.clone();
    editable(status_of(&a)?)?;
    a.data_enc = p.secrets.encrypt(&serde_json::to_string(&values)?);
    a.updated_at = now_ms();
    store::update_application(&mut tx, &a, &expected).await?;
    tx.commit().await?;
    view(p, a).await
}

/// Attaches a file to a file field of the form. The type comes from the content.
pub async fn attach(
    p: &Platform,
    files: &Files,
    actor: &Actor,
    id: &str,
    field: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<AttachmentView> {
    let a = load(&p.db, id).await?;
    check_applicant(&p.db, actor, &a).await?;
    let status = status_of(&a)?;
    editable(status)?;
    let (_, form) = form_of(&p.db, &a).await?;
    if form
        .field(field)
        .is_none_or(|f| f.kind != crate::form::FieldKind::File)
    {
        return Err(Problem::invalid_field(
            "field",
            "attachment.field",
            "В форме нет поля для файла с таким именем.",
        )
        .into());
    }
    let kind = files::check_file(bytes)?;
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    let name = if name.trim().is_empty() {
        "файл".to_string()
    } else {
        name
    };
    let sha = files.put(bytes).await?;
    let now = now_ms();
    let row = store::AttachmentRow {
        id: new_id(),
        application_id: a.id.clone(),
        field: field.into(),
        file_name: name,
        content_type: kind.mime().into(),
        size_bytes: bytes.len() as i64,
        sha256: sha,
        added_in: status.as_str().into(),
        uploaded_by: own_account(actor)?.into(),
        created_at: now,
    };
    let mut tx = p.db.begin().await?;
    let current = store::application(&mut tx, id)
        .await?
        .ok_or_else(not_found_app)?;
    editable(status_of(&current)?)?;
    store::insert_attachment(&mut tx, &row).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.attachment.added",
            subject_type: "application",
            subject_id: &a.id,
            details: serde_json::json!({ "attachment": row.id, "field": field, "sha256": row.sha256, "size": row.size_bytes }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(AttachmentView {
        id: row.id,
        field: row.field,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        added_in: row.added_in,
        created_at: rfc3339(now),
    })
}

/// A file of an application, for its applicant or an official of its agency.
pub async fn attachment(
    p: &Platform,
    files: &Files,
    actor: &Actor,
    id: &str,
    attachment_id: &str,
) -> Result<(AttachmentView, Vec<u8>)> {
    let v = get(p, actor, id).await?;
    let f = v
        .attachments
        .into_iter()
        .find(|f| f.id == attachment_id)
        .ok_or_else(|| Error::from(Problem::not_found("Файл не найден.")))?;
    let bytes = files.get(&f.sha256).await?;
    Ok((f, bytes))
}

/// What a transition carries.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The reason of a refusal, what to clarify, the person's answer; optional otherwise.
    #[serde(default)]
    pub comment: Option<String>,
    /// For the fulfilment: the result document made outside the platform (a PDF the agency's own
    /// system produced), to be registered and signed instead of one generated here.
    #[serde(skip)]
    pub result_file: Option<Vec<u8>>,
}

/// The longest comment kept.
const COMMENT_MAX: usize = 4000;

/// Moves an application through one transition: checks who may, applies the status machine,
/// does what the step implies (number, decision date, fee event), keeps the event, audits and
/// notifies the person, all in one transaction.
pub async fn transition(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
    t: Transition,
    step: Step,
) -> Result<ApplicationView> {
    let a = load(&p.db, id).await?;
    let (s, form) = form_of(&p.db, &a).await?;
    if t.by_applicant() {
        check_applicant(&p.db, actor, &a).await?;
    } else {
        if status_of(&a)? == Status::Draft {
            return Err(not_found_app());
        }
        check_official(&p.db, actor, &s.agency_code).await?;
    }
    let comment = step
        .comment
        .map(|c| c.trim().chars().take(COMMENT_MAX).collect::<String>())
        .filter(|c| !c.is_empty());
    if t.needs_comment() && comment.is_none() {
        let (code, message) = match t {
            Transition::Reject => ("application.reason_required", "Укажите причину отказа."),
            Transition::AskClarification => (
                "application.comment_required",
                "Напишите, что нужно уточнить или доложить.",
            ),
            _ => (
                "application.comment_required",
                "Напишите ответ на запрос ведомства.",
            ),
        };
        return Err(Problem::invalid_field("comment", code, message).into());
    }
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let mut a = store::application(&mut tx, id)
        .await?
        .ok_or_else(not_found_app)?;
    let from = status_of(&a)?;
    let to = t.apply(from).map_err(Error::from)?;
    let expected = a.status.clone();
    let today = model::local_date(&s.time_zone, now);
    let mut fee_due = false;
    match t {
        Transition::Submit => {
            let values = values_of(p, &a)?;
            let attached: BTreeSet<String> = store::attachments(&mut tx, &a.id)
                .await?
                .into_iter()
                .map(|f| f.field)
                .collect();
            let clean = form
                .validate(&values, &attached, today)
                .map_err(Problem::invalid_fields)?;
            a.data_enc = p.secrets.encrypt(&serde_json::to_string(&clean)?);
            let n = store::next_number(&mut tx, today.year() as i64).await?;
            a.number = Some(format!("{}-{n:06}", today.year()));
            a.submitted_at = Some(now);
            let days = u32::try_from(s.deadline_working_days).unwrap_or(0);
            a.due_date = Some(model::decision_date(calendar(), today, days).to_string());
            fee_due = s.fee_at == FeeAt::Submission;
        }
        Transition::Take => a.assigned_to = actor.id.clone(),
        Transition::AskClarification => {
            // The term stops while the person is asked (a platform rule, not a cited law): the working
            // days left now are kept and restart when the person answers.
            let due = a.due_date.as_deref().and_then(parse_iso).unwrap_or(today);
            a.paused_days_left = Some(model::working_days_left(calendar(), today, due) as i64);
        }
        Transition::Clarify => {
            let values = values_of(p, &a)?;
            let attached: BTreeSet<String> = store::attachments(&mut tx, &a.id)
                .await?
                .into_iter()
                .map(|f| f.field)
                .collect();
            let clean = form
                .validate(&values, &attached, today)
                .map_err(Problem::invalid_fields)?;
            a.data_enc = p.secrets.encrypt(&serde_json::to_string(&clean)?);
            let left = a.paused_days_left.take().unwrap_or(1).max(1);
            a.due_date = Some(
                model::decision_date(calendar(), today, u32::try_from(left).unwrap_or(1))
                    .to_string(),
            );
            a.assigned_to = None;
        }
        Transition::Approve => {
            a.decided_at = Some(now);
            fee_due = s.fee_at == FeeAt::Approval;
        }
        Transition::Reject => {
            a.decided_at = Some(now);
            a.reason = comment.clone();
        }
        Transition::Fulfil => {
            issue_result(
                &mut tx,
                p,
                settings,
                actor,
                (&a, &s),
                comment.as_deref(),
                step.result_file.as_deref(),
                now,
            )
            .await?;
        }
        Transition::Withdraw => {}
    }
    a.status = to.as_str().into();
    a.updated_at = now;
    if store::update_application(&mut tx, &a, &expected).await? != 1 {
        return Err(Problem::conflict(
            "application.changed",
            "Заявление только что изменилось. Обновите страницу и повторите.",
        )
        .into());
    }
    store::insert_event(
        &mut tx,
        &store::EventRow {
            id: new_id(),
            application_id: a.id.clone(),
            at: now,
            actor_id: actor.id.clone(),
            actor_name: actor.name.clone(),
            transition: t.as_str().into(),
            from_status: from.as_str().into(),
            to_status: to.as_str().into(),
            comment: comment.clone(),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.application.status_changed",
            subject_type: "application",
            subject_id: &a.id,
            details: serde_json::json!({
                "number": a.number, "service": a.service_code, "transition": t.as_str(),
                "from": from.as_str(), "to": to.as_str(), "due_date": a.due_date,
            }),
        },
    )
    .await?;
    if fee_due {
        if let Some(amount) = s.fee_kopecks.filter(|k| *k > 0) {
            outbox::enqueue(
                &mut tx,
                "application.fee_due",
                &serde_json::json!({
                    "application_id": a.id, "number": a.number, "service": a.service_code,
                    "agency": s.agency_code, "amount_kopecks": amount,
                    "payer": { "kind": a.applicant_kind, "id": a.applicant_id, "name": a.applicant_name },
                }),
            )
            .await?;
        }
    }
    tell(&mut tx, &a, &s, to, comment.as_deref()).await?;
    tx.commit().await?;
    view(p, a).await
}

// --- rating ------------------------------------------------------------------------------------

/// The applicant's rating of a decided application.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingView {
    /// 1–5.
    pub rating: i64,
    pub comment: Option<String>,
    pub rated_at: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    /// 1 (very bad) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    /// What went well or badly, up to 1000 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

/// The outbox event a rating is announced with; the appeals part's public figures take it.
pub const RATED_EVENT: &str = "services.application.rated";

/// The applicant (or whoever acts for them) rates the service once the application is decided
/// (executed or refused), once. Audited, and announced as [`RATED_EVENT`].
pub async fn rate(p: &Platform, actor: &Actor, id: &str, r: NewRating) -> Result<ApplicationView> {
    if !(1..=5).contains(&r.rating) {
        return Err(Problem::invalid_field(
            "rating",
            "application.rating_range",
            "Оценка — от 1 до 5.",
        )
        .into());
    }
    let comment = r
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        return Err(Problem::invalid_field(
            "comment",
            "application.rating_comment_too_long",
            "Отзыв — не длиннее 1000 символов.",
        )
        .into());
    }
    let a = load(&p.db, id).await?;
    check_applicant(&p.db, actor, &a).await?;
    let status = status_of(&a)?;
    if !model::rateable(status) {
        return Err(Problem::conflict(
            "application.not_rateable",
            "Оценить услугу можно, когда по заявлению принято решение и выдан результат.",
        )
        .into());
    }
    let s = {
        let mut c = p.db.read().await?;
        store::service(&mut c, &a.service_code, Some(a.version))
            .await?
            .ok_or_else(not_found_service)?
    };
    let me = own_account(actor)?;
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let row = store::RatingRow {
        rating: r.rating,
        comment: comment.clone(),
        rated_at: now,
    };
    if !store::insert_rating(&mut tx, &a.id, me, &row).await? {
        return Err(Problem::conflict(
            "application.already_rated",
            "Эта услуга уже оценена. Спасибо!",
        )
        .into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.application.rated",
            subject_type: "application",
            subject_id: &a.id,
            details: serde_json::json!({ "number": a.number, "service": a.service_code, "rating": r.rating }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        RATED_EVENT,
        &serde_json::json!({
            "application_id": a.id, "number": a.number, "service": a.service_code,
            "service_title": s.title, "agency": s.agency_code, "agency_name": s.agency_name,
            "status": status.as_str(), "rating": r.rating, "rated_at": now,
        }),
    )
    .await?;
    tx.commit().await?;
    view(p, a).await
}

/// Makes the result document (a PDF with a QR code of its public check), signs and registers it.
#[allow(clippy::too_many_arguments)]
async fn issue_result(
    tx: &mut Tx,
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    (a, s): (&AppRow, &ServiceView),
    text: Option<&str>,
    uploaded: Option<&[u8]>,
    now: i64,
) -> Result<IssuedDocument> {
    use okno_kernel::pdf::{self, Block};
    let id = new_id();
    if let Some(bytes) = uploaded {
        if files::check_file(bytes)? != files::FileKind::Pdf {
            return Err(Problem::new(415, "result.not_pdf", "Результат — только PDF")
                .with_detail("Документ-результат прикладывается в PDF: так его можно подписать и проверить по QR-коду страницы проверки.")
                .into());
        }
    }
    let url = format!("{}/verify/{id}", settings.public_url.trim_end_matches('/'));
    let number = a.number.clone().unwrap_or_default();
    let title = format!("Результат предоставления услуги «{}»", s.title);
    let decided = a
        .decided_at
        .map(|ms| model::date_text(model::local_date(&s.time_zone, ms)))
        .unwrap_or_default();
    let mut blocks = vec![
        Block::Heading(title.clone()),
        Block::Field("Заявление №".into(), number.clone()),
        Block::Field("Ведомство".into(), s.agency_name.clone()),
        Block::Field("Заявитель".into(), a.applicant_name.clone()),
        Block::Field("Решение".into(), format!("одобрено {decided}")),
        Block::Field(
            "Выдан".into(),
            model::date_text(model::local_date(&s.time_zone, now)),
        ),
        Block::Space(4.0),
        Block::Text(
            text.filter(|t| !t.trim().is_empty())
                .unwrap_or("Услуга предоставлена.")
                .to_string(),
        ),
        Block::Space(4.0),
        Block::Field("Должностное лицо".into(), actor.name.clone()),
        Block::Space(6.0),
        Block::Qr {
            payload: url.clone(),
            caption: format!("Проверить подлинность документа: {url}"),
        },
        Block::Text(format!(
            "Документ сформирован и подписан электронной подписью платформы «Окно» (Ed25519). Номер документа в реестре: {id}."
        )),
    ];
    if number.is_empty() {
        blocks.remove(1);
    }
    let bytes = match uploaded {
        Some(b) => b.to_vec(),
        None => pdf::render(&title, &blocks).map_err(Error::internal)?,
    };
    let recipient = documents::mask_name(&a.applicant_name);
    let doc = documents::issue(
        tx,
        &p.secrets,
        &settings.files(),
        &id,
        &NewDocument {
            kind: "services.result",
            subject_type: "application",
            subject_id: &a.id,
            title: &title,
            number: &number,
            issuer: &s.agency_name,
            recipient: &recipient,
        },
        &bytes,
        now,
    )
    .await?;
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "services.result.issued",
            subject_type: "application",
            subject_id: &a.id,
            details: serde_json::json!({
                "document": doc.id, "sha256": doc.sha256, "size": doc.size,
                "made_by": if uploaded.is_some() { "agency" } else { "platform" },
            }),
        },
    )
    .await?;
    Ok(doc)
}

/// The signed result document of an application, for its applicant or an official of its agency.
pub async fn result_document(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
) -> Result<(ResultView, Vec<u8>)> {
    let v = get(p, actor, id).await?;
    let r = v.result.ok_or_else(|| {
        Error::from(Problem::not_found(
            "Результат по этому заявлению ещё не выдан.",
        ))
    })?;
    let bytes = settings.files().get(&r.sha256).await?;
    Ok((r, bytes))
}

async fn tell(
    tx: &mut Tx,
    a: &AppRow,
    s: &ServiceView,
    to: Status,
    comment: Option<&str>,
) -> Result<()> {
    let number = a.number.as_deref().unwrap_or("—");
    let subject = format!("Заявление № {number}: {}", to.title());
    let mut text = format!(
        "Заявление № {number} «{}» — статус «{}».",
        s.title,
        to.title()
    );
    match to {
        Status::Submitted => {
            if let Some(d) = a.due_date.as_deref().and_then(parse_iso) {
                text.push_str(&format!(" Срок решения — до {}.", model::date_text(d)));
            }
        }
        Status::NeedsInfo | Status::Rejected => {
            if let Some(c) = comment {
                text.push_str(&format!(" Комментарий ведомства: {c}"));
            }
        }
        Status::Fulfilled => text.push_str(
            " Документ с результатом, подписанный электронной подписью, можно скачать на странице заявления.",
        ),
        _ => {}
    }
    if let (true, Some(fee)) = (to == Status::Approved, s.fee_kopecks.filter(|k| *k > 0)) {
        if s.fee_at == FeeAt::Approval {
            text.push_str(&format!(
                " Оплатите госпошлину {}: начисление появится в разделе «Платежи».",
                model::rubles(fee)
            ));
        }
    }
    notify_account(tx, &a.notify_account, Topic::Applications, &subject, &text).await?;
    Ok(())
}

// --- the desk --------------------------------------------------------------------------------

/// Filters of the desk list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeskFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this service.
    pub service: Option<String>,
    /// Only overdue applications (`true`).
    pub overdue: Option<bool>,
}

/// One line of the desk.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ApplicationDeskRow)]
pub struct DeskRow {
    pub id: String,
    pub number: Option<String>,
    pub service_code: String,
    pub service_title: String,
    pub agency_code: String,
    pub applicant_name: String,
    pub status: Status,
    pub status_title: &'static str,
    pub submitted_at: Option<String>,
    pub due_date: Option<String>,
    pub working_days_left: Option<i64>,
    pub overdue: bool,
}

/// Incoming applications of the agencies the official works for, soonest due first.
pub async fn desk(db: &Db, actor: &Actor, f: &DeskFilter) -> Result<Vec<DeskRow>> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    if !actor.roles.contains(&Role::Official) {
        return Err(
            Problem::new(403, "desk.not_official", "Вы не должностное лицо")
                .with_detail("Рабочее место ведомства доступно только должностным лицам.")
                .into(),
        );
    }
    let status = f.status.clone().unwrap_or_default();
    if !status.is_empty() && Status::parse(&status).is_none() {
        return Err(Problem::invalid_field("status", "desk.status", "Неизвестный статус.").into());
    }
    let me = actor.id.clone().unwrap_or_default();
    let mut c = db.read().await?;
    let rows = store::desk(
        &mut c,
        &me,
        &status,
        f.service.as_deref().unwrap_or_default(),
    )
    .await?;
    let services: BTreeMap<String, ServiceRow> = store::catalogue(&mut c)
        .await?
        .into_iter()
        .map(|s| (s.code.clone(), s))
        .collect();
    let now = now_ms();
    let mut out = Vec::new();
    for a in rows {
        let Some(s) = services.get(&a.service_code) else {
            continue;
        };
        let st = status_of(&a)?;
        let (left, overdue) = timing(&a, st, &s.time_zone, now);
        if f.overdue == Some(true) && !overdue {
            continue;
        }
        out.push(DeskRow {
            id: a.id,
            number: a.number,
            service_code: a.service_code,
            service_title: s.title.clone(),
            agency_code: s.agency_code.clone(),
            applicant_name: a.applicant_name,
            status: st,
            status_title: st.title(),
            submitted_at: a.submitted_at.map(rfc3339),
            due_date: a.due_date,
            working_days_left: left,
            overdue,
        });
    }
    // Overdue first, then by due date.
    out.sort_by(|x, y| {
        y.overdue
            .cmp(&x.overdue)
            .then_with(|| x.due_date.cmp(&y.due_date))
    });
    Ok(out)
}

/// The figures of one agency.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgencyFigures {
    pub agency_code: String,
    pub agency_name: String,
    /// Applications submitted (every one past the draft, withdrawn ones included).
    pub received: i64,
    /// Approved or rejected (fulfilled ones included).
    pub decided: i64,
    /// Still waiting for a decision after their due date.
    pub overdue: i64,
    /// Decided after their due date.
    pub decided_late: i64,
    /// Median working days from submission to decision, on the production calendar; none until
    /// one is decided.
    pub median_decision_working_days: Option<f64>,
}

/// Computes the figures from the rows, each date in its agency's zone; `now` decides what is
/// overdue. Agencies are ordered by name.
pub fn figures_of(rows: &[store::FigureRow], now: i64) -> Vec<AgencyFigures> {
    let mut by: BTreeMap<(String, String), (AgencyFigures, Vec<u32>)> = BTreeMap::new();
    for r in rows {
        let Some(status) = Status::parse(&r.status) else {
            continue;
        };
        let (f, times) = by
            .entry((r.agency_name.clone(), r.agency_code.clone()))
            .or_insert_with(|| {
                (
                    AgencyFigures {
                        agency_code: r.agency_code.clone(),
                        agency_name: r.agency_name.clone(),
                        received: 0,
                        decided: 0,
                        overdue: 0,
                        decided_late: 0,
                        median_decision_working_days: None,
                    },
                    Vec::new(),
                )
            });
        let Some(submitted) = r.submitted_at else {
            continue;
        };
        f.received += 1;
        let due = r.due_date.as_deref().and_then(parse_iso);
        match r.decided_at {
            Some(decided) => {
                f.decided += 1;
                let from = model::local_date(&r.time_zone, submitted);
                let to = model::local_date(&r.time_zone, decided);
                times.push(calendar().working_days_between(from, to));
                if due.is_some_and(|d| to > d) {
                    f.decided_late += 1;
                }
            }
            None => {
                let pending = matches!(status, Status::Submitted | Status::InReview);
                let today = model::local_date(&r.time_zone, now);
                if pending && due.is_some_and(|d| today > d) {
                    f.overdue += 1;
                }
            }
        }
    }
    by.into_values()
        .map(|(mut f, mut t)| {
            t.sort_unstable();
            f.median_decision_working_days = match t.len() {
                0 => None,
                n if n % 2 == 1 => Some(f64::from(t[n / 2])),
                n => Some((f64::from(t[n / 2 - 1]) + f64::from(t[n / 2])) / 2.0),
            };
            f
        })
        .collect()
}

/// Figures of the agencies an official works for; of every agency for an administrator or an
/// auditor.
pub async fn figures(db: &Db, actor: &Actor) -> Result<Vec<AgencyFigures>> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    let all = actor.can(Permission::AuditRead) || actor.can(Permission::StaffManage);
    if !all && !actor.roles.contains(&Role::Official) {
        return Err(
            Problem::new(403, "desk.not_official", "Вы не должностное лицо")
                .with_detail(
                    "Показатели ведомств доступны должностным лицам, администраторам и аудиторам.",
                )
                .into(),
        );
    }
    let me = match (all, actor.id.clone()) {
        (true, _) => String::new(),
        (false, Some(id)) if !id.is_empty() => id,
        (false, _) => return Ok(Vec::new()),
    };
    let mut c = db.read().await?;
    let rows = store::figure_rows(&mut c, &me).await?;
    Ok(figures_of(&rows, now_ms()))
}

/// The desk list as CSV (UTF-8 with a BOM, `;`-separated, as spreadsheet programs in Russia
/// expect).
pub fn desk_csv(rows: &[DeskRow]) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    }
    let mut out = String::from(
        "\u{feff}Номер;Услуга;Заявитель;Статус;Подано;Срок;Осталось рабочих дней;Просрочено\r\n",
    );
    for r in rows {
        let line = [
            cell(r.number.as_deref().unwrap_or("")),
            cell(&r.service_title),
            cell(&r.applicant_name),
            cell(r.status_title),
            cell(r.submitted_at.as_deref().unwrap_or("")),
            cell(r.due_date.as_deref().unwrap_or("")),
            r.working_days_left
                .map(|d| d.to_string())
                .unwrap_or_default(),
            if r.overdue { "да" } else { "нет" }.to_string(),
        ];
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    out
}

/// An official's assignment to an agency.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OfficialAssignment)]
pub struct Assignment {
    /// The staff account's or the API token's id.
    pub account_id: String,
    pub agency_code: String,
}

/// Assigns an official to an agency (administrators). True when it was new.
pub async fn assign_official(db: &Db, actor: &Actor, a: &Assignment) -> Result<bool> {
    actor.require(Permission::StaffManage)?;
    let mut tx = db.begin().await?;
    if !store::agency_exists(&mut tx, &a.agency_code).await? {
        return Err(Problem::not_found("Ведомство не найдено.").into());
    }
    let added = store::assign_official(
        &mut tx,
        &a.account_id,
        &a.agency_code,
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
                action: "services.official.assigned",
                subject_type: "account",
                subject_id: &a.account_id,
                details: serde_json::json!({ "agency": a.agency_code }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// The agencies the actor works for as an official.
pub async fn my_agencies(db: &Db, actor: &Actor) -> Result<Vec<String>> {
    let mut c = db.read().await?;
    Ok(store::agencies_of(&mut c, actor.id.as_deref().unwrap_or_default()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msk(y: i16, m: i8, d: i8) -> i64 {
        jiff::civil::date(y, m, d)
            .at(10, 0, 0, 0)
            .in_tz("Europe/Moscow")
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    fn fig(agency: &str, status: &str, sub: i64, dec: Option<i64>, due: &str) -> store::FigureRow {
        store::FigureRow {
            agency_code: agency.into(),
            agency_name: agency.to_uppercase(),
            time_zone: "Europe/Moscow".into(),
            status: status.into(),
            submitted_at: Some(sub),
            decided_at: dec,
            due_date: Some(due.into()),
        }
    }

    #[test]
    fn agency_figures_count_in_working_days_around_the_may_holidays() {
        // 2026: 1 May (Fri) and 11 May (Mon, for 9 May on a Saturday) are days off (Постановление
        // Правительства РФ от 24.09.2025 № 1466). From 30 April to 12 May: 4–8 and 12 May, 6 days.
        let rows = vec![
            fig(
                "mvd",
                "fulfilled",
                msk(2026, 4, 30),
                Some(msk(2026, 5, 12)),
                "2026-05-08",
            ),
            fig(
                "mvd",
                "rejected",
                msk(2026, 4, 30),
                Some(msk(2026, 5, 4)),
                "2026-05-14",
            ),
            fig("mvd", "submitted", msk(2026, 5, 4), None, "2026-05-15"),
            // Waiting for the person: the term is paused, so not overdue.
            fig("mvd", "needs_info", msk(2026, 5, 4), None, "2026-05-15"),
            fig("fns", "withdrawn", msk(2026, 5, 4), None, "2026-05-15"),
        ];
        let f = figures_of(&rows, msk(2026, 5, 20));
        assert_eq!(f.len(), 2);
        let (fns, mvd) = (&f[0], &f[1]);
        assert_eq!((fns.received, fns.decided, fns.overdue), (1, 0, 0));
        assert_eq!(fns.median_decision_working_days, None);
        assert_eq!(
            (mvd.received, mvd.decided, mvd.overdue, mvd.decided_late),
            (4, 2, 1, 1)
        );
        assert_eq!(mvd.median_decision_working_days, Some(3.5));
    }

    fn row(overdue: bool, title: &str) -> DeskRow {
        DeskRow {
            id: "1".into(),
            number: Some("2026-000001".into()),
            service_code: "x".into(),
            service_title: title.into(),
            agency_code: "mvd".into(),
            applicant_name: "Иванов \"Иван\"".into(),
            status: Status::Submitted,
            status_title: Status::Submitted.title(),
            submitted_at: None,
            due_date: Some("2027-01-22".into()),
            working_days_left: Some(3),
            overdue,
        }
    }

    #[test]
    fn csv_quotes_cells_and_defuses_formulas() {
        let csv = desk_csv(&[row(true, "=HYPERLINK(1)")]);
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("\"'=HYPERLINK(1)\""), "{csv}");
        assert!(csv.contains("\"Иванов \"\"Иван\"\"\""), "{csv}");
        assert!(csv.trim_end().ends_with(";3;да"), "{csv}");
    }

    #[test]
    fn levels_are_ordered() {
        assert!(level_rank("confirmed") > level_rank("standard"));
        assert!(level_rank("standard") > level_rank("simplified"));
        assert!(level_rank("simplified") > level_rank("registered"));
    }
}
