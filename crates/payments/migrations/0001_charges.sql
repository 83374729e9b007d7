-- Payments: who receives the money of each agency (payees), the charges (начисления) keyed by УИН,
-- and the counters from which the platform numbers the УИН of the charges it issues.
CREATE TABLE payment_payees (
    agency_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    inn TEXT NOT NULL,
    kpp TEXT NOT NULL,
    bik TEXT NOT NULL,
    bank_name TEXT NOT NULL,
    account TEXT NOT NULL,
    corr_account TEXT NOT NULL,
    -- The КБК and ОКТМО a charge takes when it names none (a state fee of an application).
    kbk TEXT NOT NULL,
    oktmo TEXT NOT NULL,
    -- The eight digits that begin the 25-digit УИН the platform issues for this agency.
    uin_prefix TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE uin_counters (
    prefix TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE charges (
    id TEXT PRIMARY KEY,
    uin TEXT NOT NULL UNIQUE,
    agency_code TEXT NOT NULL,
    -- fee, fine, tax, other.
    kind TEXT NOT NULL,
    -- application (a state fee), api, csv.
    source TEXT NOT NULL,
    -- The application a fee is for: one charge per application.
    application_id TEXT UNIQUE,
    application_number TEXT,
    payee_name TEXT NOT NULL,
    payee_inn TEXT NOT NULL,
    payee_kpp TEXT NOT NULL,
    payee_bik TEXT NOT NULL,
    payee_bank TEXT NOT NULL,
    payee_account TEXT NOT NULL,
    payee_corr_account TEXT NOT NULL,
    kbk TEXT NOT NULL,
    oktmo TEXT NOT NULL,
    purpose TEXT NOT NULL,
    amount_kopecks BIGINT NOT NULL,
    -- A fine's discount for early payment: percent off within days of the ruling (КоАП 32.2).
    discount_percent BIGINT,
    discount_days BIGINT,
    ruling_date TEXT,
    -- Dates in the agency's time zone, ISO.
    issued_on TEXT NOT NULL,
    due_date TEXT NOT NULL,
    -- Whom it is for: account (a fee, by the account told about the application), snils, inn,
    -- driver_licence, vehicle_certificate; the identifier encrypted, found by its blind index.
    payer_kind TEXT NOT NULL,
    payer_idx TEXT,
    payer_enc TEXT,
    payer_name_enc TEXT NOT NULL,
    account_id TEXT,
    -- active, paid, annulled.
    status TEXT NOT NULL,
    paid_kopecks BIGINT NOT NULL,
    -- How many times the agency changed it.
    revision BIGINT NOT NULL,
    -- Why it was changed or annulled last.
    reason TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX charges_payer ON charges (payer_idx);
CREATE INDEX charges_account ON charges (account_id);
CREATE INDEX charges_agency ON charges (agency_code, created_at);
