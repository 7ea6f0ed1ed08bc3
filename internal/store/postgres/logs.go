package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

const logGroupColumns = `id, account, name, arn, created, retention_days, class, kms_key, tags, stored_bytes`

func scanLogGroup(sc pgx.Row) (*store.LogGroupRow, error) {
	r := &store.LogGroupRow{}
	err := sc.Scan(&r.ID, &r.Account, &r.Name, &r.ARN, &r.Created, &r.RetentionDays, &r.Class, &r.KMSKey, &r.Tags, &r.StoredBytes)
	return r, err
}

const logStreamColumns = `id, group_id, name, created, first_event, last_event, last_ingestion, stored_bytes`

func scanLogStream(sc pgx.Row) (*store.LogStreamRow, error) {
	r := &store.LogStreamRow{}
	err := sc.Scan(&r.ID, &r.GroupID, &r.Name, &r.Created, &r.FirstEvent, &r.LastEvent, &r.LastIngestion, &r.StoredBytes)
	return r, err
}

// LogGroupCreate inserts a log group.
func (db *DB) LogGroupCreate(ctx context.Context, p *store.LogGroupCreateParams) (*store.LogGroupRow, error) {
	r := *p.Row
	if r.Tags == nil {
		r.Tags = []byte("{}")
	}
	if r.Class == "" {
		r.Class = "STANDARD"
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO log_groups (account, name, arn, created, retention_days, class, kms_key, tags)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		r.Account, r.Name, r.ARN, r.Created, r.RetentionDays, r.Class, r.KMSKey, r.Tags).Scan(&r.ID)
	if isUnique(err) {
		return nil, store.ErrAlreadyExists
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// LogGroupGet returns one log group.
func (db *DB) LogGroupGet(ctx context.Context, p *store.LogGroupGetParams) (*store.LogGroupRow, error) {
	r, err := scanLogGroup(db.pool.QueryRow(ctx, `SELECT `+logGroupColumns+` FROM log_groups WHERE account = $1 AND name = $2`, p.Account, p.Name))
	return r, notFound(err)
}

// LogGroupList returns log groups by account and name.
func (db *DB) LogGroupList(ctx context.Context, p *store.LogGroupListParams) ([]*store.LogGroupRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+logGroupColumns+` FROM log_groups
		WHERE ($1 = '' OR account = $1) AND name > $2 AND starts_with(name, $3)
		ORDER BY account COLLATE "C", name LIMIT $4`, p.Account, p.After, p.NamePrefix, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.LogGroupRow, error) { return scanLogGroup(r) })
}

// LogGroupUpdate sets retention and tags.
func (db *DB) LogGroupUpdate(ctx context.Context, p *store.LogGroupUpdateParams) error {
	tags := p.Tags
	if tags == nil {
		tags = []byte("{}")
	}
	tag, err := db.pool.Exec(ctx, `UPDATE log_groups SET retention_days = $1, tags = $2 WHERE account = $3 AND name = $4`,
		p.RetentionDays, tags, p.Account, p.Name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// LogGroupDelete removes a group, its streams and its events.
func (db *DB) LogGroupDelete(ctx context.Context, p *store.LogGroupGetParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM log_groups WHERE account = $1 AND name = $2 FOR UPDATE`, p.Account, p.Name).Scan(&id); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM log_blocks WHERE group_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM log_streams WHERE group_id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM log_groups WHERE id = $1`, id)
		return err
	})
}

// LogStreamCreate inserts a stream.
func (db *DB) LogStreamCreate(ctx context.Context, p *store.LogStreamCreateParams) (*store.LogStreamRow, error) {
	r := &store.LogStreamRow{GroupID: p.GroupID, Name: p.Name, Created: p.Created}
	err := db.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM log_groups WHERE id = $1`, p.GroupID).Scan(&one); err != nil {
			return notFound(err)
		}
		err := tx.QueryRow(ctx, `INSERT INTO log_streams (group_id, name, created) VALUES ($1, $2, $3) RETURNING id`,
			p.GroupID, p.Name, p.Created).Scan(&r.ID)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// LogStreamGet returns one stream.
func (db *DB) LogStreamGet(ctx context.Context, p *store.LogStreamGetParams) (*store.LogStreamRow, error) {
	r, err := scanLogStream(db.pool.QueryRow(ctx, `SELECT `+logStreamColumns+` FROM log_streams WHERE group_id = $1 AND name = $2`, p.GroupID, p.Name))
	return r, notFound(err)
}

// LogStreamList returns a group's streams by name or by last event time.
func (db *DB) LogStreamList(ctx context.Context, p *store.LogStreamListParams) ([]*store.LogStreamRow, error) {
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	var q string
	var args []any
	switch {
	case p.ByLastEvent && p.Descending:
		q = `WHERE group_id = $1 AND ($2 = '' OR (last_event, name) < ($3, $2)) ORDER BY last_event DESC, name DESC LIMIT $4`
		args = []any{p.GroupID, p.After, p.AfterTime, limit}
	case p.ByLastEvent:
		q = `WHERE group_id = $1 AND ($2 = '' OR (last_event, name) > ($3, $2)) ORDER BY last_event, name LIMIT $4`
		args = []any{p.GroupID, p.After, p.AfterTime, limit}
	case p.Descending:
		q = `WHERE group_id = $1 AND ($2 = '' OR name < $2) AND starts_with(name, $3) ORDER BY name DESC LIMIT $4`
		args = []any{p.GroupID, p.After, p.NamePrefix, limit}
	default:
		q = `WHERE group_id = $1 AND name > $2 AND starts_with(name, $3) ORDER BY name LIMIT $4`
		args = []any{p.GroupID, p.After, p.NamePrefix, limit}
	}
	rows, err := db.pool.Query(ctx, `SELECT `+logStreamColumns+` FROM log_streams `+q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.LogStreamRow, error) { return scanLogStream(r) })
}

// LogStreamDelete removes a stream and its events.
func (db *DB) LogStreamDelete(ctx context.Context, p *store.LogStreamGetParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		var id, bytes int64
		if err := tx.QueryRow(ctx, `SELECT id, stored_bytes FROM log_streams WHERE group_id = $1 AND name = $2 FOR UPDATE`, p.GroupID, p.Name).Scan(&id, &bytes); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM log_blocks WHERE stream_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM log_streams WHERE id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE log_groups SET stored_bytes = greatest(0, stored_bytes - $1) WHERE id = $2`, bytes, p.GroupID)
		return err
	})
}

// LogEventPut appends events to a stream: to the stream's latest block when it is small and the
// events follow it, else in new blocks. The stream's row, updated first, serializes the puts to
// LogEventPut appends events to a stream: to the stream's latest block when it is small and the
// events follow it, else in new blocks.
func (db *DB) LogEventPut(ctx context.Context, p *store.LogEventPutParams) error {
	if len(p.Events) == 0 {
		return nil
	}
	events := store.SortLogEvents(p.Events)
	return db.write(ctx, func(tx pgx.Tx) error {
		if err := appendLogEvents(ctx, tx, p.GroupID, p.StreamID, p.Now, events); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE log_groups SET stored_bytes = stored_bytes + $1 WHERE id = $2`, store.LogEventBytes(events), p.GroupID)
		return err
	})
}

// LogStreamsPut creates the missing streams and appends events to each, in one transaction.
func (db *DB) LogStreamsPut(ctx context.Context, p *store.LogStreamsPutParams) ([]int64, error) {
	sorted, bytes := store.SortLogStreams(p.Streams)
	ids := make([]int64, len(p.Streams))
	err := db.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM log_groups WHERE id = $1`, p.GroupID).Scan(&one); err != nil {
			return notFound(err)
		}
		for i, st := range p.Streams {
			id := &ids[i]
			// A stream that exists keeps its creation time: the upsert only hands back its id.
			err := tx.QueryRow(ctx, `INSERT INTO log_streams (group_id, name, created) VALUES ($1, $2, $3)
				ON CONFLICT (group_id, name) DO UPDATE SET created = log_streams.created RETURNING id`, p.GroupID, st.Name, p.Now).Scan(id)
			if err != nil {
				return err
			}
			if err := appendLogEvents(ctx, tx, p.GroupID, *id, p.Now, sorted[i]); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE log_groups SET stored_bytes = stored_bytes + $1 WHERE id = $2`, bytes, p.GroupID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// appendLogEvents appends events (in time order) to a stream's blocks inside tx and updates the
// stream's times and size (not the group's size: the caller adds that once per write).
func appendLogEvents(ctx context.Context, tx pgx.Tx, groupID, streamID, now int64, events []store.LogEventRow) error {
	if len(events) == 0 {
		return nil
	}
	first, last := events[0].Timestamp, events[len(events)-1].Timestamp
	tag, err := tx.Exec(ctx, `UPDATE log_streams SET
			first_event = CASE WHEN first_event = 0 OR first_event > $1 THEN $1 ELSE first_event END,
			last_event = greatest(last_event, $2), last_ingestion = $3, stored_bytes = stored_bytes + $4
		WHERE id = $5 AND group_id = $6`, first, last, now, store.LogEventBytes(events), streamID, groupID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	tail := &store.LogBlockTail{}
	err = tx.QueryRow(ctx, `SELECT id, first_ts, last_ts, count, bytes FROM log_blocks
		WHERE stream_id = $1 ORDER BY last_ts DESC, id DESC LIMIT 1`, streamID).Scan(&tail.ID, &tail.First, &tail.Last, &tail.Count, &tail.Bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		tail = nil
	} else if err != nil {
		return err
	}
	if store.LogBlockAppends(tail, events) {
		data := store.AppendLogBlock(nil, tail.First, events, now)
		_, err := tx.Exec(ctx, `UPDATE log_blocks SET data = data || $1, last_ts = $2, count = count + $3, bytes = bytes + $4 WHERE id = $5`,
			string(data), last, len(events), len(data), tail.ID)
		return err
	}
	batch := &pgx.Batch{}
	for _, b := range store.SplitLogBlocks(events, now) {
		batch.Queue(`INSERT INTO log_blocks (group_id, stream_id, first_ts, last_ts, count, bytes, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			groupID, streamID, b.First, b.Last, b.Count, len(b.Data), b.Data)
	}
	return tx.SendBatch(ctx, batch).Close()
}

// logScanBatch is how many blocks one query of a scan reads; the scan goes on after the last
// one while it needs more.
const logScanBatch = 32

// LogEventScan reads the blocks of a group that overlap the time range, in order and a batch at a
// time, and merges their events.
func (db *DB) LogEventScan(ctx context.Context, p *store.LogEventScanParams) (*store.LogEventScanResult, error) {
	scan, r := store.NewLogBlockScan(p)
	var afterKey, afterID int64
	for page := 0; ; page++ {
		var b strings.Builder
		args := []any{}
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		b.WriteString(`SELECT id, stream_id, first_ts, last_ts, count, data FROM log_blocks WHERE group_id = ` + arg(p.GroupID))
		if len(p.StreamIDs) > 0 {
			b.WriteString(` AND stream_id = ANY(` + arg(p.StreamIDs) + `)`)
		}
		if p.Descending {
			b.WriteString(` AND last_ts >= ` + arg(r.LastFrom))
			if r.LastTo > 0 {
				b.WriteString(` AND last_ts < ` + arg(r.LastTo) + ` AND first_ts < ` + arg(r.FirstTo))
			}
			if page > 0 {
				b.WriteString(` AND (last_ts, id) < (` + arg(afterKey) + `, ` + arg(afterID) + `)`)
			}
			b.WriteString(` ORDER BY last_ts DESC, id DESC`)
		} else {
			b.WriteString(` AND first_ts >= ` + arg(r.FirstFrom) + ` AND last_ts >= ` + arg(r.LastFrom))
			if r.FirstTo > 0 {
				b.WriteString(` AND first_ts < ` + arg(r.FirstTo))
			}
			if page > 0 {
				b.WriteString(` AND (first_ts, id) > (` + arg(afterKey) + `, ` + arg(afterID) + `)`)
			}
			b.WriteString(` ORDER BY first_ts, id`)
		}
		b.WriteString(` LIMIT ` + arg(logScanBatch))
		blocks, err := db.logBlocks(ctx, b.String(), args)
		if err != nil {
			_, _ = scan.Result() // waits for the blocks being filtered
			return nil, err
		}
		for i := range blocks {
			more, err := scan.Add(&blocks[i])
			if err != nil {
				_, _ = scan.Result()
				return nil, err
			}
			if !more {
				return scan.Result()
			}
		}
		if len(blocks) < logScanBatch {
			return scan.Result()
		}
		lastBlk := blocks[len(blocks)-1]
		afterKey, afterID = lastBlk.First, lastBlk.ID
		if p.Descending {
			afterKey = lastBlk.Last
		}
	}
}

// logBlocks runs a query of log blocks.
func (db *DB) logBlocks(ctx context.Context, query string, args []any) ([]store.LogBlock, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.LogBlock, error) {
		var blk store.LogBlock
		err := r.Scan(&blk.ID, &blk.StreamID, &blk.First, &blk.Last, &blk.Count, &blk.Data)
		return blk, err
	})
}

// LogEventExpire deletes a group's blocks whose events are all older than Before.
func (db *DB) LogEventExpire(ctx context.Context, p *store.LogEventExpireParams) (int64, error) {
	q := `DELETE FROM log_blocks WHERE group_id = $1 AND last_ts < $2 RETURNING count`
	args := []any{p.GroupID, p.Before}
	if p.Limit > 0 {
		q = `DELETE FROM log_blocks WHERE id IN (SELECT id FROM log_blocks WHERE group_id = $1 AND last_ts < $2 ORDER BY last_ts, id LIMIT $3) RETURNING count`
		args = append(args, p.Limit)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	counts, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	var n int64
	for _, c := range counts {
		n += c
	}
	return n, nil
}
