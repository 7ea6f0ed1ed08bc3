CREATE TABLE sfn_resources (
    arn       TEXT    NOT NULL PRIMARY KEY,
    account   TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    parent    TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    created   INTEGER NOT NULL,
    revision  INTEGER NOT NULL,
    doc       BLOB    NOT NULL
) WITHOUT ROWID;
CREATE INDEX sfn_resources_list ON sfn_resources (account, kind, parent, key);

CREATE TABLE sfn_executions (
    arn            TEXT    NOT NULL PRIMARY KEY,
    account        TEXT    NOT NULL,
    machine        TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    express        INTEGER NOT NULL,
    started        INTEGER NOT NULL,
    stopped        INTEGER NOT NULL,
    redrive_count  INTEGER NOT NULL,
    redriven       INTEGER NOT NULL,
    expires        INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    doc            BLOB    NOT NULL,
    snapshot       BLOB,
    -- The history written with the row itself (all of it for an execution that ends where it
    -- starts); later chunks go to sfn_history.
    history        BLOB
);
CREATE INDEX sfn_executions_list ON sfn_executions (machine, started DESC, arn DESC);
CREATE INDEX sfn_executions_expires ON sfn_executions (expires) WHERE expires > 0;

-- History chunks are appended in rowid order (their blobs land on new pages, not in the middle of
-- a key-ordered B-tree); the small index finds an execution's chunks.
CREATE TABLE sfn_history (
    seq        INTEGER PRIMARY KEY,
    execution  TEXT    NOT NULL,
    first_id   INTEGER NOT NULL,
    events     BLOB    NOT NULL
);
CREATE UNIQUE INDEX sfn_history_execution ON sfn_history (execution, first_id);

CREATE TABLE sfn_work (
    id         TEXT    NOT NULL PRIMARY KEY,
    execution  TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    ready_at   INTEGER NOT NULL,
    owner      TEXT    NOT NULL,
    doc        BLOB    NOT NULL
);
CREATE INDEX sfn_work_ready ON sfn_work (ready_at);

CREATE TABLE sfn_activity_tasks (
    id         TEXT    NOT NULL PRIMARY KEY,
    activity   TEXT    NOT NULL,
    execution  TEXT    NOT NULL,
    token      TEXT    NOT NULL,
    input      TEXT    NOT NULL,
    created    INTEGER NOT NULL,
    claimed_at INTEGER NOT NULL,
    worker     TEXT    NOT NULL
);
CREATE INDEX sfn_activity_tasks_wait ON sfn_activity_tasks (activity, claimed_at, created);
