-- An event whose routing failed waits until `route_after` before it is claimed again (the
-- dispatcher sets it with its back-off), so one poisoned event never holds up the others.
ALTER TABLE outbox ADD COLUMN route_after BIGINT;
