-- Directory: agencies (органы власти), service points, the service catalogue, appeal categories.
CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    level TEXT NOT NULL,
    inn TEXT,
    ogrn TEXT,
    region TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    website TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE offices (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    address TEXT NOT NULL,
    lat_micro BIGINT NOT NULL,
    lon_micro BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    phone TEXT,
    hours TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX offices_city ON offices (city);

CREATE TABLE services (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    fee_kopecks BIGINT,
    deadline_working_days BIGINT NOT NULL,
    level_required TEXT NOT NULL,
    documents TEXT NOT NULL,
    online BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX services_agency ON services (agency_code);

CREATE TABLE appeal_categories (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    answer_days BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
