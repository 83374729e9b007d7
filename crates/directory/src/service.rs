//! Use cases of the directory: public reads, and the administrator's changes (an agency, a
//! category of the catalogue, a service added or edited), each audited and announced through the
//! outbox in its transaction.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::{audit, outbox};
use serde::Deserialize;

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

/// What an administrator sends to create a category of the catalogue.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServiceCategory {
    /// Latin letters, digits and hyphens, 2–40 characters.
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Order on the catalogue page; after the others when absent.
    #[serde(default)]
    pub position: Option<i64>,
}

fn is_code(code: &str) -> bool {
    (2..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An administrator adds a category to the catalogue. Audited, announced through the outbox.
pub async fn create_service_category(
    db: &Db,
    actor: &Actor,
    n: NewServiceCategory,
) -> Result<ServiceCategory> {
    actor.require(Permission::DirectoryManage)?;
    let mut e = Vec::new();
    let code = n.code.trim().to_ascii_lowercase();
    // `none` is what `/services?category=none` and the API's filter mean by «no category».
    if !is_code(&code) || code == NO_CATEGORY {
        field(
            &mut e,
            "code",
            "category.code",
            "Код — от 2 до 40 латинских букв, цифр и дефисов (кроме «none»).",
        );
    }
    let title = n.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(2..=100).contains(&title.chars().count()) {
        field(
            &mut e,
            "title",
            "category.title",
            "Название — от 2 до 100 символов.",
        );
    }
    let description = n.description.trim().to_string();
    if description.chars().count() > 500 {
        field(
            &mut e,
            "description",
            "category.description",
            "Описание — не длиннее 500 символов.",
        );
    }
    if n.position.is_some_and(|p| !(0..=10_000).contains(&p)) {
        field(
            &mut e,
            "position",
            "category.position",
            "Порядок — число от 0 до 10000.",
        );
    }
    if !e.is_empty() {
        return Err(Problem::invalid_fields(e).into());
    }
    let mut tx = db.begin().await?;
    let position = match n.position {
        Some(p) => p,
        None => okno_kernel::q_scalar!(
            &mut tx,
            i64,
            "SELECT COALESCE(MAX(position), 0) + 10 FROM service_categories"
        )?,
    };
    let category = ServiceCategory {
        id: okno_kernel::clock::new_id(),
        code,
        title,
        description,
        position,
        created_at: okno_kernel::clock::now_ms(),
    };
    if !store::insert_service_category(&mut tx, &category).await? {
        return Err(Problem::conflict(
            "category.code_taken",
            format!("Категория с кодом «{}» уже есть.", category.code),
        )
        .into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "directory.category.created",
            subject_type: "service_category",
            subject_id: &category.code,
            details: serde_json::json!({ "title": category.title, "position": category.position }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        "directory.category.created",
        &serde_json::json!({ "code": category.code }),
    )
    .await?;
    tx.commit().await?;
    Ok(category)
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

/// What an administrator sends to create an agency.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgency {
    /// Latin letters, digits and hyphens, 2–40 characters.
    pub code: String,
    pub name: String,
    pub short_name: String,
    /// `federal`, `regional` or `municipal`.
    pub level: String,
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub region: String,
    pub time_zone: String,
    pub website: Option<String>,
}

fn field(errors: &mut Vec<FieldError>, f: &str, code: &str, msg: impl Into<String>) {
    errors.push(FieldError {
        field: f.into(),
        code: code.into(),
        message: msg.into(),
    });
}

/// Checks every field and reports all problems together; ИНН and ОГРН are checked by their
/// control digits.
pub fn validate_agency(n: NewAgency) -> std::result::Result<Agency, Problem> {
    let mut e = Vec::new();
    let code = n.code.trim().to_ascii_lowercase();
    if !is_code(&code) {
        field(
            &mut e,
            "code",
            "agency.code",
            "Код — от 2 до 40 латинских букв, цифр и дефисов.",
        );
    }
    let text = |e: &mut Vec<FieldError>, f: &str, v: &str, max: usize, what: &str| {
        let v = v.trim();
        if v.is_empty() || v.chars().count() > max {
            field(
                e,
                f,
                &format!("agency.{f}"),
                format!("Укажите {what} (до {max} символов)."),
            );
        }
        v.to_string()
    };
    let name = text(&mut e, "name", &n.name, 300, "полное наименование");
    let short_name = text(
        &mut e,
        "short_name",
        &n.short_name,
        100,
        "краткое наименование",
    );
    let region = text(&mut e, "region", &n.region, 100, "регион");
    if !crate::model::LEVELS.iter().any(|(k, _)| *k == n.level) {
        field(
            &mut e,
            "level",
            "agency.level",
            "Уровень: federal, regional или municipal.",
        );
    }
    let inn = match n.inn.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => match okno_rules::Inn::parse(v) {
            Ok(inn) if inn.as_str().len() == 10 => Some(inn.as_str().to_string()),
            Ok(_) => {
                field(
                    &mut e,
                    "inn",
                    "agency.inn_person",
                    "У органа власти ИНН из 10 цифр.",
                );
                None
            }
            Err(err) => {
                field(&mut e, "inn", err.code(), err.to_string());
                None
            }
        },
    };
    let ogrn = match n.ogrn.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => match okno_rules::Ogrn::parse(v) {
            Ok(o) => Some(o.as_str().to_string()),
            Err(err) => {
                field(&mut e, "ogrn", err.code(), err.to_string());
                None
            }
        },
    };
    if !is_time_zone(&n.time_zone) {
        field(
            &mut e,
            "time_zone",
            "agency.time_zone",
            "Часовой пояс в формате IANA, например Europe/Moscow.",
        );
    }
    let website = n
        .website
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty());
    if let Some(w) = &website {
        if !(w.starts_with("https://") || w.starts_with("http://")) || w.len() > 300 {
            field(
                &mut e,
                "website",
                "agency.website",
                "Адрес сайта начинается с https://.",
            );
        }
    }
    if !e.is_empty() {
        return Err(Problem::invalid_fields(e));
    }
    Ok(Agency {
        id: okno_kernel::clock::new_id(),
        code,
        name,
        short_name,
        level: n.level,
        inn,
        ogrn,
        region,
        time_zone: n.time_zone,
        website,
        created_at: okno_kernel::clock::now_ms(),
    })
}

/// What a category filter (`/services?category=`, `GET /api/v1/services?category=`) says for
/// the services in no category; no category may take it as its code.
pub const NO_CATEGORY: &str = "none";

/// The Russian Federation's IANA zones (all eleven offsets).
pub const RUSSIAN_TIME_ZONES: [&str; 21] = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Simferopol",
    "Europe/Kirov",
    "Europe/Volgograd",
    "Europe/Astrakhan",
    "Europe/Saratov",
    "Europe/Ulyanovsk",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Barnaul",
    "Asia/Tomsk",
    "Asia/Novokuznetsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Chita",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
];

fn is_time_zone(tz: &str) -> bool {
    RUSSIAN_TIME_ZONES.contains(&tz)
        || [
            "Asia/Sakhalin",
            "Asia/Srednekolymsk",
            "Asia/Kamchatka",
            "Asia/Anadyr",
            "Asia/Khandyga",
            "Asia/Ust-Nera",
        ]
        .contains(&tz)
}

/// A service's entry as an administrator edits it (its code and agency stay).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceEdit {
    pub title: String,
    pub summary: String,
    /// State fee in kopecks; none (or 0) when free.
    #[serde(default)]
    pub fee_kopecks: Option<i64>,
    pub deadline_working_days: i64,
    /// `simplified`, `standard` or `confirmed`.
    pub level_required: String,
    #[serde(default)]
    pub documents: Vec<String>,
    /// The catalogue category (code). Absent or null keeps the current one; `""` takes the
    /// service out of every category.
    #[serde(default)]
    pub category_code: Option<String>,
}

fn validate_edit(e: ServiceEdit) -> std::result::Result<ServiceEdit, Problem> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut bad = |field: &str, code: &str, message: &str| {
        errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        })
    };
    let title = e.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(3..=300).contains(&title.chars().count()) {
        bad(
            "title",
            "service.title_invalid",
            "Название — от 3 до 300 символов.",
        );
    }
    let summary = e.summary.trim().to_string();
    if summary.chars().count() > 2000 {
        bad(
            "summary",
            "service.summary_too_long",
            "Описание — не длиннее 2000 символов.",
        );
    }
    let fee = e.fee_kopecks.filter(|k| *k != 0);
    if fee.is_some_and(|k| !(1..=100_000_000_000).contains(&k)) {
        bad(
            "fee_kopecks",
            "service.fee_invalid",
            "Пошлина — от 1 копейки до миллиарда рублей, или без пошлины.",
        );
    }
    if !(1..=365).contains(&e.deadline_working_days) {
        bad(
            "deadline_working_days",
            "service.deadline_invalid",
            "Срок решения — от 1 до 365 рабочих дней.",
        );
    }
    if !["simplified", "standard", "confirmed"].contains(&e.level_required.as_str()) {
        bad(
            "level_required",
            "service.level_invalid",
            "Уровень учётной записи — упрощённая, стандартная или подтверждённая.",
        );
    }
    let documents: Vec<String> = e
        .documents
        .iter()
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|d| !d.is_empty())
        .collect();
    if documents.len() > 30 || documents.iter().any(|d| d.chars().count() > 300) {
        bad(
            "documents",
            "service.documents_invalid",
            "Документов — не больше 30, каждый не длиннее 300 символов.",
        );
    }
    if !errors.is_empty() {
        return Err(Problem::invalid_fields(errors));
    }
    Ok(ServiceEdit {
        title,
        summary,
        fee_kopecks: fee,
        documents,
        ..e
    })
}

/// What an administrator sends to add a service to the catalogue. It takes applications online
/// once the services part publishes its first form version.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    /// Latin letters, digits and hyphens, 2–40 characters: the card is at `/services/{code}`.
    pub code: String,
    /// The agency that provides the service (code).
    pub agency_code: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// State fee in kopecks; none (or 0) when free.
    #[serde(default)]
    pub fee_kopecks: Option<i64>,
    pub deadline_working_days: i64,
    /// `simplified`, `standard` or `confirmed`.
    pub level_required: String,
    #[serde(default)]
    pub documents: Vec<String>,
    /// The catalogue category (code); none when absent or `""`.
    #[serde(default)]
    pub category_code: Option<String>,
}

/// The category a service is put in: none for `""`, else one that exists.
async fn known_category(
    tx: &mut okno_kernel::db::Tx,
    code: Option<&str>,
) -> Result<std::result::Result<Option<String>, FieldError>> {
    match code.map(str::trim) {
        None | Some("") => Ok(Ok(None)),
        Some(c) => Ok(match store::service_category(tx, c).await? {
            Some(k) => Ok(Some(k.code)),
            None => Err(FieldError {
                field: "category_code".into(),
                code: "service.category_unknown".into(),
                message: format!("Категории «{c}» в каталоге нет."),
            }),
        }),
    }
}

/// An administrator adds a service to the catalogue. Every field is checked and every problem
/// named at once; audited and announced as `directory.service.created`.
pub async fn create_service(db: &Db, actor: &Actor, n: NewService) -> Result<Service> {
    create_service_unless(db, actor, n, Vec::new()).await
}

/// [`create_service`] for a form that parsed some fields itself: `already` holds the errors it
/// found there. With any, nothing is added, and they are refused together with the entry's own,
/// so the person sees every mistake at once.
pub async fn create_service_unless(
    db: &Db,
    actor: &Actor,
    n: NewService,
    already: Vec<FieldError>,
) -> Result<Service> {
    actor.require(Permission::DirectoryManage)?;
    let mut e = already;
    let code = n.code.trim().to_ascii_lowercase();
    // `new` is the address of the page that adds a service.
    if !is_code(&code) || code == "new" {
        field(
            &mut e,
            "code",
            "service.code",
            "Код — от 2 до 40 латинских букв, цифр и дефисов (кроме «new»).",
        );
    }
    let edit = validate_edit(ServiceEdit {
        title: n.title,
        summary: n.summary,
        fee_kopecks: n.fee_kopecks,
        deadline_working_days: n.deadline_working_days,
        level_required: n.level_required,
        documents: n.documents,
        category_code: None,
    });
    let mut tx = db.begin().await?;
    if store::agency(&mut tx, n.agency_code.trim())
        .await?
        .is_none()
    {
        field(
            &mut e,
            "agency_code",
            "service.agency_unknown",
            "Выберите ведомство, которое оказывает услугу.",
        );
    }
    let edit = match edit {
        Ok(edit) => Some(edit),
        Err(p) => {
            e.extend(p.errors);
            None
        }
    };
    let category = match known_category(&mut tx, n.category_code.as_deref()).await? {
        Ok(c) => c,
        Err(f) => {
            e.push(f);
            None
        }
    };
    let Some(edit) = edit.filter(|_| e.is_empty()) else {
        return Err(Problem::invalid_fields(e).into());
    };
    let service = Service {
        id: okno_kernel::clock::new_id(),
        code,
        agency_code: n.agency_code.trim().to_string(),
        title: edit.title,
        summary: edit.summary,
        fee_kopecks: edit.fee_kopecks,
        deadline_working_days: edit.deadline_working_days,
        level_required: edit.level_required,
        documents: serde_json::to_string(&edit.documents)?,
        online: 0,
        created_at: okno_kernel::clock::now_ms(),
        category_code: category,
    };
    if !store::insert_service(&mut tx, &service).await? {
        return Err(Problem::conflict(
            "service.code_taken",
            format!("Услуга с кодом «{}» уже есть.", service.code),
        )
        .into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "directory.service.created",
            subject_type: "service",
            subject_id: &service.code,
            details: serde_json::json!({
                "agency_code": service.agency_code, "title": service.title,
                "fee_kopecks": service.fee_kopecks, "deadline_working_days": service.deadline_working_days,
                "level_required": service.level_required, "category_code": service.category_code,
            }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        "directory.service.created",
        &serde_json::json!({ "code": service.code, "agency_code": service.agency_code }),
    )
    .await?;
    tx.commit().await?;
    Ok(service)
}

/// An administrator edits a service's entry. Applications already submitted keep the due date and
/// fee they were given; the change applies from the next submission. Audited with what changed.
pub async fn update_service(db: &Db, actor: &Actor, code: &str, e: ServiceEdit) -> Result<Service> {
    actor.require(Permission::DirectoryManage)?;
    let e = validate_edit(e)?;
    let mut tx = db.begin().await?;
    let before = store::service(&mut tx, code)
        .await?
        .ok_or_else(|| Error::from(Problem::not_found("Услуга не найдена.")))?;
    let documents = serde_json::to_string(&e.documents)?;
    let category_code = match e.category_code.as_deref() {
        None => before.category_code.clone(),
        Some(c) => known_category(&mut tx, Some(c))
            .await?
            .map_err(|f| Error::from(Problem::invalid_fields(vec![f])))?,
    };
    let after = Service {
        category_code,
        title: e.title,
        summary: e.summary,
        fee_kopecks: e.fee_kopecks,
        deadline_working_days: e.deadline_working_days,
        level_required: e.level_required,
        documents,
        ..before.clone()
    };
    store::update_service(&mut tx, &after).await?;
    let mut changed = serde_json::Map::new();
    let pairs = [
        (
            "title",
            serde_json::json!(before.title),
            serde_json::json!(after.title),
        ),
        (
            "summary",
            serde_json::json!(before.summary),
            serde_json::json!(after.summary),
        ),
        (
            "fee_kopecks",
            serde_json::json!(before.fee_kopecks),
            serde_json::json!(after.fee_kopecks),
        ),
        (
            "deadline_working_days",
            serde_json::json!(before.deadline_working_days),
            serde_json::json!(after.deadline_working_days),
        ),
        (
            "level_required",
            serde_json::json!(before.level_required),
            serde_json::json!(after.level_required),
        ),
        (
            "documents",
            serde_json::json!(before.documents),
            serde_json::json!(after.documents),
        ),
        (
            "category_code",
            serde_json::json!(before.category_code),
            serde_json::json!(after.category_code),
        ),
    ];
    for (k, b, a) in pairs {
        if b != a {
            changed.insert(k.into(), serde_json::json!({ "from": b, "to": a }));
        }
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "directory.service.updated",
            subject_type: "service",
            subject_id: code,
            details: serde_json::json!({ "changed": changed }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        "directory.service.updated",
        &serde_json::json!({ "code": code }),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// An administrator creates an agency.
pub async fn create_agency(db: &Db, actor: &Actor, new: NewAgency) -> Result<Agency> {
    actor.require(Permission::DirectoryManage)?;
    let agency = validate_agency(new)?;
    let mut tx = db.begin().await?;
    if !store::insert_agency(&mut tx, &agency).await? {
        return Err(Problem::conflict(
            "agency.code_taken",
            format!("Ведомство с кодом «{}» уже есть.", agency.code),
        )
        .into());
    }
    outbox::enqueue(
        &mut tx,
        "directory.agency.created",
        &serde_json::json!({ "id": agency.id, "code": agency.code }),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "directory.agency.created",
            subject_type: "agency",
            subject_id: &agency.id,
            details: serde_json::json!({ "code": agency.code, "short_name": agency.short_name, "level": agency.level }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(agency)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewAgency {
        NewAgency {
            code: "fns".into(),
            name: "Федеральная налоговая служба".into(),
            short_name: "ФНС России".into(),
            level: "federal".into(),
            inn: Some("7707329152".into()),
            ogrn: Some("1047707030513".into()),
            region: "Российская Федерация".into(),
            time_zone: "Europe/Moscow".into(),
            website: None,
        }
    }

    #[test]
    fn a_valid_agency_passes() {
        let a = validate_agency(new()).unwrap();
        assert_eq!(a.inn.as_deref(), Some("7707329152"));
    }

    #[test]
    fn every_invalid_field_is_named() {
        let mut n = new();
        n.code = "ФНС".into();
        n.inn = Some("7707329153".into());
        n.time_zone = "Moscow".into();
        n.level = "galactic".into();
        let p = validate_agency(n).unwrap_err();
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "level", "inn", "time_zone"]);
        assert_eq!(p.errors[2].code, "inn.checksum");
    }
}
