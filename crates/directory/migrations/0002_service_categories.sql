-- Categories of the service catalogue («Паспорта и регистрация», «Транспорт и вождение», …): the
-- catalogue page groups and filters services by them. A service in no category is listed under
-- «Другие услуги».
CREATE TABLE service_categories (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Order on the catalogue page, ascending.
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE services ADD COLUMN category_code TEXT REFERENCES service_categories (code);
CREATE INDEX services_category ON services (category_code);
