-- Ratings of completed state services, taken from the services part's outbox events
-- (`services.application.rated`): they feed the public figures beside the appeals' ratings.
CREATE TABLE appeal_service_ratings (
    event_id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    service_code TEXT NOT NULL,
    rating BIGINT NOT NULL,
    rated_at BIGINT NOT NULL
);
CREATE INDEX appeal_service_ratings_agency ON appeal_service_ratings (agency_code);

-- The catalogue's agency a body is (a regional ministry is both a body for appeals and an agency
-- for state services): its service ratings join its row of the figures.
ALTER TABLE appeal_bodies ADD COLUMN agency_code TEXT;
