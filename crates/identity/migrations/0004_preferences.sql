-- Notification preferences: a row only where the person changed the default (see privacy.rs).
CREATE TABLE notification_preferences (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    topic TEXT NOT NULL,
    channel TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    PRIMARY KEY (account_id, topic, channel)
);
