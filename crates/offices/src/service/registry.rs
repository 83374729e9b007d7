//! The registry: searching service points, one office with its hours, cities, and adding a
//! service to an office.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{now_ms, rfc3339};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Problem, Result};
use serde::{Deserialize, Serialize};

use crate::model::{
    self, distance_km, local, not_found_office, open_state, state_text, OfficeKind, OpenState,
    WEEKDAYS,
};
use crate::store::{self, OfficeRow};

use super::base::{calendar, office_hours, office_zone};

/// A service an office offers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceRef {
    pub code: String,
    pub title: String,
}

/// One weekday's hours as published.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayView {
    /// `mon` … `sun`.
    pub day: String,
    pub title: String,
    /// `08:00–20:00, перерыв 13:00–13:30`, or none when closed.
    pub hours: Option<String>,
}

/// A service point with its state at the moment of the request, in its local time.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeView {
    pub code: String,
    pub kind: OfficeKind,
    pub kind_title: String,
    pub name: String,
    pub city: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// IANA time zone; every time below is local to it.
    pub time_zone: String,
    pub phone: Option<String>,
    pub services: Vec<ServiceRef>,
    /// The office's local date now.
    pub local_date: String,
    /// Today's hours on the production calendar, or none when closed today.
    pub today: Option<String>,
    pub open_now: bool,
    /// «Открыто до 20:00», «Закрыто, откроется завтра в 09:00».
    pub status: String,
    /// When it opens next (RFC 3339, UTC), when closed.
    pub next_opening: Option<String>,
    /// From the point searched from, in kilometres (to 0.1 km).
    pub distance_km: Option<f64>,
    pub week: Vec<DayView>,
}

fn view(
    o: &OfficeRow,
    services: Vec<ServiceRef>,
    now: i64,
    from: Option<(i64, i64)>,
) -> Result<OfficeView> {
    let tz = office_zone(o)?;
    let week = office_hours(o)?;
    let (today, _) = local(&tz, now).ok_or_else(|| Error::internal("clock out of range"))?;
    let state = open_state(&week, calendar(), &tz, now);
    let next_opening = match &state {
        OpenState::Closed { next: Some((d, m)) } => model::instant(&tz, *d, *m).map(rfc3339),
        _ => None,
    };
    Ok(OfficeView {
        code: o.code.clone(),
        kind: OfficeKind::parse(&o.kind).unwrap_or(OfficeKind::Mfc),
        kind_title: OfficeKind::parse(&o.kind)
            .map(|k| k.title())
            .unwrap_or("Пункт обслуживания")
            .into(),
        name: o.name.clone(),
        city: o.city.clone(),
        address: o.address.clone(),
        lat: o.lat_micro as f64 / 1e6,
        lon: o.lon_micro as f64 / 1e6,
        time_zone: o.time_zone.clone(),
        phone: o.phone.clone(),
        services,
        local_date: today.to_string(),
        today: week.on(calendar(), today).map(|d| d.text()),
        open_now: matches!(state, OpenState::Open { .. }),
        status: state_text(&state, today),
        next_opening,
        distance_km: from.map(|(lat, lon)| {
            (distance_km(lat, lon, o.lat_micro, o.lon_micro) * 10.0).round() / 10.0
        }),
        week: WEEKDAYS
            .iter()
            .enumerate()
            .map(|(i, (k, t))| DayView {
                day: (*k).into(),
                title: (*t).into(),
                hours: week.days[i].as_ref().map(|d| d.text()),
            })
            .collect(),
    })
}

/// What a search asks for; every criterion is optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Search {
    /// Only offices of this city.
    pub city: Option<String>,
    /// Only offices of this kind: `mfc`, `post`, `bank`, `accredited`, `mobile`.
    pub kind: Option<String>,
    /// Only offices offering this service (catalogue code).
    pub service: Option<String>,
    /// Latitude to sort by distance from («ближайшие»), with `lon`.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// At most this many offices (1–100) [default: 50].
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The registry's public search: filtered by city, kind and service; nearest first when a point
/// is given, else by city and name.
pub async fn search(db: &Db, q: &Search, now: i64) -> Result<Vec<OfficeView>> {
    let limit = Problem::in_range("limit", q.limit, 50, 1..=100)?;
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(OfficeKind::parse(k).ok_or_else(|| {
            Problem::invalid_field(
                "kind",
                "office.kind_unknown",
                "Тип пункта: mfc, post, bank, accredited или mobile.",
            )
        })?),
    };
    let from = match (q.lat, q.lon) {
        (None, None) => None,
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            Some(((lat * 1e6).round() as i64, (lon * 1e6).round() as i64))
        }
        _ => {
            return Err(Problem::invalid_field(
                "lat",
                "office.point_invalid",
                "Укажите широту (−90…90) и долготу (−180…180) вместе.",
            )
            .into())
        }
    };
    let city = q.city.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let service = q
        .service
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let mut c = db.read().await?;
    let offices = store::offices(&mut c).await?;
    let pairs = store::office_services(&mut c).await?;
    drop(c);
    let mut out = Vec::new();
    for o in &offices {
        if city.is_some_and(|c| c != o.city)
            || kind.is_some_and(|k| k.as_str() != o.kind)
            || service.is_some_and(|s| {
                !pairs
                    .iter()
                    .any(|p| p.office_code == o.code && p.service_code == s)
            })
        {
            continue;
        }
        let services = pairs
            .iter()
            .filter(|p| p.office_code == o.code)
            .map(|p| ServiceRef {
                code: p.service_code.clone(),
                title: p.title.clone(),
            })
            .collect();
        out.push(view(o, services, now, from)?);
    }
    if from.is_some() {
        out.sort_by(|a, b| {
            a.distance_km
                .unwrap_or(f64::MAX)
                .total_cmp(&b.distance_km.unwrap_or(f64::MAX))
        });
    }
    out.truncate(limit as usize);
    Ok(out)
}

/// One office by code.
pub async fn office(db: &Db, code: &str, now: i64) -> Result<OfficeView> {
    let mut c = db.read().await?;
    let o = store::office(&mut c, code)
        .await?
        .ok_or_else(not_found_office)?;
    let services = store::office_services(&mut c)
        .await?
        .into_iter()
        .filter(|p| p.office_code == code)
        .map(|p| ServiceRef {
            code: p.service_code,
            title: p.title,
        })
        .collect();
    view(&o, services, now, None)
}

/// The cities that have offices, for the search form.
pub async fn cities(db: &Db) -> Result<Vec<String>> {
    let mut c = db.read().await?;
    let mut cities: Vec<String> = store::offices(&mut c)
        .await?
        .into_iter()
        .map(|o| o.city)
        .collect();
    cities.dedup();
    cities.sort();
    cities.dedup();
    Ok(cities)
}

/// An administrator adds a service to the ones an office offers.
pub async fn add_service(db: &Db, actor: &Actor, office: &str, service: &str) -> Result<bool> {
    actor.require(Permission::OfficesManage)?;
    let mut tx = db.begin().await?;
    store::office(&mut tx, office)
        .await?
        .ok_or_else(not_found_office)?;
    if store::service_title(&mut tx, service).await?.is_none() {
        return Err(Problem::not_found("Услуга не найдена.").into());
    }
    let added = store::insert_office_service(&mut tx, office, service, now_ms()).await?;
    if added {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "offices.service.added",
                subject_type: "office",
                subject_id: office,
                details: serde_json::json!({ "service": service }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}
