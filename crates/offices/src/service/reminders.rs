//! Reminders of appointments, and the worker that sends them.

use std::time::Duration;

use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::Result;

use crate::store;

use super::appointments::{appointment_view, tell, when_text};

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
