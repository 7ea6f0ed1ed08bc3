CREATE TABLE s3_buckets (
    name        TEXT    PRIMARY KEY,
    account     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    versioning  TEXT    NOT NULL DEFAULT '',
    tags        BLOB,
    lifecycle   BLOB
);
CREATE INDEX s3_buckets_account ON s3_buckets (account, name);

CREATE TABLE s3_objects (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket           TEXT    NOT NULL,
    key              BLOB    NOT NULL,
    version_id       TEXT    NOT NULL,
    is_latest        INTEGER NOT NULL,
    delete_marker    INTEGER NOT NULL,
    size             INTEGER NOT NULL,
    etag             TEXT    NOT NULL,
    created          INTEGER NOT NULL,
    noncurrent_since INTEGER NOT NULL DEFAULT 0,
    blobs            TEXT    NOT NULL DEFAULT '',
    attrs            BLOB,
    tags             BLOB
);
CREATE UNIQUE INDEX s3_objects_version ON s3_objects (bucket, key, version_id);
CREATE INDEX s3_objects_order ON s3_objects (bucket, key, seq);
CREATE INDEX s3_objects_current ON s3_objects (bucket, key) WHERE is_latest = 1 AND delete_marker = 0;

CREATE TABLE s3_uploads (
    upload_id   TEXT    PRIMARY KEY,
    bucket      TEXT    NOT NULL,
    key         BLOB    NOT NULL,
    initiated   INTEGER NOT NULL,
    attrs       BLOB
);
CREATE INDEX s3_uploads_bucket ON s3_uploads (bucket, key, upload_id);

CREATE TABLE s3_parts (
    upload_id   TEXT    NOT NULL,
    part_number INTEGER NOT NULL,
    blob        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT    NOT NULL,
    checksum    TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
