CREATE TABLE event_rules (
    account  TEXT    NOT NULL,
    bus      TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    arn      TEXT    NOT NULL,
    spec     BYTEA   NOT NULL,
    state    TEXT    NOT NULL,
    modified BIGINT  NOT NULL,
    PRIMARY KEY (account, bus, name)
);

CREATE TABLE event_targets (
    account TEXT NOT NULL,
    bus     TEXT NOT NULL,
    rule    TEXT NOT NULL,
    id      TEXT NOT NULL,
    arn     TEXT NOT NULL,
    spec    BYTEA NOT NULL,
    PRIMARY KEY (account, bus, rule, id),
    FOREIGN KEY (account, bus, rule) REFERENCES event_rules (account, bus, name)
);
