CREATE TABLE queues (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    fifo        INTEGER NOT NULL,
    attributes  TEXT    NOT NULL,
    tags        TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    modified    INTEGER NOT NULL,
    purged_at   INTEGER NOT NULL DEFAULT 0,
    deleted_at  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX queues_live ON queues (account, name) WHERE deleted_at = 0;
CREATE INDEX queues_by_name ON queues (account, name, deleted_at);

-- AUTOINCREMENT keeps ids increasing even after the newest row is deleted: FIFO sequence
-- numbers are these ids.
CREATE TABLE queue_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id        INTEGER NOT NULL,
    message_id      TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    attributes      BLOB,
    system_attrs    BLOB,
    md5_body        TEXT    NOT NULL,
    md5_attributes  TEXT    NOT NULL,
    sender_id       TEXT    NOT NULL,
    sent_at         INTEGER NOT NULL,
    visible_at      INTEGER NOT NULL,
    receive_count   INTEGER NOT NULL DEFAULT 0,
    first_receive   INTEGER NOT NULL DEFAULT 0,
    group_id        TEXT    NOT NULL DEFAULT '',
    dedup_id        TEXT    NOT NULL DEFAULT '',
    source_queue_id INTEGER NOT NULL DEFAULT 0
);
-- Finding visible messages is a range scan of this index: O(log n) in the queue's size.
CREATE INDEX queue_messages_visible ON queue_messages (queue_id, visible_at);
CREATE INDEX queue_messages_sent ON queue_messages (queue_id, sent_at);
CREATE INDEX queue_messages_group ON queue_messages (queue_id, group_id, visible_at) WHERE group_id <> '';

CREATE TABLE queue_dedup (
    queue_id    INTEGER NOT NULL,
    scope       TEXT    NOT NULL,
    dedup_id    TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (queue_id, scope, dedup_id)
) WITHOUT ROWID;

CREATE TABLE queue_move_tasks (
    handle          TEXT    PRIMARY KEY,
    source_queue_id INTEGER NOT NULL,
    source_arn      TEXT    NOT NULL,
    dest_arn        TEXT    NOT NULL,
    dest_queue_id   INTEGER NOT NULL,
    rate            INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    moved           INTEGER NOT NULL,
    to_move         INTEGER NOT NULL,
    failure         TEXT    NOT NULL,
    started         INTEGER NOT NULL
);
CREATE INDEX queue_move_tasks_source ON queue_move_tasks (source_queue_id, started);
