package sqlite

import (
	"context"
	"database/sql"

	"github.com/ceap/ceap/internal/store"
)

const pipeColumns = `account, name, arn, source, target, spec, tags, desired_state, current_state, state_reason, created, modified`

func scanPipe(sc interface{ Scan(...any) error }) (*store.PipeRow, error) {
	r := &store.PipeRow{}
	err := sc.Scan(&r.Account, &r.Name, &r.ARN, &r.Source, &r.Target, &r.Spec, &r.Tags, &r.DesiredState, &r.CurrentState, &r.StateReason, &r.Created, &r.Modified)
	return r, err
}

// PipeCreate inserts a pipe.
func (db *DB) PipeCreate(ctx context.Context, p *store.PipeCreateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO pipes (`+pipeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Account, r.Name, r.ARN, r.Source, r.Target, r.Spec, r.Tags, r.DesiredState, r.CurrentState, r.StateReason, r.Created, r.Modified)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// PipeGet returns one pipe.
func (db *DB) PipeGet(ctx context.Context, p *store.PipeGetParams) (*store.PipeRow, error) {
	var out *store.PipeRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanPipe(c.QueryRowContext(ctx, `SELECT `+pipeColumns+` FROM pipes WHERE account = ? AND name = ?`, p.Account, p.Name))
		return notFound(err)
	})
	return out, err
}

// PipeList returns pipes by account and name.
func (db *DB) PipeList(ctx context.Context, p *store.PipeListParams) ([]*store.PipeRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.PipeRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+pipeColumns+` FROM pipes
			WHERE (? = '' OR (account = ? AND name > ?)) AND substr(name, 1, length(?)) = ?
			ORDER BY account, name LIMIT ?`, p.Account, p.Account, p.After, p.NamePrefix, p.NamePrefix, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanPipe(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// PipeUpdate replaces a pipe's mutable fields.
func (db *DB) PipeUpdate(ctx context.Context, p *store.PipeUpdateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pipes SET target = ?, spec = ?, tags = ?, desired_state = ?, current_state = ?, state_reason = ?, modified = ?
			WHERE account = ? AND name = ? AND (? = 0 OR modified = ?)`,
			r.Target, r.Spec, r.Tags, r.DesiredState, r.CurrentState, r.StateReason, r.Modified, r.Account, r.Name, p.IfModified, p.IfModified)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM pipes WHERE account = ? AND name = ?`, r.Account, r.Name).Scan(&one); err != nil {
			return notFound(err)
		}
		return store.ErrConflict
	})
}

// PipeDelete removes a pipe.
func (db *DB) PipeDelete(ctx context.Context, p *store.PipeGetParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM pipes WHERE account = ? AND name = ?`, p.Account, p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// PipeLeaseClaim takes or renews a pipe's lease.
func (db *DB) PipeLeaseClaim(ctx context.Context, p *store.PipeLeaseParams) (bool, error) {
	held := false
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pipes SET lease_owner = ?, lease_until = ?
			WHERE account = ? AND name = ? AND (lease_owner = '' OR lease_owner = ? OR lease_until <= ?)`,
			p.Owner, p.Until, p.Account, p.Name, p.Owner, p.Now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			held = true
			return nil
		}
		var one int
		return notFound(tx.QueryRowContext(ctx, `SELECT 1 FROM pipes WHERE account = ? AND name = ?`, p.Account, p.Name).Scan(&one))
	})
	return held, err
}

// PipeLeaseRelease frees a lease that Owner holds.
func (db *DB) PipeLeaseRelease(ctx context.Context, p *store.PipeLeaseParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE pipes SET lease_owner = '', lease_until = 0 WHERE account = ? AND name = ? AND lease_owner = ?`, p.Account, p.Name, p.Owner)
		return err
	})
}
