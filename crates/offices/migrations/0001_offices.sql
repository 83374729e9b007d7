-- Offices: the services each service point offers, appointment slots and bookings with their
-- reminders, and the electronic queue. Builds on the directory's `offices` and `services`.
CREATE TABLE office_services (
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_code TEXT NOT NULL REFERENCES services (code),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (office_code, service_code)
);
CREATE INDEX office_services_service ON office_services (service_code);

-- A slot: a start in the office's local time (kept as written, and as the UTC instant), a
-- duration, and as many places as desks receive at once.
CREATE TABLE appointment_slots (
    id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_code TEXT NOT NULL REFERENCES services (code),
    local_date TEXT NOT NULL,
    local_time TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    duration_min BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    booked BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (office_code, service_code, starts_at),
    CHECK (booked >= 0 AND booked <= capacity)
);
CREATE INDEX appointment_slots_office ON appointment_slots (office_code, starts_at);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    slot_id TEXT NOT NULL REFERENCES appointment_slots (id),
    account_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX appointments_account ON appointments (account_id, status);
CREATE INDEX appointments_slot ON appointments (slot_id);
CREATE UNIQUE INDEX appointments_one_per_slot ON appointments (slot_id, account_id) WHERE status = 'booked';

-- Reminders due: `day` (24 hours before) and `hours` (2 hours before). A worker of any node claims
-- one and marks it sent in the transaction that enqueues the notification.
CREATE TABLE appointment_reminders (
    id TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (appointment_id, kind)
);
CREATE INDEX appointment_reminders_due ON appointment_reminders (due_at) WHERE sent_at IS NULL;

CREATE TABLE queue_counters (
    office_code TEXT NOT NULL,
    local_date TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (office_code, local_date)
);

CREATE TABLE queue_tickets (
    id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_code TEXT NOT NULL REFERENCES services (code),
    local_date TEXT NOT NULL,
    number BIGINT NOT NULL,
    label TEXT NOT NULL,
    appointment_id TEXT REFERENCES appointments (id),
    priority BIGINT NOT NULL,
    status TEXT NOT NULL,
    window_no TEXT,
    created_at BIGINT NOT NULL,
    called_at BIGINT,
    serving_at BIGINT,
    finished_at BIGINT,
    UNIQUE (office_code, local_date, number)
);
CREATE UNIQUE INDEX queue_tickets_appointment ON queue_tickets (appointment_id) WHERE appointment_id IS NOT NULL;
CREATE INDEX queue_tickets_waiting ON queue_tickets (office_code, local_date, status, priority, created_at);
CREATE INDEX queue_tickets_finished ON queue_tickets (office_code, finished_at);
