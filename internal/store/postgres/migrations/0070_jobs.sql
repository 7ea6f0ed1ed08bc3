CREATE TABLE jobs (
    account   TEXT    NOT NULL,
    name      TEXT    COLLATE "C" NOT NULL,
    spec      BYTEA   NOT NULL,
    created   BIGINT  NOT NULL,
    modified  BIGINT  NOT NULL,
    PRIMARY KEY (account, name)
);
CREATE TABLE job_runs (
    account         TEXT    NOT NULL,
    job_name        TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    spec            BYTEA   NOT NULL,
    error_message   TEXT    NOT NULL DEFAULT '',
    started         BIGINT  NOT NULL,
    modified        BIGINT  NOT NULL,
    completed       BIGINT  NOT NULL DEFAULT 0,
    execution_time  BIGINT  NOT NULL DEFAULT 0,
    owner           TEXT    NOT NULL DEFAULT '',
    lease_until     BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (account, job_name, id)
);
CREATE INDEX job_runs_by_start ON job_runs (account, job_name, started, id);
CREATE INDEX job_runs_by_state ON job_runs (state, lease_until);
