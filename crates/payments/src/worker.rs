//! The payments worker: turns announced state fees into charges, and reconciles the payments left
//! open with the acquirer. Any node may run it: each event is taken once (`outbox::consume` in
//! the transaction that issues the charge), and each payment moves by a conditional update.

use std::time::Duration;

use okno_kernel::Platform;
use tokio_util::sync::CancellationToken;

use crate::service::{reconcile, take_fees, Settings};

/// Runs rounds until `stop`.
pub async fn run(
    p: Platform,
    s: std::sync::Arc<Settings>,
    poll: Duration,
    stop: CancellationToken,
) {
    loop {
        match take_fees(&p).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(charges = n, "state fees charged"),
            Err(e) => tracing::warn!(error = %e, "state fee round failed"),
        }
        match reconcile(&p, &s).await {
            Ok(r) if r.asked > 0 => {
                tracing::info!(asked = r.asked, expired = r.expired, "payments reconciled")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "payment reconciliation failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
