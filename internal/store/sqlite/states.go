package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ceap/ceap/internal/store"
)

const resourceCols = `arn, account, kind, parent, key, created, revision, doc`

func scanResource(row interface{ Scan(...any) error }) (*store.StateResource, error) {
	r := &store.StateResource{}
	err := row.Scan(&r.ARN, &r.Account, &r.Kind, &r.Parent, &r.Key, &r.Created, &r.Revision, &r.Doc)
	return r, err
}

// StateResourceGet returns one resource by ARN.
func (db *DB) StateResourceGet(ctx context.Context, p *store.StateResourceGetParams) (*store.StateResource, error) {
	var r *store.StateResource
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		r, err = scanResource(c.QueryRowContext(ctx, `SELECT `+resourceCols+` FROM sfn_resources WHERE arn = ?`, p.ARN))
		return notFound(err)
	})
	if err != nil {
		return nil, fmt.Errorf("state resource %s: %w", p.ARN, err)
	}
	return r, nil
}

// StateResourcesList returns resources of one kind in key order.
func (db *DB) StateResourcesList(ctx context.Context, p *store.StateResourcesListParams) ([]*store.StateResource, error) {
	var out []*store.StateResource
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+resourceCols+` FROM sfn_resources
			WHERE account = ? AND kind = ? AND (? = '' OR parent = ?) AND key > ? ORDER BY key LIMIT ?`,
			p.Account, p.Kind, p.Parent, p.Parent, p.After, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanResource(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// StateResourcesWrite applies puts and deletes in one transaction.
func (db *DB) StateResourcesWrite(ctx context.Context, p *store.StateResourcesWriteParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, r := range p.Puts {
			if r.Revision == 0 {
				_, err := tx.ExecContext(ctx, `INSERT INTO sfn_resources (`+resourceCols+`) VALUES (?, ?, ?, ?, ?, ?, 1, ?)`,
					r.ARN, r.Account, r.Kind, r.Parent, r.Key, r.Created, r.Doc)
				if isUnique(err) {
					return fmt.Errorf("state resource %s: %w", r.ARN, store.ErrAlreadyExists)
				}
				if err != nil {
					return fmt.Errorf("insert state resource %s: %w", r.ARN, err)
				}
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE sfn_resources SET key = ?, doc = ?, revision = revision + 1 WHERE arn = ? AND revision = ?`,
				r.Key, r.Doc, r.ARN, r.Revision)
			if err != nil {
				return fmt.Errorf("update state resource %s: %w", r.ARN, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				var rev int64
				if err := tx.QueryRowContext(ctx, `SELECT revision FROM sfn_resources WHERE arn = ?`, r.ARN).Scan(&rev); err != nil {
					return fmt.Errorf("state resource %s: %w", r.ARN, notFound(err))
				}
				return fmt.Errorf("state resource %s revision %d: %w", r.ARN, r.Revision, store.ErrConflict)
			}
		}
		for _, arn := range p.Deletes {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sfn_resources WHERE arn = ?`, arn); err != nil {
				return fmt.Errorf("delete state resource %s: %w", arn, err)
			}
		}
		return nil
	})
}

const executionCols = `arn, account, machine, name, status, express, started, stopped, redrive_count, redriven, expires, version, doc`

func scanExecution(row interface{ Scan(...any) error }, extra ...any) (*store.ExecutionRow, error) {
	e := &store.ExecutionRow{}
	dst := append([]any{&e.ARN, &e.Account, &e.StateMachineARN, &e.Name, &e.Status, &e.Express, &e.StartedAt, &e.StoppedAt, &e.RedriveCount, &e.RedrivenAt, &e.ExpiresAt, &e.Version, &e.Doc}, extra...)
	return e, row.Scan(dst...)
}

// Queries of ExecutionGet, prepared once on the reader pool.
const (
	executionGetQuery         = `SELECT ` + executionCols + ` FROM sfn_executions WHERE arn = ?`
	executionGetSnapshotQuery = `SELECT ` + executionCols + `, snapshot FROM sfn_executions WHERE arn = ?`
)

// ExecutionGet returns one execution.
func (db *DB) ExecutionGet(ctx context.Context, p *store.ExecutionGetParams) (*store.ExecutionRow, error) {
	query := executionGetQuery
	if p.WithSnapshot {
		query = executionGetSnapshotQuery
	}
	stmt, err := db.readStmt(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("execution %s: %w", p.ARN, err)
	}
	var e *store.ExecutionRow
	if p.WithSnapshot {
		var snap []byte
		e, err = scanExecution(stmt.QueryRowContext(ctx, p.ARN), &snap)
		if err == nil {
			e.Snapshot = snap
		}
	} else {
		e, err = scanExecution(stmt.QueryRowContext(ctx, p.ARN))
	}
	if err = notFound(err); err != nil {
		return nil, fmt.Errorf("execution %s: %w", p.ARN, err)
	}
	return e, nil
}

// ExecutionsList returns executions newest first.
func (db *DB) ExecutionsList(ctx context.Context, p *store.ExecutionsListParams) ([]*store.ExecutionRow, error) {
	var out []*store.ExecutionRow
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	redriven := -1
	if p.Redriven != nil {
		redriven = 0
		if *p.Redriven {
			redriven = 1
		}
	}
	before := p.BeforeStart
	if before == 0 && p.BeforeARN == "" {
		before = 1 << 62
	}
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+executionCols+` FROM sfn_executions
			WHERE machine = ? AND account = ? AND (? = '' OR status = ?)
			AND (? < 0 OR (? = 1 AND redrive_count > 0) OR (? = 0 AND redrive_count = 0))
			AND (started < ? OR (started = ? AND arn < ?))
			ORDER BY started DESC, arn DESC LIMIT ?`,
			p.StateMachineARN, p.Account, p.Status, p.Status, redriven, redriven, redriven, before, before, p.BeforeARN, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanExecution(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

func (db *DB) putExecution(ctx context.Context, tx *sql.Tx, e *store.ExecutionRow, history *store.HistoryChunk, replace bool) error {
	verb := "INSERT"
	if replace {
		verb = "INSERT OR REPLACE"
	}
	stmt, err := db.stmt(ctx, tx, verb+` INTO sfn_executions (`+executionCols+`, snapshot, history) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	var h []byte
	if history != nil {
		h = history.Events
	}
	_, err = stmt.ExecContext(ctx, e.ARN, e.Account, e.StateMachineARN, e.Name, e.Status, e.Express, e.StartedAt, e.StoppedAt, e.RedriveCount, e.RedrivenAt, e.ExpiresAt, e.Version, e.Doc, e.Snapshot, h)
	return err
}

func (db *DB) putHistory(ctx context.Context, tx *sql.Tx, h *store.HistoryChunk, replace bool) error {
	verb := "INSERT"
	if replace {
		verb = "INSERT OR REPLACE"
	}
	stmt, err := db.stmt(ctx, tx, verb+` INTO sfn_history (execution, first_id, events) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, h.ExecutionARN, h.FirstID, h.Events)
	return err
}

// ExecutionWrite advances one execution in one transaction.
func (db *DB) ExecutionWrite(ctx context.Context, p *store.ExecutionWriteParams) error {
	e := p.Execution
	return db.write(ctx, func(tx *sql.Tx) error {
		inline := p.PrevVersion == 0 && p.History != nil && p.History.FirstID == 1
		if p.PrevVersion == 0 {
			var h *store.HistoryChunk
			if inline {
				h = p.History
			}
			if err := db.putExecution(ctx, tx, e, h, false); err != nil {
				if isUnique(err) {
					return fmt.Errorf("execution %s: %w", e.ARN, store.ErrAlreadyExists)
				}
				return fmt.Errorf("insert execution %s: %w", e.ARN, err)
			}
		} else {
			stmt, err := db.stmt(ctx, tx, `UPDATE sfn_executions SET status = ?, stopped = ?, redrive_count = ?, redriven = ?, expires = ?, version = ?, doc = ?, snapshot = ?
				WHERE arn = ? AND version = ?`)
			if err != nil {
				return err
			}
			res, err := stmt.ExecContext(ctx, e.Status, e.StoppedAt, e.RedriveCount, e.RedrivenAt, e.ExpiresAt, e.Version, e.Doc, e.Snapshot, e.ARN, p.PrevVersion)
			if err != nil {
				return fmt.Errorf("update execution %s: %w", e.ARN, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("execution %s version %d: %w", e.ARN, p.PrevVersion, store.ErrConflict)
			}
		}
		if len(p.Claimed) > 0 {
			stmt, err := db.stmt(ctx, tx, `DELETE FROM sfn_work WHERE id = ? AND owner = ?`)
			if err != nil {
				return err
			}
			for _, id := range p.Claimed {
				res, err := stmt.ExecContext(ctx, id, p.ClaimOwner)
				if err != nil {
					return fmt.Errorf("delete claimed work %s: %w", id, err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return fmt.Errorf("claimed work %s: %w", id, store.ErrConflict)
				}
			}
		}
		if p.History != nil && len(p.History.Events) > 0 && !inline {
			if err := db.putHistory(ctx, tx, p.History, false); err != nil {
				return fmt.Errorf("insert history of %s: %w", e.ARN, err)
			}
		}
		if len(p.WorkDelete) > 0 {
			stmt, err := db.stmt(ctx, tx, `DELETE FROM sfn_work WHERE id = ?`)
			if err != nil {
				return err
			}
			for _, id := range p.WorkDelete {
				if _, err := stmt.ExecContext(ctx, id); err != nil {
					return fmt.Errorf("delete work %s: %w", id, err)
				}
			}
		}
		if len(p.WorkAdd) > 0 {
			stmt, err := db.stmt(ctx, tx, `INSERT OR REPLACE INTO sfn_work (id, execution, kind, ready_at, owner, doc) VALUES (?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			for _, w := range p.WorkAdd {
				if _, err := stmt.ExecContext(ctx, w.ID, w.ExecutionARN, w.Kind, w.ReadyAt, w.Owner, w.Doc); err != nil {
					return fmt.Errorf("insert work %s: %w", w.ID, err)
				}
			}
		}
		for _, id := range p.ActivityDelete {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sfn_activity_tasks WHERE id = ?`, id); err != nil {
				return fmt.Errorf("delete activity task %s: %w", id, err)
			}
		}
		for _, a := range p.ActivityAdd {
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO sfn_activity_tasks (id, activity, execution, token, input, created, claimed_at, worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				a.ID, a.ActivityARN, a.ExecutionARN, a.Token, a.Input, a.Created, a.ClaimedAt, a.Worker); err != nil {
				return fmt.Errorf("insert activity task %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

// ExecutionsRecord inserts or replaces finished executions and their history.
func (db *DB) ExecutionsRecord(ctx context.Context, p *store.ExecutionsRecordParams) error {
	if len(p.Executions) == 0 && len(p.History) == 0 {
		return nil
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, e := range p.Executions {
			if err := db.putExecution(ctx, tx, e, nil, true); err != nil {
				return fmt.Errorf("record execution %s: %w", e.ARN, err)
			}
		}
		for _, h := range p.History {
			if err := db.putHistory(ctx, tx, h, true); err != nil {
				return fmt.Errorf("record history of %s: %w", h.ExecutionARN, err)
			}
		}
		return nil
	})
}

// ExecutionsExpire deletes expired executions and their history.
func (db *DB) ExecutionsExpire(ctx context.Context, p *store.ExecutionsExpireParams) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sfn_history WHERE execution IN (SELECT arn FROM sfn_executions WHERE expires > 0 AND expires <= ?)`, p.Now); err != nil {
			return fmt.Errorf("expire history: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sfn_executions WHERE expires > 0 AND expires <= ?`, p.Now)
		if err != nil {
			return fmt.Errorf("expire executions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// HistoryList returns an execution's history chunks in order.
func (db *DB) HistoryList(ctx context.Context, p *store.HistoryListParams) ([]*store.HistoryChunk, error) {
	var out []*store.HistoryChunk
	err := db.read(ctx, func(c *sql.Conn) error {
		var first []byte
		if err := c.QueryRowContext(ctx, `SELECT history FROM sfn_executions WHERE arn = ?`, p.ExecutionARN).Scan(&first); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if len(first) > 0 {
			out = append(out, &store.HistoryChunk{ExecutionARN: p.ExecutionARN, FirstID: 1, Events: first})
		}
		rows, err := c.QueryContext(ctx, `SELECT execution, first_id, events FROM sfn_history WHERE execution = ? ORDER BY first_id`, p.ExecutionARN)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			h := &store.HistoryChunk{}
			if err := rows.Scan(&h.ExecutionARN, &h.FirstID, &h.Events); err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, err
}

// WorkClaim leases ready work rows.
func (db *DB) WorkClaim(ctx context.Context, p *store.WorkClaimParams) ([]*store.WorkRow, error) {
	var out []*store.WorkRow
	err := db.write(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		stmt, err := db.stmt(ctx, tx, `UPDATE sfn_work SET owner = ?, ready_at = ?
			WHERE id IN (SELECT id FROM sfn_work WHERE ready_at <= ? ORDER BY ready_at LIMIT ?)
			RETURNING id, execution, kind, ready_at, owner, doc`)
		if err != nil {
			return err
		}
		rows, err := stmt.QueryContext(ctx, p.Owner, p.LeaseUntil, p.Now, p.Limit)
		if err != nil {
			return fmt.Errorf("claim work: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			w := &store.WorkRow{}
			if err := rows.Scan(&w.ID, &w.ExecutionARN, &w.Kind, &w.ReadyAt, &w.Owner, &w.Doc); err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	return out, err
}

// WorkExtend moves the lease of a row the owner holds.
func (db *DB) WorkExtend(ctx context.Context, p *store.WorkExtendParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sfn_work SET ready_at = ? WHERE id = ? AND owner = ?`, p.LeaseUntil, p.ID, p.Owner)
		if err != nil {
			return fmt.Errorf("extend work %s: %w", p.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("work %s: %w", p.ID, store.ErrConflict)
		}
		return nil
	})
}

// WorkNextReady returns the earliest ready time of all work.
func (db *DB) WorkNextReady(ctx context.Context, _ *store.WorkNextReadyParams) (int64, error) {
	var at sql.NullInt64
	err := db.read(ctx, func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, `SELECT MIN(ready_at) FROM sfn_work`).Scan(&at)
	})
	if err != nil {
		return 0, fmt.Errorf("next work: %w", err)
	}
	if !at.Valid {
		return 0, store.ErrNotFound
	}
	return at.Int64, nil
}

const activityTaskCols = `id, activity, execution, token, input, created, claimed_at, worker`

func scanActivityTask(row interface{ Scan(...any) error }) (*store.ActivityTaskRow, error) {
	a := &store.ActivityTaskRow{}
	return a, row.Scan(&a.ID, &a.ActivityARN, &a.ExecutionARN, &a.Token, &a.Input, &a.Created, &a.ClaimedAt, &a.Worker)
}

// ActivityTaskClaim hands the oldest unclaimed task of an activity to a worker.
func (db *DB) ActivityTaskClaim(ctx context.Context, p *store.ActivityTaskClaimParams) (*store.ActivityTaskRow, error) {
	var a *store.ActivityTaskRow
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = scanActivityTask(tx.QueryRowContext(ctx, `UPDATE sfn_activity_tasks SET claimed_at = ?, worker = ?
			WHERE id = (SELECT id FROM sfn_activity_tasks WHERE activity = ? AND claimed_at = 0 ORDER BY created, id LIMIT 1)
			RETURNING `+activityTaskCols, p.Now, p.Worker, p.ActivityARN))
		return notFound(err)
	})
	if err != nil {
		return nil, fmt.Errorf("claim activity task of %s: %w", p.ActivityARN, err)
	}
	return a, nil
}

// ActivityTaskGet returns an activity task by ID.
func (db *DB) ActivityTaskGet(ctx context.Context, p *store.ActivityTaskGetParams) (*store.ActivityTaskRow, error) {
	var a *store.ActivityTaskRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		a, err = scanActivityTask(c.QueryRowContext(ctx, `SELECT `+activityTaskCols+` FROM sfn_activity_tasks WHERE id = ?`, p.ID))
		return notFound(err)
	})
	if err != nil {
		return nil, fmt.Errorf("activity task %s: %w", p.ID, err)
	}
	return a, nil
}
