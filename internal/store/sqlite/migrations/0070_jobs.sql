CREATE TABLE jobs (
    account   TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    spec      BLOB    NOT NULL,
    created   INTEGER NOT NULL,
    modified  INTEGER NOT NULL,
    PRIMARY KEY (account, name)
);
CREATE TABLE job_runs (
    account         TEXT    NOT NULL,
    job_name        TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    spec            BLOB    NOT NULL,
    error_message   TEXT    NOT NULL DEFAULT '',
    started         INTEGER NOT NULL,
    modified        INTEGER NOT NULL,
    completed       INTEGER NOT NULL DEFAULT 0,
    execution_time  INTEGER NOT NULL DEFAULT 0,
    owner           TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, job_name, id)
);
CREATE INDEX job_runs_by_start ON job_runs (account, job_name, started, id);
CREATE INDEX job_runs_by_state ON job_runs (state, lease_until);
