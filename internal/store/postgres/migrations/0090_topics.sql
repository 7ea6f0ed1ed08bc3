CREATE TABLE topics (
    arn        TEXT    NOT NULL PRIMARY KEY,
    account    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    attributes BYTEA   NOT NULL,
    tags       BYTEA   NOT NULL,
    created    BIGINT  NOT NULL
);
CREATE INDEX topics_account ON topics (account, arn);

CREATE TABLE subscriptions (
    arn        TEXT    NOT NULL PRIMARY KEY,
    account    TEXT    NOT NULL,
    topic_arn  TEXT    NOT NULL REFERENCES topics (arn) ON DELETE CASCADE,
    protocol   TEXT    NOT NULL,
    endpoint   TEXT    NOT NULL,
    owner      TEXT    NOT NULL,
    attributes BYTEA   NOT NULL,
    confirmed  BOOLEAN NOT NULL,
    token      TEXT    NOT NULL,
    created    BIGINT  NOT NULL
);
CREATE INDEX subscriptions_account ON subscriptions (account, arn);
CREATE INDEX subscriptions_topic ON subscriptions (topic_arn, arn);
