package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/ceap/ceap/internal/store"
)

const logGroupColumns = `id, account, name, arn, created, retention_days, class, kms_key, tags, stored_bytes`

func scanLogGroup(sc interface{ Scan(...any) error }) (*store.LogGroupRow, error) {
	r := &store.LogGroupRow{}
	err := sc.Scan(&r.ID, &r.Account, &r.Name, &r.ARN, &r.Created, &r.RetentionDays, &r.Class, &r.KMSKey, &r.Tags, &r.StoredBytes)
	return r, err
}

const logStreamColumns = `id, group_id, name, created, first_event, last_event, last_ingestion, stored_bytes`

func scanLogStream(sc interface{ Scan(...any) error }) (*store.LogStreamRow, error) {
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
	err := db.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO log_groups (account, name, arn, created, retention_days, class, kms_key, tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.Account, r.Name, r.ARN, r.Created, r.RetentionDays, r.Class, r.KMSKey, r.Tags).Scan(&r.ID)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// LogGroupGet returns one log group.
func (db *DB) LogGroupGet(ctx context.Context, p *store.LogGroupGetParams) (*store.LogGroupRow, error) {
	return readRow(ctx, db, scanLogGroup, `SELECT `+logGroupColumns+` FROM log_groups WHERE account = ? AND name = ?`, p.Account, p.Name)
}

// LogGroupList returns log groups by account and name.
func (db *DB) LogGroupList(ctx context.Context, p *store.LogGroupListParams) ([]*store.LogGroupRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.LogGroupRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+logGroupColumns+` FROM log_groups
			WHERE (? = '' OR account = ?) AND name > ? AND substr(name, 1, length(?)) = ?
			ORDER BY account, name LIMIT ?`, p.Account, p.Account, p.After, p.NamePrefix, p.NamePrefix, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanLogGroup(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// LogGroupUpdate sets retention and tags.
func (db *DB) LogGroupUpdate(ctx context.Context, p *store.LogGroupUpdateParams) error {
	tags := p.Tags
	if tags == nil {
		tags = []byte("{}")
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE log_groups SET retention_days = ?, tags = ? WHERE account = ? AND name = ?`,
			p.RetentionDays, tags, p.Account, p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// LogGroupDelete removes a group, its streams and its events.
func (db *DB) LogGroupDelete(ctx context.Context, p *store.LogGroupGetParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM log_groups WHERE account = ? AND name = ?`, p.Account, p.Name).Scan(&id); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_blocks WHERE group_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_streams WHERE group_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM log_groups WHERE id = ?`, id)
		return err
	})
}

// LogStreamCreate inserts a stream.
func (db *DB) LogStreamCreate(ctx context.Context, p *store.LogStreamCreateParams) (*store.LogStreamRow, error) {
	r := &store.LogStreamRow{GroupID: p.GroupID, Name: p.Name, Created: p.Created}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := db.txRow(ctx, tx, `SELECT 1 FROM log_groups WHERE id = ?`, p.GroupID).Scan(&one); err != nil {
			return notFound(err)
		}
		err := db.txRow(ctx, tx, `INSERT INTO log_streams (group_id, name, created) VALUES (?, ?, ?) RETURNING id`,
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
	return readRow(ctx, db, scanLogStream, `SELECT `+logStreamColumns+` FROM log_streams WHERE group_id = ? AND name = ?`, p.GroupID, p.Name)
}

// LogStreamList returns a group's streams by name or by last event time.
func (db *DB) LogStreamList(ctx context.Context, p *store.LogStreamListParams) ([]*store.LogStreamRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var q string
	var args []any
	switch {
	case p.ByLastEvent && p.Descending:
		q = `WHERE group_id = ? AND (? = '' OR (last_event, name) < (?, ?)) ORDER BY last_event DESC, name DESC`
		args = []any{p.GroupID, p.After, p.AfterTime, p.After}
	case p.ByLastEvent:
		q = `WHERE group_id = ? AND (? = '' OR (last_event, name) > (?, ?)) ORDER BY last_event, name`
		args = []any{p.GroupID, p.After, p.AfterTime, p.After}
	case p.Descending:
		q = `WHERE group_id = ? AND (? = '' OR name < ?) AND substr(name, 1, length(?)) = ? ORDER BY name DESC`
		args = []any{p.GroupID, p.After, p.After, p.NamePrefix, p.NamePrefix}
	default:
		q = `WHERE group_id = ? AND name > ? AND substr(name, 1, length(?)) = ? ORDER BY name`
		args = []any{p.GroupID, p.After, p.NamePrefix, p.NamePrefix}
	}
	args = append(args, limit)
	var out []*store.LogStreamRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+logStreamColumns+` FROM log_streams `+q+` LIMIT ?`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanLogStream(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// LogStreamDelete removes a stream and its events.
func (db *DB) LogStreamDelete(ctx context.Context, p *store.LogStreamGetParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var id, bytes int64
		if err := tx.QueryRowContext(ctx, `SELECT id, stored_bytes FROM log_streams WHERE group_id = ? AND name = ?`, p.GroupID, p.Name).Scan(&id, &bytes); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_blocks WHERE stream_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_streams WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE log_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?`, bytes, p.GroupID)
		return err
	})
}

// LogEventPut appends events to a stream: to the stream's latest block when it is small and the
// events follow it, else in new blocks.
func (db *DB) LogEventPut(ctx context.Context, p *store.LogEventPutParams) error {
	if len(p.Events) == 0 {
		return nil
	}
	events := store.SortLogEvents(p.Events)
	return db.write(ctx, func(tx *sql.Tx) error {
		if err := db.appendLogEvents(ctx, tx, p.GroupID, p.StreamID, p.Now, events); err != nil {
			return err
		}
		_, err := db.txExec(ctx, tx, `UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?`, store.LogEventBytes(events), p.GroupID)
		return err
	})
}

// LogStreamsPut creates the missing streams and appends events to each, in one write.
func (db *DB) LogStreamsPut(ctx context.Context, p *store.LogStreamsPutParams) ([]int64, error) {
	sorted, bytes := store.SortLogStreams(p.Streams)
	ids := make([]int64, len(p.Streams))
	err := db.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := db.txRow(ctx, tx, `SELECT 1 FROM log_groups WHERE id = ?`, p.GroupID).Scan(&one); err != nil {
			return notFound(err)
		}
		for i, st := range p.Streams {
			id := &ids[i]
			// A stream that exists keeps its creation time: the upsert only hands back its id.
			err := db.txRow(ctx, tx, `INSERT INTO log_streams (group_id, name, created) VALUES (?, ?, ?)
				ON CONFLICT (group_id, name) DO UPDATE SET created = created RETURNING id`, p.GroupID, st.Name, p.Now).Scan(id)
			if err != nil {
				return err
			}
			if err := db.appendLogEvents(ctx, tx, p.GroupID, *id, p.Now, sorted[i]); err != nil {
				return err
			}
		}
		_, err := db.txExec(ctx, tx, `UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?`, bytes, p.GroupID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// appendLogEvents appends events (in time order) to a stream's blocks inside tx and updates the
// stream's times and size (not the group's size: the caller adds that once per write).
func (db *DB) appendLogEvents(ctx context.Context, tx *sql.Tx, groupID, streamID, now int64, events []store.LogEventRow) error {
	if len(events) == 0 {
		return nil
	}
	first, last := events[0].Timestamp, events[len(events)-1].Timestamp
	res, err := db.txExec(ctx, tx, `UPDATE log_streams SET
			first_event = CASE WHEN first_event = 0 OR first_event > ? THEN ? ELSE first_event END,
			last_event = max(last_event, ?), last_ingestion = ?, stored_bytes = stored_bytes + ?
		WHERE id = ? AND group_id = ?`, first, first, last, now, store.LogEventBytes(events), streamID, groupID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	tail := &store.LogBlockTail{}
	err = db.txRow(ctx, tx, `SELECT id, first_ts, last_ts, count, bytes FROM log_blocks
		WHERE stream_id = ? ORDER BY last_ts DESC, id DESC LIMIT 1`, streamID).Scan(&tail.ID, &tail.First, &tail.Last, &tail.Count, &tail.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		tail = nil
	} else if err != nil {
		return err
	}
	if store.LogBlockAppends(tail, events) {
		data := store.AppendLogBlock(nil, tail.First, events, now)
		_, err := db.txExec(ctx, tx, `UPDATE log_blocks SET data = data || ?, last_ts = ?, count = count + ?, bytes = bytes + ? WHERE id = ?`,
			string(data), last, len(events), len(data), tail.ID)
		return err
	}
	for _, b := range store.SplitLogBlocks(events, now) {
		if _, err := db.txExec(ctx, tx, `INSERT INTO log_blocks (group_id, stream_id, first_ts, last_ts, count, bytes, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			groupID, streamID, b.First, b.Last, b.Count, len(b.Data), b.Data); err != nil {
			return err
		}
	}
	return nil
}

// LogEventScan reads the blocks of a group that overlap the time range, in order, and merges
// their events.
func (db *DB) LogEventScan(ctx context.Context, p *store.LogEventScanParams) (*store.LogEventScanResult, error) {
	scan, r := store.NewLogBlockScan(p)
	var b strings.Builder
	args := []any{}
	b.WriteString(`SELECT id, stream_id, first_ts, last_ts, count, data FROM log_blocks WHERE `)
	if len(p.StreamIDs) == 1 {
		b.WriteString(`stream_id = ? AND group_id = ?`)
		args = append(args, p.StreamIDs[0], p.GroupID)
	} else {
		b.WriteString(`group_id = ?`)
		args = append(args, p.GroupID)
		if len(p.StreamIDs) > 1 {
			b.WriteString(` AND stream_id IN (?` + strings.Repeat(`, ?`, len(p.StreamIDs)-1) + `)`)
			for _, id := range p.StreamIDs {
				args = append(args, id)
			}
		}
	}
	if p.Descending {
		b.WriteString(` AND last_ts >= ?`)
		args = append(args, r.LastFrom)
		if r.LastTo > 0 {
			b.WriteString(` AND last_ts < ? AND first_ts < ?`)
			args = append(args, r.LastTo, r.FirstTo)
		}
		b.WriteString(` ORDER BY last_ts DESC, id DESC`)
	} else {
		b.WriteString(` AND first_ts >= ? AND last_ts >= ?`)
		args = append(args, r.FirstFrom, r.LastFrom)
		if r.FirstTo > 0 {
			b.WriteString(` AND first_ts < ?`)
			args = append(args, r.FirstTo)
		}
		b.WriteString(` ORDER BY first_ts, id`)
	}
	readErr := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var blk store.LogBlock
			if err := rows.Scan(&blk.ID, &blk.StreamID, &blk.First, &blk.Last, &blk.Count, &blk.Data); err != nil {
				return err
			}
			more, err := scan.Add(&blk)
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
		}
		return rows.Err()
	})
	res, err := scan.Result()
	if readErr != nil {
		return nil, readErr
	}
	return res, err
}

// LogEventExpire deletes a group's blocks whose events are all older than Before.
func (db *DB) LogEventExpire(ctx context.Context, p *store.LogEventExpireParams) (int64, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `DELETE FROM log_blocks WHERE id IN (
				SELECT id FROM log_blocks WHERE group_id = ? AND last_ts < ? ORDER BY last_ts, id LIMIT ?) RETURNING count`, p.GroupID, p.Before, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c int64
			if err := rows.Scan(&c); err != nil {
				return err
			}
			n += c
		}
		return rows.Err()
	})
	return n, err
}
