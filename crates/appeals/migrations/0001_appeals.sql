-- Appeals: the bodies that answer appeals (with their supervising body), territories, the
-- category tree, routing rules, appeals with their history, answers and comments, files,
-- per-year numbers, and which body each official works for.
CREATE TABLE appeal_territories (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The region a municipality belongs to; NULL for a region itself.
    region_code TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE appeal_bodies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    region_code TEXT NOT NULL,
    municipality_code TEXT,
    -- IANA zone: the body's terms are counted in its local dates.
    time_zone TEXT NOT NULL,
    -- The body that escalations and low ratings go to.
    supervisor_code TEXT REFERENCES appeal_bodies (code),
    created_at BIGINT NOT NULL
);

CREATE TABLE appeal_category_tree (
    code TEXT PRIMARY KEY,
    -- NULL for a category; the category's code for a subcategory.
    parent_code TEXT REFERENCES appeal_category_tree (code),
    title TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Category × territory → body. A rule names a category (or a subcategory; NULL = any), and a
-- region, a municipality or a polygon (JSON [[lat, lon], …] in degrees) of the place.
CREATE TABLE appeal_routes (
    id TEXT PRIMARY KEY,
    category_code TEXT REFERENCES appeal_category_tree (code),
    region_code TEXT,
    municipality_code TEXT,
    polygon TEXT,
    body_code TEXT NOT NULL REFERENCES appeal_bodies (code),
    created_at BIGINT NOT NULL
);

CREATE TABLE appeals (
    id TEXT PRIMARY KEY,
    -- People-facing number, given at filing: ОБ-2026-000123.
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    -- The subcategory (its parent is the category).
    category_code TEXT NOT NULL REFERENCES appeal_category_tree (code),
    text TEXT NOT NULL,
    address TEXT,
    lat_micro BIGINT,
    lon_micro BIGINT,
    municipality_code TEXT,
    -- May be published (problem reports only, without personal data): 1 or 0.
    publish BIGINT NOT NULL,
    status TEXT NOT NULL,
    -- 1 while the moderator waits for the author's correction.
    correction BIGINT NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    -- The postal or e-mail address for the answer (59-ФЗ art. 7 part 1).
    reply_address TEXT,
    -- Filed through Open311 by this registered app (API token id).
    via_app TEXT,
    body_code TEXT REFERENCES appeal_bodies (code),
    -- Local date of registration at the current body, ISO; the terms run from it.
    registered_on TEXT,
    due_date TEXT,
    -- The date by which a body without competence must forward it (59-ФЗ art. 8 part 3).
    forward_due TEXT,
    extended BIGINT NOT NULL,
    routed_at BIGINT,
    warned_at BIGINT,
    escalated_at BIGINT,
    answered_at BIGINT,
    -- 1 when the final answer came after the due date.
    answered_late BIGINT,
    closed_at BIGINT,
    rating BIGINT,
    solved BIGINT,
    reject_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX appeals_author ON appeals (author_id);
CREATE INDEX appeals_body ON appeals (body_code, status);
CREATE INDEX appeals_status ON appeals (status, due_date);

CREATE TABLE appeal_events (
    id TEXT PRIMARY KEY,
    appeal_id TEXT NOT NULL REFERENCES appeals (id),
    at BIGINT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    body_code TEXT,
    -- What the author is told: the reason of a forwarding, a rejection, an extension.
    note TEXT
);
CREATE INDEX appeal_events_appeal ON appeal_events (appeal_id, at);

-- Answers of the body (interim, final) and comments of the author.
CREATE TABLE appeal_messages (
    id TEXT PRIMARY KEY,
    appeal_id TEXT NOT NULL REFERENCES appeals (id),
    kind TEXT NOT NULL,
    author_name TEXT NOT NULL,
    body_code TEXT,
    text TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX appeal_messages_appeal ON appeal_messages (appeal_id, at);

CREATE TABLE appeal_files (
    id TEXT PRIMARY KEY,
    appeal_id TEXT NOT NULL REFERENCES appeals (id),
    -- The answer or comment the file belongs to; NULL for the appeal's own files.
    message_id TEXT REFERENCES appeal_messages (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX appeal_files_appeal ON appeal_files (appeal_id);

CREATE TABLE appeal_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE appeal_officials (
    account_id TEXT NOT NULL,
    body_code TEXT NOT NULL REFERENCES appeal_bodies (code),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, body_code)
);
