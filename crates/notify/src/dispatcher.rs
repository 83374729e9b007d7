//! The dispatcher worker: routes outbox events into deliveries (one per event, channel and
//! recipient), sends due deliveries through their channel, journals every attempt and schedules
//! retries with back-off. Any node may run it: claims use `FOR UPDATE SKIP LOCKED` and leases.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use okno_kernel::clock::now_ms;
use okno_kernel::db::{Db, Tx};
use okno_kernel::outbox::Event;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::channels::Channels;
use crate::model::{Channel, Message, Outcome, RetryPolicy, Status};
use crate::service::{MessageEvent, MESSAGE_EVENT};
use crate::store::{self, Delivery};

/// Turns events of the kinds it knows into messages. Parts register their routers (for example,
/// identity resolves a person's notification preferences); events no router claims are marked
/// routed with no deliveries.
pub trait Router: Send + Sync + 'static {
    /// `None` when the event is not of a kind this router handles.
    fn route<'a>(
        &'a self,
        tx: &'a mut Tx,
        event: &'a Event,
    ) -> BoxFuture<'a, okno_kernel::Result<Option<Vec<Message>>>>;
}

/// Routes [`MESSAGE_EVENT`]s: their payload already holds the messages.
pub struct DirectRouter;

impl Router for DirectRouter {
    fn route<'a>(
        &'a self,
        _tx: &'a mut Tx,
        event: &'a Event,
    ) -> BoxFuture<'a, okno_kernel::Result<Option<Vec<Message>>>> {
        Box::pin(async move {
            if event.kind != MESSAGE_EVENT {
                return Ok(None);
            }
            let p: MessageEvent = serde_json::from_str(&event.payload)?;
            Ok(Some(p.messages))
        })
    }
}

/// Dispatcher settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub retry: RetryPolicy,
    /// How often to look for work when idle.
    pub poll: Duration,
    /// Events or deliveries taken per round.
    pub batch: i64,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// How long a claimed delivery is reserved for its sender (longer than any channel timeout).
    pub lease: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retry: RetryPolicy {
                max_attempts: 8,
                base: Duration::from_secs(5),
                max: Duration::from_secs(3600),
            },
            poll: Duration::from_millis(500),
            batch: 100,
            concurrency: 16,
            lease: Duration::from_secs(60),
        }
    }
}

pub struct Dispatcher {
    db: Db,
    channels: Arc<Channels>,
    routers: Vec<Arc<dyn Router>>,
    settings: Settings,
}

impl Dispatcher {
    pub fn new(db: Db, channels: Arc<Channels>, settings: Settings) -> Dispatcher {
        Dispatcher {
            db,
            channels,
            routers: vec![Arc::new(DirectRouter)],
            settings,
        }
    }

    pub fn add_router(&mut self, r: Arc<dyn Router>) {
        self.routers.push(r);
    }

    /// Runs until `stop` is cancelled; a round in progress (sends in flight) is finished first.
    pub async fn run(self, stop: CancellationToken) {
        tracing::info!(channels = ?self.channels, "dispatcher started");
        let mut failures = 0u32;
        loop {
            if stop.is_cancelled() {
                break;
            }
            let round = self
                .round()
                .instrument(tracing::info_span!("dispatch"))
                .await;
            let idle = match round {
                Ok(work) => {
                    failures = 0;
                    work == 0
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, failures, "dispatcher round failed");
                    true
                }
            };
            if idle {
                let wait = self.settings.poll * failures.clamp(1, 20);
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
        tracing::info!("dispatcher stopped");
    }

    /// One round: route pending events, then send due deliveries. Returns how much was done.
    pub async fn round(&self) -> okno_kernel::Result<usize> {
        let routed = self.route_events().await?;
        let sent = self.send_due().await?;
        Ok(routed + sent)
    }

    async fn route_events(&self) -> okno_kernel::Result<usize> {
        let mut tx = self.db.begin().await?;
        let events = store::claim_events(&mut tx, self.settings.batch).await?;
        let now = now_ms();
        for event in &events {
            let mut messages = None;
            for r in &self.routers {
                match r.route(&mut tx, event).await {
                    Ok(Some(m)) => {
                        messages = Some(m);
                        break;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        // A malformed payload never gets better: journal it and move on.
                        tracing::error!(event = %event.id, kind = %event.kind, error = %e, "event cannot be routed");
                        messages = Some(Vec::new());
                        break;
                    }
                }
            }
            for m in messages.unwrap_or_default() {
                store::insert_delivery(&mut tx, &event.id, &m, now).await?;
            }
        }
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        store::mark_routed(&mut tx, &ids, now).await?;
        tx.commit().await?;
        Ok(events.len())
    }

    /// Claims as many due deliveries as can be sent at once (so none waits for a slot while its
    /// lease runs), sends them concurrently and journals each as soon as it is done.
    async fn send_due(&self) -> okno_kernel::Result<usize> {
        let now = now_ms();
        let lease_until = now + self.settings.lease.as_millis() as i64;
        let mut tx = self.db.begin().await?;
        let due = store::claim_due(
            &mut tx,
            now,
            lease_until,
            self.settings.concurrency.max(1) as i64,
        )
        .await?;
        tx.commit().await?;
        if due.is_empty() {
            return Ok(0);
        }
        let results: Vec<okno_kernel::Result<()>> = futures_util::stream::iter(due)
            .map(|d| async move {
                let started = now_ms();
                let outcome = self.send(&d).await;
                self.journal(&d, lease_until, started, now_ms(), outcome)
                    .await
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let count = results.len();
        for r in results {
            r?;
        }
        Ok(count)
    }

    async fn journal(
        &self,
        d: &Delivery,
        lease_until: i64,
        started: i64,
        finished: i64,
        outcome: Outcome,
    ) -> okno_kernel::Result<()> {
        let attempt = d.attempts + 1;
        let status = self
            .settings
            .retry
            .next_status((attempt - d.budget_start) as u32, &outcome);
        let (name, detail) = match &outcome {
            Outcome::Sent { detail } => ("sent", detail),
            Outcome::Retry { detail } => ("retry", detail),
            Outcome::Permanent { detail } => ("permanent", detail),
        };
        let delay = self
            .settings
            .retry
            .delay_after((attempt - d.budget_start) as u32);
        let mut tx = self.db.begin().await?;
        if status == Status::Sent && d.channel == Channel::Inbox.as_str() {
            store::insert_inbox(&mut tx, d, finished).await?;
        }
        let ours = store::finish_attempt(
            &mut tx,
            d,
            lease_until,
            attempt,
            started,
            finished,
            name,
            detail,
            status,
            finished + delay.as_millis() as i64,
        )
        .await?;
        // The attempt is journalled either way; its state is left to the worker holding the lease.
        tx.commit().await?;
        if !ours {
            tracing::warn!(delivery = %d.id, "lease lost before the attempt was journalled; state left to its new holder");
            return Ok(());
        }
        match status {
            Status::Sent => {
                tracing::info!(delivery = %d.id, channel = %d.channel, attempt, "delivered")
            }
            Status::Pending => {
                tracing::warn!(delivery = %d.id, channel = %d.channel, attempt, detail = %detail, "delivery failed, will retry")
            }
            Status::Dead => {
                tracing::error!(delivery = %d.id, channel = %d.channel, attempt, detail = %detail, "delivery given up")
            }
        }
        Ok(())
    }

    async fn send(&self, d: &Delivery) -> Outcome {
        match Channel::parse(&d.channel) {
            // The inbox message is written in the same transaction that records the attempt.
            Some(Channel::Inbox) => Outcome::Sent {
                detail: "в личный кабинет".into(),
            },
            Some(Channel::Email) => {
                self.channels
                    .send_email(&d.id, &d.recipient, &d.subject, &d.body)
                    .await
            }
            Some(Channel::Sms) => self.channels.send_sms(&d.id, &d.recipient, &d.body).await,
            None => Outcome::Permanent {
                detail: format!("неизвестный канал {}", d.channel),
            },
        }
    }
}
