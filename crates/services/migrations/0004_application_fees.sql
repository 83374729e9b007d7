-- The state fee of an application as the payments part announced it: the charge's УИН when it was
-- issued, and when it was paid. Written by the services worker from the payments part's events.
CREATE TABLE application_fees (
    application_id TEXT PRIMARY KEY REFERENCES applications (id),
    uin TEXT NOT NULL,
    amount_kopecks BIGINT NOT NULL,
    paid_at BIGINT,
    payment_id TEXT,
    updated_at BIGINT NOT NULL
);
