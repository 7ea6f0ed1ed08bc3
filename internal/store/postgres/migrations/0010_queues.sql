CREATE TABLE queues (
    id          BIGSERIAL PRIMARY KEY,
    account     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    fifo        BOOLEAN NOT NULL,
    attributes  TEXT    NOT NULL,
    tags        TEXT    NOT NULL,
    created     BIGINT NOT NULL,
    modified    BIGINT NOT NULL,
    purged_at   BIGINT NOT NULL DEFAULT 0,
    deleted_at  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX queues_live ON queues (account, name) WHERE deleted_at = 0;
CREATE INDEX queues_by_name ON queues (account, name, deleted_at);

-- BIGSERIAL ids only increase: FIFO sequence numbers are these ids.
CREATE TABLE queue_messages (
    id              BIGSERIAL PRIMARY KEY,
    queue_id        BIGINT NOT NULL,
    message_id      TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    attributes      BYTEA,
    system_attrs    BYTEA,
    md5_body        TEXT    NOT NULL,
    md5_attributes  TEXT    NOT NULL,
    sender_id       TEXT    NOT NULL,
    sent_at         BIGINT NOT NULL,
    visible_at      BIGINT NOT NULL,
    receive_count   BIGINT NOT NULL DEFAULT 0,
    first_receive   BIGINT NOT NULL DEFAULT 0,
    group_id        TEXT    NOT NULL DEFAULT '',
    dedup_id        TEXT    NOT NULL DEFAULT '',
    source_queue_id BIGINT NOT NULL DEFAULT 0
);
-- Finding visible messages is a range scan of this index: O(log n) in the queue's size.
CREATE INDEX queue_messages_visible ON queue_messages (queue_id, visible_at);
CREATE INDEX queue_messages_sent ON queue_messages (queue_id, sent_at);
CREATE INDEX queue_messages_group ON queue_messages (queue_id, group_id, visible_at) WHERE group_id <> '';

CREATE TABLE queue_dedup (
    queue_id    BIGINT NOT NULL,
    scope       TEXT    NOT NULL,
    dedup_id    TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    seq         BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (queue_id, scope, dedup_id)
);

CREATE TABLE queue_move_tasks (
    handle          TEXT    PRIMARY KEY,
    source_queue_id BIGINT NOT NULL,
    source_arn      TEXT    NOT NULL,
    dest_arn        TEXT    NOT NULL,
    dest_queue_id   BIGINT NOT NULL,
    rate            BIGINT NOT NULL,
    status          TEXT    NOT NULL,
    moved           BIGINT NOT NULL,
    to_move         BIGINT NOT NULL,
    failure         TEXT    NOT NULL,
    started         BIGINT NOT NULL
);
CREATE INDEX queue_move_tasks_source ON queue_move_tasks (source_queue_id, started);
