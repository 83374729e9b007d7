-- Operators' desks: the terminals (desks and kiosks) registered per office, each with its own
-- credential, stored hashed and revocable; the operators of each office with their role; and the
-- справки printed at a desk, kept encrypted for a few minutes until the operator downloads them.
CREATE TABLE office_devices (
    id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL REFERENCES offices (code),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    credential_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX office_devices_office ON office_devices (office_code);

CREATE TABLE office_operators (
    account_id TEXT NOT NULL,
    office_code TEXT NOT NULL REFERENCES offices (code),
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, office_code)
);

CREATE TABLE desk_receipts (
    id TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    pdf_enc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
