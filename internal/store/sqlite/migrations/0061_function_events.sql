CREATE TABLE function_events (
    id           TEXT    NOT NULL PRIMARY KEY,
    account      TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    qualifier    TEXT    NOT NULL,
    payload      BLOB    NOT NULL,
    attempt      INTEGER NOT NULL,
    due          INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    owner        TEXT    NOT NULL DEFAULT '',
    lease_until  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX function_events_by_due ON function_events (due);
