//! Russian demo data of the appeals part: Тульская область with four municipalities, seven
//! bodies with their supervisors, a category tree, routing rules (one by a polygon of central
//! Tula) and a few appeals in different statuses. Idempotent: what exists is left as it is.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::db::Tx;
use okno_kernel::error::{Problem, Result};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::model::Kind;
use crate::service::{self, Author, Moderation, NewAppeal, Settings, Verdict};
use crate::store;

const DATA: &str = include_str!("../data/demo.json");

/// The demo author of the sample appeals (no account: nothing is sent to them).
pub const DEMO_AUTHOR: &str = "demo-resident";

/// The appeals part's configuration as a file (the demo's is `data/demo.json`): territories,
/// bodies (a supervisor listed before the bodies it supervises, or already in the database), the
/// category tree and the routing rules; the demo adds sample appeals.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    #[serde(default)]
    territories: Vec<DemoTerritory>,
    #[serde(default)]
    bodies: Vec<DemoBody>,
    #[serde(default)]
    categories: Vec<DemoCategory>,
    #[serde(default)]
    routes: Vec<DemoRoute>,
    #[serde(default)]
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

/// Imports an administrator's configuration file (the format of `data/demo.json`, without
/// `appeals`): adds what is missing, leaves what exists as it is, all in one transaction with its
/// audit record (`appeals.config.imported`). A reference to a body, a territory or a category
/// that neither the file nor the database holds refuses the whole file.
pub async fn import(p: &Platform, json: &str, actor: &Actor) -> Result<Loaded> {
    actor.require(okno_kernel::actor::Permission::DirectoryManage)?;
    let data: Data = serde_json::from_str(json).map_err(|e| {
        Problem::invalid_field(
            "file",
            "appeals.config_invalid",
            format!("Файл настройки обращений не разобран: {e}."),
        )
    })?;
    if !data.appeals.is_empty() {
        return Err(Problem::invalid_field(
            "appeals",
            "appeals.config_invalid",
            "Обращения не загружаются из файла настройки: их подают граждане.",
        )
        .into());
    }
    let mut tx = p.db.begin().await?;
    let out = configure(&mut tx, &data, "", actor, "appeals.config.imported").await?;
    tx.commit().await?;
    Ok(out)
}

/// Adds what the file holds and the database does not, in its order (territories, bodies,
/// categories, routes), with one audit record when anything was added.
async fn configure(
    tx: &mut Tx,
    data: &Data,
    route_prefix: &str,
    actor: &Actor,
    action: &str,
) -> Result<Loaded> {
    let now = now_ms();
    add_territories(tx, &data.territories, now).await?;
    let out = Loaded {
        bodies: add_bodies(tx, &data.bodies, now).await?,
        categories: add_categories(tx, &data.categories, now).await?,
        routes: add_routes(tx, &data.routes, route_prefix, now).await?,
        appeals: 0,
    };
    if out.bodies + out.categories + out.routes > 0 {
        audit::append(
            &mut *tx,
            audit::Entry {
                actor,
                action,
                subject_type: "appeals",
                subject_id: if route_prefix.is_empty() {
                    "config"
                } else {
                    "demo"
                },
                details: serde_json::json!({
                    "bodies": out.bodies, "categories": out.categories, "routes": out.routes,
                }),
            },
        )
        .await?;
    }
    Ok(out)
}

/// The refusal of a file that names what neither it nor the database holds.
fn missing(what: &str, code: &str) -> okno_kernel::error::Error {
    Problem::invalid_field(
        "file",
        "appeals.config_reference_unknown",
        format!("В файле настройки упомянут неизвестный {what} «{code}»."),
    )
    .into()
}

/// Refused unless each of the territories exists.
async fn require_territories<'a>(
    tx: &mut Tx,
    codes: impl Iterator<Item = &'a String>,
) -> Result<()> {
    for t in codes {
        if !store::territory_exists(&mut *tx, t).await? {
            return Err(missing("регион или муниципалитет", t));
        }
    }
    Ok(())
}

async fn add_territories(tx: &mut Tx, territories: &[DemoTerritory], now: i64) -> Result<()> {
    for t in territories {
        if let Some(r) = &t.region {
            if !store::territory_exists(&mut *tx, r).await? {
                return Err(missing("регион", r));
            }
        }
        store::insert_territory(
            &mut *tx,
            &store::TerritoryRow {
                code: t.code.clone(),
                name: t.name.clone(),
                region_code: t.region.clone(),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Adds the bodies (each supervisor before the bodies it supervises); gives how many were new.
async fn add_bodies(tx: &mut Tx, bodies: &[DemoBody], now: i64) -> Result<usize> {
    let mut added = 0;
    for b in bodies {
        if let Some(s) = &b.supervisor {
            if store::body(&mut *tx, s).await?.is_none() {
                return Err(missing("вышестоящий орган", s));
            }
        }
        require_territories(
            tx,
            std::iter::once(&b.region).chain(b.municipality.as_ref()),
        )
        .await?;
        added += store::insert_body(
            &mut *tx,
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
    Ok(added)
}

/// Adds the categories and their subcategories after the last one; gives how many were new.
async fn add_categories(tx: &mut Tx, categories: &[DemoCategory], now: i64) -> Result<usize> {
    let mut added = 0;
    let mut position = store::last_category_position(&mut *tx).await?;
    for c in categories {
        position += 10;
        added += store::insert_category(
            &mut *tx,
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
            added += store::insert_category(
                &mut *tx,
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
    Ok(added)
}

/// Adds the routing rules (their ids after `prefix`); gives how many were new.
async fn add_routes(tx: &mut Tx, routes: &[DemoRoute], prefix: &str, now: i64) -> Result<usize> {
    let mut added = 0;
    for r in routes {
        if store::body(&mut *tx, &r.body).await?.is_none() {
            return Err(missing("орган", &r.body));
        }
        if let Some(c) = &r.category {
            if !store::category_exists(&mut *tx, c).await? {
                return Err(missing("раздел", c));
            }
        }
        require_territories(tx, r.region.iter().chain(r.municipality.as_ref())).await?;
        added += store::insert_route(
            &mut *tx,
            &store::RouteRow {
                id: format!("{prefix}{}", r.id),
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
    Ok(added)
}

/// Loads what is missing; gives what was added.
pub async fn load(p: &Platform, settings: &Settings, actor: &Actor) -> Result<Loaded> {
    let data: Data = serde_json::from_str(DATA)?;
    let mut tx = p.db.begin().await?;
    let mut out = configure(&mut tx, &data, "demo-", actor, "appeals.demo.loaded").await?;
    let seeded = !store::appeals_of(&mut tx, DEMO_AUTHOR).await?.is_empty();
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
