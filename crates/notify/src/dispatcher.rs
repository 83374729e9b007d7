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

use tokio::task::JoinSet;

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
    /// Events routed per transaction.
    pub batch: i64,
    /// Sends in flight at once (across channels): a slow gateway is asked concurrently, not one
    /// message at a time.
    pub concurrency: usize,
    /// Finished sends journalled per transaction, at most.
    pub journal_batch: usize,
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
            batch: 200,
            concurrency: 64,
            journal_batch: 200,
            lease: Duration::from_secs(60),
        }
    }
}

/// A send that finished, waiting to be journalled.
struct Finished {
    delivery: Delivery,
    lease_until: i64,
    started: i64,
    finished: i64,
    outcome: Outcome,
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

    /// Runs until `stop` is cancelled; sends in flight are finished and journalled first.
    ///
    /// One loop keeps up to `concurrency` sends in flight: it routes new events, claims as many due
    /// deliveries as there are free slots (urgent ones first), and journals finished sends in
    /// batches, so the channels' latency overlaps and the database sees few, larger transactions.
    pub async fn run(self, stop: CancellationToken) {
        tracing::info!(channels = ?self.channels, "dispatcher started");
        let slots = self.settings.concurrency.max(1);
        let mut inflight: JoinSet<Finished> = JoinSet::new();
        let mut done: Vec<Finished> = Vec::new();
        let mut failures = 0u32;
        let mut stopping = false;
        loop {
            if stop.is_cancelled() {
                stopping = true;
            }
            if stopping && inflight.is_empty() && done.is_empty() {
                break;
            }
            let mut work = 0usize;
            let mut failed = false;
            if !stopping {
                match self
                    .route_events()
                    .instrument(tracing::info_span!("route"))
                    .await
                {
                    Ok(n) => work += n,
                    Err(e) => {
                        failed = true;
                        tracing::warn!(error = %e, "routing round failed");
                    }
                }
                let free = slots.saturating_sub(inflight.len());
                if free > 0 {
                    match self.claim(free as i64).await {
                        Ok((due, lease_until)) => {
                            work += due.len();
                            for d in due {
                                inflight.spawn(send_one(self.channels.clone(), d, lease_until));
                            }
                        }
                        Err(e) => {
                            failed = true;
                            tracing::warn!(error = %e, "claiming deliveries failed");
                        }
                    }
                }
            }
            while let Some(r) = inflight.try_join_next() {
                collect(r, &mut done);
            }
            if !done.is_empty() {
                work += done.len();
                let batch: Vec<Finished> = done
                    .drain(..done.len().min(self.settings.journal_batch.max(1)))
                    .collect();
                self.journal_all(batch)
                    .instrument(tracing::info_span!("journal"))
                    .await;
            }
            failures = if failed {
                failures.saturating_add(1)
            } else {
                0
            };
            let full = inflight.len() >= slots;
            if work == 0 || failed || full {
                let wait = self.settings.poll * failures.clamp(1, 20);
                tokio::select! {
                    r = inflight.join_next(), if !inflight.is_empty() => {
                        if let Some(r) = r { collect(r, &mut done) }
                    }
                    _ = tokio::time::sleep(wait), if !full => {}
                    _ = stop.cancelled(), if !stopping => {}
                }
            }
        }
        tracing::info!("dispatcher stopped");
    }

    /// One round, for tests and tools: route pending events, then send every due delivery that
    /// fits in the slots and journal them. Returns how much was done.
    pub async fn round(&self) -> okno_kernel::Result<usize> {
        let routed = self.route_events().await?;
        let sent = self.send_due().await?;
        Ok(routed + sent)
    }

    /// Routes up to a batch of events in one transaction. When that fails (one event the database
    /// refuses aborts the transaction), each is routed alone, and the one that fails is counted
    /// and retried with back-off, then given up: it never holds up the events after it.
    async fn route_events(&self) -> okno_kernel::Result<usize> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let events = store::claim_events(&mut tx, self.settings.batch, now).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let batch = match self.route_in(&mut tx, &events, now).await {
            Ok(()) => tx.commit().await.map_err(okno_kernel::Error::from),
            Err(e) => {
                // Rolled back now, and waited for: on SQLite the writer is needed for the
                // one-by-one pass, and on PostgreSQL the claimed rows must be unlocked, or the
                // pass would skip them as taken by another node.
                if let Err(r) = tx.rollback().await {
                    tracing::warn!(error = %r, "rolling back a failed routing batch failed");
                }
                Err(e)
            }
        };
        let Err(e) = batch else {
            return Ok(events.len());
        };
        tracing::warn!(error = %e, events = events.len(), "routing a batch failed; routing its events one by one");
        for event in &events {
            let alone = async {
                let mut tx = self.db.begin().await?;
                if !store::claim_event(&mut tx, &event.id).await? {
                    return Ok(());
                }
                self.route_in(&mut tx, std::slice::from_ref(event), now)
                    .await?;
                tx.commit().await?;
                Ok::<(), okno_kernel::Error>(())
            };
            if let Err(e) = alone.await {
                let reason = format!("База данных не приняла отправки этого события ({e}).");
                self.routing_failed(event, &reason).await?;
            }
        }
        Ok(events.len())
    }

    /// Routes `events` in `tx` and marks them routed. A router's error or a message no channel
    /// can carry is final for its event: it is given up at once, with the reason journalled.
    async fn route_in(&self, tx: &mut Tx, events: &[Event], now: i64) -> okno_kernel::Result<()> {
        for event in events {
            let mut routed = None;
            let mut refused = None;
            for r in &self.routers {
                match r.route_event(tx, event).await {
                    Ok(Some(m)) => {
                        routed = Some(m);
                        break;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        // The technical reason goes to the log; the journal says it in Russian.
                        tracing::error!(event = %event.id, kind = %event.kind, error = %e, "router refused the event");
                        refused = Some(
                            "Содержимое события не удалось прочитать: оно повреждено или записано в неизвестном формате."
                                .to_string(),
                        );
                        break;
                    }
                }
            }
            let routed = routed.unwrap_or_default();
            if refused.is_none() {
                refused = routed.messages.iter().find_map(unsendable);
            }
            if let Some(reason) = refused {
                tracing::error!(event = %event.id, kind = %event.kind, reason = %reason, "event cannot be routed; given up");
                store::record_routing_failure(tx, event, &reason, now).await?;
                store::schedule_routing_retry(tx, &event.id, now, true).await?;
                store::redact_event(tx, &event.id, &redacted_payload(&event.payload)).await?;
                continue;
            }
            for m in &routed.messages {
                store::insert_delivery(tx, &event.id, m, routed.sensitive, now).await?;
            }
            if routed.sensitive {
                // The deliveries now hold the text; the event keeps only a redacted payload.
                store::redact_event(tx, &event.id, &redacted_payload(&event.payload)).await?;
            }
        }
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        store::mark_routed(tx, &ids, now).await?;
        Ok(())
    }

    /// Counts a failed routing of `event` in a transaction of its own and schedules the next try,
    /// or gives the event up after the retry policy's attempts.
    async fn routing_failed(&self, event: &Event, error: &str) -> okno_kernel::Result<()> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let attempts = store::record_routing_failure(&mut tx, event, error, now).await?;
        let dead = attempts >= i64::from(self.settings.retry.max_attempts);
        let next = now + self.settings.retry.delay_after(attempts as u32).as_millis() as i64;
        store::schedule_routing_retry(&mut tx, &event.id, next, dead).await?;
        if dead {
            store::redact_event(&mut tx, &event.id, &redacted_payload(&event.payload)).await?;
            store::mark_routed(&mut tx, std::slice::from_ref(&event.id), now).await?;
            tracing::error!(event = %event.id, kind = %event.kind, attempts, error, "event given up after failed routing");
        } else {
            tracing::warn!(event = %event.id, kind = %event.kind, attempts, error, "routing an event failed, will retry");
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` due deliveries, urgent first, leased for this worker.
    async fn claim(&self, limit: i64) -> okno_kernel::Result<(Vec<Delivery>, i64)> {
        let now = now_ms();
        let lease_until = now + self.settings.lease.as_millis() as i64;
        let mut tx = self.db.begin().await?;
        let due = store::claim_due(&mut tx, now, lease_until, limit).await?;
        tx.commit().await?;
        Ok((due, lease_until))
    }

    /// Claims as many due deliveries as there are slots, sends them concurrently and journals
    /// them. Returns how many were sent.
    async fn send_due(&self) -> okno_kernel::Result<usize> {
        let (due, lease_until) = self.claim(self.settings.concurrency.max(1) as i64).await?;
        let count = due.len();
        let finished: Vec<Finished> = futures_util::stream::iter(due)
            .map(|d| send_one(self.channels.clone(), d, lease_until))
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        self.journal_all(finished).await;
        Ok(count)
    }

    /// Journals finished sends in one transaction; when that fails, each alone, so one the
    /// database refuses (its inbox message, say) is journalled as failed instead and the rest
    /// are kept.
    async fn journal_all(&self, finished: Vec<Finished>) {
        if finished.is_empty() {
            return;
        }
        let together = async {
            let mut tx = self.db.begin().await?;
            let mut logs = Vec::with_capacity(finished.len());
            for f in &finished {
                logs.push(self.journal_in(&mut tx, f).await?);
            }
            tx.commit().await?;
            Ok::<_, okno_kernel::Error>(logs)
        };
        match together.await {
            Ok(logs) => {
                for (f, log) in finished.iter().zip(logs) {
                    log.emit(&f.delivery);
                }
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, sends = finished.len(), "journalling a batch failed; journalling one by one")
            }
        }
        for mut f in finished {
            match self.journal_alone(&f).await {
                Ok(log) => log.emit(&f.delivery),
                Err(e) => {
                    // The attempt's result cannot be stored as it is: journal it as a permanent
                    // failure, without the inbox message, so the delivery does not come back.
                    tracing::error!(delivery = %f.delivery.id, error = %e, "journalling a send failed");
                    f.outcome = Outcome::Permanent {
                        detail: format!("не удалось сохранить результат: {e}"),
                    };
                    match self.journal_alone(&f).await {
                        Ok(log) => log.emit(&f.delivery),
                        Err(e) => {
                            tracing::error!(delivery = %f.delivery.id, error = %e, "delivery left to its lease")
                        }
                    }
                }
            }
        }
    }

    /// Journals one finished send in a transaction of its own.
    async fn journal_alone(&self, f: &Finished) -> okno_kernel::Result<JournalLog> {
        let mut tx = self.db.begin().await?;
        let log = self.journal_in(&mut tx, f).await?;
        tx.commit().await?;
        Ok(log)
    }

    /// Writes one finished attempt (and an inbox message) in `tx`; what to log once committed.
    async fn journal_in(&self, tx: &mut Tx, f: &Finished) -> okno_kernel::Result<JournalLog> {
        let d = &f.delivery;
        let attempt = d.attempts + 1;
        let status = self
            .settings
            .retry
            .next_status((attempt - d.budget_start) as u32, &f.outcome);
        let (name, detail) = match &f.outcome {
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
        if status == Status::Sent && d.channel == Channel::Inbox.as_str() {
            store::insert_inbox(tx, d, f.finished).await?;
        }
        let ours = store::finish_attempt(
            tx,
            d,
            f.lease_until,
            attempt,
            f.started,
            f.finished,
            name,
            &detail,
            status,
            f.finished + delay.as_millis() as i64,
        )
        .await?;
        Ok(JournalLog {
            ours,
            status,
            attempt,
            detail,
        })
    }
}

/// What a journalled attempt logs once its transaction committed.
struct JournalLog {
    ours: bool,
    status: Status,
    attempt: i64,
    detail: String,
}

impl JournalLog {
    fn emit(self, d: &Delivery) {
        let JournalLog {
            ours,
            status,
            attempt,
            detail,
        } = self;
        if !ours {
            tracing::warn!(delivery = %d.id, "lease lost before the attempt was journalled; state left to its new holder");
            return;
        }
        match status {
            Status::Sent => {
                tracing::debug!(delivery = %d.id, channel = %d.channel, attempt, "delivered")
            }
            Status::Pending => {
                tracing::warn!(delivery = %d.id, channel = %d.channel, attempt, detail = %detail, "delivery failed, will retry")
            }
            Status::Dead => {
                tracing::error!(delivery = %d.id, channel = %d.channel, attempt, detail = %detail, "delivery given up")
            }
        }
    }
}

/// Why a routed message cannot be delivered by any channel (a control character that neither a
/// database column nor a gateway takes), or `None`.
fn unsendable(m: &Message) -> Option<String> {
    [(&m.to, true), (&m.subject, true), (&m.text, false)]
        .into_iter()
        .find_map(|(v, single)| okno_kernel::text::refused_char(v, single))
        .map(|c| {
            format!(
                "сообщение не отправить: {}",
                okno_kernel::text::refused_message(c)
            )
        })
}

fn collect(r: Result<Finished, tokio::task::JoinError>, done: &mut Vec<Finished>) {
    match r {
        Ok(f) => done.push(f),
        // A panicking send leaves its delivery to its lease, which runs out and it is tried again.
        Err(e) => tracing::error!(error = %e, "a send task failed"),
    }
}

/// Sends one delivery through its channel.
async fn send_one(channels: Arc<Channels>, d: Delivery, lease_until: i64) -> Finished {
    let started = now_ms();
    let outcome = match Channel::parse(&d.channel) {
        // The inbox message is written in the same transaction that records the attempt.
        Some(Channel::Inbox) => Outcome::Sent {
            detail: "в личный кабинет".into(),
        },
        Some(Channel::Email) => {
            channels
                .send_email(&d.id, &d.recipient, &d.subject, &d.text)
                .await
        }
        Some(Channel::Sms) => channels.send_sms(&d.id, &d.recipient, &d.text).await,
        None => Outcome::Permanent {
            detail: format!("неизвестный канал {}", d.channel),
        },
    };
    Finished {
        delivery: d,
        lease_until,
        started,
        finished: now_ms(),
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use okno_kernel::db::{DbLocation, PoolSettings};
    use okno_kernel::{q_all, q_exec, q_scalar, Actor};

    use super::*;
    use crate::model::{MASKED, REDACTED};
    use crate::service;
    use crate::store::Filter;

    const CODE: &str = "482910";

    /// Fresh databases with the kernel's and notify's tables, on each engine the machine has.
    async fn dbs(test: &str) -> Vec<(Db, okno_testkit::FreshDatabase)> {
        let mut out = Vec::new();
        for fresh in okno_testkit::fresh_databases(test).await {
            let at = match fresh.postgres_url() {
                Some(url) => DbLocation::Postgres(url.into()),
                None => DbLocation::SqliteFile(fresh.sqlite_file()),
            };
            let db = Db::connect(&at, &PoolSettings::default()).await.unwrap();
            let mut m = okno_kernel::migrations();
            m.extend(crate::migrations());
            okno_kernel::migrate::run(&db, &m).await.unwrap();
            out.push((db, fresh));
        }
        out
    }

    /// The database refuses to insert a row for `account-poison` into `table`, as PostgreSQL
    /// refused a NUL in a text column.
    async fn refuse_poison(tx: &mut okno_kernel::db::Tx, table: &str) {
        if tx.engine() == okno_kernel::db::Engine::Sqlite {
            let trigger = format!(
                "CREATE TRIGGER refuse BEFORE INSERT ON {table} WHEN NEW.recipient = 'account-poison'
                 BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
            );
            q_exec!(tx, &trigger).unwrap();
            return;
        }
        q_exec!(
            tx,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $f$
             BEGIN
               IF NEW.recipient = 'account-poison' THEN RAISE EXCEPTION 'refused by the database'; END IF;
               RETURN NEW;
             END $f$"
        )
        .unwrap();
        let trigger = format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()"
        );
        q_exec!(tx, &trigger).unwrap();
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
        for (db, _fresh) in
            dbs("a_sensitive_text_reaches_the_channel_but_never_the_journal_and_is_gone_once_final")
                .await
        {
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
            let (stored_event, _) = okno_kernel::outbox::find(&mut c, &event)
                .await
                .unwrap()
                .unwrap();
            drop(c);
            let payload = stored_event.payload;
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

    #[tokio::test]
    async fn an_event_the_database_refuses_is_retried_then_given_up_and_never_holds_up_the_others()
    {
        for (db, _fresh) in dbs(
            "an_event_the_database_refuses_is_retried_then_given_up_and_never_holds_up_the_others",
        )
        .await
        {
            let mut tx = db.begin().await.unwrap();
            // A database that refuses one delivery, as PostgreSQL refused a NUL in a text column.
            refuse_poison(&mut tx, "deliveries").await;
            service::queue(
                &mut tx,
                vec![msg(Channel::Inbox, "account-poison", "", "x")],
            )
            .await
            .unwrap();
            service::queue(
                &mut tx,
                vec![msg(Channel::Inbox, "account-1", "", "Заявление принято")],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let d = Dispatcher::new(
                db.clone(),
                Arc::new(Channels::new(None, None).unwrap()),
                Settings {
                    retry: RetryPolicy {
                        max_attempts: 2,
                        base: Duration::ZERO,
                        max: Duration::ZERO,
                    },
                    ..Settings::default()
                },
            );
            assert_eq!(d.route_events().await.unwrap(), 2);
            let failures = |db: Db| async move {
                let mut c = db.read().await.unwrap();
                store::routing_failures(&mut c, 10).await.unwrap()
            };
            let f = failures(db.clone()).await;
            assert_eq!((f.len(), f[0].attempts, f[0].dead), (1, 1, false));
            assert!(f[0].last_error.contains("refused by the database"), "{f:?}");
            // The other event was routed and its message is delivered.
            assert_eq!(d.send_due().await.unwrap(), 1);
            assert_eq!(raw(&db).await[0].status, "sent");
            // Tried again once more, then given up: routed, so it is not taken again.
            assert_eq!(d.route_events().await.unwrap(), 1);
            let f = failures(db.clone()).await;
            assert_eq!((f[0].attempts, f[0].dead), (2, true));
            assert_eq!(d.route_events().await.unwrap(), 0);
            assert_eq!(service::backlog(&db).await.unwrap().events, 0);
        }
    }

    #[tokio::test]
    async fn a_one_time_code_is_queued_urgent_and_its_deliveries_go_first() {
        for (db, _fresh) in
            dbs("a_one_time_code_is_queued_urgent_and_its_deliveries_go_first").await
        {
            let mut tx = db.begin().await.unwrap();
            let bulk: Vec<Message> = (0..50)
                .map(|i| msg(Channel::Inbox, &format!("account-{i}"), "", "Рассылка"))
                .collect();
            service::queue(&mut tx, bulk).await.unwrap();
            let code = service::queue_sensitive(
                &mut tx,
                vec![msg(Channel::Inbox, "account-code", "", "Код: 482910")],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let mut c = db.read().await.unwrap();
            let (_, priority) = okno_kernel::outbox::find(&mut c, &code)
                .await
                .unwrap()
                .unwrap();
            drop(c);
            assert_eq!(priority as i64, 0);
            let d = Dispatcher::new(
                db.clone(),
                Arc::new(Channels::new(None, None).unwrap()),
                Settings {
                    concurrency: 1,
                    ..Settings::default()
                },
            );
            d.route_events().await.unwrap();
            assert_eq!(d.send_due().await.unwrap(), 1);
            let mut c = db.read().await.unwrap();
            let first: String = q_scalar!(
                &mut c,
                String,
                "SELECT recipient FROM deliveries WHERE status = 'sent'"
            )
            .unwrap();
            assert_eq!(first, "account-code");
        }
    }

    #[tokio::test]
    async fn a_send_whose_result_the_database_refuses_is_journalled_dead_and_the_others_are_kept() {
        for (db, _fresh) in dbs(
            "a_send_whose_result_the_database_refuses_is_journalled_dead_and_the_others_are_kept",
        )
        .await
        {
            let mut tx = db.begin().await.unwrap();
            refuse_poison(&mut tx, "inbox_messages").await;
            service::queue(
                &mut tx,
                vec![
                    msg(Channel::Inbox, "account-poison", "", "x"),
                    msg(Channel::Inbox, "account-1", "", "Заявление принято"),
                ],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let d = Dispatcher::new(
                db.clone(),
                Arc::new(Channels::new(None, None).unwrap()),
                Settings::default(),
            );
            d.route_events().await.unwrap();
            assert_eq!(d.send_due().await.unwrap(), 2);
            let mut c = db.read().await.unwrap();
            #[derive(serde::Deserialize, sqlx::FromRow)]
            struct Row {
                recipient: String,
                status: String,
                last_error: Option<String>,
            }
            let rows = q_all!(
                &mut c,
                Row,
                "SELECT recipient, status, last_error FROM deliveries ORDER BY recipient"
            )
            .unwrap();
            assert_eq!(
                (rows[0].recipient.as_str(), rows[0].status.as_str()),
                ("account-1", "sent")
            );
            assert_eq!(
                (rows[1].recipient.as_str(), rows[1].status.as_str()),
                ("account-poison", "dead")
            );
            assert!(rows[1]
                .last_error
                .as_deref()
                .unwrap()
                .contains("refused by the database"));
        }
    }
}
