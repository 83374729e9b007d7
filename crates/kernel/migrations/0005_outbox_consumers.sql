-- Parts that react to another part's outbox events (appeals' figures take the ratings of state
-- services) mark each event taken here, in the transaction that acts on it: an event is acted on
-- exactly once per consumer, whichever node takes it. The watermark keeps the scan short: only
-- events from a little before the newest one taken are looked at again.
CREATE TABLE outbox_consumed (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    consumed_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE outbox_watermarks (
    consumer TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE INDEX outbox_kind ON outbox (kind, created_at);
