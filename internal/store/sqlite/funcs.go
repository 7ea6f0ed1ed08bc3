package sqlite

import (
	"context"
	"database/sql"

	"github.com/ceap/ceap/internal/store"
)

const functionColumns = `account, name, arn, spec, aliases, tags, reserved, next_version, revision, created, modified`

func scanFunction(sc interface{ Scan(...any) error }) (*store.FunctionRow, error) {
	r := &store.FunctionRow{}
	err := sc.Scan(&r.Account, &r.Name, &r.ARN, &r.Spec, &r.Aliases, &r.Tags, &r.Reserved, &r.NextVersion, &r.Revision, &r.Created, &r.Modified)
	return r, err
}

// FunctionCreate inserts a function.
func (db *DB) FunctionCreate(ctx context.Context, p *store.FunctionCreateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM function_versions WHERE account = ? AND name = ? AND NOT EXISTS (SELECT 1 FROM functions WHERE account = ? AND name = ?)`,
			r.Account, r.Name, r.Account, r.Name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO functions (`+functionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Account, r.Name, r.ARN, r.Spec, r.Aliases, r.Tags, r.Reserved, r.NextVersion, r.Revision, r.Created, r.Modified)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// FunctionGet returns one function.
func (db *DB) FunctionGet(ctx context.Context, p *store.FunctionGetParams) (*store.FunctionRow, error) {
	var out *store.FunctionRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanFunction(c.QueryRowContext(ctx, `SELECT `+functionColumns+` FROM functions WHERE account = ? AND name = ?`, p.Account, p.Name))
		return notFound(err)
	})
	return out, err
}

// FunctionList returns functions by account and name.
func (db *DB) FunctionList(ctx context.Context, p *store.FunctionListParams) ([]*store.FunctionRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.FunctionRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+functionColumns+` FROM functions WHERE (? = '' OR account = ?) AND name > ? ORDER BY account, name LIMIT ?`,
			p.Account, p.Account, p.After, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanFunction(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// FunctionUpdate replaces a function's mutable fields.
func (db *DB) FunctionUpdate(ctx context.Context, p *store.FunctionUpdateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE functions SET spec = ?, aliases = ?, tags = ?, reserved = ?, next_version = ?, revision = ?, modified = ?
			WHERE account = ? AND name = ? AND (? = '' OR revision = ?)`,
			r.Spec, r.Aliases, r.Tags, r.Reserved, r.NextVersion, r.Revision, r.Modified, r.Account, r.Name, p.IfRevision, p.IfRevision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM functions WHERE account = ? AND name = ?`, r.Account, r.Name).Scan(&one); err != nil {
			return notFound(err)
		}
		return store.ErrConflict
	})
}

// FunctionDelete removes a function and its versions.
func (db *DB) FunctionDelete(ctx context.Context, p *store.FunctionGetParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM functions WHERE account = ? AND name = ?`, p.Account, p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM function_versions WHERE account = ? AND name = ?`, p.Account, p.Name)
		return err
	})
}

// FunctionVersionCreate inserts a published version.
func (db *DB) FunctionVersionCreate(ctx context.Context, p *store.FunctionVersionCreateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO function_versions (account, name, version, spec, created) VALUES (?, ?, ?, ?, ?)`,
			r.Account, r.Name, r.Version, r.Spec, r.Created)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// FunctionVersionGet returns one version.
func (db *DB) FunctionVersionGet(ctx context.Context, p *store.FunctionVersionGetParams) (*store.FunctionVersionRow, error) {
	r := &store.FunctionVersionRow{Account: p.Account, Name: p.Name, Version: p.Version}
	err := db.read(ctx, func(c *sql.Conn) error {
		return notFound(c.QueryRowContext(ctx, `SELECT spec, created FROM function_versions WHERE account = ? AND name = ? AND version = ?`,
			p.Account, p.Name, p.Version).Scan(&r.Spec, &r.Created))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// FunctionVersionList returns a function's versions.
func (db *DB) FunctionVersionList(ctx context.Context, p *store.FunctionGetParams) ([]*store.FunctionVersionRow, error) {
	var out []*store.FunctionVersionRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT version, spec, created FROM function_versions WHERE account = ? AND name = ? ORDER BY version`, p.Account, p.Name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := &store.FunctionVersionRow{Account: p.Account, Name: p.Name}
			if err := rows.Scan(&r.Version, &r.Spec, &r.Created); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// FunctionVersionDelete removes a version.
func (db *DB) FunctionVersionDelete(ctx context.Context, p *store.FunctionVersionGetParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM function_versions WHERE account = ? AND name = ? AND version = ?`, p.Account, p.Name, p.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

const functionEventColumns = `id, account, name, qualifier, payload, attempt, due, created, owner, lease_until`

// FunctionEventEnqueue stores an asynchronous invocation.
func (db *DB) FunctionEventEnqueue(ctx context.Context, p *store.FunctionEventEnqueueParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO function_events (`+functionEventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Account, r.Name, r.Qualifier, r.Payload, r.Attempt, r.Due, r.Created, r.Owner, r.LeaseUntil)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// FunctionEventClaim leases due invocations.
func (db *DB) FunctionEventClaim(ctx context.Context, p *store.FunctionEventClaimParams) ([]*store.FunctionEventRow, error) {
	var out []*store.FunctionEventRow
	err := db.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE function_events SET owner = ?, lease_until = ?
			WHERE id IN (SELECT id FROM function_events WHERE due <= ? AND lease_until <= ? ORDER BY due LIMIT ?)
			RETURNING `+functionEventColumns, p.Owner, p.Until, p.Now, p.Now, p.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := &store.FunctionEventRow{}
			if err := rows.Scan(&r.ID, &r.Account, &r.Name, &r.Qualifier, &r.Payload, &r.Attempt, &r.Due, &r.Created, &r.Owner, &r.LeaseUntil); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// FunctionEventDelete removes an invocation that Owner holds.
func (db *DB) FunctionEventDelete(ctx context.Context, p *store.FunctionEventDeleteParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM function_events WHERE id = ? AND owner = ?`, p.ID, p.Owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// FunctionEventRetry reschedules an invocation that Owner holds.
func (db *DB) FunctionEventRetry(ctx context.Context, p *store.FunctionEventRetryParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE function_events SET attempt = ?, due = ?, owner = '', lease_until = 0 WHERE id = ? AND owner = ?`,
			p.Attempt, p.Due, p.ID, p.Owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}
