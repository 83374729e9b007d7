-- Polls: questions (single or multiple choice, a scale, free text), an audience (everyone or a
-- region), a period, and one vote per account, kept exactly once by the primary key.
CREATE TABLE polls (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    -- NULL: everyone; else a territory code of appeal_territories.
    region_code TEXT,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    -- 1: results are shown while the poll runs; 0: once it closes.
    live_results BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE poll_questions (
    id TEXT PRIMARY KEY,
    poll_id TEXT NOT NULL REFERENCES polls (id),
    position BIGINT NOT NULL,
    -- single, multiple, scale, text
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    -- JSON array of the options' titles (choices), or [min, max] of a scale.
    options TEXT NOT NULL
);
CREATE INDEX poll_questions_poll ON poll_questions (poll_id, position);

-- One row per account and poll: the second vote is refused by the key, under any concurrency.
CREATE TABLE poll_votes (
    poll_id TEXT NOT NULL REFERENCES polls (id),
    account_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (poll_id, account_id)
);

-- The answers, not linked to the voter (the vote row only says that the account voted).
CREATE TABLE poll_answers (
    id TEXT PRIMARY KEY,
    poll_id TEXT NOT NULL REFERENCES polls (id),
    question_id TEXT NOT NULL REFERENCES poll_questions (id),
    value TEXT NOT NULL
);
CREATE INDEX poll_answers_question ON poll_answers (question_id);
