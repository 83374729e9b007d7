//! The dispatcher worker: routes outbox events into deliveries (one per event, channel and
//! recipient), sends due deliveries through their channel, journals every attempt and schedules
//! retries with back-off. Any node may run it: claims use `FOR UPDATE SKIP LOCKED` and leases.
//! Sensitive events (one-time codes) lose their clear text when routed; their deliveries lose it when
//! they are sent or dead.

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
use crate::model::{scrub_detail, Channel, Message, Outcome, RetryPolicy, Status};
use crate::service::{redacted_payload, MessageEvent, MESSAGE_EVENT};
use crate::store::{self, Delivery};

/// What a router made of an event.
#[derive(Debug, Clone, Default)]
pub struct Routed {
    pub messages: Vec<Message>,
    /// The messages carry secrets (one-time codes): their deliveries are marked sensitive and the
    /// event's payload is redacted in the routing transaction.
    pub sensitive: bool,
}

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

    /// Like [`Router::route`], and also tells whether the messages carry secrets. What the
    /// dispatcher calls; the default says they do not.
    fn route_event<'a>(
        &'a self,
        tx: &'a mut Tx,
        event: &'a Event,
    ) -> BoxFuture<'a, okno_kernel::Result<Option<Routed>>> {
        Box::pin(async move {
            Ok(self.route(tx, event).await?.map(|messages| Routed {
                messages,
                sensitive: false,
            }))
        })
    }
}

/// Routes [`MESSAGE_EVENT`]s: their payload already holds the messages, and says whether they are
/// sensitive.
pub struct DirectRouter;

impl DirectRouter {
    fn read(event: &Event) -> okno_kernel::Result<Option<Routed>> {
        if event.kind != MESSAGE_EVENT {
            return Ok(None);
        }
        let p: MessageEvent = serde_json::from_str(&event.payload)?;
        Ok(Some(Routed {
            messages: p.messages,
            sensitive: p.sensitive,
        }))
    }
}

impl Router for DirectRouter {
    fn route<'a>(
        &'a self,
        _tx: &'a mut Tx,
        event: &'a Event,
    ) -> BoxFuture<'a, okno_kernel::Result<Option<Vec<Message>>>> {
        Box::pin(async move { Ok(DirectRouter::read(event)?.map(|r| r.messages)) })
    }

    fn route_event<'a>(
        &'a self,
        _tx: &'a mut Tx,
        event: &'a Event,
    ) -> BoxFuture<'a, okno_kernel::Result<Option<Routed>>> {
        Box::pin(async move { DirectRouter::read(event) })
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
            let mut routed = None;
            for r in &self.routers {
                match r.route_event(&mut tx, event).await {
                    Ok(Some(m)) => {
                        routed = Some(m);
                        break;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        // A malformed payload never gets better: journal it and move on.
                        tracing::error!(event = %event.id, kind = %event.kind, error = %e, "event cannot be routed");
                        routed = Some(Routed::default());
                        break;
                    }
                }
            }
            let routed = routed.unwrap_or_default();
            for m in &routed.messages {
                store::insert_delivery(&mut tx, &event.id, m, routed.sensitive, now).await?;
            }
            if routed.sensitive {
                // The deliveries now hold the text; the event keeps only a redacted payload.
                store::redact_event(&mut tx, &event.id, &redacted_payload(&event.payload)).await?;
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
        // A channel that echoes a sensitive text back must not put the code into the journal.
        let detail = if d.sensitive {
            scrub_detail(detail, &d.subject, &d.text)
        } else {
            detail.clone()
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
            &detail,
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
                    .send_email(&d.id, &d.recipient, &d.subject, &d.text)
                    .await
            }
            Some(Channel::Sms) => self.channels.send_sms(&d.id, &d.recipient, &d.text).await,
            None => Outcome::Permanent {
                detail: format!("неизвестный канал {}", d.channel),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use okno_kernel::db::{DbLocation, PoolSettings};
    use okno_kernel::{q_all, q_scalar, Actor};

    use super::*;
    use crate::model::{MASKED, REDACTED};
    use crate::service;
    use crate::store::Filter;

    const CODE: &str = "482910";

    async fn db(dir: &tempfile::TempDir) -> Db {
        let db = Db::connect(
            &DbLocation::SqliteFile(dir.path().join("okno.db")),
            &PoolSettings::default(),
        )
        .await
        .unwrap();
        let mut m = okno_kernel::migrations();
        m.extend(crate::migrations());
        okno_kernel::migrate::run(&db, &m).await.unwrap();
        db
    }

    fn msg(channel: Channel, to: &str, subject: &str, text: &str) -> Message {
        Message {
            channel,
            to: to.into(),
            subject: subject.into(),
            text: text.into(),
        }
    }

    #[derive(Debug, serde::Deserialize, sqlx::FromRow)]
    struct Raw {
        channel: String,
        subject: String,
        body: String,
        sensitive: i64,
        status: String,
    }

    async fn raw(db: &Db) -> Vec<Raw> {
        let mut c = db.read().await.unwrap();
        q_all!(
            &mut c,
            Raw,
            "SELECT channel, subject, body, sensitive, status FROM deliveries ORDER BY channel, sensitive"
        )
        .unwrap()
    }

    async fn journal(db: &Db) -> Vec<Delivery> {
        let filter = Filter {
            limit: 50,
            ..Filter::default()
        };
        service::list_deliveries(db, &Actor::system("тест"), &filter)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_sensitive_text_reaches_the_channel_but_never_the_journal_and_is_gone_once_final() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(&dir).await;
        let mut tx = db.begin().await.unwrap();
        let event = service::queue_sensitive(
            &mut tx,
            vec![
                msg(
                    Channel::Inbox,
                    "account-1",
                    "Вход в Окно",
                    &format!("Код для входа: {CODE}"),
                ),
                msg(
                    Channel::Sms,
                    "+79161234567",
                    "",
                    &format!("Код для входа: {CODE}. Никому не сообщайте его."),
                ),
            ],
        )
        .await
        .unwrap();
        service::queue(
            &mut tx,
            vec![msg(
                Channel::Sms,
                "+79161234568",
                "",
                "Заявление № 1 принято",
            )],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        // No SMS gateway: SMS deliveries are refused for good and die at their first attempt.
        let d = Dispatcher::new(
            db.clone(),
            Arc::new(Channels::new(None, None).unwrap()),
            Settings::default(),
        );
        assert_eq!(d.route_events().await.unwrap(), 2);

        // Routed: the outbox keeps a redacted payload, the deliveries the real text for sending.
        let mut c = db.read().await.unwrap();
        let payload: String = q_scalar!(
            &mut c,
            String,
            "SELECT payload FROM outbox WHERE id = $1",
            &event
        )
        .unwrap();
        drop(c);
        assert!(!payload.contains(CODE), "{payload}");
        assert!(payload.contains(REDACTED), "{payload}");
        let stored = raw(&db).await;
        assert_eq!(stored.iter().filter(|r| r.sensitive == 1).count(), 2);
        assert!(stored
            .iter()
            .filter(|r| r.sensitive == 1)
            .all(|r| r.body.contains(CODE)));
        // …but the journal shows it masked while pending.
        for x in journal(&db).await {
            assert_eq!(x.status, "pending");
            if x.sensitive {
                assert_eq!(x.text, MASKED);
                assert!(x.subject.is_empty() || x.subject == MASKED, "{x:?}");
            } else {
                assert_eq!(x.text, "Заявление № 1 принято");
            }
        }

        assert_eq!(d.send_due().await.unwrap(), 3);
        let stored = raw(&db).await;
        for r in &stored {
            if r.sensitive == 1 {
                assert_eq!(r.body, REDACTED, "{r:?}");
                assert!(r.subject.is_empty() || r.subject == REDACTED, "{r:?}");
            } else {
                assert_eq!(r.body, "Заявление № 1 принято");
            }
        }
        assert_eq!(
            stored
                .iter()
                .map(|r| (r.channel.as_str(), r.status.as_str()))
                .collect::<Vec<_>>(),
            [("inbox", "sent"), ("sms", "dead"), ("sms", "dead")]
        );
        // The inbox is where the message was delivered: it holds the real text.
        let mut c = db.read().await.unwrap();
        let inbox: String = q_scalar!(
            &mut c,
            String,
            "SELECT body FROM inbox_messages WHERE recipient = $1",
            "account-1"
        )
        .unwrap();
        drop(c);
        assert!(inbox.contains(CODE));
        let shown = journal(&db).await;
        assert!(shown
            .iter()
            .filter(|x| x.sensitive)
            .all(|x| x.text == REDACTED));
        assert!(!serde_json::to_string(&shown).unwrap().contains(CODE));

        // A dead sensitive delivery cannot be sent again; an ordinary one can.
        let admin = Actor::system("тест");
        let dead_code = shown
            .iter()
            .find(|x| x.sensitive && x.status == "dead")
            .unwrap();
        match service::retry(&db, &admin, &dead_code.id).await {
            Err(okno_kernel::Error::Problem(p)) => {
                assert_eq!(
                    (p.status, p.code.as_ref()),
                    (409, "notify.delivery_sensitive")
                );
                assert!(p.detail.contains("новый код"), "{}", p.detail);
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        let dead_plain = shown
            .iter()
            .find(|x| !x.sensitive && x.status == "dead")
            .unwrap();
        service::retry(&db, &admin, &dead_plain.id).await.unwrap();
        assert!(
            !store::requeue(&mut db.begin().await.unwrap(), &dead_code.id, 0)
                .await
                .unwrap()
        );
    }
}
