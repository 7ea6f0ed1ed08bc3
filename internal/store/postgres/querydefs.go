package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

var _ store.QueryDefinitionStore = (*DB)(nil)

const queryDefColumns = `id, account, name, query, log_groups, last_modified`

func scanQueryDef(sc pgx.Row) (*store.QueryDefinitionRow, error) {
	r := &store.QueryDefinitionRow{}
	return r, sc.Scan(&r.ID, &r.Account, &r.Name, &r.Query, &r.LogGroups, &r.LastModified)
}

// QueryDefinitionPut inserts or replaces a saved Logs Insights query. An insert with a bound
// holds a transaction lock on the account's definitions, so that two nodes inserting at once
// cannot both pass the count.
func (db *DB) QueryDefinitionPut(ctx context.Context, p *store.QueryDefinitionPutParams) error {
	r := p.Row
	if p.Update {
		return affected(db.pool.Exec(ctx, `UPDATE log_query_definitions SET name = $1, query = $2, log_groups = $3, last_modified = $4 WHERE id = $5 AND account = $6`,
			r.Name, r.Query, r.LogGroups, r.LastModified, r.ID, r.Account))
	}
	return db.write(ctx, func(tx pgx.Tx) error {
		if p.Max > 0 {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('log_query_definitions/' || $1, 0))`, r.Account); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM log_query_definitions WHERE account = $1`, r.Account).Scan(&n); err != nil {
				return err
			}
			if n >= p.Max {
				return store.ErrLimitExceeded
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO log_query_definitions (`+queryDefColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.ID, r.Account, r.Name, r.Query, r.LogGroups, r.LastModified)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// QueryDefinitionGet returns a saved query of an account.
func (db *DB) QueryDefinitionGet(ctx context.Context, account, id string) (*store.QueryDefinitionRow, error) {
	r, err := scanQueryDef(db.pool.QueryRow(ctx, `SELECT `+queryDefColumns+` FROM log_query_definitions WHERE id = $1 AND account = $2`, id, account))
	return r, notFound(err)
}

// QueryDefinitionList returns an account's saved queries by name, then id (byte order).
func (db *DB) QueryDefinitionList(ctx context.Context, p *store.QueryDefinitionListParams) ([]*store.QueryDefinitionRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+queryDefColumns+` FROM log_query_definitions
		WHERE account = $1 AND left(name, char_length($2)) = $2
			AND (name COLLATE "C" > $3 OR (name = $3 AND id COLLATE "C" > $4))
		ORDER BY name COLLATE "C", id COLLATE "C" LIMIT $5`, p.Account, p.Prefix, p.AfterName, p.AfterID, limitArg(p.Limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.QueryDefinitionRow, error) { return scanQueryDef(r) })
}

// QueryDefinitionDelete removes a saved query of an account.
func (db *DB) QueryDefinitionDelete(ctx context.Context, account, id string) error {
	return affected(db.pool.Exec(ctx, `DELETE FROM log_query_definitions WHERE id = $1 AND account = $2`, id, account))
}

// QueryDefinitionCount returns how many saved queries an account holds.
func (db *DB) QueryDefinitionCount(ctx context.Context, account string) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM log_query_definitions WHERE account = $1`, account).Scan(&n)
	return n, err
}
