package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"unicode/utf8"

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
	var out *store.LogGroupRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanLogGroup(c.QueryRowContext(ctx, `SELECT `+logGroupColumns+` FROM log_groups WHERE account = ? AND name = ?`, p.Account, p.Name))
		return notFound(err)
	})
	return out, err
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_events_fts WHERE rowid IN (SELECT id FROM log_events WHERE group_id = ?)`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_events WHERE group_id = ?`, id); err != nil {
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
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM log_groups WHERE id = ?`, p.GroupID).Scan(&one); err != nil {
			return notFound(err)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO log_streams (group_id, name, created) VALUES (?, ?, ?) RETURNING id`,
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
	var out *store.LogStreamRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanLogStream(c.QueryRowContext(ctx, `SELECT `+logStreamColumns+` FROM log_streams WHERE group_id = ? AND name = ?`, p.GroupID, p.Name))
		return notFound(err)
	})
	return out, err
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_events_fts WHERE rowid IN (SELECT id FROM log_events WHERE stream_id = ?)`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_events WHERE stream_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_streams WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE log_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?`, bytes, p.GroupID)
		return err
	})
}

// LogEventPut appends events to a stream.
func (db *DB) LogEventPut(ctx context.Context, p *store.LogEventPutParams) error {
	if len(p.Events) == 0 {
		return nil
	}
	first, last := p.Events[0].Timestamp, p.Events[0].Timestamp
	var bytes int64
	for _, e := range p.Events {
		first, last = min(first, e.Timestamp), max(last, e.Timestamp)
		bytes += int64(len(e.Message))
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		ins, err := db.stmt(ctx, tx, `INSERT INTO log_events (group_id, stream_id, ts, ingested, message) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		idx, err := db.stmt(ctx, tx, `INSERT INTO log_events_fts (rowid, message) VALUES (last_insert_rowid(), ?)`)
		if err != nil {
			return err
		}
		for _, e := range p.Events {
			if _, err := ins.ExecContext(ctx, p.GroupID, p.StreamID, e.Timestamp, p.Now, e.Message); err != nil {
				return err
			}
			if _, err := idx.ExecContext(ctx, e.Message); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE log_streams SET
				first_event = CASE WHEN first_event = 0 OR first_event > ? THEN ? ELSE first_event END,
				last_event = max(last_event, ?), last_ingestion = ?, stored_bytes = stored_bytes + ?
			WHERE id = ? AND group_id = ?`, first, first, last, p.Now, bytes, p.StreamID, p.GroupID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?`, bytes, p.GroupID)
		return err
	})
}

// LogEventScan returns a group's events in time order.
func (db *DB) LogEventScan(ctx context.Context, p *store.LogEventScanParams) ([]*store.LogEventRow, error) {
	var b strings.Builder
	args := []any{}
	if len(p.StreamIDs) == 1 {
		b.WriteString(`SELECT id, stream_id, ts, ingested, message FROM log_events WHERE stream_id = ? AND group_id = ?`)
		args = append(args, p.StreamIDs[0], p.GroupID)
	} else {
		b.WriteString(`SELECT id, stream_id, ts, ingested, message FROM log_events WHERE group_id = ?`)
		args = append(args, p.GroupID)
		if len(p.StreamIDs) > 1 {
			b.WriteString(` AND stream_id IN (?` + strings.Repeat(`, ?`, len(p.StreamIDs)-1) + `)`)
			for _, id := range p.StreamIDs {
				args = append(args, id)
			}
		}
	}
	// The cursor is written as plain bounds on ts (which the index ranges over) plus a tie-break
	// on id, rather than a row-value comparison that SQLite would not use to seek.
	start, end := p.Start, p.End
	if p.AfterID > 0 && !p.Descending {
		start = max(start, p.AfterTime)
	}
	if p.AfterID > 0 && p.Descending && (end == 0 || p.AfterTime+1 < end) {
		end = p.AfterTime + 1
	}
	b.WriteString(` AND ts >= ?`)
	args = append(args, start)
	if end > 0 {
		b.WriteString(` AND ts < ?`)
		args = append(args, end)
	}
	if p.AfterID > 0 {
		if p.Descending {
			b.WriteString(` AND (ts < ? OR id < ?)`)
		} else {
			b.WriteString(` AND (ts > ? OR id > ?)`)
		}
		args = append(args, p.AfterTime, p.AfterID)
	}
	fts := ftsQuery(p.Contains)
	ftsAt, ftsArg := b.Len(), len(args)
	for _, s := range p.Contains {
		b.WriteString(` AND instr(message, ?) > 0`)
		args = append(args, s)
	}
	if p.Descending {
		b.WriteString(` ORDER BY ts DESC, id DESC`)
	} else {
		b.WriteString(` ORDER BY ts, id`)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	b.WriteString(` LIMIT ?`)
	args = append(args, limit)
	query := b.String()
	var out []*store.LogEventRow
	err := db.read(ctx, func(c *sql.Conn) error {
		if fts != "" {
			// The trigram index pays when few events hold the literals; when many do, reading the
			// time range in order is faster than sorting the index's matches.
			var n int
			if err := c.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM log_events_fts WHERE log_events_fts MATCH ? LIMIT ?)`, fts, ftsSelective).Scan(&n); err != nil {
				return err
			}
			if n < ftsSelective {
				query = query[:ftsAt] + ` AND id IN (SELECT rowid FROM log_events_fts WHERE log_events_fts MATCH ?)` + query[ftsAt:]
				args = append(args[:ftsArg:ftsArg], append([]any{fts}, args[ftsArg:]...)...)
			}
		}
		rows, err := c.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := &store.LogEventRow{}
			if err := rows.Scan(&r.ID, &r.StreamID, &r.Timestamp, &r.Ingested, &r.Message); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// LogEventExpire deletes a group's events older than Before.
func (db *DB) LogEventExpire(ctx context.Context, p *store.LogEventExpireParams) (int64, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_events_fts WHERE rowid IN (
				SELECT id FROM log_events WHERE group_id = ? AND ts < ? ORDER BY ts, id LIMIT ?)`, p.GroupID, p.Before, limit); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM log_events WHERE id IN (
				SELECT id FROM log_events WHERE group_id = ? AND ts < ? ORDER BY ts, id LIMIT ?)`, p.GroupID, p.Before, limit)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// ftsSelective is how many matches in the trigram index make a search use it.
const ftsSelective = 20000

// ftsQuery returns the full-text query that narrows a search for literals to the events holding
// all of them, or "" when a literal is too short for the trigram index (under 3 characters).
// The index matches without regard to case; instr keeps the search exact.
func ftsQuery(literals []string) string {
	var parts []string
	for _, l := range literals {
		if utf8.RuneCountInString(l) < 3 {
			return ""
		}
		parts = append(parts, `"`+strings.ReplaceAll(l, `"`, `""`)+`"`)
	}
	return strings.Join(parts, " AND ")
}
