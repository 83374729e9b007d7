-- Signed checkpoints of the audit journal: «the chain up to record `seq` ends in `hash`», signed at
-- `at` by the installation's audit key (`algorithm`, `public_key`). The checkpoint worker of any node
-- adds them; `seq` is the key, so two nodes signing the same head store one (ON CONFLICT DO
-- NOTHING). Served without authentication at GET /api/v1/audit/checkpoints for outside witnesses.
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    at BIGINT NOT NULL,
    algorithm TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
