-- Powers of attorney (доверенности): a principal lets a representative act for them within a
-- scope (topics such as applications, appeals, payments, appointments) until a date.
CREATE TABLE powers_of_attorney (
    id TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES accounts (id),
    representative_id TEXT NOT NULL REFERENCES accounts (id),
    scope TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX powers_of_attorney_representative ON powers_of_attorney (representative_id);
CREATE INDEX powers_of_attorney_principal ON powers_of_attorney (principal_id);
