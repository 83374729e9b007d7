//! Appointments: booking a slot, a person's own list, cancelling and rescheduling.

use jiff::civil::Date;
use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::{Actor, ActorKind};
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::{audit, outbox};
use serde::Serialize;

use crate::model::{self, not_found_office, BookingStatus, Refusal};
use crate::store::{self, AppointmentRow, SlotRow};

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

pub(super) async fn appointment_view(
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

pub(super) fn when_text(date: &str, time: &str) -> String {
    match date.parse::<Date>() {
        Ok(d) => format!("{} в {time}", model::day_month_text(d)),
        Err(_) => format!("{date} в {time}"),
    }
}

pub(super) async fn tell(tx: &mut Tx, account_id: &str, subject: &str, text: &str) -> Result<()> {
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
