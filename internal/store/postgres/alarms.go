package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

const alarmColumns = `account, name, arn, spec, tags, state, state_reason, state_reason_data, state_updated, state_transitioned, modified, version, pending_actions`

func scanAlarm(sc pgx.Row) (*store.AlarmRow, error) {
	r := &store.AlarmRow{}
	err := sc.Scan(&r.Account, &r.Name, &r.ARN, &r.Spec, &r.Tags, &r.State, &r.StateReason, &r.StateReasonData, &r.StateUpdated, &r.StateTransitioned, &r.Modified, &r.Version, &r.PendingActions)
	return r, err
}

func addAlarmHistory(ctx context.Context, tx pgx.Tx, items []*store.AlarmHistoryRow) error {
	for _, h := range items {
		if _, err := tx.Exec(ctx, `INSERT INTO alarm_history (account, alarm_name, alarm_type, time, item_type, summary, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			h.Account, h.AlarmName, h.AlarmType, h.Time, h.ItemType, h.Summary, h.Data); err != nil {
			return err
		}
	}
	return nil
}

// AlarmPut inserts an alarm or replaces its configuration.
func (db *DB) AlarmPut(ctx context.Context, p *store.AlarmPutParams) error {
	r := p.Row
	return db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO alarms (`+alarmColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12)
			ON CONFLICT (account, name) DO UPDATE SET spec = excluded.spec, modified = excluded.modified, version = alarms.version + 1`,
			r.Account, r.Name, r.ARN, r.Spec, r.Tags, r.State, r.StateReason, r.StateReasonData, r.StateUpdated, r.StateTransitioned, r.Modified, r.PendingActions); err != nil {
			return err
		}
		return addAlarmHistory(ctx, tx, p.History)
	})
}

// AlarmGet returns one alarm.
func (db *DB) AlarmGet(ctx context.Context, p *store.AlarmGetParams) (*store.AlarmRow, error) {
	r, err := scanAlarm(db.pool.QueryRow(ctx, `SELECT `+alarmColumns+` FROM alarms WHERE account = $1 AND name = $2`, p.Account, p.Name))
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// AlarmList returns alarms by account and name.
func (db *DB) AlarmList(ctx context.Context, p *store.AlarmListParams) ([]*store.AlarmRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+alarmColumns+` FROM alarms
		WHERE ($1 = '' OR (account = $1 AND name COLLATE "C" > $2)) AND starts_with(name, $3)
		ORDER BY account COLLATE "C", name COLLATE "C" LIMIT $4`, p.Account, p.After, p.NamePrefix, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.AlarmRow, error) { return scanAlarm(r) })
}

// AlarmUpdate writes an alarm's state, spec and tags when its version is unchanged.
func (db *DB) AlarmUpdate(ctx context.Context, p *store.AlarmUpdateParams) error {
	r := p.Row
	return db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE alarms SET spec = $1, tags = $2, state = $3, state_reason = $4, state_reason_data = $5,
			state_updated = $6, state_transitioned = $7, modified = $8, pending_actions = $9, version = version + 1
			WHERE account = $10 AND name = $11 AND version = $12`,
			r.Spec, r.Tags, r.State, r.StateReason, r.StateReasonData, r.StateUpdated, r.StateTransitioned, r.Modified, r.PendingActions, r.Account, r.Name, p.IfVersion)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			var one int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM alarms WHERE account = $1 AND name = $2`, r.Account, r.Name).Scan(&one); err != nil {
				return notFound(err)
			}
			return store.ErrConflict
		}
		return addAlarmHistory(ctx, tx, p.History)
	})
}

// AlarmDelete removes the named alarms.
func (db *DB) AlarmDelete(ctx context.Context, p *store.AlarmDeleteParams) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM alarms WHERE account = $1 AND name = ANY($2)`, p.Account, p.Names)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// AlarmHistoryList returns history items.
func (db *DB) AlarmHistoryList(ctx context.Context, p *store.AlarmHistoryListParams) ([]*store.AlarmHistoryRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	to := p.To
	if to <= 0 {
		to = 1 << 62
	}
	q := `SELECT seq, account, alarm_name, alarm_type, time, item_type, summary, data FROM alarm_history
		WHERE account = $1 AND ($2 = '' OR alarm_name = $2) AND ($3 = '' OR item_type = $3) AND time >= $4 AND time < $5`
	if p.OldestFirst {
		q += ` AND seq > $6 ORDER BY seq LIMIT $7`
	} else {
		q += ` AND ($6::bigint = 0 OR seq < $6::bigint) ORDER BY seq DESC LIMIT $7`
	}
	rows, err := db.pool.Query(ctx, q, p.Account, p.AlarmName, p.ItemType, p.From, to, p.After, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.AlarmHistoryRow, error) {
		h := &store.AlarmHistoryRow{}
		err := r.Scan(&h.Seq, &h.Account, &h.AlarmName, &h.AlarmType, &h.Time, &h.ItemType, &h.Summary, &h.Data)
		return h, err
	})
}

// AlarmHistoryPrune deletes old history items.
func (db *DB) AlarmHistoryPrune(ctx context.Context, p *store.AlarmHistoryPruneParams) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM alarm_history WHERE time < $1`, p.Before)
	return err
}

// alarmClaimRetention is how long evaluation claims are kept (ms).
const alarmClaimRetention = 24 * 60 * 60 * 1000

// AlarmEvaluationClaim claims one minute's evaluation.
func (db *DB) AlarmEvaluationClaim(ctx context.Context, p *store.AlarmEvaluationClaimParams) (bool, error) {
	claimed := false
	err := db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO alarm_evaluations (minute, owner, claimed) VALUES ($1, $2, $3) ON CONFLICT (minute) DO NOTHING`, p.Minute, p.Owner, p.Now)
		if err != nil {
			return err
		}
		claimed = tag.RowsAffected() == 1
		_, err = tx.Exec(ctx, `DELETE FROM alarm_evaluations WHERE minute < $1`, p.Minute-alarmClaimRetention)
		return err
	})
	return claimed, err
}

// DashboardPut creates or replaces a dashboard.
func (db *DB) DashboardPut(ctx context.Context, p *store.DashboardPutParams) error {
	r := p.Row
	_, err := db.pool.Exec(ctx, `INSERT INTO dashboards (account, name, arn, body, modified) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (account, name) DO UPDATE SET body = excluded.body, modified = excluded.modified`, r.Account, r.Name, r.ARN, r.Body, r.Modified)
	return err
}

// DashboardGet returns one dashboard.
func (db *DB) DashboardGet(ctx context.Context, p *store.DashboardGetParams) (*store.DashboardRow, error) {
	r := &store.DashboardRow{}
	err := db.pool.QueryRow(ctx, `SELECT account, name, arn, body, modified FROM dashboards WHERE account = $1 AND name = $2`, p.Account, p.Name).
		Scan(&r.Account, &r.Name, &r.ARN, &r.Body, &r.Modified)
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// DashboardList returns dashboards by name.
func (db *DB) DashboardList(ctx context.Context, p *store.DashboardListParams) ([]*store.DashboardRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT account, name, arn, body, modified FROM dashboards
		WHERE account = $1 AND name COLLATE "C" > $2 AND starts_with(name, $3) ORDER BY name COLLATE "C" LIMIT $4`, p.Account, p.After, p.NamePrefix, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.DashboardRow, error) {
		d := &store.DashboardRow{}
		err := r.Scan(&d.Account, &d.Name, &d.ARN, &d.Body, &d.Modified)
		return d, err
	})
}

// DashboardDelete removes dashboards, all or none.
func (db *DB) DashboardDelete(ctx context.Context, p *store.DashboardDeleteParams) error {
	names := slices.Clone(p.Names)
	slices.Sort(names)
	names = slices.Compact(names)
	return db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM dashboards WHERE account = $1 AND name = ANY($2)`, p.Account, names)
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != len(names) {
			return store.ErrNotFound // the transaction rolls back
		}
		return nil
	})
}
