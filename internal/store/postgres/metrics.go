package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

// MetricsAdd merges the points into their minutes.
func (db *DB) MetricsAdd(ctx context.Context, p *store.MetricsAddParams) error {
	if len(p.Points) == 0 {
		return nil
	}
	return db.write(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, m := range p.Points {
			b.Queue(`INSERT INTO metric_points (account, namespace, name, dimensions, minute, unit, count, sum, min, max)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (account, namespace, name, dimensions, minute) DO UPDATE SET
					count = metric_points.count + excluded.count, sum = metric_points.sum + excluded.sum,
					min = LEAST(metric_points.min, excluded.min), max = GREATEST(metric_points.max, excluded.max),
					unit = CASE WHEN excluded.unit = '' THEN metric_points.unit ELSE excluded.unit END`,
				m.Account, m.Namespace, m.Name, m.Dimensions, m.Minute, m.Unit, m.Count, m.Sum, m.Min, m.Max)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// MetricsList returns one metric's points in [From, To).
func (db *DB) MetricsList(ctx context.Context, p *store.MetricsListParams) ([]*store.MetricPoint, error) {
	rows, err := db.pool.Query(ctx, `SELECT account, namespace, name, dimensions, minute, unit, count, sum, min, max FROM metric_points
		WHERE account = $1 AND namespace = $2 AND name = $3 AND dimensions = $4 AND minute >= $5 AND minute < $6 ORDER BY minute`,
		p.Account, p.Namespace, p.Name, p.Dimensions, p.From, p.To)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.MetricPoint, error) {
		m := &store.MetricPoint{}
		err := r.Scan(&m.Account, &m.Namespace, &m.Name, &m.Dimensions, &m.Minute, &m.Unit, &m.Count, &m.Sum, &m.Min, &m.Max)
		return m, err
	})
}

// MetricNamesList returns the distinct metrics of an account.
func (db *DB) MetricNamesList(ctx context.Context, p *store.MetricNamesListParams) ([]*store.MetricName, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT namespace, name, dimensions FROM metric_points
		WHERE account = $1 AND ($2 = '' OR namespace = $2) AND ($3 = '' OR name = $3) ORDER BY namespace, name, dimensions`,
		p.Account, p.Namespace, p.Name)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.MetricName, error) {
		m := &store.MetricName{}
		err := r.Scan(&m.Namespace, &m.Name, &m.Dimensions)
		return m, err
	})
}
