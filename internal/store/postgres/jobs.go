package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

const jobRunColumns = `account, job_name, id, state, spec, error_message, started, modified, completed, execution_time, owner, lease_until`

func scanJobRun(sc pgx.Row) (*store.JobRunRow, error) {
	r := &store.JobRunRow{}
	err := sc.Scan(&r.Account, &r.JobName, &r.ID, &r.State, &r.Spec, &r.ErrorMessage, &r.Started, &r.Modified, &r.Completed, &r.ExecutionTime, &r.Owner, &r.LeaseUntil)
	return r, err
}

// JobCreate inserts a job.
func (db *DB) JobCreate(ctx context.Context, p *store.JobCreateParams) error {
	r := p.Row
	_, err := db.pool.Exec(ctx, `INSERT INTO jobs (account, name, spec, created, modified) VALUES ($1, $2, $3, $4, $5)`, r.Account, r.Name, r.Spec, r.Created, r.Modified)
	if isUnique(err) {
		return store.ErrAlreadyExists
	}
	return err
}

// JobGet returns one job.
func (db *DB) JobGet(ctx context.Context, p *store.JobGetParams) (*store.JobRow, error) {
	r := &store.JobRow{Account: p.Account, Name: p.Name}
	err := db.pool.QueryRow(ctx, `SELECT spec, created, modified FROM jobs WHERE account = $1 AND name = $2`, p.Account, p.Name).Scan(&r.Spec, &r.Created, &r.Modified)
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// JobList returns jobs by name.
func (db *DB) JobList(ctx context.Context, p *store.JobListParams) ([]*store.JobRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT name, spec, created, modified FROM jobs WHERE account = $1 AND name > $2 ORDER BY name LIMIT $3`, p.Account, p.After, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.JobRow, error) {
		r := &store.JobRow{Account: p.Account}
		err := row.Scan(&r.Name, &r.Spec, &r.Created, &r.Modified)
		return r, err
	})
}

// JobUpdate replaces a job's definition.
func (db *DB) JobUpdate(ctx context.Context, p *store.JobUpdateParams) error {
	r := p.Row
	tag, err := db.pool.Exec(ctx, `UPDATE jobs SET spec = $1, modified = $2 WHERE account = $3 AND name = $4`, r.Spec, r.Modified, r.Account, r.Name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// JobDelete removes a job and its runs.
func (db *DB) JobDelete(ctx context.Context, p *store.JobGetParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM jobs WHERE account = $1 AND name = $2`, p.Account, p.Name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM job_runs WHERE account = $1 AND job_name = $2`, p.Account, p.Name)
		return err
	})
}

// JobRunCreate inserts a run unless the job has MaxActive active runs; the job row is locked so
// that two nodes starting runs at once count each other's.
func (db *DB) JobRunCreate(ctx context.Context, p *store.JobRunCreateParams) error {
	r := p.Row
	return db.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM jobs WHERE account = $1 AND name = $2 FOR UPDATE`, r.Account, r.JobName).Scan(&one); err != nil {
			return notFound(err)
		}
		var active int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM job_runs WHERE account = $1 AND job_name = $2 AND state IN ('STARTING', 'RUNNING', 'STOPPING')`,
			r.Account, r.JobName).Scan(&active); err != nil {
			return err
		}
		if active >= p.MaxActive {
			return store.ErrConflict
		}
		_, err := tx.Exec(ctx, `INSERT INTO job_runs (`+jobRunColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			r.Account, r.JobName, r.ID, r.State, r.Spec, r.ErrorMessage, r.Started, r.Modified, r.Completed, r.ExecutionTime, r.Owner, r.LeaseUntil)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// JobRunGet returns one run.
func (db *DB) JobRunGet(ctx context.Context, p *store.JobRunGetParams) (*store.JobRunRow, error) {
	r, err := scanJobRun(db.pool.QueryRow(ctx, `SELECT `+jobRunColumns+` FROM job_runs WHERE account = $1 AND job_name = $2 AND id = $3`, p.Account, p.JobName, p.ID))
	return r, notFound(err)
}

// JobRunList returns a job's runs, newest first.
func (db *DB) JobRunList(ctx context.Context, p *store.JobRunListParams) ([]*store.JobRunRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+jobRunColumns+` FROM job_runs WHERE account = $1 AND job_name = $2
		AND ($3 = '' OR (started, id COLLATE "C") < ($4, $3 COLLATE "C")) ORDER BY started DESC, id COLLATE "C" DESC LIMIT $5`,
		p.Account, p.JobName, p.BeforeID, p.BeforeStarted, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.JobRunRow, error) { return scanJobRun(row) })
}

// JobRunUpdate replaces a run's state fields.
func (db *DB) JobRunUpdate(ctx context.Context, p *store.JobRunUpdateParams) error {
	r := p.Row
	ifStates := p.IfStates
	if ifStates == nil {
		ifStates = []string{}
	}
	return db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE job_runs SET state = $1, spec = $2, error_message = $3, modified = $4, completed = $5, execution_time = $6, owner = $7, lease_until = $8
			WHERE account = $9 AND job_name = $10 AND id = $11 AND (cardinality($12::text[]) = 0 OR state = ANY($12))`,
			r.State, r.Spec, r.ErrorMessage, r.Modified, r.Completed, r.ExecutionTime, r.Owner, r.LeaseUntil, r.Account, r.JobName, r.ID, ifStates)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM job_runs WHERE account = $1 AND job_name = $2 AND id = $3`, r.Account, r.JobName, r.ID).Scan(&one); err != nil {
			return notFound(err)
		}
		return store.ErrConflict
	})
}

// JobRunStale returns active runs whose lease has ended.
func (db *DB) JobRunStale(ctx context.Context, p *store.JobRunStaleParams) ([]*store.JobRunRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+jobRunColumns+` FROM job_runs WHERE state IN ('STARTING', 'RUNNING', 'STOPPING') AND lease_until < $1`, p.Now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.JobRunRow, error) { return scanJobRun(row) })
}
