package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

const functionColumns = `account, name, arn, spec, aliases, tags, reserved, next_version, revision, created, modified`

func scanFunction(sc pgx.Row) (*store.FunctionRow, error) {
	r := &store.FunctionRow{}
	err := sc.Scan(&r.Account, &r.Name, &r.ARN, &r.Spec, &r.Aliases, &r.Tags, &r.Reserved, &r.NextVersion, &r.Revision, &r.Created, &r.Modified)
	return r, err
}

// FunctionCreate inserts a function.
func (db *DB) FunctionCreate(ctx context.Context, p *store.FunctionCreateParams) error {
	r := p.Row
	return db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM function_versions WHERE account = $1 AND name = $2 AND NOT EXISTS (SELECT 1 FROM functions WHERE account = $1 AND name = $2)`,
			r.Account, r.Name); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO functions (`+functionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.Account, r.Name, r.ARN, r.Spec, r.Aliases, r.Tags, r.Reserved, r.NextVersion, r.Revision, r.Created, r.Modified)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// FunctionGet returns one function.
func (db *DB) FunctionGet(ctx context.Context, p *store.FunctionGetParams) (*store.FunctionRow, error) {
	r, err := scanFunction(db.pool.QueryRow(ctx, `SELECT `+functionColumns+` FROM functions WHERE account = $1 AND name = $2`, p.Account, p.Name))
	return r, notFound(err)
}

// FunctionList returns functions by account and name.
func (db *DB) FunctionList(ctx context.Context, p *store.FunctionListParams) ([]*store.FunctionRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+functionColumns+` FROM functions WHERE ($1 = '' OR account = $1) AND name > $2
		ORDER BY account COLLATE "C", name LIMIT $3`, p.Account, p.After, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.FunctionRow, error) { return scanFunction(r) })
}

// FunctionUpdate replaces a function's mutable fields.
func (db *DB) FunctionUpdate(ctx context.Context, p *store.FunctionUpdateParams) error {
	r := p.Row
	return db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE functions SET spec = $1, aliases = $2, tags = $3, reserved = $4, next_version = $5, revision = $6, modified = $7
			WHERE account = $8 AND name = $9 AND ($10 = '' OR revision = $10)`,
			r.Spec, r.Aliases, r.Tags, r.Reserved, r.NextVersion, r.Revision, r.Modified, r.Account, r.Name, p.IfRevision)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM functions WHERE account = $1 AND name = $2`, r.Account, r.Name).Scan(&one); err != nil {
			return notFound(err)
		}
		return store.ErrConflict
	})
}

// FunctionDelete removes a function and its versions.
func (db *DB) FunctionDelete(ctx context.Context, p *store.FunctionGetParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM functions WHERE account = $1 AND name = $2`, p.Account, p.Name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM function_versions WHERE account = $1 AND name = $2`, p.Account, p.Name)
		return err
	})
}

// FunctionVersionCreate inserts a published version.
func (db *DB) FunctionVersionCreate(ctx context.Context, p *store.FunctionVersionCreateParams) error {
	r := p.Row
	_, err := db.pool.Exec(ctx, `INSERT INTO function_versions (account, name, version, spec, created) VALUES ($1, $2, $3, $4, $5)`,
		r.Account, r.Name, r.Version, r.Spec, r.Created)
	if isUnique(err) {
		return store.ErrAlreadyExists
	}
	return err
}

// FunctionVersionGet returns one version.
func (db *DB) FunctionVersionGet(ctx context.Context, p *store.FunctionVersionGetParams) (*store.FunctionVersionRow, error) {
	r := &store.FunctionVersionRow{Account: p.Account, Name: p.Name, Version: p.Version}
	err := db.pool.QueryRow(ctx, `SELECT spec, created FROM function_versions WHERE account = $1 AND name = $2 AND version = $3`,
		p.Account, p.Name, p.Version).Scan(&r.Spec, &r.Created)
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// FunctionVersionList returns a function's versions.
func (db *DB) FunctionVersionList(ctx context.Context, p *store.FunctionGetParams) ([]*store.FunctionVersionRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT version, spec, created FROM function_versions WHERE account = $1 AND name = $2 ORDER BY version`, p.Account, p.Name)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.FunctionVersionRow, error) {
		r := &store.FunctionVersionRow{Account: p.Account, Name: p.Name}
		err := row.Scan(&r.Version, &r.Spec, &r.Created)
		return r, err
	})
}

// FunctionVersionDelete removes a version.
func (db *DB) FunctionVersionDelete(ctx context.Context, p *store.FunctionVersionGetParams) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM function_versions WHERE account = $1 AND name = $2 AND version = $3`, p.Account, p.Name, p.Version)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

const functionEventColumns = `id, account, name, qualifier, payload, attempt, due, created, owner, lease_until`

// FunctionEventEnqueue stores an asynchronous invocation.
func (db *DB) FunctionEventEnqueue(ctx context.Context, p *store.FunctionEventEnqueueParams) error {
	r := p.Row
	_, err := db.pool.Exec(ctx, `INSERT INTO function_events (`+functionEventColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, r.Account, r.Name, r.Qualifier, r.Payload, r.Attempt, r.Due, r.Created, r.Owner, r.LeaseUntil)
	if isUnique(err) {
		return store.ErrAlreadyExists
	}
	return err
}

// FunctionEventClaim leases due invocations; SKIP LOCKED keeps two nodes from claiming the same.
func (db *DB) FunctionEventClaim(ctx context.Context, p *store.FunctionEventClaimParams) ([]*store.FunctionEventRow, error) {
	rows, err := db.pool.Query(ctx, `UPDATE function_events SET owner = $1, lease_until = $2
		WHERE id IN (SELECT id FROM function_events WHERE due <= $3 AND lease_until <= $3 ORDER BY due LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+functionEventColumns, p.Owner, p.Until, p.Now, p.Limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.FunctionEventRow, error) {
		r := &store.FunctionEventRow{}
		err := row.Scan(&r.ID, &r.Account, &r.Name, &r.Qualifier, &r.Payload, &r.Attempt, &r.Due, &r.Created, &r.Owner, &r.LeaseUntil)
		return r, err
	})
}

// FunctionEventDelete removes an invocation that Owner holds.
func (db *DB) FunctionEventDelete(ctx context.Context, p *store.FunctionEventDeleteParams) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM function_events WHERE id = $1 AND owner = $2`, p.ID, p.Owner)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// FunctionEventRetry reschedules an invocation that Owner holds.
func (db *DB) FunctionEventRetry(ctx context.Context, p *store.FunctionEventRetryParams) error {
	tag, err := db.pool.Exec(ctx, `UPDATE function_events SET attempt = $1, due = $2, owner = '', lease_until = 0 WHERE id = $3 AND owner = $4`,
		p.Attempt, p.Due, p.ID, p.Owner)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
