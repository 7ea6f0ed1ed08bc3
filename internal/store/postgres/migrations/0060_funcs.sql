CREATE TABLE functions (
    account       TEXT    NOT NULL,
    name          TEXT    COLLATE "C" NOT NULL,
    arn           TEXT    NOT NULL,
    spec          BYTEA   NOT NULL,
    aliases       BYTEA   NOT NULL,
    tags          BYTEA   NOT NULL,
    reserved      INTEGER NOT NULL DEFAULT -1,
    next_version  INTEGER NOT NULL DEFAULT 1,
    revision      TEXT    NOT NULL,
    created       BIGINT  NOT NULL,
    modified      BIGINT  NOT NULL,
    PRIMARY KEY (account, name)
);
CREATE TABLE function_versions (
    account   TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    spec      BYTEA   NOT NULL,
    created   BIGINT  NOT NULL,
    PRIMARY KEY (account, name, version)
);
