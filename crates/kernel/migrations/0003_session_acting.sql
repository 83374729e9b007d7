-- A session may act on behalf of another subject (a principal under a power of attorney, later an
-- organisation); the part that owns the subject checks at every request that it still may.
ALTER TABLE web_sessions ADD COLUMN acting_for TEXT;
