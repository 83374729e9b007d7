-- Representatives who came to a service point for a person under a paper power of attorney
-- (доверенность, ГК РФ ст. 185): who they are (encrypted), which power they showed, and the act the
-- operator did on it. Written in the same transaction as the act and its audit record.
CREATE TABLE desk_representatives (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    act TEXT NOT NULL,
    office_code TEXT NOT NULL,
    device_id TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    full_name_enc TEXT NOT NULL,
    passport_enc TEXT NOT NULL,
    passport_idx TEXT NOT NULL,
    power_number TEXT NOT NULL,
    power_issuer TEXT NOT NULL,
    power_issued_on TEXT NOT NULL,
    power_valid_until TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX desk_representatives_account ON desk_representatives (account_id, created_at);
