-- Identity: accounts, password history, one-time codes, sign-in throttling, second factors.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    level TEXT NOT NULL,
    display_name TEXT NOT NULL,
    phone TEXT UNIQUE,
    email TEXT UNIQUE,
    phone_confirmed_at BIGINT,
    email_confirmed_at BIGINT,
    snils_idx TEXT UNIQUE,
    snils_enc TEXT,
    inn_idx TEXT UNIQUE,
    inn_enc TEXT,
    password_hash TEXT NOT NULL,
    password_changed_at BIGINT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    password_expires_at BIGINT,
    second_factor TEXT NOT NULL DEFAULT 'off',
    roles TEXT NOT NULL DEFAULT 'citizen',
    consent_version TEXT,
    consent_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE password_history (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_history_account ON password_history (account_id, created_at);

-- Codes are stored as a keyed hash (HMAC-SHA-256 with the installation's index key).
CREATE TABLE one_time_codes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    purpose TEXT NOT NULL,
    target TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT,
    superseded_at BIGINT
);
CREATE INDEX one_time_codes_account ON one_time_codes (account_id, purpose, created_at);

-- Failed sign-ins in a row and lockouts, by account id, or by a keyed hash of a login that
-- belongs to no account (so an unknown login behaves exactly like a known one).
CREATE TABLE sign_in_throttle (
    subject TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    lockouts BIGINT NOT NULL,
    locked_until BIGINT
);

-- A password accepted, the second factor still to come.
CREATE TABLE sign_in_challenges (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT,
    remember BIGINT NOT NULL DEFAULT 0,
    terminal BIGINT NOT NULL DEFAULT 0,
    device TEXT NOT NULL
);

CREATE TABLE totp_factors (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    secret_enc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

-- Devices an account signed in from (a keyed hash of a long-lived device cookie).
CREATE TABLE known_devices (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    device_hash TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    user_agent TEXT,
    PRIMARY KEY (account_id, device_hash)
);
