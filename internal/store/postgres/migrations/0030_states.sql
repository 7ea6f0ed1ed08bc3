CREATE TABLE sfn_resources (
    arn       TEXT    NOT NULL PRIMARY KEY,
    account   TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    parent    TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    created   BIGINT NOT NULL,
    revision  BIGINT NOT NULL,
    doc       BYTEA    NOT NULL
);
CREATE INDEX sfn_resources_list ON sfn_resources (account, kind, parent, key);

CREATE TABLE sfn_executions (
    arn            TEXT    NOT NULL PRIMARY KEY,
    account        TEXT    NOT NULL,
    machine        TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    express        BOOLEAN NOT NULL,
    started        BIGINT NOT NULL,
    stopped        BIGINT NOT NULL,
    redrive_count  BIGINT NOT NULL,
    redriven       BIGINT NOT NULL,
    expires        BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    doc            BYTEA    NOT NULL,
    snapshot       BYTEA,
    -- The history written with the row itself (all of it for an execution that ends where it
    -- starts); later chunks go to sfn_history.
    history        BYTEA
);
CREATE INDEX sfn_executions_list ON sfn_executions (machine, started DESC, arn DESC);
CREATE INDEX sfn_executions_expires ON sfn_executions (expires) WHERE expires > 0;

CREATE TABLE sfn_history (
    execution  TEXT    NOT NULL,
    first_id   BIGINT NOT NULL,
    events     BYTEA    NOT NULL,
    PRIMARY KEY (execution, first_id)
);

CREATE TABLE sfn_work (
    id         TEXT    NOT NULL PRIMARY KEY,
    execution  TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    ready_at   BIGINT NOT NULL,
    owner      TEXT    NOT NULL,
    doc        BYTEA    NOT NULL
);
CREATE INDEX sfn_work_ready ON sfn_work (ready_at);

CREATE TABLE sfn_activity_tasks (
    id         TEXT    NOT NULL PRIMARY KEY,
    activity   TEXT    NOT NULL,
    execution  TEXT    NOT NULL,
    token      TEXT    NOT NULL,
    input      TEXT    NOT NULL,
    created    BIGINT NOT NULL,
    claimed_at BIGINT NOT NULL,
    worker     TEXT    NOT NULL
);
CREATE INDEX sfn_activity_tasks_wait ON sfn_activity_tasks (activity, claimed_at, created);
