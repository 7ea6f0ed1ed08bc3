CREATE TABLE metric_points (
    account     TEXT    NOT NULL,
    namespace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    dimensions  TEXT    NOT NULL,
    minute      BIGINT NOT NULL,
    unit        TEXT    NOT NULL DEFAULT '',
    count       DOUBLE PRECISION    NOT NULL,
    sum         DOUBLE PRECISION    NOT NULL,
    min         DOUBLE PRECISION    NOT NULL,
    max         DOUBLE PRECISION    NOT NULL,
    PRIMARY KEY (account, namespace, name, dimensions, minute)
);
