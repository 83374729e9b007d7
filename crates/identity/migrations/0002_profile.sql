-- The person's profile: names and birth date in clear (shown to the person and to officials), the
-- passport encrypted with its keyed index (СНИЛС and ИНН columns exist since 0001), and the outcome
-- of the last registry check.
ALTER TABLE accounts ADD COLUMN last_name TEXT;
ALTER TABLE accounts ADD COLUMN first_name TEXT;
ALTER TABLE accounts ADD COLUMN middle_name TEXT;
ALTER TABLE accounts ADD COLUMN birth_date TEXT;
ALTER TABLE accounts ADD COLUMN sex TEXT;
ALTER TABLE accounts ADD COLUMN passport_enc TEXT;
ALTER TABLE accounts ADD COLUMN passport_idx TEXT;
ALTER TABLE accounts ADD COLUMN registry_check TEXT;
ALTER TABLE accounts ADD COLUMN registry_checked_at BIGINT;
CREATE UNIQUE INDEX accounts_passport_idx ON accounts (passport_idx);
