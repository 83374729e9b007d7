//! Public Russian pages of the directory: the service catalogue and a service's card, agencies,
//! and the themes of appeals (service points have their pages in the offices part).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use okno_kernel::http::{render, Chrome, PageError};
use okno_kernel::Platform;
use okno_rules::Kopecks;
use serde::Deserialize;

use crate::model::{account_level_title, level_title};
use crate::service;

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/services", get(services))
        .route("/services/{code}", get(service_card))
        .route("/agencies", get(agencies))
        .route("/appeals", get(appeals))
}

struct ServiceRow {
    code: String,
    title: String,
    summary: String,
    agency: String,
    fee: String,
    deadline: i64,
    online: bool,
}

fn fee_text(fee: Option<i64>) -> String {
    match fee {
        None | Some(0) => "бесплатно".into(),
        Some(k) => Kopecks(k).to_string(),
    }
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    chrome: Chrome,
    rows: Vec<ServiceRow>,
    agencies: Vec<(String, String)>,
    agency: String,
}

#[derive(Deserialize)]
struct ServicesQuery {
    agency: Option<String>,
}

async fn services(
    State(p): State<Platform>,
    chrome: Chrome,
    Query(q): Query<ServicesQuery>,
) -> Result<Response, PageError> {
    let agency = q.agency.unwrap_or_default();
    let agencies = service::agencies(&p.db).await?;
    let list = service::services(&p.db, Some(agency.as_str()).filter(|a| !a.is_empty())).await?;
    let name_of = |code: &str| {
        agencies
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.short_name.clone())
            .unwrap_or_default()
    };
    let rows = list
        .into_iter()
        .map(|s| ServiceRow {
            agency: name_of(&s.agency_code),
            fee: fee_text(s.fee_kopecks),
            code: s.code,
            title: s.title,
            summary: s.summary,
            deadline: s.deadline_working_days,
            online: s.online == 1,
        })
        .collect();
    Ok(render(&ServicesPage {
        chrome,
        rows,
        agencies: agencies
            .into_iter()
            .map(|a| (a.code, a.short_name))
            .collect(),
        agency,
    }))
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServiceCard {
    chrome: Chrome,
    code: String,
    title: String,
    summary: String,
    agency: String,
    fee: String,
    deadline: i64,
    level: &'static str,
    online: bool,
    documents: Vec<String>,
}

async fn service_card(
    State(p): State<Platform>,
    chrome: Chrome,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let s = service::service(&p.db, &code).await?;
    let agency = service::agency(&p.db, &s.agency_code).await?;
    Ok(render(&ServiceCard {
        chrome,
        documents: serde_json::from_str(&s.documents).unwrap_or_default(),
        fee: fee_text(s.fee_kopecks),
        level: account_level_title(&s.level_required),
        code: s.code,
        title: s.title,
        summary: s.summary,
        agency: agency.name,
        deadline: s.deadline_working_days,
        online: s.online == 1,
    }))
}

struct AgencyRow {
    code: String,
    name: String,
    short_name: String,
    level: &'static str,
    region: String,
    inn: String,
}

#[derive(Template)]
#[template(path = "agencies.html")]
struct AgenciesPage {
    chrome: Chrome,
    rows: Vec<AgencyRow>,
}

async fn agencies(State(p): State<Platform>, chrome: Chrome) -> Result<Response, PageError> {
    let rows = service::agencies(&p.db)
        .await?
        .into_iter()
        .map(|a| AgencyRow {
            level: level_title(&a.level),
            code: a.code,
            name: a.name,
            short_name: a.short_name,
            region: a.region,
            inn: a.inn.unwrap_or_default(),
        })
        .collect();
    Ok(render(&AgenciesPage { chrome, rows }))
}

struct CategoryRow {
    title: String,
    description: String,
    agency: String,
    days: i64,
}

#[derive(Template)]
#[template(path = "appeals.html")]
struct AppealsPage {
    chrome: Chrome,
    rows: Vec<CategoryRow>,
}

async fn appeals(State(p): State<Platform>, chrome: Chrome) -> Result<Response, PageError> {
    let agencies = service::agencies(&p.db).await?;
    let rows = service::categories(&p.db)
        .await?
        .into_iter()
        .map(|c| CategoryRow {
            agency: agencies
                .iter()
                .find(|a| a.code == c.agency_code)
                .map(|a| a.short_name.clone())
                .unwrap_or_default(),
            title: c.title,
            description: c.description,
            days: c.answer_days,
        })
        .collect();
    Ok(render(&AppealsPage { chrome, rows }))
}
