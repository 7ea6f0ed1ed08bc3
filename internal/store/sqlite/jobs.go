package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/ceap/ceap/internal/store"
)

const jobRunColumns = `account, job_name, id, state, spec, error_message, started, modified, completed, execution_time, owner, lease_until`

func scanJobRun(sc interface{ Scan(...any) error }) (*store.JobRunRow, error) {
	r := &store.JobRunRow{}
	err := sc.Scan(&r.Account, &r.JobName, &r.ID, &r.State, &r.Spec, &r.ErrorMessage, &r.Started, &r.Modified, &r.Completed, &r.ExecutionTime, &r.Owner, &r.LeaseUntil)
	return r, err
}

// JobCreate inserts a job.
func (db *DB) JobCreate(ctx context.Context, p *store.JobCreateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO jobs (account, name, spec, created, modified) VALUES (?, ?, ?, ?, ?)`, r.Account, r.Name, r.Spec, r.Created, r.Modified)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// JobGet returns one job.
func (db *DB) JobGet(ctx context.Context, p *store.JobGetParams) (*store.JobRow, error) {
	r := &store.JobRow{Account: p.Account, Name: p.Name}
	err := db.read(ctx, func(c *sql.Conn) error {
		return notFound(c.QueryRowContext(ctx, `SELECT spec, created, modified FROM jobs WHERE account = ? AND name = ?`, p.Account, p.Name).Scan(&r.Spec, &r.Created, &r.Modified))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// JobList returns jobs by name.
func (db *DB) JobList(ctx context.Context, p *store.JobListParams) ([]*store.JobRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.JobRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT name, spec, created, modified FROM jobs WHERE account = ? AND name > ? ORDER BY name LIMIT ?`, p.Account, p.After, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := &store.JobRow{Account: p.Account}
			if err := rows.Scan(&r.Name, &r.Spec, &r.Created, &r.Modified); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// JobUpdate replaces a job's definition.
func (db *DB) JobUpdate(ctx context.Context, p *store.JobUpdateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET spec = ?, modified = ? WHERE account = ? AND name = ?`, r.Spec, r.Modified, r.Account, r.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// JobDelete removes a job and its runs.
func (db *DB) JobDelete(ctx context.Context, p *store.JobGetParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE account = ? AND name = ?`, p.Account, p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM job_runs WHERE account = ? AND job_name = ?`, p.Account, p.Name)
		return err
	})
}

// JobRunCreate inserts a run unless the job has MaxActive active runs.
func (db *DB) JobRunCreate(ctx context.Context, p *store.JobRunCreateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM jobs WHERE account = ? AND name = ?`, r.Account, r.JobName).Scan(&one); err != nil {
			return notFound(err)
		}
		var active int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM job_runs WHERE account = ? AND job_name = ? AND state IN ('STARTING', 'RUNNING', 'STOPPING')`,
			r.Account, r.JobName).Scan(&active); err != nil {
			return err
		}
		if active >= p.MaxActive {
			return store.ErrConflict
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO job_runs (`+jobRunColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Account, r.JobName, r.ID, r.State, r.Spec, r.ErrorMessage, r.Started, r.Modified, r.Completed, r.ExecutionTime, r.Owner, r.LeaseUntil)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// JobRunGet returns one run.
func (db *DB) JobRunGet(ctx context.Context, p *store.JobRunGetParams) (*store.JobRunRow, error) {
	var out *store.JobRunRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanJobRun(c.QueryRowContext(ctx, `SELECT `+jobRunColumns+` FROM job_runs WHERE account = ? AND job_name = ? AND id = ?`, p.Account, p.JobName, p.ID))
		return notFound(err)
	})
	return out, err
}

// JobRunList returns a job's runs, newest first.
func (db *DB) JobRunList(ctx context.Context, p *store.JobRunListParams) ([]*store.JobRunRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.JobRunRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+jobRunColumns+` FROM job_runs WHERE account = ? AND job_name = ?
			AND (? = '' OR (started, id) < (?, ?)) ORDER BY started DESC, id DESC LIMIT ?`,
			p.Account, p.JobName, p.BeforeID, p.BeforeStarted, p.BeforeID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanJobRun(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// JobRunUpdate replaces a run's state fields.
func (db *DB) JobRunUpdate(ctx context.Context, p *store.JobRunUpdateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		q := `UPDATE job_runs SET state = ?, spec = ?, error_message = ?, modified = ?, completed = ?, execution_time = ?, owner = ?, lease_until = ?
			WHERE account = ? AND job_name = ? AND id = ?`
		args := []any{r.State, r.Spec, r.ErrorMessage, r.Modified, r.Completed, r.ExecutionTime, r.Owner, r.LeaseUntil, r.Account, r.JobName, r.ID}
		if len(p.IfStates) > 0 {
			q += ` AND state IN (?` + strings.Repeat(`, ?`, len(p.IfStates)-1) + `)`
			for _, s := range p.IfStates {
				args = append(args, s)
			}
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM job_runs WHERE account = ? AND job_name = ? AND id = ?`, r.Account, r.JobName, r.ID).Scan(&one); err != nil {
			return notFound(err)
		}
		return store.ErrConflict
	})
}

// JobRunStale returns active runs whose lease has ended.
func (db *DB) JobRunStale(ctx context.Context, p *store.JobRunStaleParams) ([]*store.JobRunRow, error) {
	var out []*store.JobRunRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+jobRunColumns+` FROM job_runs WHERE state IN ('STARTING', 'RUNNING', 'STOPPING') AND lease_until < ?`, p.Now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanJobRun(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}
