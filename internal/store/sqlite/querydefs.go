package sqlite

import (
	"context"
	"database/sql"

	"github.com/ceap/ceap/internal/store"
)

var _ store.QueryDefinitionStore = (*DB)(nil)

const queryDefColumns = `id, account, name, query, log_groups, last_modified`

func scanQueryDef(sc interface{ Scan(...any) error }) (*store.QueryDefinitionRow, error) {
	r := &store.QueryDefinitionRow{}
	return r, sc.Scan(&r.ID, &r.Account, &r.Name, &r.Query, &r.LogGroups, &r.LastModified)
}

// QueryDefinitionPut inserts or replaces a saved Logs Insights query. The writer is single, so
// the count of an insert and the insert are atomic.
func (db *DB) QueryDefinitionPut(ctx context.Context, p *store.QueryDefinitionPutParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		if p.Update {
			res, err := tx.ExecContext(ctx, `UPDATE log_query_definitions SET name = ?, query = ?, log_groups = ?, last_modified = ? WHERE id = ? AND account = ?`,
				r.Name, r.Query, r.LogGroups, r.LastModified, r.ID, r.Account)
			return affected(res, err)
		}
		if p.Max > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM log_query_definitions WHERE account = ?`, r.Account).Scan(&n); err != nil {
				return err
			}
			if n >= p.Max {
				return store.ErrLimitExceeded
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO log_query_definitions (`+queryDefColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			r.ID, r.Account, r.Name, r.Query, r.LogGroups, r.LastModified)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// QueryDefinitionGet returns a saved query of an account.
func (db *DB) QueryDefinitionGet(ctx context.Context, account, id string) (*store.QueryDefinitionRow, error) {
	var out *store.QueryDefinitionRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanQueryDef(c.QueryRowContext(ctx, `SELECT `+queryDefColumns+` FROM log_query_definitions WHERE id = ? AND account = ?`, id, account))
		return notFound(err)
	})
	return out, err
}

// QueryDefinitionList returns an account's saved queries by name, then id.
func (db *DB) QueryDefinitionList(ctx context.Context, p *store.QueryDefinitionListParams) ([]*store.QueryDefinitionRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.QueryDefinitionRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+queryDefColumns+` FROM log_query_definitions
			WHERE account = ? AND substr(name, 1, length(?)) = ? AND (name > ? OR (name = ? AND id > ?))
			ORDER BY name, id LIMIT ?`, p.Account, p.Prefix, p.Prefix, p.AfterName, p.AfterName, p.AfterID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanQueryDef(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// QueryDefinitionDelete removes a saved query of an account.
func (db *DB) QueryDefinitionDelete(ctx context.Context, account, id string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM log_query_definitions WHERE id = ? AND account = ?`, id, account)
		return affected(res, err)
	})
}

// QueryDefinitionCount returns how many saved queries an account holds.
func (db *DB) QueryDefinitionCount(ctx context.Context, account string) (int, error) {
	var n int
	err := db.read(ctx, func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, `SELECT count(*) FROM log_query_definitions WHERE account = ?`, account).Scan(&n)
	})
	return n, err
}
