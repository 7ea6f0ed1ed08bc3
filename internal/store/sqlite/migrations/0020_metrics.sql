CREATE TABLE metric_points (
    account     TEXT    NOT NULL,
    namespace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    dimensions  TEXT    NOT NULL,
    minute      INTEGER NOT NULL,
    unit        TEXT    NOT NULL DEFAULT '',
    count       REAL    NOT NULL,
    sum         REAL    NOT NULL,
    min         REAL    NOT NULL,
    max         REAL    NOT NULL,
    PRIMARY KEY (account, namespace, name, dimensions, minute)
) WITHOUT ROWID;
