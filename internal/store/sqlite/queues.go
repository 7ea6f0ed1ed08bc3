package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ceap/ceap/internal/store"
)

const queueColumns = `id, account, name, fifo, attributes, tags, created, modified, purged_at`

func scanQueue(row interface{ Scan(...any) error }) (*store.Queue, error) {
	q := &store.Queue{}
	var attrs, tags string
	if err := row.Scan(&q.ID, &q.Account, &q.Name, &q.FIFO, &attrs, &tags, &q.Created, &q.Modified, &q.PurgedAt); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(attrs), &q.Attributes); err != nil {
		return nil, fmt.Errorf("queue %d attributes: %w", q.ID, err)
	}
	if err := json.Unmarshal([]byte(tags), &q.Tags); err != nil {
		return nil, fmt.Errorf("queue %d tags: %w", q.ID, err)
	}
	return q, nil
}

func queueJSON(m map[string]string) string {
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// QueueCreate inserts a queue.
func (db *DB) QueueCreate(ctx context.Context, p *store.QueueCreateParams) (*store.Queue, error) {
	q := &store.Queue{Account: p.Account, Name: p.Name, FIFO: p.FIFO, Attributes: p.Attributes, Tags: p.Tags, Created: p.Now, Modified: p.Now}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var deleted int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(deleted_at), 0) FROM queues WHERE account = ? AND name = ? AND deleted_at > 0`, p.Account, p.Name).Scan(&deleted)
		if err != nil {
			return err
		}
		if deleted > p.DeletedBefore {
			return store.ErrConflict
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO queues (account, name, fifo, attributes, tags, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			p.Account, p.Name, p.FIFO, queueJSON(p.Attributes), queueJSON(p.Tags), p.Now, p.Now)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		if err != nil {
			return err
		}
		q.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// QueueGet returns a live queue by name.
func (db *DB) QueueGet(ctx context.Context, account, name string) (*store.Queue, error) {
	var q *store.Queue
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		q, err = scanQueue(c.QueryRowContext(ctx, `SELECT `+queueColumns+` FROM queues WHERE account = ? AND name = ? AND deleted_at = 0`, account, name))
		return err
	})
	return q, err
}

// QueueGetByID returns a live queue by id.
func (db *DB) QueueGetByID(ctx context.Context, id int64) (*store.Queue, error) {
	var q *store.Queue
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		q, err = scanQueue(c.QueryRowContext(ctx, `SELECT `+queueColumns+` FROM queues WHERE id = ? AND deleted_at = 0`, id))
		return err
	})
	return q, err
}

// QueueList lists an account's live queues by name.
func (db *DB) QueueList(ctx context.Context, p *store.QueueListParams) ([]*store.Queue, error) {
	var out []*store.Queue
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+queueColumns+` FROM queues
			WHERE (?1 = '' OR account = ?1) AND deleted_at = 0 AND substr(name, 1, ?2) = ?3 AND name > ?4 ORDER BY account, name LIMIT ?5`,
			p.Account, len([]rune(p.Prefix)), p.Prefix, p.After, p.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			q, err := scanQueue(rows)
			if err != nil {
				return err
			}
			out = append(out, q)
		}
		return rows.Err()
	})
	return out, err
}

// QueueUpdate replaces a queue's attributes and tags.
func (db *DB) QueueUpdate(ctx context.Context, p *store.QueueUpdateParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE queues SET attributes = ?, tags = ?, modified = ? WHERE id = ? AND deleted_at = 0`,
			queueJSON(p.Attributes), queueJSON(p.Tags), p.Now, p.ID)
		return queueRowsChanged(res, err)
	})
}

func queueRowsChanged(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// QueuePurge records the purge time.
func (db *DB) QueuePurge(ctx context.Context, p *store.QueuePurgeParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var purged int64
		if err := tx.QueryRowContext(ctx, `SELECT purged_at FROM queues WHERE id = ? AND deleted_at = 0`, p.ID).Scan(&purged); err != nil {
			return notFound(err)
		}
		if purged > p.PurgedAfter {
			return store.ErrConflict
		}
		_, err := tx.ExecContext(ctx, `UPDATE queues SET purged_at = ? WHERE id = ?`, p.Now, p.ID)
		return err
	})
}

// QueueDelete marks a queue deleted and drops its dedup records and move tasks.
func (db *DB) QueueDelete(ctx context.Context, p *store.QueueDeleteParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE queues SET deleted_at = ? WHERE id = ? AND deleted_at = 0`, p.Now, p.ID)
		if err := queueRowsChanged(res, err); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM queue_dedup WHERE queue_id = ?`,
			`DELETE FROM queue_move_tasks WHERE source_queue_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, p.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// queueCounts answers QueueCounts from the indexes alone, exactly. The visible messages are
// counted as a range of queue_messages_visible (SQLite counts index entries without reading a
// row), less the visible ones past the retention period that the sweeper has not deleted yet (a
// range of queue_messages_sent, normally empty); the messages in flight and delayed are the
// range after now, usually small; the oldest message is the first one in sent order that is
// visible or in flight. One pass over the table with a filter per row cost 10-15x more on a
// queue of 4,000 messages, and GetQueueAttributes is polled (the runbook's drain waits for 0).
const queueCounts = `SELECT
		(SELECT COUNT(*) FROM queue_messages WHERE queue_id = ?2 AND visible_at <= ?1)
			- (SELECT COUNT(*) FROM queue_messages WHERE queue_id = ?2 AND sent_at < ?3 AND +visible_at <= ?1),
		(SELECT COUNT(*) FROM queue_messages WHERE queue_id = ?2 AND visible_at > ?1 AND receive_count > 0 AND +sent_at >= ?3),
		(SELECT COUNT(*) FROM queue_messages WHERE queue_id = ?2 AND visible_at > ?1 AND receive_count = 0 AND +sent_at >= ?3),
		COALESCE((SELECT sent_at FROM queue_messages WHERE queue_id = ?2 AND sent_at >= ?3 AND (+visible_at <= ?1 OR receive_count > 0)
			ORDER BY sent_at LIMIT 1), 0)`

// QueueCounts counts a queue's messages by state.
func (db *DB) QueueCounts(ctx context.Context, p *store.QueueCountsParams) (*store.QueueCounts, error) {
	return readRow(ctx, db, func(sc interface{ Scan(...any) error }) (*store.QueueCounts, error) {
		c := &store.QueueCounts{}
		return c, sc.Scan(&c.Visible, &c.NotVisible, &c.Delayed, &c.OldestSent)
	}, queueCounts, p.Now, p.ID, p.RetainedAfter)
}

// MessagesSend inserts messages in one transaction.
func (db *DB) MessagesSend(ctx context.Context, p *store.MessagesSendParams) ([]*store.SentMessage, error) {
	out := make([]*store.SentMessage, len(p.Messages))
	if !hasDedup(p.Messages) {
		return out, db.write(ctx, func(tx *sql.Tx) error { return db.insertMessages(ctx, tx, p, out) })
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		ins, err := db.stmt(ctx, tx, insertMessage+` (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		for i, m := range p.Messages {
			scope := ""
			if p.DedupByGroup {
				scope = m.GroupID
			}
			if m.DedupID != "" {
				var prev store.SentMessage
				var expires int64
				err := tx.QueryRowContext(ctx, `SELECT message_id, seq, expires_at FROM queue_dedup WHERE queue_id = ? AND scope = ? AND dedup_id = ?`,
					p.QueueID, scope, m.DedupID).Scan(&prev.MessageID, &prev.ID, &expires)
				if err == nil && expires > p.Now {
					prev.Duplicate = true
					out[i] = &prev
					continue
				}
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			res, err := ins.ExecContext(ctx, p.QueueID, m.MessageID, m.Body, m.Attributes, m.SystemAttrs, m.MD5Body, m.MD5Attributes, m.SenderID, m.SentAt, m.VisibleAt, m.GroupID, m.DedupID)
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			out[i] = &store.SentMessage{ID: id, MessageID: m.MessageID}
			if m.DedupID != "" {
				if _, err := tx.ExecContext(ctx, `INSERT INTO queue_dedup (queue_id, scope, dedup_id, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?, ?)
					ON CONFLICT (queue_id, scope, dedup_id) DO UPDATE SET message_id = excluded.message_id, seq = excluded.seq, expires_at = excluded.expires_at`,
					p.QueueID, scope, m.DedupID, m.MessageID, id, p.DedupUntil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const insertMessage = `INSERT INTO queue_messages (queue_id, message_id, body, attributes, system_attrs, md5_body, md5_attributes, sender_id, sent_at, visible_at, group_id, dedup_id) VALUES`

func hasDedup(msgs []*store.Message) bool {
	for _, m := range msgs {
		if m.DedupID != "" {
			return true
		}
	}
	return false
}

// insertMessages inserts messages without deduplication in one statement. Their ids follow each
// other (AUTOINCREMENT, one writer) and end at the last insert id.
func (db *DB) insertMessages(ctx context.Context, tx *sql.Tx, p *store.MessagesSendParams, out []*store.SentMessage) error {
	q := insertMessage + strings.TrimSuffix(strings.Repeat(` (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),`, len(p.Messages)), ",")
	stmt, err := db.stmt(ctx, tx, q)
	if err != nil {
		return err
	}
	args := make([]any, 0, 12*len(p.Messages))
	for _, m := range p.Messages {
		args = append(args, p.QueueID, m.MessageID, m.Body, m.Attributes, m.SystemAttrs, m.MD5Body, m.MD5Attributes, m.SenderID, m.SentAt, m.VisibleAt, m.GroupID, m.DedupID)
	}
	res, err := stmt.ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	first := last - int64(len(p.Messages)) + 1
	for i, m := range p.Messages {
		out[i] = &store.SentMessage{ID: first + int64(i), MessageID: m.MessageID}
	}
	return nil
}

const messageColumns = `id, queue_id, message_id, body, attributes, system_attrs, md5_body, md5_attributes, sender_id, sent_at, visible_at, receive_count, first_receive, group_id, dedup_id, source_queue_id`

func scanMessage(row interface{ Scan(...any) error }) (*store.Message, error) {
	m := &store.Message{}
	err := row.Scan(&m.ID, &m.QueueID, &m.MessageID, &m.Body, &m.Attributes, &m.SystemAttrs, &m.MD5Body, &m.MD5Attributes, &m.SenderID,
		&m.SentAt, &m.VisibleAt, &m.ReceiveCount, &m.FirstReceive, &m.GroupID, &m.DedupID, &m.SourceQueueID)
	return m, err
}

const (
	claimStandard = `UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = ?1,
			first_receive = CASE WHEN first_receive = 0 THEN ?2 ELSE first_receive END
		WHERE id IN (SELECT id FROM queue_messages WHERE queue_id = ?3 AND visible_at <= ?2 AND +sent_at >= ?4 ORDER BY visible_at LIMIT ?5)
		RETURNING ` + messageColumns
	claimFIFO = `UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = ?1,
			first_receive = CASE WHEN first_receive = 0 THEN ?2 ELSE first_receive END
		WHERE id IN (SELECT m.id FROM queue_messages m WHERE m.queue_id = ?3 AND m.group_id <> '' AND +m.visible_at <= ?2 AND +m.sent_at >= ?4
			AND NOT EXISTS (SELECT 1 FROM queue_messages f WHERE f.queue_id = ?3 AND f.group_id = m.group_id AND f.group_id <> '' AND f.visible_at > ?2 AND f.receive_count > 0)
			ORDER BY m.id LIMIT ?5)
		RETURNING ` + messageColumns
)

// MessagesReceive claims visible messages.
func (db *DB) MessagesReceive(ctx context.Context, p *store.MessagesReceiveParams) (*store.ReceiveResult, error) {
	res := &store.ReceiveResult{}
	err := db.write(ctx, func(tx *sql.Tx) error {
		res.Messages, res.DeadLettered = nil, 0
		q := claimStandard
		if p.FIFO {
			q = claimFIFO
		}
		stmt, err := db.stmt(ctx, tx, q)
		if err != nil {
			return err
		}
		rows, err := stmt.QueryContext(ctx, p.VisibleAt, p.Now, p.QueueID, p.RetainedAfter, p.Max)
		if err != nil {
			return err
		}
		var dead []int64
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if p.MaxReceiveCount > 0 && p.DeadLetterQueueID != 0 && m.ReceiveCount > p.MaxReceiveCount {
				dead = append(dead, m.ID)
				continue
			}
			res.Messages = append(res.Messages, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		sort.Slice(res.Messages, func(i, j int) bool { return res.Messages[i].ID < res.Messages[j].ID })
		if len(dead) == 0 {
			return nil
		}
		res.DeadLettered = len(dead)
		args := []any{p.DeadLetterQueueID, p.Now, p.QueueID}
		for _, id := range dead {
			args = append(args, id)
		}
		_, err = tx.ExecContext(ctx, `UPDATE queue_messages SET queue_id = ?, visible_at = ?, receive_count = receive_count - 1, source_queue_id = ?
			WHERE id IN (`+queuePlaceholders(len(dead))+`)`, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func queuePlaceholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// MessagesDelete deletes messages by id.
func (db *DB) MessagesDelete(ctx context.Context, p *store.MessagesDeleteParams) error {
	if len(p.IDs) == 0 {
		return nil
	}
	args := []any{p.QueueID}
	for _, id := range p.IDs {
		args = append(args, id)
	}
	// +queue_id keeps the planner on the primary key (a queue_id index would scan the queue).
	q := `DELETE FROM queue_messages WHERE +queue_id = ? AND id IN (` + queuePlaceholders(len(p.IDs)) + `)`
	return db.write(ctx, func(tx *sql.Tx) error {
		stmt, err := db.stmt(ctx, tx, q)
		if err != nil {
			return err
		}
		_, err = stmt.ExecContext(ctx, args...)
		return err
	})
}

// MessagesChangeVisibility changes the visibility of in-flight messages.
func (db *DB) MessagesChangeVisibility(ctx context.Context, p *store.MessagesChangeVisibilityParams) ([]store.VisibilityStatus, error) {
	out := make([]store.VisibilityStatus, len(p.Changes))
	err := db.write(ctx, func(tx *sql.Tx) error {
		for i, c := range p.Changes {
			var visible, count, first int64
			err := tx.QueryRowContext(ctx, `SELECT visible_at, receive_count, first_receive FROM queue_messages WHERE id = ? AND queue_id = ?`, c.ID, p.QueueID).
				Scan(&visible, &count, &first)
			out[i] = store.VisibilityStatusOf(errors.Is(err, sql.ErrNoRows), visible, count, first, c.VisibleAt, p.Now, p.MaxAfterFirstReceive)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if out[i] != store.VisibilityChanged {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE queue_messages SET visible_at = ? WHERE id = ?`, c.VisibleAt, c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MessagesExpire deletes messages past retention and ended dedup records.
func (db *DB) MessagesExpire(ctx context.Context, p *store.MessagesExpireParams) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		limit := p.Max
		if limit <= 0 {
			limit = -1
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM queue_messages WHERE id IN (SELECT id FROM queue_messages WHERE queue_id = ? AND sent_at < ? LIMIT ?)`,
			p.QueueID, p.SentBefore, limit)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM queue_dedup WHERE queue_id = ? AND expires_at <= ?`, p.QueueID, p.Now)
		return err
	})
	return n, err
}

// MessagesMove moves visible messages to another queue or back to their sources.
func (db *DB) MessagesMove(ctx context.Context, p *store.MessagesMoveParams) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE queue_messages SET queue_id = CASE WHEN ?1 > 0 THEN ?1 ELSE source_queue_id END,
				source_queue_id = 0, receive_count = 0, first_receive = 0, visible_at = ?2
			WHERE id IN (SELECT id FROM queue_messages WHERE queue_id = ?3 AND visible_at <= ?2
				AND (?1 > 0 OR source_queue_id IN (SELECT id FROM queues WHERE deleted_at = 0))
				ORDER BY visible_at LIMIT ?4)`, p.DestinationID, p.Now, p.QueueID, p.Max)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

const moveTaskColumns = `handle, source_queue_id, source_arn, dest_arn, dest_queue_id, rate, status, moved, to_move, failure, started`

// MoveTaskCreate inserts a move task unless its source has a running one.
func (db *DB) MoveTaskCreate(ctx context.Context, t *store.MoveTask) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM queue_move_tasks WHERE source_queue_id = ? AND status IN (?, ?)`,
			t.SourceQueueID, store.MoveRunning, store.MoveCancelling).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrConflict
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO queue_move_tasks (`+moveTaskColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Handle, t.SourceQueueID, t.SourceArn, t.DestArn, t.DestQueueID, t.RatePerSecond, t.Status, t.Moved, t.ToMove, t.Failure, t.Started)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

func scanMoveTask(row interface{ Scan(...any) error }) (*store.MoveTask, error) {
	t := &store.MoveTask{}
	err := row.Scan(&t.Handle, &t.SourceQueueID, &t.SourceArn, &t.DestArn, &t.DestQueueID, &t.RatePerSecond, &t.Status, &t.Moved, &t.ToMove, &t.Failure, &t.Started)
	return t, notFound(err)
}

// MoveTaskGet returns a task by handle.
func (db *DB) MoveTaskGet(ctx context.Context, handle string) (*store.MoveTask, error) {
	var t *store.MoveTask
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		t, err = scanMoveTask(c.QueryRowContext(ctx, `SELECT `+moveTaskColumns+` FROM queue_move_tasks WHERE handle = ?`, handle))
		return err
	})
	return t, err
}

// MoveTaskList lists move tasks, newest first.
func (db *DB) MoveTaskList(ctx context.Context, p *store.MoveTaskListParams) ([]*store.MoveTask, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.MoveTask
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+moveTaskColumns+` FROM queue_move_tasks
			WHERE (?1 = 0 OR source_queue_id = ?1) AND (?2 = '' OR status = ?2) ORDER BY started DESC, handle LIMIT ?3`, p.SourceQueueID, p.Status, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanMoveTask(rows)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// MoveTaskUpdate writes a task's progress.
func (db *DB) MoveTaskUpdate(ctx context.Context, p *store.MoveTaskUpdateParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE queue_move_tasks SET status = ?, moved = moved + ?, failure = ? WHERE handle = ? AND (? = '' OR status = ?)`,
			p.Status, p.AddMoved, p.Failure, p.Handle, p.IfStatus, p.IfStatus)
		if err := queueRowsChanged(res, err); err != nil {
			if p.IfStatus != "" && errors.Is(err, store.ErrNotFound) {
				return store.ErrConflict
			}
			return err
		}
		return nil
	})
}
