//! Use cases of the offices part, the only entry points: the public registry search, slots
//! published by administrators, bookings by signed-in people (book, move, cancel), the reminder
//! worker, and the electronic queue. Each change runs in one transaction with its audit record,
//! outbox event and notification.

use std::time::Duration;

use jiff::civil::Date;
use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::{audit, outbox};
use okno_rules::calendar::ProductionCalendar;
use serde::{Deserialize, Serialize};

use crate::model::{
    self, distance_km, fmt_minute, local, open_state, parse_minute, state_text, BookingStatus,
    OfficeKind, OpenState, Refusal, TicketStatus, WeekHours, WEEKDAYS,
};
use crate::store::{self, AppointmentRow, OfficeRow, SlotRow, TicketRow};

/// Settings of the part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The visit length the queue's estimate assumes when nobody was served in the last hour.
    pub default_visit: Duration,
    /// How often the reminder worker looks for due reminders.
    pub reminder_poll: Duration,
    /// The address people use (`--public-url`), for the sign-in QR code of a справка.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_visit: Duration::from_secs(10 * 60),
            reminder_poll: Duration::from_secs(30),
            public_url: "http://localhost:8080".into(),
        }
    }
}

fn calendar() -> &'static ProductionCalendar {
    ProductionCalendar::shared()
}

fn office_zone(o: &OfficeRow) -> Result<jiff::tz::TimeZone> {
    model::zone(&o.time_zone).map_err(|r| Error::internal(r.message))
}

fn office_hours(o: &OfficeRow) -> Result<WeekHours> {
    let v: serde_json::Value = serde_json::from_str(&o.hours)?;
    WeekHours::parse(&v).map_err(|r| Error::internal(format!("office {}: {}", o.code, r.message)))
}

pub(crate) fn not_found_office() -> Error {
    Problem::not_found("Пункт обслуживания не найден.").into()
}

fn parse_date(field: &str, s: &str) -> std::result::Result<Date, Problem> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| Problem::invalid_field(field, "date.invalid", "Дата в формате ГГГГ-ММ-ДД."))
}

// --- the registry -----------------------------------------------------------------------------

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

// --- slots ------------------------------------------------------------------------------------

/// A slot as served.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    pub id: String,
    pub office_code: String,
    pub service_code: String,
    /// Local date and time of the start, in the office's zone.
    pub date: String,
    pub time: String,
    pub time_zone: String,
    /// The start as an instant (RFC 3339, UTC).
    pub starts_at: String,
    pub duration_min: i64,
    pub capacity: i64,
    pub free: i64,
}

fn slot_view(s: &SlotRow, tz: &str) -> SlotView {
    SlotView {
        id: s.id.clone(),
        office_code: s.office_code.clone(),
        service_code: s.service_code.clone(),
        date: s.local_date.clone(),
        time: s.local_time.clone(),
        time_zone: tz.into(),
        starts_at: rfc3339(s.starts_at),
        duration_min: s.duration_min,
        capacity: s.capacity,
        free: (s.capacity - s.booked).max(0),
    }
}

/// What an administrator publishes: one slot.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSlot {
    pub service: String,
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Local start, `HH:MM`.
    pub time: String,
    /// 5–240 minutes.
    pub duration_min: i64,
    /// Places (desks receiving at once), 1–50.
    pub capacity: i64,
}

/// A week (or other span) of slots cut from the office's hours.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateSlots {
    pub service: String,
    /// First local date [default: tomorrow in the office's zone].
    pub from: Option<String>,
    /// Days to cover, 1–31 [default: 7].
    pub days: Option<i64>,
    pub duration_min: i64,
    pub capacity: i64,
}

/// How many slots a generation created, and how many already existed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Generated {
    pub created: i64,
    pub existing: i64,
}

fn check_shape(duration: i64, capacity: i64) -> std::result::Result<(), Problem> {
    if !(5..=240).contains(&duration) {
        return Err(Problem::invalid_field(
            "duration_min",
            "slot.duration",
            "Длительность приёма — от 5 до 240 минут.",
        ));
    }
    if !(1..=50).contains(&capacity) {
        return Err(Problem::invalid_field(
            "capacity",
            "slot.capacity",
            "Число мест (окон) — от 1 до 50.",
        ));
    }
    Ok(())
}

async fn managed_office(tx: &mut Tx, office: &str, service: &str) -> Result<OfficeRow> {
    let o = store::office(tx, office)
        .await?
        .ok_or_else(not_found_office)?;
    if !store::offers(tx, office, service).await? {
        return Err(Problem::invalid_field(
            "service",
            "slot.service_not_offered",
            "Этот пункт не оказывает эту услугу.",
        )
        .into());
    }
    Ok(o)
}

/// An administrator publishes one slot; it must lie inside the office's hours on that date (the
/// production calendar applied) and start in the future.
pub async fn publish_slot(db: &Db, actor: &Actor, office: &str, n: NewSlot) -> Result<SlotView> {
    actor.require(Permission::OfficesManage)?;
    check_shape(n.duration_min, n.capacity)?;
    let date = parse_date("date", &n.date)?;
    let start = parse_minute(&n.time)
        .filter(|m| *m < 1440)
        .ok_or_else(|| Problem::invalid_field("time", "time.invalid", "Время в формате ЧЧ:ММ."))?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let o = managed_office(&mut tx, office, &n.service).await?;
    let tz = office_zone(&o)?;
    let end = start + n.duration_min as u16;
    let inside = office_hours(&o)?
        .on(calendar(), date)
        .is_some_and(|d| d.intervals().iter().any(|(a, b)| *a <= start && end <= *b));
    if !inside {
        return Err(Error::from(Refusal::new(
            "slot.outside_hours",
            "Приём в это время невозможен: пункт закрыт (нерабочий день, перерыв или вне часов работы).",
        )));
    }
    let starts_at = model::instant(&tz, date, start)
        .ok_or_else(|| Error::internal("local time out of range"))?;
    if starts_at <= now {
        return Err(Error::from(Refusal::new(
            "slot.past",
            "Это время уже прошло.",
        )));
    }
    let slot = SlotRow {
        id: new_id(),
        office_code: o.code.clone(),
        service_code: n.service.clone(),
        local_date: date.to_string(),
        local_time: fmt_minute(start),
        starts_at,
        duration_min: n.duration_min,
        capacity: n.capacity,
        booked: 0,
    };
    if !store::insert_slot(&mut tx, &slot, now).await? {
        return Err(Error::from(Refusal::new(
            "slot.exists",
            "Приём на это время по этой услуге уже опубликован.",
        )));
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.slot.published",
            subject_type: "appointment_slot",
            subject_id: &slot.id,
            details: serde_json::json!({"office": slot.office_code, "service": slot.service_code,
                "date": slot.local_date, "time": slot.local_time, "capacity": slot.capacity}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(slot_view(&slot, &o.time_zone))
}

/// An administrator cuts slots of `duration_min` from the office's hours, day by day on the
/// production calendar, breaks left out; slots already published are kept as they are.
pub async fn generate_slots(
    db: &Db,
    actor: &Actor,
    office: &str,
    g: GenerateSlots,
) -> Result<Generated> {
    actor.require(Permission::OfficesManage)?;
    check_shape(g.duration_min, g.capacity)?;
    let days = g.days.unwrap_or(7);
    if !(1..=31).contains(&days) {
        return Err(Problem::invalid_field("days", "slot.days", "От 1 до 31 дня.").into());
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let o = managed_office(&mut tx, office, &g.service).await?;
    let tz = office_zone(&o)?;
    let week = office_hours(&o)?;
    let mut date = match &g.from {
        Some(d) => parse_date("from", d)?,
        None => local(&tz, now)
            .and_then(|(d, _)| d.tomorrow().ok())
            .ok_or_else(|| Error::internal("clock out of range"))?,
    };
    let (mut created, mut existing) = (0, 0);
    let step = g.duration_min as u16;
    for _ in 0..days {
        if let Some(day) = week.on(calendar(), date) {
            for (a, b) in day.intervals() {
                let mut start = a;
                while start + step <= b {
                    if let Some(starts_at) = model::instant(&tz, date, start).filter(|t| *t > now) {
                        let slot = SlotRow {
                            id: new_id(),
                            office_code: o.code.clone(),
                            service_code: g.service.clone(),
                            local_date: date.to_string(),
                            local_time: fmt_minute(start),
                            starts_at,
                            duration_min: g.duration_min,
                            capacity: g.capacity,
                            booked: 0,
                        };
                        if store::insert_slot(&mut tx, &slot, now).await? {
                            created += 1;
                        } else {
                            existing += 1;
                        }
                    }
                    start += step;
                }
            }
        }
        date = date
            .tomorrow()
            .map_err(|_| Error::internal("date out of range"))?;
    }
    if created > 0 {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "offices.slots.generated",
                subject_type: "office",
                subject_id: &o.code,
                details: serde_json::json!({"service": g.service, "days": days,
                    "duration_min": g.duration_min, "capacity": g.capacity, "created": created}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Generated { created, existing })
}

/// Free slots of an office from now on, `days` ahead (1–31, default 14).
pub async fn free_slots(
    db: &Db,
    office: &str,
    service: Option<&str>,
    days: Option<i64>,
    now: i64,
) -> Result<Vec<SlotView>> {
    let days = Problem::in_range("days", days, 14, 1..=31)?;
    let mut c = db.read().await?;
    let o = store::office(&mut c, office)
        .await?
        .ok_or_else(not_found_office)?;
    let to = now + days * 86_400_000;
    Ok(store::slots(&mut c, office, service, now, to, true)
        .await?
        .iter()
        .map(|s| slot_view(s, &o.time_zone))
        .collect())
}

// --- appointments -----------------------------------------------------------------------------

/// A booking as its holder sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppointmentView {
    pub id: String,
    /// The short code to show at the office, `K7M-4PX`.
    pub code: String,
    pub status: BookingStatus,
    pub office_code: String,
    pub office_name: String,
    pub address: String,
    pub service_code: String,
    pub service_title: String,
    pub slot_id: String,
    /// Local date and time in the office's zone.
    pub date: String,
    pub time: String,
    pub time_zone: String,
    pub starts_at: String,
    /// Whether it can still be moved or cancelled.
    pub changeable: bool,
}

async fn appointment_view(
    c: &mut impl okno_kernel::db::AsConn,
    a: &AppointmentRow,
    now: i64,
) -> Result<AppointmentView> {
    let s = store::slot(&mut *c, &a.slot_id)
        .await?
        .ok_or_else(|| Error::internal("booking without its slot"))?;
    let o = store::office(&mut *c, &s.office_code)
        .await?
        .ok_or_else(not_found_office)?;
    let title = store::service_title(&mut *c, &s.service_code)
        .await?
        .unwrap_or_default();
    let status = BookingStatus::parse(&a.status).unwrap_or(BookingStatus::Cancelled);
    Ok(AppointmentView {
        id: a.id.clone(),
        code: a.code.clone(),
        status,
        office_code: o.code,
        office_name: o.name,
        address: o.address,
        service_code: s.service_code,
        service_title: title,
        slot_id: s.id,
        date: s.local_date,
        time: s.local_time,
        time_zone: o.time_zone,
        starts_at: rfc3339(s.starts_at),
        changeable: status.change(s.starts_at, now).is_ok(),
    })
}

/// The account a booking belongs to: people only, not API tokens.
fn person(actor: &Actor) -> Result<&str> {
    match (actor.kind, actor.id.as_deref()) {
        (ActorKind::Account, Some(id)) => Ok(id),
        (ActorKind::Anonymous, _) => Err(Problem::unauthenticated().into()),
        _ => Err(
            Problem::new(403, "appointment.person_only", "Только для граждан")
                .with_detail("Записаться на приём может только человек, вошедший в личный кабинет.")
                .into(),
        ),
    }
}

fn when_text(date: &str, time: &str) -> String {
    match date.parse::<Date>() {
        Ok(d) => format!("{} в {time}", model::date_text(d)),
        Err(_) => format!("{date} в {time}"),
    }
}

async fn tell(tx: &mut Tx, account_id: &str, subject: &str, text: &str) -> Result<()> {
    notify_account(tx, account_id, Topic::Appointments, subject, text).await?;
    Ok(())
}

fn open_slot(s: Option<SlotRow>, now: i64) -> Result<SlotRow> {
    let s = s.ok_or_else(|| Error::from(Problem::not_found("Время приёма не найдено.")))?;
    if s.starts_at <= now {
        return Err(Error::from(Refusal::new(
            "slot.past",
            "Это время уже прошло: выберите другое.",
        )));
    }
    Ok(s)
}

fn slot_full() -> Error {
    Error::from(Refusal::new(
        "slot.full",
        "На это время мест больше нет: выберите другое.",
    ))
}

/// A signed-in person books a place in a slot. Under any number of concurrent attempts at the
/// last place exactly one succeeds: the place is taken by a conditional UPDATE checked by its row
/// count, in the same transaction as the booking, its reminders, audit record and notification.
pub async fn book(db: &Db, actor: &Actor, slot_id: &str) -> Result<AppointmentView> {
    let account = person(actor)?.to_string();
    let now = now_ms();
    let mut tx = db.begin().await?;
    let slot = open_slot(store::slot(&mut tx, slot_id).await?, now)?;
    if store::holds_slot(&mut tx, &slot.id, &account).await? {
        return Err(Error::from(Refusal::new(
            "appointment.duplicate",
            "Вы уже записаны на это время.",
        )));
    }
    if !store::take_place(&mut tx, &slot.id).await? {
        return Err(slot_full());
    }
    let mut row = AppointmentRow {
        id: new_id(),
        code: String::new(),
        slot_id: slot.id.clone(),
        account_id: account.clone(),
        status: "booked".into(),
        created_at: now,
        changed_at: now,
    };
    let mut inserted = false;
    for _ in 0..8 {
        row.code = model::booking_code(&mut rand::thread_rng());
        if store::insert_appointment(&mut tx, &row).await? {
            inserted = true;
            break;
        }
    }
    if !inserted {
        return Err(Error::internal("no free booking code after 8 attempts"));
    }
    store::schedule_reminders(&mut tx, &row.id, slot.starts_at, now).await?;
    let v = appointment_view(&mut tx, &row, now).await?;
    tell(
        &mut tx,
        &account,
        "Запись на приём",
        &format!(
            "Вы записаны на {} (местное время): «{}», {}. Услуга: {}. Код записи {}.",
            when_text(&v.date, &v.time),
            v.office_name,
            v.address,
            v.service_title,
            v.code
        ),
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        "offices.appointment.booked",
        &serde_json::json!({"id": row.id, "slot": slot.id, "office": slot.office_code}),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.appointment.booked",
            subject_type: "appointment",
            subject_id: &row.id,
            details: serde_json::json!({"slot": slot.id, "office": slot.office_code,
                "service": slot.service_code, "code": row.code}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

/// A booking of the actor's own, for a change; someone else's is «not found», so ids of other
/// people's bookings reveal nothing.
async fn own(tx: &mut Tx, actor: &Actor, id: &str) -> Result<(AppointmentRow, SlotRow)> {
    let account = person(actor)?;
    let a = store::appointment(tx, id)
        .await?
        .filter(|a| a.account_id == account)
        .ok_or_else(|| {
            Error::from(
                Problem::new(404, "appointment.not_found", "Не найдено")
                    .with_detail("Запись не найдена."),
            )
        })?;
    let s = store::slot(tx, &a.slot_id)
        .await?
        .ok_or_else(|| Error::internal("booking without its slot"))?;
    Ok((a, s))
}

/// The person's bookings, the latest first.
pub async fn my_appointments(db: &Db, actor: &Actor) -> Result<Vec<AppointmentView>> {
    let account = person(actor)?;
    let now = now_ms();
    let mut c = db.read().await?;
    let mut out = Vec::new();
    for a in store::appointments_of(&mut c, account).await? {
        out.push(appointment_view(&mut c, &a, now).await?);
    }
    Ok(out)
}

/// The person cancels their booking; the place is freed and the reminders dropped.
pub async fn cancel(db: &Db, actor: &Actor, id: &str) -> Result<AppointmentView> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let (a, s) = own(&mut tx, actor, id).await?;
    let status = BookingStatus::parse(&a.status).unwrap_or(BookingStatus::Cancelled);
    status.cancel(s.starts_at, now).map_err(Error::from)?;
    if !store::update_appointment(&mut tx, &a.id, "cancelled", &s.id, now).await? {
        return Err(Error::from(
            BookingStatus::Cancelled.cancel(0, 0).unwrap_err(),
        ));
    }
    store::release_place(&mut tx, &s.id).await?;
    store::drop_reminders(&mut tx, &a.id).await?;
    let row = AppointmentRow {
        status: "cancelled".into(),
        ..a
    };
    let v = appointment_view(&mut tx, &row, now).await?;
    tell(
        &mut tx,
        &row.account_id,
        "Запись отменена",
        &format!(
            "Запись {} на {} в «{}» отменена.",
            v.code,
            when_text(&v.date, &v.time),
            v.office_name
        ),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.appointment.cancelled",
            subject_type: "appointment",
            subject_id: &row.id,
            details: serde_json::json!({"slot": s.id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

/// The person moves their booking to another slot of the same office and service; the code stays.
pub async fn reschedule(
    db: &Db,
    actor: &Actor,
    id: &str,
    slot_id: &str,
) -> Result<AppointmentView> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let (a, old) = own(&mut tx, actor, id).await?;
    let status = BookingStatus::parse(&a.status).unwrap_or(BookingStatus::Cancelled);
    status.change(old.starts_at, now).map_err(Error::from)?;
    let new = open_slot(store::slot(&mut tx, slot_id).await?, now)?;
    if new.id == old.id {
        return Err(Error::from(Refusal::new(
            "appointment.same_slot",
            "Вы уже записаны на это время.",
        )));
    }
    if new.office_code != old.office_code || new.service_code != old.service_code {
        return Err(Problem::invalid_field(
            "slot_id",
            "appointment.other_service",
            "Перенести можно на другое время той же услуги в том же пункте.",
        )
        .into());
    }
    if !store::take_place(&mut tx, &new.id).await? {
        return Err(slot_full());
    }
    store::release_place(&mut tx, &old.id).await?;
    if !store::update_appointment(&mut tx, &a.id, "booked", &new.id, now).await? {
        return Err(Error::from(
            BookingStatus::Cancelled.cancel(0, 0).unwrap_err(),
        ));
    }
    store::schedule_reminders(&mut tx, &a.id, new.starts_at, now).await?;
    let row = AppointmentRow {
        slot_id: new.id.clone(),
        ..a
    };
    let v = appointment_view(&mut tx, &row, now).await?;
    tell(
        &mut tx,
        &row.account_id,
        "Запись перенесена",
        &format!(
            "Запись {} перенесена на {} (местное время), «{}», {}.",
            v.code,
            when_text(&v.date, &v.time),
            v.office_name,
            v.address
        ),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.appointment.moved",
            subject_type: "appointment",
            subject_id: &row.id,
            details: serde_json::json!({"from": old.id, "to": new.id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

// --- reminders --------------------------------------------------------------------------------

/// Sends the reminders due at `now` (at most `limit`), in one transaction that marks each sent as
/// it enqueues the notification, so nodes running this at once never send one twice. Reminders of
/// bookings cancelled or started since are marked without a message. Returns how many were sent.
pub async fn send_due_reminders(db: &Db, now: i64, limit: i64) -> Result<usize> {
    let mut tx = db.begin().await?;
    let due = store::claim_reminders(&mut tx, now, limit).await?;
    let mut sent = 0;
    for r in due {
        if !store::mark_sent(&mut tx, &r.id, now).await? {
            continue;
        }
        let Some(a) = store::appointment(&mut tx, &r.appointment_id).await? else {
            continue;
        };
        let Some(s) = store::slot(&mut tx, &a.slot_id).await? else {
            continue;
        };
        if a.status != "booked" || s.starts_at <= now {
            continue;
        }
        let v = appointment_view(&mut tx, &a, now).await?;
        let lead = if r.kind == "day" {
            format!("завтра, {}", when_text(&v.date, &v.time))
        } else {
            format!("через 2 часа, в {}", v.time)
        };
        tell(
            &mut tx,
            &a.account_id,
            "Напоминание о записи",
            &format!(
                "Напоминаем: {lead} (местное время) — приём в «{}», {}. Услуга: {}. Код записи {}.",
                v.office_name, v.address, v.service_title, v.code
            ),
        )
        .await?;
        sent += 1;
    }
    tx.commit().await?;
    Ok(sent)
}

/// The reminder worker: runs on every node with workers; coordination is the database's.
pub async fn run_reminders(db: Db, poll: Duration, stop: tokio_util::sync::CancellationToken) {
    loop {
        let span = tracing::info_span!("offices.reminders");
        let res = {
            let _e = span.enter();
            send_due_reminders(&db, now_ms(), 50)
        }
        .await;
        let wait = match res {
            Ok(n) if n > 0 => {
                tracing::info!(sent = n, "appointment reminders sent");
                Duration::ZERO
            }
            Ok(_) => poll,
            Err(e) => {
                tracing::warn!(error = %e, "appointment reminders failed; retrying");
                poll
            }
        };
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

// --- the electronic queue ---------------------------------------------------------------------

/// The queue is operated from a registered desk of the office, by an operator bound to it (or an
/// integration's token with the operator role through such a device): see [`crate::desk::require_desk`].
/// Returns the device's id, which the act's journal entry names.
pub async fn require_office_operator(
    tx: &mut Tx,
    actor: &Actor,
    office: &OfficeRow,
) -> Result<String> {
    actor.require(Permission::QueueOperate)?;
    Ok(crate::desk::require_desk(tx, actor, office)
        .await?
        .device_id)
}

/// A ticket as served.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: String,
    /// `А-017` (walk-in) or `З-003` (with an appointment).
    pub label: String,
    pub status: TicketStatus,
    pub status_title: String,
    pub office_code: String,
    pub service_code: String,
    pub window: Option<String>,
    pub with_appointment: bool,
    /// Tickets that will be called before this one (waiting ones only).
    pub ahead: Option<i64>,
    /// The expected wait in minutes (waiting ones only).
    pub wait_minutes: Option<i64>,
}

fn ticket_view(t: &TicketRow) -> TicketView {
    let status = TicketStatus::parse(&t.status).unwrap_or(TicketStatus::Done);
    TicketView {
        id: t.id.clone(),
        label: t.label.clone(),
        status,
        status_title: status.title().into(),
        office_code: t.office_code.clone(),
        service_code: t.service_code.clone(),
        window: t.window_no.clone(),
        with_appointment: t.appointment_id.is_some(),
        ahead: None,
        wait_minutes: None,
    }
}

/// What the reception (an operator, or a kiosk once devices are registered) asks for.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// The service (walk-in); taken from the booking when a code is given.
    pub service: Option<String>,
    /// The booking code, `K7M-4PX`: the ticket goes ahead of walk-ins.
    pub booking_code: Option<String>,
}

/// How the wait is estimated.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Estimate {
    /// Median visit of the last hour in minutes (or the configured default).
    pub visit_minutes: f64,
    /// `median_last_hour` or `default` (nobody was served in the last hour).
    pub basis: String,
    /// Windows that served or are serving in the last hour (at least 1).
    pub windows: i64,
}

async fn estimate(
    c: &mut impl okno_kernel::db::AsConn,
    office: &str,
    today: &[TicketRow],
    now: i64,
    settings: &Settings,
) -> Result<(i64, Estimate)> {
    let served = store::served_since(c, office, now - 3_600_000).await?;
    let mut windows: Vec<String> = served.iter().filter_map(|s| s.window_no.clone()).collect();
    windows.extend(
        today
            .iter()
            .filter(|t| TicketStatus::parse(&t.status).is_some_and(|s| s.at_window()))
            .filter_map(|t| t.window_no.clone()),
    );
    windows.sort();
    windows.dedup();
    let times: Vec<i64> = served
        .iter()
        .map(|s| (s.finished_at - s.serving_at).max(0))
        .collect();
    let (per, basis) = match model::median(times) {
        Some(m) => (m, "median_last_hour"),
        None => (settings.default_visit.as_millis() as i64, "default"),
    };
    let n = (windows.len() as i64).max(1);
    Ok((
        per,
        Estimate {
            visit_minutes: (per as f64 / 6_000.0).round() / 10.0,
            basis: basis.into(),
            windows: n,
        },
    ))
}

fn today_of(o: &OfficeRow, now: i64) -> Result<String> {
    let tz = office_zone(o)?;
    Ok(local(&tz, now)
        .ok_or_else(|| Error::internal("clock out of range"))?
        .0
        .to_string())
}

/// Issues a ticket: walk-in for a service the office offers, or by a booking code for today's
/// appointment at this office (which goes first). Numbered per office and local day.
pub async fn issue_ticket(
    db: &Db,
    actor: &Actor,
    office: &str,
    n: NewTicket,
    settings: &Settings,
) -> Result<TicketView> {
    let mut tx = db.begin().await?;
    let o = store::office(&mut tx, office)
        .await?
        .ok_or_else(not_found_office)?;
    let device = require_office_operator(&mut tx, actor, &o).await?;
    ticket_in(tx, actor, &device, o, n, settings).await
}

/// A ticket taken by the person at a self-service kiosk of the office (no operator): the kiosk's
/// own credential decides the office.
pub async fn issue_ticket_at_kiosk(
    db: &Db,
    actor: &Actor,
    n: NewTicket,
    settings: &Settings,
) -> Result<TicketView> {
    let mut tx = db.begin().await?;
    let (office, kiosk) = crate::desk::require_kiosk(&mut tx, actor).await?;
    let o = store::office(&mut tx, &office)
        .await?
        .ok_or_else(not_found_office)?;
    ticket_in(tx, actor, &kiosk, o, n, settings).await
}

/// The services a kiosk offers tickets for, with the office's name.
pub async fn kiosk_services(db: &Db, actor: &Actor) -> Result<(OfficeRow, Vec<(String, String)>)> {
    let mut tx = db.begin().await?;
    let (office, _) = crate::desk::require_kiosk(&mut tx, actor).await?;
    let o = store::office(&mut tx, &office)
        .await?
        .ok_or_else(not_found_office)?;
    let services = store::office_services(&mut tx)
        .await?
        .into_iter()
        .filter(|x| x.office_code == o.code)
        .map(|x| (x.service_code, x.title))
        .collect();
    tx.commit().await?;
    Ok((o, services))
}

async fn ticket_in(
    mut tx: Tx,
    actor: &Actor,
    device: &str,
    o: OfficeRow,
    n: NewTicket,
    settings: &Settings,
) -> Result<TicketView> {
    let now = now_ms();
    let today = today_of(&o, now)?;
    let (service, appointment) = match n.booking_code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(code) => {
            let code = model::normalise_code(code);
            let a = store::appointment_by_code(&mut tx, &code)
                .await?
                .filter(|a| a.status == "booked")
                .ok_or_else(|| {
                    Error::from(
                        Problem::new(404, "ticket.booking_unknown", "Не найдено")
                            .with_detail(format!("Действующей записи с кодом {code} нет.")),
                    )
                })?;
            let s = store::slot(&mut tx, &a.slot_id)
                .await?
                .ok_or_else(|| Error::internal("booking without its slot"))?;
            if s.office_code != o.code || s.local_date != today {
                return Err(Error::from(Refusal::new(
                    "ticket.booking_elsewhere",
                    format!(
                        "Запись {code} — на {} в другом пункте или в другой день.",
                        when_text(&s.local_date, &s.local_time)
                    ),
                )));
            }
            (s.service_code, Some(a.id))
        }
        None => {
            let s = n
                .service
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    Problem::invalid_field(
                        "service",
                        "ticket.service_required",
                        "Выберите услугу или введите код записи.",
                    )
                })?;
            if !store::offers(&mut tx, &o.code, s).await? {
                return Err(Problem::invalid_field(
                    "service",
                    "ticket.service_not_offered",
                    "Этот пункт не оказывает эту услугу.",
                )
                .into());
            }
            (s.to_string(), None)
        }
    };
    let number = store::next_number(&mut tx, &o.code, &today).await?;
    let t = TicketRow {
        id: new_id(),
        office_code: o.code.clone(),
        service_code: service,
        local_date: today.clone(),
        number,
        label: model::ticket_label(appointment.is_some(), number),
        appointment_id: appointment.clone(),
        priority: appointment.is_some() as i64,
        status: TicketStatus::Waiting.as_str().into(),
        window_no: None,
        created_at: now,
        called_at: None,
        serving_at: None,
        finished_at: None,
    };
    if !store::insert_ticket(&mut tx, &t).await? {
        return Err(Error::from(Refusal::new(
            "ticket.already_issued",
            "По этой записи талон уже выдан.",
        )));
    }
    let all = store::tickets(&mut tx, &o.code, &today).await?;
    let ahead = all
        .iter()
        .filter(|x| {
            x.status == "waiting"
                && x.id != t.id
                && (x.priority > t.priority || (x.priority == t.priority && x.number < t.number))
        })
        .count() as i64;
    let (per, est) = estimate(&mut tx, &o.code, &all, now, settings).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.ticket.issued",
            subject_type: "queue_ticket",
            subject_id: &t.id,
            details: serde_json::json!({"office": o.code, "device": device, "label": t.label,
                "service": t.service_code, "appointment": appointment}),
        },
    )
    .await?;
    tx.commit().await?;
    let mut v = ticket_view(&t);
    v.ahead = Some(ahead);
    v.wait_minutes = Some(model::wait_minutes(ahead, est.windows, per));
    Ok(v)
}

/// An operator calls the next ticket to a window.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallNext {
    /// The window (окно) number or name, 1–10 letters and digits.
    pub window: String,
    /// Only tickets of this service.
    pub service: Option<String>,
}

/// Calls the next waiting ticket (appointments first, then by arrival) to a window that has no
/// ticket at it. Two operators calling at once never get the same ticket.
pub async fn call_next(db: &Db, actor: &Actor, office: &str, c: CallNext) -> Result<TicketView> {
    let window = c.window.trim().to_string();
    if window.is_empty()
        || window.chars().count() > 10
        || !window.chars().all(|ch| ch.is_alphanumeric() || ch == '-')
    {
        return Err(Problem::invalid_field(
            "window",
            "queue.window_invalid",
            "Номер окна — от 1 до 10 букв и цифр.",
        )
        .into());
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let o = store::office(&mut tx, office)
        .await?
        .ok_or_else(not_found_office)?;
    let device = require_office_operator(&mut tx, actor, &o).await?;
    let today = today_of(&o, now)?;
    if store::window_busy(&mut tx, &o.code, &today, &window).await? {
        return Err(Error::from(Refusal::new(
            "queue.window_busy",
            format!("У окна {window} уже есть талон: завершите его или отметьте неявку."),
        )));
    }
    let service = c
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut called = None;
    for _ in 0..5 {
        let Some(t) = store::next_waiting(&mut tx, &o.code, &today, service).await? else {
            break;
        };
        let to = TicketStatus::parse(&t.status)
            .unwrap_or(TicketStatus::Done)
            .call()
            .map_err(Error::from)?;
        if store::move_ticket(
            &mut tx,
            &t.id,
            "waiting",
            to.as_str(),
            "called_at",
            Some(&window),
            now,
        )
        .await?
        {
            called = Some(TicketRow {
                status: to.as_str().into(),
                window_no: Some(window.clone()),
                called_at: Some(now),
                ..t
            });
            break;
        }
    }
    let Some(t) = called else {
        return Err(Error::from(Refusal::new(
            "queue.empty",
            "Очередь пуста: ожидающих талонов нет.",
        )));
    };
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.ticket.called",
            subject_type: "queue_ticket",
            subject_id: &t.id,
            details: serde_json::json!({"office": o.code, "device": device, "label": t.label, "window": window}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ticket_view(&t))
}

/// What an operator does with a called ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAction {
    Start,
    Finish,
    NoShow,
}

/// An operator moves a ticket on: called → serving, serving → done, called → no-show.
pub async fn ticket_action(
    db: &Db,
    actor: &Actor,
    id: &str,
    action: TicketAction,
) -> Result<TicketView> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let t = store::ticket(&mut tx, id).await?.ok_or_else(|| {
        Error::from(
            Problem::new(404, "ticket.not_found", "Не найдено").with_detail("Талон не найден."),
        )
    })?;
    let o = store::office(&mut tx, &t.office_code)
        .await?
        .ok_or_else(not_found_office)?;
    let device = require_office_operator(&mut tx, actor, &o).await?;
    let from = TicketStatus::parse(&t.status).unwrap_or(TicketStatus::Done);
    let (to, column, verb) = match action {
        TicketAction::Start => (from.start(), "serving_at", "serving"),
        TicketAction::Finish => (from.finish(), "finished_at", "done"),
        TicketAction::NoShow => (from.no_show(), "finished_at", "no_show"),
    };
    let to = to.map_err(Error::from)?;
    if !store::move_ticket(
        &mut tx,
        &t.id,
        from.as_str(),
        to.as_str(),
        column,
        None,
        now,
    )
    .await?
    {
        return Err(Error::from(Refusal::new(
            "ticket.changed",
            "Талон только что изменил другой оператор: обновите страницу.",
        )));
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: &format!("offices.ticket.{verb}"),
            subject_type: "queue_ticket",
            subject_id: &t.id,
            details: serde_json::json!({"office": o.code, "device": device, "label": t.label}),
        },
    )
    .await?;
    tx.commit().await?;
    let mut v = ticket_view(&t);
    v.status = to;
    v.status_title = to.title().into();
    Ok(v)
}

/// A called ticket on the hall display.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoardTicket {
    /// The ticket's id (for the operators' actions; opaque, no personal data).
    pub id: String,
    pub label: String,
    pub window: String,
    pub status: TicketStatus,
}

/// The queue of an office today, as the hall display and the operators see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub office_code: String,
    pub office_name: String,
    pub local_date: String,
    /// Tickets at windows now, the latest called first.
    pub called: Vec<BoardTicket>,
    pub waiting: i64,
    /// Expected wait of a ticket taken now, in minutes.
    pub wait_minutes: i64,
    pub estimate: Estimate,
    /// Waiting tickets in call order (for operators).
    pub queue: Vec<TicketView>,
}

/// The office's queue now (public: labels and windows only, no personal data).
pub async fn board(db: &Db, office: &str, settings: &Settings) -> Result<Board> {
    let now = now_ms();
    let mut c = db.read().await?;
    let o = store::office(&mut c, office)
        .await?
        .ok_or_else(not_found_office)?;
    let today = today_of(&o, now)?;
    let all = store::tickets(&mut c, &o.code, &today).await?;
    let (per, est) = estimate(&mut c, &o.code, &all, now, settings).await?;
    let mut called: Vec<&TicketRow> = all
        .iter()
        .filter(|t| TicketStatus::parse(&t.status).is_some_and(|s| s.at_window()))
        .collect();
    called.sort_by_key(|t| std::cmp::Reverse(t.called_at.unwrap_or(0)));
    let mut waiting: Vec<&TicketRow> = all.iter().filter(|t| t.status == "waiting").collect();
    waiting.sort_by_key(|t| (std::cmp::Reverse(t.priority), t.created_at, t.number));
    let queue = waiting
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut v = ticket_view(t);
            v.ahead = Some(i as i64);
            v.wait_minutes = Some(model::wait_minutes(i as i64, est.windows, per));
            v
        })
        .collect();
    Ok(Board {
        office_code: o.code.clone(),
        office_name: o.name.clone(),
        local_date: today,
        called: called
            .into_iter()
            .take(12)
            .map(|t| BoardTicket {
                id: t.id.clone(),
                label: t.label.clone(),
                window: t.window_no.clone().unwrap_or_default(),
                status: TicketStatus::parse(&t.status).unwrap_or(TicketStatus::Called),
            })
            .collect(),
        waiting: waiting.len() as i64,
        wait_minutes: model::wait_minutes(waiting.len() as i64, est.windows, per),
        estimate: est,
        queue,
    })
}
