-- Services: versioned application forms of the directory's catalogue services, applications with
-- their status history and attachments, per-year application numbers, and which agency each
-- official works for.
CREATE TABLE service_versions (
    service_code TEXT NOT NULL REFERENCES services (code),
    version BIGINT NOT NULL,
    -- The form as JSON (see crates/services/src/form.rs).
    form TEXT NOT NULL,
    -- Who may apply: a comma-separated list of person, sole_proprietor, legal_entity.
    applicants TEXT NOT NULL,
    -- When the directory's fee falls due: submission or approval.
    fee_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (service_code, version)
);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    -- People-facing number, given at submission: 2026-000123.
    number TEXT UNIQUE,
    service_code TEXT NOT NULL REFERENCES services (code),
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    applicant_kind TEXT NOT NULL,
    -- An account id, or org:<id> for an organisation.
    applicant_id TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    -- The account that filed it (the applicant, a representative, or an organisation's member).
    filed_by TEXT NOT NULL,
    filed_by_name TEXT NOT NULL,
    -- The account told about every change.
    notify_account TEXT NOT NULL,
    -- The form's values, AES-256-GCM encrypted JSON (they hold СНИЛС, passport numbers).
    data_enc TEXT NOT NULL,
    submitted_at BIGINT,
    -- Expected decision date in the agency's zone, ISO.
    due_date TEXT,
    -- Working days that were left when the official asked for clarification.
    paused_days_left BIGINT,
    decided_at BIGINT,
    -- The reason of a refusal.
    reason TEXT,
    assigned_to TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (service_code, version) REFERENCES service_versions (service_code, version)
);
CREATE INDEX applications_applicant ON applications (applicant_id);
CREATE INDEX applications_filed_by ON applications (filed_by);
CREATE INDEX applications_desk ON applications (service_code, status);

CREATE TABLE application_events (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    transition TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    comment TEXT
);
CREATE INDEX application_events_app ON application_events (application_id, at);

CREATE TABLE application_attachments (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    field TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    -- SHA-256 of the content (hex); the file is stored under this name.
    sha256 TEXT NOT NULL,
    -- The status the application had when the file was added (draft, needs_info).
    added_in TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX application_attachments_app ON application_attachments (application_id);

CREATE TABLE application_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- Which agencies an official (a staff account or an API token with the official role) works
-- for; assigned by an administrator.
CREATE TABLE official_agencies (
    account_id TEXT NOT NULL,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, agency_code)
);
