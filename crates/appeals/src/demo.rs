//! Russian demo data of the appeals part: Тульская область with four municipalities, seven
//! bodies with their supervisors, a category tree, routing rules (one by a polygon of central
//! Tula) and a few appeals in different statuses. Idempotent: what exists is left as it is.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::error::Result;
use okno_kernel::Platform;
use serde::Deserialize;

use crate::model::Kind;
use crate::service::{self, Author, Moderation, NewAppeal, Settings, Verdict};
use crate::store;

const DATA: &str = include_str!("../data/demo.json");

/// The demo author of the sample appeals (no account: nothing is sent to them).
pub const DEMO_AUTHOR: &str = "demo-resident";

#[derive(Deserialize)]
struct Data {
    territories: Vec<DemoTerritory>,
    bodies: Vec<DemoBody>,
    categories: Vec<DemoCategory>,
    routes: Vec<DemoRoute>,
    appeals: Vec<DemoAppeal>,
}

#[derive(Deserialize)]
struct DemoTerritory {
    code: String,
    name: String,
    region: Option<String>,
}

#[derive(Deserialize)]
struct DemoBody {
    code: String,
    name: String,
    short: String,
    region: String,
    municipality: Option<String>,
    supervisor: Option<String>,
    /// The catalogue's agency it is, if any.
    #[serde(default)]
    agency: Option<String>,
}

#[derive(Deserialize)]
struct DemoCategory {
    code: String,
    title: String,
    subs: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct DemoRoute {
    id: String,
    category: Option<String>,
    region: Option<String>,
    municipality: Option<String>,
    polygon: Option<String>,
    body: String,
}

#[derive(Deserialize)]
struct DemoAppeal {
    kind: Kind,
    category: String,
    text: String,
    address: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    municipality: Option<String>,
    publish: bool,
    answer: Option<String>,
}

/// What was added.
#[derive(Debug, Default)]
pub struct Loaded {
    pub bodies: usize,
    pub categories: usize,
    pub routes: usize,
    pub appeals: usize,
}

/// Loads what is missing; gives what was added.
pub async fn load(p: &Platform, settings: &Settings, actor: &Actor) -> Result<Loaded> {
    let data: Data = serde_json::from_str(DATA)?;
    let now = now_ms();
    let mut out = Loaded::default();
    let mut tx = p.db.begin().await?;
    for t in &data.territories {
        store::insert_territory(
            &mut tx,
            &store::TerritoryRow {
                code: t.code.clone(),
                name: t.name.clone(),
                region_code: t.region.clone(),
            },
            now,
        )
        .await?;
    }
    // Supervisors first: they are listed before the bodies they supervise.
    for b in &data.bodies {
        out.bodies += store::insert_body(
            &mut tx,
            &store::BodyRow {
                code: b.code.clone(),
                name: b.name.clone(),
                short_name: b.short.clone(),
                region_code: b.region.clone(),
                municipality_code: b.municipality.clone(),
                time_zone: "Europe/Moscow".into(),
                supervisor_code: b.supervisor.clone(),
                agency_code: b.agency.clone(),
                created_at: now,
            },
        )
        .await? as usize;
    }
    let mut position = 0;
    for c in &data.categories {
        position += 10;
        out.categories += store::insert_category(
            &mut tx,
            &store::CategoryRow {
                code: c.code.clone(),
                parent_code: None,
                title: c.title.clone(),
                position,
            },
            now,
        )
        .await? as usize;
        for (code, title) in &c.subs {
            position += 1;
            out.categories += store::insert_category(
                &mut tx,
                &store::CategoryRow {
                    code: code.clone(),
                    parent_code: Some(c.code.clone()),
                    title: title.clone(),
                    position,
                },
                now,
            )
            .await? as usize;
        }
    }
    for r in &data.routes {
        out.routes += store::insert_route(
            &mut tx,
            &store::RouteRow {
                id: format!("demo-{}", r.id),
                category_code: r.category.clone(),
                region_code: r.region.clone(),
                municipality_code: r.municipality.clone(),
                polygon: r.polygon.clone(),
                body_code: r.body.clone(),
            },
            now,
        )
        .await? as usize;
    }
    let seeded = !store::appeals_of(&mut tx, DEMO_AUTHOR).await?.is_empty();
    if out.bodies + out.categories + out.routes > 0 {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "appeals.demo.loaded",
                subject_type: "appeals",
                subject_id: "demo",
                details: serde_json::json!({
                    "bodies": out.bodies, "categories": out.categories, "routes": out.routes,
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    if seeded {
        return Ok(out);
    }
    // Sample appeals go through the use cases, so their history is the real one: the first is
    // answered, the second is at its body, the third waits in the moderation queue, the fourth
    // is at the body.
    for (i, d) in data.appeals.into_iter().enumerate() {
        let answer = d.answer.clone();
        let a = service::file_as(
            p,
            actor,
            Author {
                id: DEMO_AUTHOR.into(),
                name: "Житель (демо)".into(),
                via_app: None,
            },
            NewAppeal {
                kind: d.kind,
                category: d.category,
                text: d.text,
                address: d.address,
                lat: d.lat,
                lon: d.lon,
                municipality: d.municipality,
                publish: d.publish,
                reply_address: Some("resident@example.ru".into()),
            },
        )
        .await?;
        out.appeals += 1;
        if i == 2 {
            continue;
        }
        service::moderate(
            p,
            settings,
            actor,
            &a.id,
            Moderation {
                verdict: Verdict::Accept,
                reason: None,
                body: None,
                note: None,
            },
        )
        .await?;
        if let Some(text) = answer {
            service::answer(
                p,
                actor,
                &a.id,
                service::Answer {
                    is_final: true,
                    text,
                },
            )
            .await?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_data_hangs_together() {
        let d: Data = serde_json::from_str(DATA).unwrap();
        let bodies: Vec<&str> = d.bodies.iter().map(|b| b.code.as_str()).collect();
        // Every supervisor is listed before the body it supervises.
        for (i, b) in d.bodies.iter().enumerate() {
            if let Some(s) = &b.supervisor {
                assert!(bodies[..i].contains(&s.as_str()), "{}", b.code);
            }
        }
        let mut cats: Vec<&str> = d.categories.iter().map(|c| c.code.as_str()).collect();
        cats.extend(
            d.categories
                .iter()
                .flat_map(|c| c.subs.iter().map(|s| s.0.as_str())),
        );
        for r in &d.routes {
            assert!(bodies.contains(&r.body.as_str()), "{}", r.id);
            if let Some(c) = &r.category {
                assert!(cats.contains(&c.as_str()), "{}", r.id);
            }
            if let Some(p) = &r.polygon {
                let ring: Vec<[f64; 2]> = serde_json::from_str(p).unwrap();
                assert!(ring.len() >= 3);
            }
        }
        for a in &d.appeals {
            assert!(cats.contains(&a.category.as_str()));
        }
        assert!(d.categories.len() >= 4);
    }
}
