//! Russian demo data of the offices part: which services each demo office offers, and a week of
//! appointment slots from tomorrow at a few of them. Idempotent: a second load adds only the slots
//! of days that came into the week since.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::Result;
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::service::{generate_slots, GenerateSlots};
use crate::store;

const DATA: &str = include_str!("../data/demo.json");

#[derive(Deserialize)]
struct Data {
    services: BTreeMap<String, Vec<String>>,
    slots: Vec<DemoSlots>,
}

#[derive(Deserialize)]
struct DemoSlots {
    office: String,
    service: String,
    duration_min: i64,
    capacity: i64,
}

/// What a load added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub services: usize,
    pub slots: i64,
}

/// Loads what is missing; call after the directory's demo load (it needs its offices and services).
pub async fn load(db: &Db, actor: &Actor) -> Result<Loaded> {
    let data: Data = serde_json::from_str(DATA)?;
    let now = now_ms();
    let mut loaded = Loaded::default();
    let mut tx = db.begin().await?;
    for (office, services) in &data.services {
        for s in services {
            loaded.services +=
                store::insert_office_service(&mut tx, office, s, now).await? as usize;
        }
    }
    if loaded.services > 0 {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "offices.demo.loaded",
                subject_type: "offices",
                subject_id: "demo",
                details: serde_json::json!({ "services": loaded.services }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    for s in data.slots {
        let g = GenerateSlots {
            service: s.service,
            from: None,
            days: Some(7),
            duration_min: s.duration_min,
            capacity: s.capacity,
        };
        loaded.slots += generate_slots(db, actor, &s.office, g).await?.created;
    }
    Ok(loaded)
}
