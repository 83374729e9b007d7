-- Notify: deliveries routed from a sensitive event (one-time codes). Their text is masked in the
-- journal while pending and replaced by a marker once the delivery is sent or dead.
ALTER TABLE deliveries ADD COLUMN sensitive BIGINT NOT NULL DEFAULT 0;
