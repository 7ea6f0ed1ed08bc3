CREATE TABLE event_deliveries (
    id          TEXT    NOT NULL PRIMARY KEY,
    account     TEXT    NOT NULL,
    rule        TEXT    NOT NULL,
    target      BYTEA   NOT NULL,
    input       BYTEA   NOT NULL,
    attempts    BIGINT  NOT NULL,
    next_at     BIGINT  NOT NULL,
    created     BIGINT  NOT NULL,
    lease_owner TEXT    NOT NULL DEFAULT '',
    lease_until BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX event_deliveries_due ON event_deliveries (next_at);
