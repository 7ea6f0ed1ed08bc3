package sqlite

import (
	"context"
	"database/sql"
	"slices"

	"github.com/ceap/ceap/internal/store"
)

const alarmColumns = `account, name, arn, spec, tags, state, state_reason, state_reason_data, state_updated, state_transitioned, modified, version, pending_actions`

func scanAlarm(sc interface{ Scan(...any) error }) (*store.AlarmRow, error) {
	r := &store.AlarmRow{}
	err := sc.Scan(&r.Account, &r.Name, &r.ARN, &r.Spec, &r.Tags, &r.State, &r.StateReason, &r.StateReasonData, &r.StateUpdated, &r.StateTransitioned, &r.Modified, &r.Version, &r.PendingActions)
	return r, err
}

func addAlarmHistory(ctx context.Context, tx *sql.Tx, items []*store.AlarmHistoryRow) error {
	for _, h := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alarm_history (account, alarm_name, alarm_type, time, item_type, summary, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			h.Account, h.AlarmName, h.AlarmType, h.Time, h.ItemType, h.Summary, h.Data); err != nil {
			return err
		}
	}
	return nil
}

// AlarmPut inserts an alarm or replaces its configuration.
func (db *DB) AlarmPut(ctx context.Context, p *store.AlarmPutParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alarms (`+alarmColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
			ON CONFLICT (account, name) DO UPDATE SET spec = excluded.spec, modified = excluded.modified, version = version + 1`,
			r.Account, r.Name, r.ARN, r.Spec, r.Tags, r.State, r.StateReason, r.StateReasonData, r.StateUpdated, r.StateTransitioned, r.Modified, r.PendingActions); err != nil {
			return err
		}
		return addAlarmHistory(ctx, tx, p.History)
	})
}

// AlarmGet returns one alarm.
func (db *DB) AlarmGet(ctx context.Context, p *store.AlarmGetParams) (*store.AlarmRow, error) {
	var out *store.AlarmRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanAlarm(c.QueryRowContext(ctx, `SELECT `+alarmColumns+` FROM alarms WHERE account = ? AND name = ?`, p.Account, p.Name))
		return notFound(err)
	})
	return out, err
}

// AlarmList returns alarms by account and name.
func (db *DB) AlarmList(ctx context.Context, p *store.AlarmListParams) ([]*store.AlarmRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.AlarmRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+alarmColumns+` FROM alarms
			WHERE (? = '' OR (account = ? AND name > ?)) AND substr(name, 1, length(?)) = ?
			ORDER BY account, name LIMIT ?`, p.Account, p.Account, p.After, p.NamePrefix, p.NamePrefix, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanAlarm(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// AlarmUpdate writes an alarm's state, spec and tags when its version is unchanged.
func (db *DB) AlarmUpdate(ctx context.Context, p *store.AlarmUpdateParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE alarms SET spec = ?, tags = ?, state = ?, state_reason = ?, state_reason_data = ?,
			state_updated = ?, state_transitioned = ?, modified = ?, pending_actions = ?, version = version + 1
			WHERE account = ? AND name = ? AND version = ?`,
			r.Spec, r.Tags, r.State, r.StateReason, r.StateReasonData, r.StateUpdated, r.StateTransitioned, r.Modified, r.PendingActions, r.Account, r.Name, p.IfVersion)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM alarms WHERE account = ? AND name = ?`, r.Account, r.Name).Scan(&one); err != nil {
				return notFound(err)
			}
			return store.ErrConflict
		}
		return addAlarmHistory(ctx, tx, p.History)
	})
}

// AlarmDelete removes the named alarms.
func (db *DB) AlarmDelete(ctx context.Context, p *store.AlarmDeleteParams) (int, error) {
	n := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, name := range p.Names {
			res, err := tx.ExecContext(ctx, `DELETE FROM alarms WHERE account = ? AND name = ?`, p.Account, name)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

// AlarmHistoryList returns history items.
func (db *DB) AlarmHistoryList(ctx context.Context, p *store.AlarmHistoryListParams) ([]*store.AlarmHistoryRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	to := p.To
	if to <= 0 {
		to = 1 << 62
	}
	q := `SELECT seq, account, alarm_name, alarm_type, time, item_type, summary, data FROM alarm_history
		WHERE account = ? AND (? = '' OR alarm_name = ?) AND (? = '' OR item_type = ?) AND time >= ? AND time < ?`
	if p.OldestFirst {
		q += ` AND seq > ? ORDER BY seq LIMIT ?`
	} else {
		q += ` AND (? = 0 OR seq < ?) ORDER BY seq DESC LIMIT ?`
	}
	args := []any{p.Account, p.AlarmName, p.AlarmName, p.ItemType, p.ItemType, p.From, to, p.After}
	if !p.OldestFirst {
		args = append(args, p.After)
	}
	args = append(args, limit)
	var out []*store.AlarmHistoryRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			h := &store.AlarmHistoryRow{}
			if err := rows.Scan(&h.Seq, &h.Account, &h.AlarmName, &h.AlarmType, &h.Time, &h.ItemType, &h.Summary, &h.Data); err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, err
}

// AlarmHistoryPrune deletes old history items.
func (db *DB) AlarmHistoryPrune(ctx context.Context, p *store.AlarmHistoryPruneParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM alarm_history WHERE time < ?`, p.Before)
		return err
	})
}

// alarmClaimRetention is how long evaluation claims are kept (ms).
const alarmClaimRetention = 24 * 60 * 60 * 1000

// AlarmEvaluationClaim claims one minute's evaluation.
func (db *DB) AlarmEvaluationClaim(ctx context.Context, p *store.AlarmEvaluationClaimParams) (bool, error) {
	claimed := false
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO alarm_evaluations (minute, owner, claimed) VALUES (?, ?, ?) ON CONFLICT (minute) DO NOTHING`, p.Minute, p.Owner, p.Now)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		claimed = n == 1
		_, err = tx.ExecContext(ctx, `DELETE FROM alarm_evaluations WHERE minute < ?`, p.Minute-alarmClaimRetention)
		return err
	})
	return claimed, err
}

// DashboardPut creates or replaces a dashboard.
func (db *DB) DashboardPut(ctx context.Context, p *store.DashboardPutParams) error {
	r := p.Row
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO dashboards (account, name, arn, body, modified) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account, name) DO UPDATE SET body = excluded.body, modified = excluded.modified`, r.Account, r.Name, r.ARN, r.Body, r.Modified)
		return err
	})
}

// DashboardGet returns one dashboard.
func (db *DB) DashboardGet(ctx context.Context, p *store.DashboardGetParams) (*store.DashboardRow, error) {
	r := &store.DashboardRow{}
	err := db.read(ctx, func(c *sql.Conn) error {
		return notFound(c.QueryRowContext(ctx, `SELECT account, name, arn, body, modified FROM dashboards WHERE account = ? AND name = ?`, p.Account, p.Name).
			Scan(&r.Account, &r.Name, &r.ARN, &r.Body, &r.Modified))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DashboardList returns dashboards by name.
func (db *DB) DashboardList(ctx context.Context, p *store.DashboardListParams) ([]*store.DashboardRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.DashboardRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT account, name, arn, body, modified FROM dashboards
			WHERE account = ? AND name > ? AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ?`, p.Account, p.After, p.NamePrefix, p.NamePrefix, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := &store.DashboardRow{}
			if err := rows.Scan(&r.Account, &r.Name, &r.ARN, &r.Body, &r.Modified); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// DashboardDelete removes dashboards, all or none.
func (db *DB) DashboardDelete(ctx context.Context, p *store.DashboardDeleteParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, name := range distinct(p.Names) {
			res, err := tx.ExecContext(ctx, `DELETE FROM dashboards WHERE account = ? AND name = ?`, p.Account, name)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return store.ErrNotFound
			}
		}
		return nil
	})
}

// distinct returns names without repeats, sorted.
func distinct(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}
