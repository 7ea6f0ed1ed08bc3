CREATE TABLE log_groups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    arn             TEXT    NOT NULL,
    created         INTEGER NOT NULL,
    retention_days  INTEGER NOT NULL DEFAULT 0,
    class           TEXT    NOT NULL DEFAULT 'STANDARD',
    kms_key         TEXT    NOT NULL DEFAULT '',
    tags            BLOB    NOT NULL,
    stored_bytes    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account, name)
);
CREATE TABLE log_streams (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id        INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    created         INTEGER NOT NULL,
    first_event     INTEGER NOT NULL DEFAULT 0,
    last_event      INTEGER NOT NULL DEFAULT 0,
    last_ingestion  INTEGER NOT NULL DEFAULT 0,
    stored_bytes    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_id, name)
);
CREATE INDEX log_streams_by_last_event ON log_streams (group_id, last_event, name);
CREATE TABLE log_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id   INTEGER NOT NULL,
    stream_id  INTEGER NOT NULL,
    ts         INTEGER NOT NULL,
    ingested   INTEGER NOT NULL,
    message    TEXT    NOT NULL
);
CREATE INDEX log_events_by_group_time ON log_events (group_id, ts, id);
CREATE INDEX log_events_by_stream_time ON log_events (stream_id, ts, id);
