CREATE TABLE functions (
    account       TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    arn           TEXT    NOT NULL,
    spec          BLOB    NOT NULL,
    aliases       BLOB    NOT NULL,
    tags          BLOB    NOT NULL,
    reserved      INTEGER NOT NULL DEFAULT -1,
    next_version  INTEGER NOT NULL DEFAULT 1,
    revision      TEXT    NOT NULL,
    created       INTEGER NOT NULL,
    modified      INTEGER NOT NULL,
    PRIMARY KEY (account, name)
);
CREATE TABLE function_versions (
    account   TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    spec      BLOB    NOT NULL,
    created   INTEGER NOT NULL,
    PRIMARY KEY (account, name, version)
);
