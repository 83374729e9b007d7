//! The services worker: keeps each application's state fee as the payments part announces it —
//! the charge issued for it (`payments.charge.created`) and its payment
//! (`payments.payment.captured`) — so that the application's page and the agency's desk show
//! whether the fee is paid. Any node may run it: each event is taken once (`outbox::consume` in
//! the transaction that records it).

use std::time::Duration;

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::Result;
use okno_kernel::outbox;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::store::{self, FeeRow};

/// This part's name as a consumer of the payments part's events.
pub const CONSUMER: &str = "services.fees";

/// Runs rounds until `stop`.
pub async fn run(db: Db, poll: Duration, stop: CancellationToken) {
    loop {
        match take_fees(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "application fees recorded"),
            Err(e) => tracing::warn!(error = %e, "application fee round failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

#[derive(Deserialize)]
struct ChargeCreated {
    uin: String,
    application_id: Option<String>,
    amount_kopecks: Option<i64>,
}

#[derive(Deserialize)]
struct PaymentCaptured {
    payment_id: String,
    application_id: Option<String>,
}

/// Takes the charges and captures announced since the last round (charges first, so a fee paid
/// in the same round is recorded before its payment); gives how many events changed something.
pub async fn take_fees(db: &Db) -> Result<usize> {
    let mut changed = 0;
    for kind in ["payments.charge.created", "payments.payment.captured"] {
        let events = {
            let mut c = db.read().await?;
            outbox::unconsumed(&mut c, CONSUMER, kind, 200).await?
        };
        if events.is_empty() {
            continue;
        }
        let actor = Actor::system("госпошлины заявлений");
        let mut tx = db.begin().await?;
        for e in &events {
            if !outbox::consume(&mut tx, CONSUMER, e).await? {
                continue;
            }
            let now = now_ms();
            if kind == "payments.charge.created" {
                // Charges of no application are the payments part's alone.
                let Ok(ChargeCreated {
                    uin,
                    application_id: Some(app),
                    amount_kopecks,
                }) = serde_json::from_str(&e.payload)
                else {
                    continue;
                };
                let fee = FeeRow {
                    application_id: app,
                    uin,
                    amount_kopecks: amount_kopecks.unwrap_or(0),
                    paid_at: None,
                    payment_id: None,
                    updated_at: now,
                };
                changed += usize::from(store::insert_fee(&mut tx, &fee).await?);
            } else {
                let Ok(PaymentCaptured {
                    payment_id,
                    application_id: Some(app),
                }) = serde_json::from_str(&e.payload)
                else {
                    continue;
                };
                if store::fee_paid(&mut tx, &app, &payment_id, now).await? {
                    changed += 1;
                    audit::append(
                        &mut tx,
                        audit::Entry {
                            actor: &actor,
                            action: "services.application.fee_paid",
                            subject_type: "application",
                            subject_id: &app,
                            details: serde_json::json!({ "payment_id": payment_id }),
                        },
                    )
                    .await?;
                    outbox::enqueue(
                        &mut tx,
                        "services.application.fee_paid",
                        &serde_json::json!({ "application_id": app, "payment_id": payment_id }),
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(changed)
}
