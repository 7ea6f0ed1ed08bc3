package sqlite

import (
	"context"
	"database/sql"

	"github.com/ceap/ceap/internal/store"
)

const ruleColumns = `account, bus, name, arn, spec, state, modified`

func scanRule(sc interface{ Scan(...any) error }) (*store.RuleRow, error) {
	r := &store.RuleRow{}
	return r, sc.Scan(&r.Account, &r.Bus, &r.Name, &r.ARN, &r.Spec, &r.State, &r.Modified)
}

// RulePut inserts or replaces a rule.
func (db *DB) RulePut(ctx context.Context, r *store.RuleRow) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO event_rules (`+ruleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, bus, name) DO UPDATE SET arn = excluded.arn, spec = excluded.spec, state = excluded.state, modified = excluded.modified`,
			r.Account, r.Bus, r.Name, r.ARN, r.Spec, r.State, r.Modified)
		return err
	})
}

// RuleGet returns one rule.
func (db *DB) RuleGet(ctx context.Context, p *store.RuleGetParams) (*store.RuleRow, error) {
	var out *store.RuleRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanRule(c.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM event_rules WHERE account = ? AND bus = ? AND name = ?`, p.Account, p.Bus, p.Name))
		return notFound(err)
	})
	return out, err
}

// RuleList returns a bus's rules by name.
func (db *DB) RuleList(ctx context.Context, p *store.RuleListParams) ([]*store.RuleRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.RuleRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+ruleColumns+` FROM event_rules
			WHERE account = ? AND bus = ? AND name > ? AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ?`,
			p.Account, p.Bus, p.After, p.NamePrefix, p.NamePrefix, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRule(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// RuleDelete removes a rule without targets.
func (db *DB) RuleDelete(ctx context.Context, p *store.RuleGetParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM event_targets WHERE account = ? AND bus = ? AND rule = ?`, p.Account, p.Bus, p.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrConflict
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM event_rules WHERE account = ? AND bus = ? AND name = ?`, p.Account, p.Bus, p.Name)
		return affected(res, err)
	})
}

// TargetsPut inserts or replaces targets of a rule.
func (db *DB) TargetsPut(ctx context.Context, p *store.TargetsPutParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM event_rules WHERE account = ? AND bus = ? AND name = ?`, p.Rule.Account, p.Rule.Bus, p.Rule.Name).Scan(&one); err != nil {
			return notFound(err)
		}
		for _, t := range p.Targets {
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_targets (account, bus, rule, id, arn, spec) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (account, bus, rule, id) DO UPDATE SET arn = excluded.arn, spec = excluded.spec`,
				p.Rule.Account, p.Rule.Bus, p.Rule.Name, t.ID, t.ARN, t.Spec); err != nil {
				return err
			}
		}
		return nil
	})
}

// TargetsRemove removes targets by id.
func (db *DB) TargetsRemove(ctx context.Context, p *store.TargetsRemoveParams) ([]string, error) {
	var missing []string
	err := db.write(ctx, func(tx *sql.Tx) error {
		missing = missing[:0]
		for _, id := range p.IDs {
			res, err := tx.ExecContext(ctx, `DELETE FROM event_targets WHERE account = ? AND bus = ? AND rule = ? AND id = ?`, p.Rule.Account, p.Rule.Bus, p.Rule.Name, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				missing = append(missing, id)
			}
		}
		return nil
	})
	return missing, err
}

// TargetsList returns a rule's targets by id.
func (db *DB) TargetsList(ctx context.Context, p *store.RuleGetParams) ([]*store.TargetRow, error) {
	var out []*store.TargetRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT id, arn, spec FROM event_targets WHERE account = ? AND bus = ? AND rule = ? ORDER BY id`, p.Account, p.Bus, p.Name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t := &store.TargetRow{}
			if err := rows.Scan(&t.ID, &t.ARN, &t.Spec); err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// DeliveriesAdd records deliveries.
func (db *DB) DeliveriesAdd(ctx context.Context, rows []*store.DeliveryRow) error {
	if len(rows) == 0 {
		return nil
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_deliveries (id, account, rule, target, input, attempts, next_at, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				r.ID, r.Account, r.Rule, r.Target, r.Input, r.Attempts, r.NextAt, r.Created); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeliveriesClaim leases due deliveries.
func (db *DB) DeliveriesClaim(ctx context.Context, p *store.DeliveriesClaimParams) ([]*store.DeliveryRow, error) {
	var out []*store.DeliveryRow
	err := db.write(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE event_deliveries SET lease_owner = ?, lease_until = ?
			WHERE id IN (SELECT id FROM event_deliveries WHERE next_at <= ? AND lease_until <= ? ORDER BY next_at LIMIT ?)
			RETURNING id, account, rule, target, input, attempts, next_at, created`, p.Owner, p.Until, p.Now, p.Now, p.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := &store.DeliveryRow{}
			if err := rows.Scan(&r.ID, &r.Account, &r.Rule, &r.Target, &r.Input, &r.Attempts, &r.NextAt, &r.Created); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// DeliveryDelete removes a delivery.
func (db *DB) DeliveryDelete(ctx context.Context, id string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM event_deliveries WHERE id = ?`, id)
		return affected(res, err)
	})
}

// DeliveryRetry reschedules a delivery.
func (db *DB) DeliveryRetry(ctx context.Context, p *store.DeliveryRetryParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE event_deliveries SET attempts = ?, next_at = ?, lease_owner = '', lease_until = 0 WHERE id = ?`, p.Attempts, p.NextAt, p.ID)
		return affected(res, err)
	})
}
