CREATE TABLE alarms (
    account            TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    arn                TEXT    NOT NULL,
    spec               BYTEA   NOT NULL,
    tags               BYTEA   NOT NULL,
    state              TEXT    NOT NULL,
    state_reason       TEXT    NOT NULL,
    state_reason_data  TEXT    NOT NULL,
    state_updated      BIGINT  NOT NULL,
    state_transitioned BIGINT  NOT NULL,
    modified           BIGINT  NOT NULL,
    version            BIGINT  NOT NULL,
    PRIMARY KEY (account, name)
);

CREATE TABLE alarm_history (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account    TEXT    NOT NULL,
    alarm_name TEXT    NOT NULL,
    alarm_type TEXT    NOT NULL,
    time       BIGINT  NOT NULL,
    item_type  TEXT    NOT NULL,
    summary    TEXT    NOT NULL,
    data       TEXT    NOT NULL
);
CREATE INDEX alarm_history_by_alarm ON alarm_history (account, alarm_name, seq);
CREATE INDEX alarm_history_by_time ON alarm_history (time);

CREATE TABLE alarm_evaluations (
    minute  BIGINT  PRIMARY KEY,
    owner   TEXT    NOT NULL,
    claimed BIGINT  NOT NULL
);

CREATE TABLE dashboards (
    account  TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    arn      TEXT    NOT NULL,
    body     TEXT    NOT NULL,
    modified BIGINT  NOT NULL,
    PRIMARY KEY (account, name)
);
