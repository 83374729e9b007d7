//! SQL of the offices part, portable across both engines; the one statement that differs (row
//! locks for the reminder worker and the queue) takes its clause from the kernel's dialect table.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};
use serde::{Deserialize, Serialize};

/// A service point as the directory stores it.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct OfficeRow {
    pub code: String,
    pub kind: String,
    pub name: String,
    pub city: String,
    pub address: String,
    pub lat_micro: i64,
    pub lon_micro: i64,
    pub time_zone: String,
    pub phone: Option<String>,
    pub hours: String,
}

impl From<okno_directory::model::Office> for OfficeRow {
    fn from(o: okno_directory::model::Office) -> OfficeRow {
        OfficeRow {
            code: o.code,
            kind: o.kind,
            name: o.name,
            city: o.city,
            address: o.address,
            lat_micro: o.lat_micro,
            lon_micro: o.lon_micro,
            time_zone: o.time_zone,
            phone: o.phone,
            hours: o.hours,
        }
    }
}

/// Every service point (the directory's), by city and name.
pub async fn offices(c: &mut impl AsConn) -> Result<Vec<OfficeRow>, sqlx::Error> {
    Ok(okno_directory::store::offices(c, None)
        .await?
        .into_iter()
        .map(OfficeRow::from)
        .collect())
}

pub async fn office(c: &mut impl AsConn, code: &str) -> Result<Option<OfficeRow>, sqlx::Error> {
    Ok(okno_directory::store::office(c, code)
        .await?
        .map(OfficeRow::from))
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct OfficeService {
    pub office_code: String,
    pub service_code: String,
    pub title: String,
}

/// Every (office, service) pair with the service's title (the directory's), by title.
pub async fn office_services(c: &mut impl AsConn) -> Result<Vec<OfficeService>, sqlx::Error> {
    let titles: std::collections::HashMap<String, String> =
        okno_directory::store::services(c, None, None)
            .await?
            .into_iter()
            .map(|s| (s.code, s.title))
            .collect();
    let mut out: Vec<OfficeService> = q_all!(
        c,
        (String, String),
        "SELECT office_code, service_code FROM office_services"
    )?
    .into_iter()
    .filter_map(|(office_code, service_code)| {
        let title = titles.get(&service_code)?.clone();
        Some(OfficeService {
            office_code,
            service_code,
            title,
        })
    })
    .collect();
    out.sort_by(|a, b| a.title.cmp(&b.title));
    Ok(out)
}

pub async fn offers(c: &mut impl AsConn, office: &str, service: &str) -> Result<bool, sqlx::Error> {
    let n = q_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM office_services WHERE office_code = $1 AND service_code = $2",
        office,
        service
    )?;
    Ok(n > 0)
}

pub async fn insert_office_service(
    tx: &mut Tx,
    office: &str,
    service: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO office_services (office_code, service_code, created_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        office,
        service,
        now
    )?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct SlotRow {
    pub id: String,
    pub office_code: String,
    pub service_code: String,
    pub local_date: String,
    pub local_time: String,
    pub starts_at: i64,
    pub duration_min: i64,
    pub capacity: i64,
    pub booked: i64,
}

const SLOT_COLS: &str =
    "id, office_code, service_code, local_date, local_time, starts_at, duration_min, capacity, booked";

pub async fn insert_slot(tx: &mut Tx, s: &SlotRow, now: i64) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO appointment_slots (id, office_code, service_code, local_date, local_time, starts_at, duration_min, capacity, booked, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) ON CONFLICT DO NOTHING",
        &s.id, &s.office_code, &s.service_code, &s.local_date, &s.local_time, s.starts_at, s.duration_min, s.capacity, now
    )?;
    Ok(n == 1)
}

pub async fn slot(c: &mut impl AsConn, id: &str) -> Result<Option<SlotRow>, sqlx::Error> {
    q_opt!(
        c,
        SlotRow,
        &format!("SELECT {SLOT_COLS} FROM appointment_slots WHERE id = $1"),
        id
    )
}

/// Slots of an office (and service) starting in `[from, to)`, free ones only when `free`.
pub async fn slots(
    c: &mut impl AsConn,
    office: &str,
    service: Option<&str>,
    from: i64,
    to: i64,
    free: bool,
) -> Result<Vec<SlotRow>, sqlx::Error> {
    q_all!(
        c,
        SlotRow,
        &format!(
            "SELECT {SLOT_COLS} FROM appointment_slots WHERE office_code = $1 AND ($2 IS NULL OR service_code = $2)
             AND starts_at >= $3 AND starts_at < $4 AND ($5 = 0 OR booked < capacity)
             ORDER BY starts_at, service_code LIMIT 500"
        ),
        office,
        service,
        from,
        to,
        free as i64
    )
}

/// Takes one place of a slot if one is free: the whole concurrency guarantee is this statement's
/// condition, checked by the rows it changed (a concurrent taker on PostgreSQL waits for the row
/// lock and then re-reads `booked`; SQLite has one writer).
pub async fn take_place(tx: &mut Tx, slot: &str) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "UPDATE appointment_slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity",
        slot
    )?;
    Ok(n == 1)
}

pub async fn release_place(tx: &mut Tx, slot: &str) -> Result<(), sqlx::Error> {
    q_exec!(
        tx,
        "UPDATE appointment_slots SET booked = booked - 1 WHERE id = $1 AND booked > 0",
        slot
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct AppointmentRow {
    pub id: String,
    pub code: String,
    pub slot_id: String,
    pub account_id: String,
    pub status: String,
    pub created_at: i64,
    pub changed_at: i64,
}

const APPOINTMENT_COLS: &str = "id, code, slot_id, account_id, status, created_at, changed_at";

/// Inserts a booking; false when a unique index refused it (the code is taken, or the person
/// already holds this slot).
pub async fn insert_appointment(tx: &mut Tx, a: &AppointmentRow) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO appointments (id, code, slot_id, account_id, status, created_at, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING",
        &a.id,
        &a.code,
        &a.slot_id,
        &a.account_id,
        &a.status,
        a.created_at
    )?;
    Ok(n == 1)
}

pub async fn holds_slot(tx: &mut Tx, slot: &str, account: &str) -> Result<bool, sqlx::Error> {
    let n = q_scalar!(
        tx,
        i64,
        "SELECT COUNT(*) FROM appointments WHERE slot_id = $1 AND account_id = $2 AND status = 'booked'",
        slot,
        account
    )?;
    Ok(n > 0)
}

pub async fn appointment(
    c: &mut impl AsConn,
    id: &str,
) -> Result<Option<AppointmentRow>, sqlx::Error> {
    q_opt!(
        c,
        AppointmentRow,
        &format!("SELECT {APPOINTMENT_COLS} FROM appointments WHERE id = $1"),
        id
    )
}

pub async fn appointment_by_code(
    c: &mut impl AsConn,
    code: &str,
) -> Result<Option<AppointmentRow>, sqlx::Error> {
    q_opt!(
        c,
        AppointmentRow,
        &format!("SELECT {APPOINTMENT_COLS} FROM appointments WHERE code = $1"),
        code
    )
}

pub async fn appointments_of(
    c: &mut impl AsConn,
    account: &str,
) -> Result<Vec<AppointmentRow>, sqlx::Error> {
    q_all!(
        c,
        AppointmentRow,
        &format!("SELECT {APPOINTMENT_COLS} FROM appointments WHERE account_id = $1 ORDER BY created_at DESC LIMIT 100"),
        account
    )
}

/// Changes a live booking's status or slot; false when it is no longer `booked`.
pub async fn update_appointment(
    tx: &mut Tx,
    id: &str,
    status: &str,
    slot: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "UPDATE appointments SET status = $2, slot_id = $3, changed_at = $4 WHERE id = $1 AND status = 'booked'",
        id,
        status,
        slot,
        now
    )?;
    Ok(n == 1)
}

/// Replaces a booking's unsent reminders by those due for a slot starting at `starts_at`: the
/// day-before one (24 hours ahead) and the two-hours one, each only when still in the future.
pub async fn schedule_reminders(
    tx: &mut Tx,
    appointment: &str,
    starts_at: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    // A moved booking is reminded of its new time again, even where the old one was reminded.
    q_exec!(
        tx,
        "DELETE FROM appointment_reminders WHERE appointment_id = $1",
        appointment
    )?;
    for (kind, ahead) in [("day", 24 * 3_600_000), ("hours", 2 * 3_600_000)] {
        let due = starts_at - ahead;
        if due > now {
            q_exec!(
                tx,
                "INSERT INTO appointment_reminders (id, appointment_id, kind, due_at) VALUES ($1, $2, $3, $4)",
                okno_kernel::clock::new_id(),
                appointment,
                kind,
                due
            )?;
        }
    }
    Ok(())
}

pub async fn drop_reminders(tx: &mut Tx, appointment: &str) -> Result<(), sqlx::Error> {
    q_exec!(
        tx,
        "DELETE FROM appointment_reminders WHERE appointment_id = $1 AND sent_at IS NULL",
        appointment
    )?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct DueReminder {
    pub id: String,
    pub appointment_id: String,
    pub kind: String,
}

/// Claims up to `limit` due reminders for this transaction: on PostgreSQL the rows are locked and
/// other nodes skip them; on SQLite the write transaction already excludes every other writer.
pub async fn claim_reminders(
    tx: &mut Tx,
    now: i64,
    limit: i64,
) -> Result<Vec<DueReminder>, sqlx::Error> {
    let lock = tx.dialect().for_update_skip_locked;
    q_all!(
        tx,
        DueReminder,
        &format!(
            "SELECT id, appointment_id, kind FROM appointment_reminders WHERE sent_at IS NULL AND due_at <= $1
             ORDER BY due_at LIMIT $2 {lock}"
        ),
        now,
        limit
    )
}

/// Marks a claimed reminder sent; false when another worker already did.
pub async fn mark_sent(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "UPDATE appointment_reminders SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL",
        id,
        now
    )?;
    Ok(n == 1)
}

/// The title of a catalogue service (the directory's).
pub async fn service_title(c: &mut impl AsConn, code: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(okno_directory::store::service(c, code)
        .await?
        .map(|s| s.title))
}

// --- the electronic queue ---------------------------------------------------------------------

/// The next ticket number of an office on a local day (1, 2, …), atomically.
pub async fn next_number(tx: &mut Tx, office: &str, date: &str) -> Result<i64, sqlx::Error> {
    q_scalar!(
        tx,
        i64,
        "INSERT INTO queue_counters (office_code, local_date, last) VALUES ($1, $2, 1)
         ON CONFLICT (office_code, local_date) DO UPDATE SET last = queue_counters.last + 1
         RETURNING last",
        office,
        date
    )
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct TicketRow {
    pub id: String,
    pub office_code: String,
    pub service_code: String,
    pub local_date: String,
    pub number: i64,
    pub label: String,
    pub appointment_id: Option<String>,
    pub priority: i64,
    pub status: String,
    pub window_no: Option<String>,
    pub created_at: i64,
    pub called_at: Option<i64>,
    pub serving_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const TICKET_COLS: &str = "id, office_code, service_code, local_date, number, label, appointment_id, priority, status, window_no, created_at, called_at, serving_at, finished_at";

/// Inserts a ticket; false when its booking already has one.
pub async fn insert_ticket(tx: &mut Tx, t: &TicketRow) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        "INSERT INTO queue_tickets (id, office_code, service_code, local_date, number, label, appointment_id, priority, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        &t.id, &t.office_code, &t.service_code, &t.local_date, t.number, &t.label, &t.appointment_id, t.priority, &t.status, t.created_at
    )?;
    Ok(n == 1)
}

pub async fn ticket(c: &mut impl AsConn, id: &str) -> Result<Option<TicketRow>, sqlx::Error> {
    q_opt!(
        c,
        TicketRow,
        &format!("SELECT {TICKET_COLS} FROM queue_tickets WHERE id = $1"),
        id
    )
}

/// The next waiting ticket of an office's day (people with an appointment first, then by arrival),
/// locked for this transaction on PostgreSQL so two operators never call the same person.
pub async fn next_waiting(
    tx: &mut Tx,
    office: &str,
    date: &str,
    service: Option<&str>,
) -> Result<Option<TicketRow>, sqlx::Error> {
    let lock = tx.dialect().for_update_skip_locked;
    q_opt!(
        tx,
        TicketRow,
        &format!(
            "SELECT {TICKET_COLS} FROM queue_tickets WHERE office_code = $1 AND local_date = $2 AND status = 'waiting'
             AND ($3 IS NULL OR service_code = $3) ORDER BY priority DESC, created_at, number LIMIT 1 {lock}"
        ),
        office,
        date,
        service
    )
}

/// Moves a ticket from `from` to `to`, stamping `column` (and the window when given); false when
/// the ticket was not in `from` any more.
pub async fn move_ticket(
    tx: &mut Tx,
    id: &str,
    from: &str,
    to: &str,
    column: &'static str,
    window: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = q_exec!(
        tx,
        &format!(
            "UPDATE queue_tickets SET status = $3, {column} = $4, window_no = COALESCE($5, window_no)
             WHERE id = $1 AND status = $2"
        ),
        id,
        from,
        to,
        now,
        window
    )?;
    Ok(n == 1)
}

pub async fn window_busy(
    tx: &mut Tx,
    office: &str,
    date: &str,
    window: &str,
) -> Result<bool, sqlx::Error> {
    let n = q_scalar!(
        tx,
        i64,
        "SELECT COUNT(*) FROM queue_tickets WHERE office_code = $1 AND local_date = $2 AND window_no = $3
         AND status IN ('called', 'serving')",
        office,
        date,
        window
    )?;
    Ok(n > 0)
}

/// Tickets of an office's day in the given statuses, the most recent change first.
pub async fn tickets(
    c: &mut impl AsConn,
    office: &str,
    date: &str,
) -> Result<Vec<TicketRow>, sqlx::Error> {
    q_all!(
        c,
        TicketRow,
        &format!("SELECT {TICKET_COLS} FROM queue_tickets WHERE office_code = $1 AND local_date = $2 ORDER BY number"),
        office,
        date
    )
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct Served {
    pub serving_at: i64,
    pub finished_at: i64,
    pub window_no: Option<String>,
}

/// Visits finished at an office since `since`.
pub async fn served_since(
    c: &mut impl AsConn,
    office: &str,
    since: i64,
) -> Result<Vec<Served>, sqlx::Error> {
    q_all!(
        c,
        Served,
        "SELECT serving_at, finished_at, window_no FROM queue_tickets WHERE office_code = $1 AND status = 'done'
         AND finished_at >= $2 AND serving_at IS NOT NULL",
        office,
        since
    )
}

pub async fn count_bookings(c: &mut impl AsConn, slot: &str) -> Result<i64, sqlx::Error> {
    q_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM appointments WHERE slot_id = $1 AND status = 'booked'",
        slot
    )
}
