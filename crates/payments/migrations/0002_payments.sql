-- Payments of charges through an acquirer, their idempotency keys, and the double-entry ledger.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    charge_id TEXT NOT NULL,
    uin TEXT NOT NULL,
    -- The signed-in person who paid; none when paid from the public page.
    account_id TEXT,
    -- card (through the acquirer).
    method TEXT NOT NULL,
    amount_kopecks BIGINT NOT NULL,
    commission_kopecks BIGINT NOT NULL,
    -- created, pending, authorised, captured, failed, cancelled, expired.
    status TEXT NOT NULL,
    -- The charge while this payment is open (created, pending, authorised): one open payment per
    -- charge, so that two tabs or two keys never take the money twice. NULL once it is settled.
    open_charge_id TEXT UNIQUE,
    acquirer TEXT NOT NULL,
    acquirer_payment_id TEXT,
    payment_url TEXT,
    failure_code TEXT,
    failure_message TEXT,
    card_pan TEXT,
    card_exp TEXT,
    rrn TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    captured_at BIGINT
);
CREATE INDEX payments_charge ON payments (charge_id);
CREATE INDEX payments_open ON payments (status, updated_at);
CREATE INDEX payments_account ON payments (account_id, created_at);

-- A request with an Idempotency-Key: the first one's payment answers every repeat with the same
-- body; another body under the same key is refused.
CREATE TABLE payment_idempotency (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

-- Double entry: every transaction's postings sum to zero (debit positive, credit negative).
CREATE TABLE ledger_transactions (
    id TEXT PRIMARY KEY,
    -- payment (a captured payment).
    kind TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    charge_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_transactions_charge ON ledger_transactions (charge_id);

CREATE TABLE ledger_postings (
    id TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL,
    -- acquirer:<name>, payee:<КБК>:<ОКТМО>, commission_income.
    account TEXT NOT NULL,
    amount_kopecks BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_postings_transaction ON ledger_postings (transaction_id);
