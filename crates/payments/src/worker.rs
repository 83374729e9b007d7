//! The payments worker: turns announced state fees into charges. Any node may run it; each event
//! is taken once (`outbox::consume` in the transaction that issues the charge).

use std::time::Duration;

use okno_kernel::Platform;
use tokio_util::sync::CancellationToken;

use crate::service::take_fees;

/// Runs rounds until `stop`.
pub async fn run(p: Platform, poll: Duration, stop: CancellationToken) {
    loop {
        match take_fees(&p).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(charges = n, "state fees charged"),
            Err(e) => tracing::warn!(error = %e, "state fee round failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
