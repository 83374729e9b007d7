//! The electronic queue: tickets issued at a kiosk or online, the operator's call and actions,
//! the wait estimate and the board.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use serde::{Deserialize, Serialize};

use crate::model::{self, local, not_found_office, Refusal, TicketStatus};
use crate::store::{self, OfficeRow, TicketRow};

use super::appointments::when_text;
use super::base::{office_zone, Settings};

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
        Some(code) => booked_today(&mut tx, &o, &today, code).await?,
        None => (
            offered_service(&mut tx, &o, n.service.as_deref()).await?,
            None,
        ),
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
    let ahead = waiting_ahead(&all, &t);
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

/// The service and the appointment of a booking code: a live booking at this office for today.
async fn booked_today(
    tx: &mut Tx,
    o: &OfficeRow,
    today: &str,
    code: &str,
) -> Result<(String, Option<String>)> {
    let code = model::normalise_code(code);
    let a = store::appointment_by_code(tx, &code)
        .await?
        .filter(|a| a.status == "booked")
        .ok_or_else(|| {
            Error::from(
                Problem::new(404, "ticket.booking_unknown", "Не найдено")
                    .with_detail(format!("Действующей записи с кодом {code} нет.")),
            )
        })?;
    let s = store::slot(tx, &a.slot_id)
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
    Ok((s.service_code, Some(a.id)))
}

/// The service chosen at the terminal, which this office must offer.
async fn offered_service(tx: &mut Tx, o: &OfficeRow, service: Option<&str>) -> Result<String> {
    let s = service
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Problem::invalid_field(
                "service",
                "ticket.service_required",
                "Выберите услугу или введите код записи.",
            )
        })?;
    if !store::offers(tx, &o.code, s).await? {
        return Err(Problem::invalid_field(
            "service",
            "ticket.service_not_offered",
            "Этот пункт не оказывает эту услугу.",
        )
        .into());
    }
    Ok(s.to_string())
}

/// Tickets waiting before `t`: appointments first, then by number.
fn waiting_ahead(all: &[TicketRow], t: &TicketRow) -> i64 {
    all.iter()
        .filter(|x| {
            x.status == "waiting"
                && x.id != t.id
                && (x.priority > t.priority || (x.priority == t.priority && x.number < t.number))
        })
        .count() as i64
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
