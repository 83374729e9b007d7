-- Events someone is waiting for right now (one-time codes) are routed before the others: a mass
-- mailing queued ahead of a sign-in code does not delay the code. 0 = urgent, 1 = normal.
ALTER TABLE outbox ADD COLUMN priority BIGINT NOT NULL DEFAULT 1;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (priority, created_at) WHERE routed_at IS NULL;
