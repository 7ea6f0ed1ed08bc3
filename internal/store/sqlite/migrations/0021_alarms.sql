CREATE TABLE alarms (
    account            TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    arn                TEXT    NOT NULL,
    spec               BLOB    NOT NULL,
    tags               BLOB    NOT NULL,
    state              TEXT    NOT NULL,
    state_reason       TEXT    NOT NULL,
    state_reason_data  TEXT    NOT NULL,
    state_updated      INTEGER NOT NULL,
    state_transitioned INTEGER NOT NULL,
    modified           INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    PRIMARY KEY (account, name)
) WITHOUT ROWID;

CREATE TABLE alarm_history (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    account    TEXT    NOT NULL,
    alarm_name TEXT    NOT NULL,
    alarm_type TEXT    NOT NULL,
    time       INTEGER NOT NULL,
    item_type  TEXT    NOT NULL,
    summary    TEXT    NOT NULL,
    data       TEXT    NOT NULL
);
CREATE INDEX alarm_history_by_alarm ON alarm_history (account, alarm_name, seq);
CREATE INDEX alarm_history_by_time ON alarm_history (time);

CREATE TABLE alarm_evaluations (
    minute  INTEGER PRIMARY KEY,
    owner   TEXT    NOT NULL,
    claimed INTEGER NOT NULL
);

CREATE TABLE dashboards (
    account  TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    arn      TEXT    NOT NULL,
    body     TEXT    NOT NULL,
    modified INTEGER NOT NULL,
    PRIMARY KEY (account, name)
) WITHOUT ROWID;
