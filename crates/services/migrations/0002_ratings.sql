-- The applicant's rating of a completed state service: 1–5 and a short comment, once per
-- application. Announced as the outbox event `services.application.rated`, which the appeals
-- part's public figures take.
CREATE TABLE application_ratings (
    application_id TEXT PRIMARY KEY REFERENCES applications (id),
    account_id TEXT NOT NULL,
    rating BIGINT NOT NULL,
    comment TEXT,
    rated_at BIGINT NOT NULL
);
