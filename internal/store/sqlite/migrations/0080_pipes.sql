CREATE TABLE pipes (
    account        TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    arn            TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    target         TEXT    NOT NULL,
    spec           BLOB    NOT NULL,
    tags           BLOB    NOT NULL,
    desired_state  TEXT    NOT NULL,
    current_state  TEXT    NOT NULL,
    state_reason   TEXT    NOT NULL DEFAULT '',
    created        INTEGER NOT NULL,
    modified       INTEGER NOT NULL,
    lease_owner    TEXT    NOT NULL DEFAULT '',
    lease_until    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, name)
);
