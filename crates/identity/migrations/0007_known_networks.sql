-- Networks an account signed in from (a keyed hash of the /24 of an IPv4 address or the /64 of an
-- IPv6 one), so a sign-in from a new network is told to the person.
CREATE TABLE known_networks (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    network_hash TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, network_hash)
);
