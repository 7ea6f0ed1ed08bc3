package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

const resourceCols = `arn, account, kind, parent, key, created, revision, doc`

func scanResource(row pgx.Row) (*store.StateResource, error) {
	r := &store.StateResource{}
	err := row.Scan(&r.ARN, &r.Account, &r.Kind, &r.Parent, &r.Key, &r.Created, &r.Revision, &r.Doc)
	return r, err
}

// StateResourceGet returns one resource by ARN.
func (db *DB) StateResourceGet(ctx context.Context, p *store.StateResourceGetParams) (*store.StateResource, error) {
	r, err := scanResource(db.pool.QueryRow(ctx, `SELECT `+resourceCols+` FROM sfn_resources WHERE arn = $1`, p.ARN))
	if err != nil {
		return nil, fmt.Errorf("state resource %s: %w", p.ARN, notFound(err))
	}
	return r, nil
}

// StateResourcesList returns resources of one kind in key order.
func (db *DB) StateResourcesList(ctx context.Context, p *store.StateResourcesListParams) ([]*store.StateResource, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+resourceCols+` FROM sfn_resources
		WHERE account = $1 AND kind = $2 AND ($3 = '' OR parent = $3) AND key COLLATE "C" > $4 ORDER BY key COLLATE "C" LIMIT $5`,
		p.Account, p.Kind, p.Parent, p.After, limit)
	if err != nil {
		return nil, fmt.Errorf("list state resources: %w", err)
	}
	defer rows.Close()
	var out []*store.StateResource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// StateResourcesWrite applies puts and deletes in one transaction.
func (db *DB) StateResourcesWrite(ctx context.Context, p *store.StateResourcesWriteParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		for _, r := range p.Puts {
			if r.Revision == 0 {
				tag, err := tx.Exec(ctx, `INSERT INTO sfn_resources (`+resourceCols+`) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) ON CONFLICT (arn) DO NOTHING`,
					r.ARN, r.Account, r.Kind, r.Parent, r.Key, r.Created, r.Doc)
				if err != nil {
					return fmt.Errorf("insert state resource %s: %w", r.ARN, err)
				}
				if tag.RowsAffected() == 0 {
					return fmt.Errorf("state resource %s: %w", r.ARN, store.ErrAlreadyExists)
				}
				continue
			}
			tag, err := tx.Exec(ctx, `UPDATE sfn_resources SET key = $1, doc = $2, revision = revision + 1 WHERE arn = $3 AND revision = $4`,
				r.Key, r.Doc, r.ARN, r.Revision)
			if err != nil {
				return fmt.Errorf("update state resource %s: %w", r.ARN, err)
			}
			if tag.RowsAffected() == 0 {
				var rev int64
				if err := tx.QueryRow(ctx, `SELECT revision FROM sfn_resources WHERE arn = $1`, r.ARN).Scan(&rev); err != nil {
					return fmt.Errorf("state resource %s: %w", r.ARN, notFound(err))
				}
				return fmt.Errorf("state resource %s revision %d: %w", r.ARN, r.Revision, store.ErrConflict)
			}
		}
		for _, arn := range p.Deletes {
			if _, err := tx.Exec(ctx, `DELETE FROM sfn_resources WHERE arn = $1`, arn); err != nil {
				return fmt.Errorf("delete state resource %s: %w", arn, err)
			}
		}
		return nil
	})
}

const executionCols = `arn, account, machine, name, status, express, started, stopped, redrive_count, redriven, expires, version, doc`

func scanExecution(row pgx.Row, extra ...any) (*store.ExecutionRow, error) {
	e := &store.ExecutionRow{}
	dst := append([]any{&e.ARN, &e.Account, &e.StateMachineARN, &e.Name, &e.Status, &e.Express, &e.StartedAt, &e.StoppedAt, &e.RedriveCount, &e.RedrivenAt, &e.ExpiresAt, &e.Version, &e.Doc}, extra...)
	return e, row.Scan(dst...)
}

// ExecutionGet returns one execution.
func (db *DB) ExecutionGet(ctx context.Context, p *store.ExecutionGetParams) (*store.ExecutionRow, error) {
	var e *store.ExecutionRow
	var err error
	if p.WithSnapshot {
		var snap []byte
		e, err = scanExecution(db.pool.QueryRow(ctx, `SELECT `+executionCols+`, snapshot FROM sfn_executions WHERE arn = $1`, p.ARN), &snap)
		if err == nil {
			e.Snapshot = snap
		}
	} else {
		e, err = scanExecution(db.pool.QueryRow(ctx, `SELECT `+executionCols+` FROM sfn_executions WHERE arn = $1`, p.ARN))
	}
	if err != nil {
		return nil, fmt.Errorf("execution %s: %w", p.ARN, notFound(err))
	}
	return e, nil
}

// ExecutionsList returns executions newest first.
func (db *DB) ExecutionsList(ctx context.Context, p *store.ExecutionsListParams) ([]*store.ExecutionRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
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
	rows, err := db.pool.Query(ctx, `SELECT `+executionCols+` FROM sfn_executions
		WHERE machine = $1 AND account = $2 AND ($3 = '' OR status = $3)
		AND ($4 < 0 OR ($4 = 1 AND redrive_count > 0) OR ($4 = 0 AND redrive_count = 0))
		AND (started < $5 OR (started = $5 AND arn COLLATE "C" < $6))
		ORDER BY started DESC, arn COLLATE "C" DESC LIMIT $7`,
		p.StateMachineARN, p.Account, p.Status, redriven, before, p.BeforeARN, limit)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var out []*store.ExecutionRow
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const insertExecution = `INSERT INTO sfn_executions (` + executionCols + `, snapshot, history) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`

func executionArgs(e *store.ExecutionRow, history *store.HistoryChunk) []any {
	var h []byte
	if history != nil {
		h = history.Events
	}
	return []any{e.ARN, e.Account, e.StateMachineARN, e.Name, e.Status, e.Express, e.StartedAt, e.StoppedAt, e.RedriveCount, e.RedrivenAt, e.ExpiresAt, e.Version, e.Doc, e.Snapshot, h}
}

// ExecutionWrite advances one execution in one transaction, its statements pipelined in one
// batch (one round trip).
func (db *DB) ExecutionWrite(ctx context.Context, p *store.ExecutionWriteParams) error {
	e := p.Execution
	return db.write(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		inline := p.PrevVersion == 0 && p.History != nil && p.History.FirstID == 1
		if p.PrevVersion == 0 {
			var h *store.HistoryChunk
			if inline {
				h = p.History
			}
			b.Queue(insertExecution+` ON CONFLICT (arn) DO NOTHING`, executionArgs(e, h)...)
		} else {
			b.Queue(`UPDATE sfn_executions SET status = $1, stopped = $2, redrive_count = $3, redriven = $4, expires = $5, version = $6, doc = $7, snapshot = $8
				WHERE arn = $9 AND version = $10`,
				e.Status, e.StoppedAt, e.RedriveCount, e.RedrivenAt, e.ExpiresAt, e.Version, e.Doc, e.Snapshot, e.ARN, p.PrevVersion)
		}
		for _, id := range p.Claimed {
			b.Queue(`DELETE FROM sfn_work WHERE id = $1 AND owner = $2`, id, p.ClaimOwner)
		}
		if p.History != nil && len(p.History.Events) > 0 && !inline {
			b.Queue(`INSERT INTO sfn_history (execution, first_id, events) VALUES ($1, $2, $3)`, p.History.ExecutionARN, p.History.FirstID, p.History.Events)
		}
		for _, id := range p.WorkDelete {
			b.Queue(`DELETE FROM sfn_work WHERE id = $1`, id)
		}
		for _, w := range p.WorkAdd {
			b.Queue(`INSERT INTO sfn_work (id, execution, kind, ready_at, owner, doc) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (id) DO UPDATE SET execution = excluded.execution, kind = excluded.kind, ready_at = excluded.ready_at, owner = excluded.owner, doc = excluded.doc`,
				w.ID, w.ExecutionARN, w.Kind, w.ReadyAt, w.Owner, w.Doc)
		}
		for _, id := range p.ActivityDelete {
			b.Queue(`DELETE FROM sfn_activity_tasks WHERE id = $1`, id)
		}
		for _, a := range p.ActivityAdd {
			b.Queue(`INSERT INTO sfn_activity_tasks (id, activity, execution, token, input, created, claimed_at, worker) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (id) DO NOTHING`,
				a.ID, a.ActivityARN, a.ExecutionARN, a.Token, a.Input, a.Created, a.ClaimedAt, a.Worker)
		}
		br := tx.SendBatch(ctx, b)
		tag, err := br.Exec()
		switch {
		case err != nil:
			br.Close()
			return fmt.Errorf("write execution %s: %w", e.ARN, err)
		case tag.RowsAffected() == 0 && p.PrevVersion == 0:
			br.Close()
			return fmt.Errorf("execution %s: %w", e.ARN, store.ErrAlreadyExists)
		case tag.RowsAffected() == 0:
			br.Close()
			return fmt.Errorf("execution %s version %d: %w", e.ARN, p.PrevVersion, store.ErrConflict)
		}
		for _, id := range p.Claimed {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return fmt.Errorf("delete claimed work %s: %w", id, err)
			}
			if tag.RowsAffected() == 0 {
				br.Close()
				return fmt.Errorf("claimed work %s: %w", id, store.ErrConflict)
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("write execution %s: %w", e.ARN, err)
		}
		return nil
	})
}

// ExecutionsRecord inserts or replaces finished executions and their history.
func (db *DB) ExecutionsRecord(ctx context.Context, p *store.ExecutionsRecordParams) error {
	if len(p.Executions) == 0 && len(p.History) == 0 {
		return nil
	}
	return db.write(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, e := range p.Executions {
			b.Queue(insertExecution+` ON CONFLICT (arn) DO UPDATE SET status = excluded.status, stopped = excluded.stopped, version = excluded.version,
				doc = excluded.doc, snapshot = excluded.snapshot, expires = excluded.expires`, executionArgs(e, nil)...)
		}
		for _, h := range p.History {
			b.Queue(`INSERT INTO sfn_history (execution, first_id, events) VALUES ($1, $2, $3) ON CONFLICT (execution, first_id) DO UPDATE SET events = excluded.events`,
				h.ExecutionARN, h.FirstID, h.Events)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("record executions: %w", err)
		}
		return nil
	})
}

// ExecutionsExpire deletes expired executions and their history.
func (db *DB) ExecutionsExpire(ctx context.Context, p *store.ExecutionsExpireParams) (int, error) {
	var n int64
	err := db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sfn_history WHERE execution IN (SELECT arn FROM sfn_executions WHERE expires > 0 AND expires <= $1)`, p.Now); err != nil {
			return fmt.Errorf("expire history: %w", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sfn_executions WHERE expires > 0 AND expires <= $1`, p.Now)
		if err != nil {
			return fmt.Errorf("expire executions: %w", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}

// HistoryList returns an execution's history chunks in order.
func (db *DB) HistoryList(ctx context.Context, p *store.HistoryListParams) ([]*store.HistoryChunk, error) {
	var out []*store.HistoryChunk
	var first []byte
	if err := db.pool.QueryRow(ctx, `SELECT history FROM sfn_executions WHERE arn = $1`, p.ExecutionARN).Scan(&first); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("list history: %w", err)
	}
	if len(first) > 0 {
		out = append(out, &store.HistoryChunk{ExecutionARN: p.ExecutionARN, FirstID: 1, Events: first})
	}
	rows, err := db.pool.Query(ctx, `SELECT execution, first_id, events FROM sfn_history WHERE execution = $1 ORDER BY first_id`, p.ExecutionARN)
	if err != nil {
		return nil, fmt.Errorf("list history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		h := &store.HistoryChunk{}
		if err := rows.Scan(&h.ExecutionARN, &h.FirstID, &h.Events); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// WorkClaim leases ready work rows; FOR UPDATE SKIP LOCKED keeps two nodes apart.
func (db *DB) WorkClaim(ctx context.Context, p *store.WorkClaimParams) ([]*store.WorkRow, error) {
	var out []*store.WorkRow
	err := db.write(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `UPDATE sfn_work SET owner = $1, ready_at = $2
			WHERE id IN (SELECT id FROM sfn_work WHERE ready_at <= $3 ORDER BY ready_at LIMIT $4 FOR UPDATE SKIP LOCKED)
			RETURNING id, execution, kind, ready_at, owner, doc`, p.Owner, p.LeaseUntil, p.Now, p.Limit)
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
	tag, err := db.pool.Exec(ctx, `UPDATE sfn_work SET ready_at = $1 WHERE id = $2 AND owner = $3`, p.LeaseUntil, p.ID, p.Owner)
	if err != nil {
		return fmt.Errorf("extend work %s: %w", p.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("work %s: %w", p.ID, store.ErrConflict)
	}
	return nil
}

// WorkNextReady returns the earliest ready time of all work.
func (db *DB) WorkNextReady(ctx context.Context, _ *store.WorkNextReadyParams) (int64, error) {
	var at sql.NullInt64
	if err := db.pool.QueryRow(ctx, `SELECT MIN(ready_at) FROM sfn_work`).Scan(&at); err != nil {
		return 0, fmt.Errorf("next work: %w", err)
	}
	if !at.Valid {
		return 0, store.ErrNotFound
	}
	return at.Int64, nil
}

const activityTaskCols = `id, activity, execution, token, input, created, claimed_at, worker`

func scanActivityTask(row pgx.Row) (*store.ActivityTaskRow, error) {
	a := &store.ActivityTaskRow{}
	return a, row.Scan(&a.ID, &a.ActivityARN, &a.ExecutionARN, &a.Token, &a.Input, &a.Created, &a.ClaimedAt, &a.Worker)
}

// ActivityTaskClaim hands the oldest unclaimed task of an activity to a worker.
func (db *DB) ActivityTaskClaim(ctx context.Context, p *store.ActivityTaskClaimParams) (*store.ActivityTaskRow, error) {
	var a *store.ActivityTaskRow
	err := db.write(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = scanActivityTask(tx.QueryRow(ctx, `UPDATE sfn_activity_tasks SET claimed_at = $1, worker = $2
			WHERE id = (SELECT id FROM sfn_activity_tasks WHERE activity = $3 AND claimed_at = 0 ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING `+activityTaskCols, p.Now, p.Worker, p.ActivityARN))
		return err
	})
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("claim activity task of %s: %w", p.ActivityARN, store.ErrNotFound)
		}
		return nil, fmt.Errorf("claim activity task of %s: %w", p.ActivityARN, err)
	}
	return a, nil
}

// ActivityTaskGet returns an activity task by ID.
func (db *DB) ActivityTaskGet(ctx context.Context, p *store.ActivityTaskGetParams) (*store.ActivityTaskRow, error) {
	a, err := scanActivityTask(db.pool.QueryRow(ctx, `SELECT `+activityTaskCols+` FROM sfn_activity_tasks WHERE id = $1`, p.ID))
	if err != nil {
		return nil, fmt.Errorf("activity task %s: %w", p.ID, notFound(err))
	}
	return a, nil
}
