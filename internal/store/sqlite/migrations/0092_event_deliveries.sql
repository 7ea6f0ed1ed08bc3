CREATE TABLE event_deliveries (
    id          TEXT    NOT NULL PRIMARY KEY,
    account     TEXT    NOT NULL,
    rule        TEXT    NOT NULL,
    target      BLOB    NOT NULL,
    input       BLOB    NOT NULL,
    attempts    INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    lease_owner TEXT    NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX event_deliveries_due ON event_deliveries (next_at);
