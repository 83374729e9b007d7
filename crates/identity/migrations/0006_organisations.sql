-- Organisations (ЮЛ and ИП) that people act for, and their members with roles.
-- `ogrn` holds the ОГРН (13 digits) of a legal entity or the ОГРНИП (15 digits) of a sole
-- proprietor: both are public registers (ЕГРЮЛ, ЕГРИП), so it is kept in clear and unique.
-- The ИНН of a legal entity is public too (`inn`); a sole proprietor's ИНН is the person's own,
-- so it is kept encrypted (`inn_enc`) like the ИНН of a profile. `kpp` is only for a legal entity.
CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    ogrn TEXT NOT NULL UNIQUE,
    inn TEXT,
    inn_enc TEXT,
    kpp TEXT,
    full_name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    -- Bumped by every change of the members: on PostgreSQL it also locks the row, so concurrent
    -- changes of one organisation's members are serialised (the last head stays).
    updated_at BIGINT NOT NULL
);

-- Who may act for an organisation and how: `head` (manages members), `employee`, `accountant`.
CREATE TABLE organisation_members (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL,
    added_by TEXT NOT NULL REFERENCES accounts (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, account_id)
);
CREATE INDEX organisation_members_account ON organisation_members (account_id);
