package sqlite

import (
	"context"
	"database/sql"

	"github.com/ceap/ceap/internal/store"
)

// MetricsAdd merges the points into their minutes.
func (db *DB) MetricsAdd(ctx context.Context, p *store.MetricsAddParams) error {
	if len(p.Points) == 0 {
		return nil
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		stmt, err := db.stmt(ctx, tx, `INSERT INTO metric_points (account, namespace, name, dimensions, minute, unit, count, sum, min, max)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, namespace, name, dimensions, minute) DO UPDATE SET
				count = count + excluded.count, sum = sum + excluded.sum,
				min = min(min, excluded.min), max = max(max, excluded.max),
				unit = CASE WHEN excluded.unit = '' THEN unit ELSE excluded.unit END`)
		if err != nil {
			return err
		}
		for _, m := range p.Points {
			if _, err := stmt.ExecContext(ctx, m.Account, m.Namespace, m.Name, m.Dimensions, m.Minute, m.Unit, m.Count, m.Sum, m.Min, m.Max); err != nil {
				return err
			}
		}
		return nil
	})
}

// MetricsList returns one metric's points in [From, To).
func (db *DB) MetricsList(ctx context.Context, p *store.MetricsListParams) ([]*store.MetricPoint, error) {
	var out []*store.MetricPoint
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT account, namespace, name, dimensions, minute, unit, count, sum, min, max FROM metric_points
			WHERE account = ? AND namespace = ? AND name = ? AND dimensions = ? AND minute >= ? AND minute < ? ORDER BY minute`,
			p.Account, p.Namespace, p.Name, p.Dimensions, p.From, p.To)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m := &store.MetricPoint{}
			if err := rows.Scan(&m.Account, &m.Namespace, &m.Name, &m.Dimensions, &m.Minute, &m.Unit, &m.Count, &m.Sum, &m.Min, &m.Max); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// MetricNamesList returns the distinct metrics of an account.
func (db *DB) MetricNamesList(ctx context.Context, p *store.MetricNamesListParams) ([]*store.MetricName, error) {
	var out []*store.MetricName
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT DISTINCT namespace, name, dimensions FROM metric_points
			WHERE account = ? AND (? = '' OR namespace = ?) AND (? = '' OR name = ?) ORDER BY namespace, name, dimensions`,
			p.Account, p.Namespace, p.Namespace, p.Name, p.Name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m := &store.MetricName{}
			if err := rows.Scan(&m.Namespace, &m.Name, &m.Dimensions); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}
