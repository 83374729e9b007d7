-- An application filed by an operator at a service point for a person present: the office it
-- was filed at. The operator goes on with it only from a registered desk of that office.
ALTER TABLE applications ADD COLUMN desk_office TEXT;
