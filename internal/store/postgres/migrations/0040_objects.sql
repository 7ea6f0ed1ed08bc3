CREATE TABLE s3_buckets (
    name        TEXT    PRIMARY KEY,
    account     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    created     BIGINT  NOT NULL,
    versioning  TEXT    NOT NULL DEFAULT '',
    tags        BYTEA,
    lifecycle   BYTEA
);
CREATE INDEX s3_buckets_account ON s3_buckets (account, name);

CREATE TABLE s3_objects (
    seq              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket           TEXT    NOT NULL,
    key              BYTEA   NOT NULL,
    version_id       TEXT    NOT NULL,
    is_latest        BOOLEAN NOT NULL,
    delete_marker    BOOLEAN NOT NULL,
    size             BIGINT  NOT NULL,
    etag             TEXT    NOT NULL,
    created          BIGINT  NOT NULL,
    noncurrent_since BIGINT  NOT NULL DEFAULT 0,
    blobs            TEXT    NOT NULL DEFAULT '',
    attrs            BYTEA,
    tags             BYTEA
);
CREATE UNIQUE INDEX s3_objects_version ON s3_objects (bucket, key, version_id);
CREATE INDEX s3_objects_order ON s3_objects (bucket, key, seq);
CREATE INDEX s3_objects_current ON s3_objects (bucket, key) WHERE is_latest AND NOT delete_marker;

CREATE TABLE s3_uploads (
    upload_id   TEXT    PRIMARY KEY,
    bucket      TEXT    NOT NULL,
    key         BYTEA   NOT NULL,
    initiated   BIGINT  NOT NULL,
    attrs       BYTEA
);
CREATE INDEX s3_uploads_bucket ON s3_uploads (bucket, key, upload_id);

CREATE TABLE s3_parts (
    upload_id   TEXT    NOT NULL,
    part_number INTEGER NOT NULL,
    blob        TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    etag        TEXT    NOT NULL,
    checksum    TEXT    NOT NULL,
    created     BIGINT  NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
