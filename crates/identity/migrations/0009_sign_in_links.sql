-- One-time sign-in links (a QR code printed or shown at a service point when access is restored):
-- stored as the SHA-256 of the secret, valid minutes, used once.
CREATE TABLE sign_in_links (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX sign_in_links_account ON sign_in_links (account_id);
