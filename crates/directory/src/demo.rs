//! Russian demo data of the directory (agencies, service points in four time zones, a service
//! catalogue, appeal categories), loaded idempotently: a second load adds nothing.

use okno_kernel::actor::Actor;
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Result};
use okno_kernel::{audit, clock};
use serde::Deserialize;

use crate::model::{AppealCategory, Office, Service, ServiceCategory};
use crate::service::{validate_agency, NewAgency};
use crate::store;

const DATA: &str = include_str!("../data/demo.json");

#[derive(Deserialize)]
struct Data {
    agencies: Vec<NewAgency>,
    offices: Vec<DemoOffice>,
    service_categories: Vec<DemoServiceCategory>,
    services: Vec<DemoService>,
    appeal_categories: Vec<DemoCategory>,
}

#[derive(Deserialize)]
struct DemoOffice {
    code: String,
    kind: String,
    name: String,
    city: String,
    address: String,
    lat: f64,
    lon: f64,
    time_zone: String,
    phone: Option<String>,
    hours: serde_json::Value,
}

#[derive(Deserialize)]
struct DemoServiceCategory {
    code: String,
    title: String,
    description: String,
}

#[derive(Deserialize)]
struct DemoService {
    code: String,
    agency: String,
    title: String,
    summary: String,
    fee: Option<i64>,
    days: i64,
    level: String,
    online: bool,
    docs: Vec<String>,
    category: String,
}

#[derive(Deserialize)]
struct DemoCategory {
    code: String,
    title: String,
    description: String,
    agency: String,
    days: i64,
}

/// What a load added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub agencies: usize,
    pub offices: usize,
    pub service_categories: usize,
    pub services: usize,
    pub categories: usize,
    /// Demo services already in the database filed in a category this load added.
    pub refiled: usize,
}

impl Loaded {
    pub fn total(&self) -> usize {
        self.agencies + self.offices + self.service_categories + self.services + self.categories
    }
}

/// Loads what is missing of the demo directory in one transaction.
pub async fn load(db: &Db, actor: &Actor) -> Result<Loaded> {
    let data: Data = serde_json::from_str(DATA)?;
    let now = clock::now_ms();
    let mut loaded = Loaded::default();
    let mut tx = db.begin().await?;
    for a in data.agencies {
        let agency = validate_agency(a)
            .map_err(|p| Error::internal(format!("demo agency: {}", p.detail)))?;
        loaded.agencies += store::insert_agency(&mut tx, &agency).await? as usize;
    }
    for o in data.offices {
        let office = Office {
            id: clock::new_id(),
            code: o.code,
            kind: o.kind,
            name: o.name,
            city: o.city,
            address: o.address,
            lat_micro: (o.lat * 1e6).round() as i64,
            lon_micro: (o.lon * 1e6).round() as i64,
            time_zone: o.time_zone,
            phone: o.phone,
            hours: o.hours.to_string(),
            created_at: now,
        };
        loaded.offices += store::insert_office(&mut tx, &office).await? as usize;
    }
    let mut new_categories = std::collections::BTreeSet::new();
    for (i, k) in data.service_categories.into_iter().enumerate() {
        let category = ServiceCategory {
            id: clock::new_id(),
            code: k.code,
            title: k.title,
            description: k.description,
            position: (i as i64 + 1) * 10,
            created_at: now,
        };
        if store::insert_service_category(&mut tx, &category).await? {
            loaded.service_categories += 1;
            new_categories.insert(category.code);
        }
    }
    for s in data.services {
        if new_categories.contains(&s.category) {
            // A database loaded before this category existed: its demo services still in no
            // category are filed in it. A service in a category an administrator gave stays.
            loaded.refiled +=
                store::categorise_if_none(&mut tx, &s.code, &s.category).await? as usize;
        }
        let service = Service {
            id: clock::new_id(),
            code: s.code,
            agency_code: s.agency,
            title: s.title,
            summary: s.summary,
            fee_kopecks: s.fee,
            deadline_working_days: s.days,
            level_required: s.level,
            documents: serde_json::to_string(&s.docs)?,
            online: s.online as i64,
            created_at: now,
            category_code: Some(s.category),
        };
        loaded.services += store::insert_service(&mut tx, &service).await? as usize;
    }
    for c in data.appeal_categories {
        let cat = AppealCategory {
            id: clock::new_id(),
            code: c.code,
            title: c.title,
            description: c.description,
            agency_code: c.agency,
            answer_days: c.days,
            created_at: now,
        };
        loaded.categories += store::insert_category(&mut tx, &cat).await? as usize;
    }
    if loaded.total() > 0 {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "directory.demo.loaded",
                subject_type: "directory",
                subject_id: "demo",
                details: serde_json::json!({
                    "agencies": loaded.agencies, "offices": loaded.offices,
                    "service_categories": loaded.service_categories, "services": loaded.services, "categories": loaded.categories,
                    "services_filed_in_new_categories": loaded.refiled,
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(loaded)
}
