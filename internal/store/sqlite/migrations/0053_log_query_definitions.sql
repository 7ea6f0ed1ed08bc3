CREATE TABLE log_query_definitions (
    id            TEXT    NOT NULL PRIMARY KEY,
    account       TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    query         TEXT    NOT NULL,
    log_groups    BLOB    NOT NULL,
    last_modified INTEGER NOT NULL
);
CREATE INDEX log_query_definitions_account ON log_query_definitions (account, name, id);
