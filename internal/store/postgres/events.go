package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

const ruleColumns = `account, bus, name, arn, spec, state, modified`

func scanRule(sc pgx.Row) (*store.RuleRow, error) {
	r := &store.RuleRow{}
	return r, sc.Scan(&r.Account, &r.Bus, &r.Name, &r.ARN, &r.Spec, &r.State, &r.Modified)
}

// RulePut inserts or replaces a rule.
func (db *DB) RulePut(ctx context.Context, r *store.RuleRow) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO event_rules (`+ruleColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (account, bus, name) DO UPDATE SET arn = excluded.arn, spec = excluded.spec, state = excluded.state, modified = excluded.modified`,
		r.Account, r.Bus, r.Name, r.ARN, r.Spec, r.State, r.Modified)
	return err
}

// RuleGet returns one rule.
func (db *DB) RuleGet(ctx context.Context, p *store.RuleGetParams) (*store.RuleRow, error) {
	r, err := scanRule(db.pool.QueryRow(ctx, `SELECT `+ruleColumns+` FROM event_rules WHERE account = $1 AND bus = $2 AND name = $3`, p.Account, p.Bus, p.Name))
	return r, notFound(err)
}

// RuleList returns a bus's rules by name.
func (db *DB) RuleList(ctx context.Context, p *store.RuleListParams) ([]*store.RuleRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+ruleColumns+` FROM event_rules
		WHERE account = $1 AND bus = $2 AND name COLLATE "C" > $3 AND starts_with(name, $4) ORDER BY name COLLATE "C" LIMIT $5`,
		p.Account, p.Bus, p.After, p.NamePrefix, limitArg(p.Limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.RuleRow, error) { return scanRule(r) })
}

// RuleDelete removes a rule without targets.
func (db *DB) RuleDelete(ctx context.Context, p *store.RuleGetParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM event_rules WHERE account = $1 AND bus = $2 AND name = $3 FOR UPDATE`, p.Account, p.Bus, p.Name).Scan(&one); err != nil {
			return notFound(err)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM event_targets WHERE account = $1 AND bus = $2 AND rule = $3`, p.Account, p.Bus, p.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrConflict
		}
		return affected(tx.Exec(ctx, `DELETE FROM event_rules WHERE account = $1 AND bus = $2 AND name = $3`, p.Account, p.Bus, p.Name))
	})
}

// TargetsPut inserts or replaces targets of a rule.
func (db *DB) TargetsPut(ctx context.Context, p *store.TargetsPutParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM event_rules WHERE account = $1 AND bus = $2 AND name = $3 FOR SHARE`, p.Rule.Account, p.Rule.Bus, p.Rule.Name).Scan(&one); err != nil {
			return notFound(err)
		}
		for _, t := range p.Targets {
			if _, err := tx.Exec(ctx, `INSERT INTO event_targets (account, bus, rule, id, arn, spec) VALUES ($1, $2, $3, $4, $5, $6)
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
	err := db.write(ctx, func(tx pgx.Tx) error {
		missing = missing[:0]
		for _, id := range p.IDs {
			tag, err := tx.Exec(ctx, `DELETE FROM event_targets WHERE account = $1 AND bus = $2 AND rule = $3 AND id = $4`, p.Rule.Account, p.Rule.Bus, p.Rule.Name, id)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				missing = append(missing, id)
			}
		}
		return nil
	})
	return missing, err
}

// TargetsList returns a rule's targets by id.
func (db *DB) TargetsList(ctx context.Context, p *store.RuleGetParams) ([]*store.TargetRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, arn, spec FROM event_targets WHERE account = $1 AND bus = $2 AND rule = $3 ORDER BY id COLLATE "C"`, p.Account, p.Bus, p.Name)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.TargetRow, error) {
		t := &store.TargetRow{}
		return t, r.Scan(&t.ID, &t.ARN, &t.Spec)
	})
}

// DeliveriesAdd records deliveries.
func (db *DB) DeliveriesAdd(ctx context.Context, rows []*store.DeliveryRow) error {
	if len(rows) == 0 {
		return nil
	}
	return db.write(ctx, func(tx pgx.Tx) error {
		for _, r := range rows {
			if _, err := tx.Exec(ctx, `INSERT INTO event_deliveries (id, account, rule, target, input, attempts, next_at, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				r.ID, r.Account, r.Rule, r.Target, r.Input, r.Attempts, r.NextAt, r.Created); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeliveriesClaim leases due deliveries (FOR UPDATE SKIP LOCKED: concurrent claimers never
// share a row).
func (db *DB) DeliveriesClaim(ctx context.Context, p *store.DeliveriesClaimParams) ([]*store.DeliveryRow, error) {
	rows, err := db.pool.Query(ctx, `UPDATE event_deliveries SET lease_owner = $1, lease_until = $2
		WHERE id IN (SELECT id FROM event_deliveries WHERE next_at <= $3 AND lease_until <= $3 ORDER BY next_at LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING id, account, rule, target, input, attempts, next_at, created`, p.Owner, p.Until, p.Now, p.Limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.DeliveryRow, error) {
		d := &store.DeliveryRow{}
		return d, r.Scan(&d.ID, &d.Account, &d.Rule, &d.Target, &d.Input, &d.Attempts, &d.NextAt, &d.Created)
	})
}

// DeliveryDelete removes a delivery.
func (db *DB) DeliveryDelete(ctx context.Context, id string) error {
	return affected(db.pool.Exec(ctx, `DELETE FROM event_deliveries WHERE id = $1`, id))
}

// DeliveryRetry reschedules a delivery.
func (db *DB) DeliveryRetry(ctx context.Context, p *store.DeliveryRetryParams) error {
	return affected(db.pool.Exec(ctx, `UPDATE event_deliveries SET attempts = $1, next_at = $2, lease_owner = '', lease_until = 0 WHERE id = $3`, p.Attempts, p.NextAt, p.ID))
}
