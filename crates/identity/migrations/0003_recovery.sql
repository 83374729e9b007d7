-- Access recovery by a code to a confirmed contact plus a document check. A ticket exists for
-- unknown logins too (account_id NULL), so the answer never tells whether an account exists.
CREATE TABLE recovery_tickets (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT
);
