-- Passkeys (WebAuthn) as a second factor: a person's registered credentials, the registration
-- ceremonies in progress, and the authentication state of a sign-in waiting for its passkey.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- base64url of the credential id, as the authenticator reports it.
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The webauthn-rs Passkey (public key, counter) as JSON; no secret.
    passkey TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_account ON passkeys (account_id);

CREATE TABLE passkey_ceremonies (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_account ON passkey_ceremonies (account_id);

ALTER TABLE sign_in_challenges ADD COLUMN passkey_state TEXT;
