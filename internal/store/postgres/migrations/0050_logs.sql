CREATE TABLE log_groups (
    id              BIGSERIAL PRIMARY KEY,
    account         TEXT    NOT NULL,
    name            TEXT    COLLATE "C" NOT NULL,
    arn             TEXT    NOT NULL,
    created         BIGINT  NOT NULL,
    retention_days  INTEGER NOT NULL DEFAULT 0,
    class           TEXT    NOT NULL DEFAULT 'STANDARD',
    kms_key         TEXT    NOT NULL DEFAULT '',
    tags            BYTEA   NOT NULL,
    stored_bytes    BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (account, name)
);
CREATE TABLE log_streams (
    id              BIGSERIAL PRIMARY KEY,
    group_id        BIGINT  NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
    name            TEXT    COLLATE "C" NOT NULL,
    created         BIGINT  NOT NULL,
    first_event     BIGINT  NOT NULL DEFAULT 0,
    last_event      BIGINT  NOT NULL DEFAULT 0,
    last_ingestion  BIGINT  NOT NULL DEFAULT 0,
    stored_bytes    BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (group_id, name)
);
CREATE INDEX log_streams_by_last_event ON log_streams (group_id, last_event, name);
CREATE TABLE log_events (
    id         BIGSERIAL PRIMARY KEY,
    group_id   BIGINT  NOT NULL,
    stream_id  BIGINT  NOT NULL,
    ts         BIGINT  NOT NULL,
    ingested   BIGINT  NOT NULL,
    message    TEXT    NOT NULL
);
CREATE INDEX log_events_by_group_time ON log_events (group_id, ts, id);
CREATE INDEX log_events_by_stream_time ON log_events (stream_id, ts, id);
