-- Deliveries of one-time codes (priority 0) are sent before the others (1).
ALTER TABLE deliveries ADD COLUMN priority BIGINT NOT NULL DEFAULT 1;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (priority, next_attempt_at) WHERE status = 'pending';

-- Events that could not be routed: retried with back-off while `dead` is 0, then given up (the
-- event is marked routed and stays here with its error, for the delivery journal). One bad event
-- never holds up the others.
CREATE TABLE routing_failures (
    event_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    dead BIGINT NOT NULL DEFAULT 0,
    first_failed_at BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL,
    last_error TEXT NOT NULL
);
CREATE INDEX routing_failures_last ON routing_failures (last_failed_at);
