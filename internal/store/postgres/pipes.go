package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

const pipeColumns = `account, name, arn, source, target, spec, tags, desired_state, current_state, state_reason, created, modified`

func scanPipe(sc pgx.Row) (*store.PipeRow, error) {
	r := &store.PipeRow{}
	err := sc.Scan(&r.Account, &r.Name, &r.ARN, &r.Source, &r.Target, &r.Spec, &r.Tags, &r.DesiredState, &r.CurrentState, &r.StateReason, &r.Created, &r.Modified)
	return r, err
}

// PipeCreate inserts a pipe.
func (db *DB) PipeCreate(ctx context.Context, p *store.PipeCreateParams) error {
	r := p.Row
	_, err := db.pool.Exec(ctx, `INSERT INTO pipes (`+pipeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.Account, r.Name, r.ARN, r.Source, r.Target, r.Spec, r.Tags, r.DesiredState, r.CurrentState, r.StateReason, r.Created, r.Modified)
	if isUnique(err) {
		return store.ErrAlreadyExists
	}
	return err
}

// PipeGet returns one pipe.
func (db *DB) PipeGet(ctx context.Context, p *store.PipeGetParams) (*store.PipeRow, error) {
	r, err := scanPipe(db.pool.QueryRow(ctx, `SELECT `+pipeColumns+` FROM pipes WHERE account = $1 AND name = $2`, p.Account, p.Name))
	return r, notFound(err)
}

// PipeList returns pipes by account and name.
func (db *DB) PipeList(ctx context.Context, p *store.PipeListParams) ([]*store.PipeRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+pipeColumns+` FROM pipes
		WHERE ($1 = '' OR (account = $1 AND name COLLATE "C" > $2)) AND starts_with(name, $3)
		ORDER BY account COLLATE "C", name COLLATE "C" LIMIT $4`, p.Account, p.After, p.NamePrefix, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.PipeRow, error) { return scanPipe(r) })
}

// PipeUpdate replaces a pipe's mutable fields.
func (db *DB) PipeUpdate(ctx context.Context, p *store.PipeUpdateParams) error {
	r := p.Row
	return db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE pipes SET target = $1, spec = $2, tags = $3, desired_state = $4, current_state = $5, state_reason = $6, modified = $7
			WHERE account = $8 AND name = $9 AND ($10::bigint = 0 OR modified = $10::bigint)`,
			r.Target, r.Spec, r.Tags, r.DesiredState, r.CurrentState, r.StateReason, r.Modified, r.Account, r.Name, p.IfModified)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM pipes WHERE account = $1 AND name = $2`, r.Account, r.Name).Scan(&one); err != nil {
			return notFound(err)
		}
		return store.ErrConflict
	})
}

// PipeDelete removes a pipe.
func (db *DB) PipeDelete(ctx context.Context, p *store.PipeGetParams) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM pipes WHERE account = $1 AND name = $2`, p.Account, p.Name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// PipeLeaseClaim takes or renews a pipe's lease.
func (db *DB) PipeLeaseClaim(ctx context.Context, p *store.PipeLeaseParams) (bool, error) {
	held := false
	err := db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE pipes SET lease_owner = $1, lease_until = $2
			WHERE account = $3 AND name = $4 AND (lease_owner = '' OR lease_owner = $1 OR lease_until <= $5)`,
			p.Owner, p.Until, p.Account, p.Name, p.Now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			held = true
			return nil
		}
		var one int
		return notFound(tx.QueryRow(ctx, `SELECT 1 FROM pipes WHERE account = $1 AND name = $2`, p.Account, p.Name).Scan(&one))
	})
	return held, err
}

// PipeLeaseRelease frees a lease that Owner holds.
func (db *DB) PipeLeaseRelease(ctx context.Context, p *store.PipeLeaseParams) error {
	_, err := db.pool.Exec(ctx, `UPDATE pipes SET lease_owner = '', lease_until = 0 WHERE account = $1 AND name = $2 AND lease_owner = $3`, p.Account, p.Name, p.Owner)
	return err
}
