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
use crate::service::{self, NO_CATEGORY};

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

/// The services of one category on the catalogue page.
struct Group {
    /// The category's code; `none` for the services in no category.
    code: String,
    title: String,
    description: String,
    rows: Vec<ServiceRow>,
}

/// A category in the page's filter: (code, title, how many services).
type CategoryChoice = (String, String, usize);

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    chrome: Chrome,
    groups: Vec<Group>,
    agencies: Vec<(String, String)>,
    categories: Vec<CategoryChoice>,
    agency: String,
    category: String,
}

#[derive(Deserialize)]
struct ServicesQuery {
    agency: Option<String>,
    category: Option<String>,
}

async fn services(
    State(p): State<Platform>,
    chrome: Chrome,
    Query(q): Query<ServicesQuery>,
) -> Result<Response, PageError> {
    let agency = q.agency.unwrap_or_default();
    let category = q.category.unwrap_or_default();
    let agencies = service::agencies(&p.db).await?;
    let categories = service::service_categories(&p.db).await?;
    let all =
        service::services(&p.db, Some(agency.as_str()).filter(|a| !a.is_empty()), None).await?;
    let name_of = |code: &str| {
        agencies
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.short_name.clone())
            .unwrap_or_default()
    };
    // A service whose category is gone from the list counts as in none.
    let category_of = |s: &crate::model::Service| {
        s.category_code
            .as_deref()
            .filter(|c| categories.iter().any(|k| k.code == *c))
            .unwrap_or(NO_CATEGORY)
            .to_string()
    };
    let mut groups: Vec<Group> = categories
        .iter()
        .map(|k| Group {
            code: k.code.clone(),
            title: k.title.clone(),
            description: k.description.clone(),
            rows: Vec::new(),
        })
        .collect();
    groups.push(Group {
        code: NO_CATEGORY.into(),
        title: "Другие услуги".into(),
        description: String::new(),
        rows: Vec::new(),
    });
    for s in all {
        let code = category_of(&s);
        let row = ServiceRow {
            agency: name_of(&s.agency_code),
            fee: fee_text(s.fee_kopecks),
            code: s.code,
            title: s.title,
            summary: s.summary,
            deadline: s.deadline_working_days,
            online: s.online == 1,
        };
        if let Some(g) = groups.iter_mut().find(|g| g.code == code) {
            g.rows.push(row);
        }
    }
    let choices = groups
        .iter()
        .filter(|g| !g.rows.is_empty() || g.code != NO_CATEGORY)
        .map(|g| (g.code.clone(), g.title.clone(), g.rows.len()))
        .collect();
    groups.retain(|g| !g.rows.is_empty() && (category.is_empty() || g.code == category));
    Ok(render(&ServicesPage {
        chrome,
        groups,
        agencies: agencies
            .into_iter()
            .map(|a| (a.code, a.short_name))
            .collect(),
        categories: choices,
        agency,
        category,
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
    /// (code, title) of the service's category.
    category: Option<(String, String)>,
}

async fn service_card(
    State(p): State<Platform>,
    chrome: Chrome,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let s = service::service(&p.db, &code).await?;
    let agency = service::agency(&p.db, &s.agency_code).await?;
    let category = match s.category_code.as_deref() {
        Some(c) => service::service_categories(&p.db)
            .await?
            .into_iter()
            .find(|k| k.code == c)
            .map(|k| (k.code, k.title)),
        None => None,
    };
    Ok(render(&ServiceCard {
        category,
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
