//! Slots: publishing one, generating them over working days, and the free ones.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use serde::{Deserialize, Serialize};

use crate::model::{self, fmt_minute, local, not_found_office, parse_minute, Refusal};
use crate::store::{self, OfficeRow, SlotRow};

use super::base::{calendar, office_hours, office_zone, parse_date};

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
