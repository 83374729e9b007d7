-- Audit records committed with their change but not yet linked into the chain. On PostgreSQL a
-- use case's transaction inserts here (no lock); the sealer moves them into audit_log in commit
-- order, hashing each onto the head. SQLite links records at commit and never fills this table;
-- it exists on both engines so their schemas stay in step.
CREATE TABLE audit_pending (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    on_behalf_of_id TEXT,
    on_behalf_of_name TEXT,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    details TEXT NOT NULL,
    request_id TEXT
);
