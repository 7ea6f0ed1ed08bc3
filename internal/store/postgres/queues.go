package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ceap/ceap/internal/store"
)

const queueColumns = `id, account, name, fifo, attributes, tags, created, modified, purged_at`

func scanQueue(row pgx.Row) (*store.Queue, error) {
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

func queueRowsChanged(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// QueueCreate inserts a queue.
func (db *DB) QueueCreate(ctx context.Context, p *store.QueueCreateParams) (*store.Queue, error) {
	q := &store.Queue{Account: p.Account, Name: p.Name, FIFO: p.FIFO, Attributes: p.Attributes, Tags: p.Tags, Created: p.Now, Modified: p.Now}
	err := db.write(ctx, func(tx pgx.Tx) error {
		var deleted int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(deleted_at), 0) FROM queues WHERE account = $1 AND name = $2 AND deleted_at > 0`, p.Account, p.Name).Scan(&deleted); err != nil {
			return err
		}
		if deleted > p.DeletedBefore {
			return store.ErrConflict
		}
		err := tx.QueryRow(ctx, `INSERT INTO queues (account, name, fifo, attributes, tags, created, modified) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			p.Account, p.Name, p.FIFO, queueJSON(p.Attributes), queueJSON(p.Tags), p.Now).Scan(&q.ID)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// QueueGet returns a live queue by name.
func (db *DB) QueueGet(ctx context.Context, account, name string) (*store.Queue, error) {
	return scanQueue(db.pool.QueryRow(ctx, `SELECT `+queueColumns+` FROM queues WHERE account = $1 AND name = $2 AND deleted_at = 0`, account, name))
}

// QueueGetByID returns a live queue by id.
func (db *DB) QueueGetByID(ctx context.Context, id int64) (*store.Queue, error) {
	return scanQueue(db.pool.QueryRow(ctx, `SELECT `+queueColumns+` FROM queues WHERE id = $1 AND deleted_at = 0`, id))
}

// QueueList lists an account's live queues by name.
func (db *DB) QueueList(ctx context.Context, p *store.QueueListParams) ([]*store.Queue, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+queueColumns+` FROM queues
		WHERE ($1::text = '' OR account = $1::text) AND deleted_at = 0 AND left(name, $2) = $3 AND name COLLATE "C" > $4 ORDER BY account, name COLLATE "C" LIMIT $5`,
		p.Account, len([]rune(p.Prefix)), p.Prefix, p.After, p.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Queue
	for rows.Next() {
		q, err := scanQueue(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// QueueUpdate replaces a queue's attributes and tags.
func (db *DB) QueueUpdate(ctx context.Context, p *store.QueueUpdateParams) error {
	return queueRowsChanged(db.pool.Exec(ctx, `UPDATE queues SET attributes = $1, tags = $2, modified = $3 WHERE id = $4 AND deleted_at = 0`,
		queueJSON(p.Attributes), queueJSON(p.Tags), p.Now, p.ID))
}

// QueuePurge records the purge time.
func (db *DB) QueuePurge(ctx context.Context, p *store.QueuePurgeParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		var purged int64
		if err := tx.QueryRow(ctx, `SELECT purged_at FROM queues WHERE id = $1 AND deleted_at = 0 FOR UPDATE`, p.ID).Scan(&purged); err != nil {
			return notFound(err)
		}
		if purged > p.PurgedAfter {
			return store.ErrConflict
		}
		_, err := tx.Exec(ctx, `UPDATE queues SET purged_at = $1 WHERE id = $2`, p.Now, p.ID)
		return err
	})
}

// QueueDelete marks a queue deleted and drops its dedup records and move tasks.
func (db *DB) QueueDelete(ctx context.Context, p *store.QueueDeleteParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		if err := queueRowsChanged(tx.Exec(ctx, `UPDATE queues SET deleted_at = $1 WHERE id = $2 AND deleted_at = 0`, p.Now, p.ID)); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM queue_dedup WHERE queue_id = $1`,
			`DELETE FROM queue_move_tasks WHERE source_queue_id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, p.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// QueueCounts counts a queue's messages by state.
func (db *DB) QueueCounts(ctx context.Context, p *store.QueueCountsParams) (*store.QueueCounts, error) {
	c := &store.QueueCounts{}
	err := db.pool.QueryRow(ctx, `SELECT
			COUNT(*) FILTER (WHERE visible_at <= $1),
			COUNT(*) FILTER (WHERE visible_at > $1 AND receive_count > 0),
			COUNT(*) FILTER (WHERE visible_at > $1 AND receive_count = 0),
			COALESCE(MIN(sent_at) FILTER (WHERE visible_at <= $1 OR receive_count > 0), 0)
		FROM queue_messages WHERE queue_id = $2 AND sent_at >= $3`, p.Now, p.ID, p.RetainedAfter).
		Scan(&c.Visible, &c.NotVisible, &c.Delayed, &c.OldestSent)
	return c, err
}

// MessagesSend inserts messages in one transaction.
func (db *DB) MessagesSend(ctx context.Context, p *store.MessagesSendParams) ([]*store.SentMessage, error) {
	out := make([]*store.SentMessage, len(p.Messages))
	if !hasDedup(p.Messages) {
		return out, db.write(ctx, func(tx pgx.Tx) error { return insertMessages(ctx, tx, p, out) })
	}
	err := db.write(ctx, func(tx pgx.Tx) error {
		for i, m := range p.Messages {
			scope := ""
			if p.DedupByGroup {
				scope = m.GroupID
			}
			if m.DedupID != "" {
				// Serialise senders of one dedup id so that only one of them inserts.
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(p.QueueID), scope+"\n"+m.DedupID); err != nil {
					return err
				}
				var prev store.SentMessage
				var expires int64
				err := tx.QueryRow(ctx, `SELECT message_id, seq, expires_at FROM queue_dedup WHERE queue_id = $1 AND scope = $2 AND dedup_id = $3`,
					p.QueueID, scope, m.DedupID).Scan(&prev.MessageID, &prev.ID, &expires)
				if err == nil && expires > p.Now {
					prev.Duplicate = true
					out[i] = &prev
					continue
				}
				if err != nil && !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
			}
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO queue_messages (queue_id, message_id, body, attributes, system_attrs, md5_body, md5_attributes, sender_id, sent_at, visible_at, group_id, dedup_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
				p.QueueID, m.MessageID, m.Body, m.Attributes, m.SystemAttrs, m.MD5Body, m.MD5Attributes, m.SenderID, m.SentAt, m.VisibleAt, m.GroupID, m.DedupID).Scan(&id)
			if err != nil {
				return err
			}
			out[i] = &store.SentMessage{ID: id, MessageID: m.MessageID}
			if m.DedupID != "" {
				if _, err := tx.Exec(ctx, `INSERT INTO queue_dedup (queue_id, scope, dedup_id, message_id, seq, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
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

func hasDedup(msgs []*store.Message) bool {
	for _, m := range msgs {
		if m.DedupID != "" {
			return true
		}
	}
	return false
}

// insertMessages inserts messages without deduplication in one statement, in one round trip.
func insertMessages(ctx context.Context, tx pgx.Tx, p *store.MessagesSendParams, out []*store.SentMessage) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO queue_messages (queue_id, message_id, body, attributes, system_attrs, md5_body, md5_attributes, sender_id, sent_at, visible_at, group_id, dedup_id) VALUES `)
	args := make([]any, 0, 12*len(p.Messages))
	for i, m := range p.Messages {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12)
		args = append(args, p.QueueID, m.MessageID, m.Body, m.Attributes, m.SystemAttrs, m.MD5Body, m.MD5Attributes, m.SenderID, m.SentAt, m.VisibleAt, m.GroupID, m.DedupID)
	}
	q.WriteString(" RETURNING id, message_id")
	rows, err := tx.Query(ctx, q.String(), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var id int64
		var mid string
		if err := rows.Scan(&id, &mid); err != nil {
			return err
		}
		ids[mid] = id
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, m := range p.Messages {
		out[i] = &store.SentMessage{ID: ids[m.MessageID], MessageID: m.MessageID}
	}
	return nil
}

const messageColumns = `id, queue_id, message_id, body, attributes, system_attrs, md5_body, md5_attributes, sender_id, sent_at, visible_at, receive_count, first_receive, group_id, dedup_id, source_queue_id`

func scanMessage(row pgx.Row) (*store.Message, error) {
	m := &store.Message{}
	err := row.Scan(&m.ID, &m.QueueID, &m.MessageID, &m.Body, &m.Attributes, &m.SystemAttrs, &m.MD5Body, &m.MD5Attributes, &m.SenderID,
		&m.SentAt, &m.VisibleAt, &m.ReceiveCount, &m.FirstReceive, &m.GroupID, &m.DedupID, &m.SourceQueueID)
	return m, err
}

const (
	claimStandard = `UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = $1,
			first_receive = CASE WHEN first_receive = 0 THEN $2 ELSE first_receive END
		WHERE id IN (SELECT id FROM queue_messages WHERE queue_id = $3 AND visible_at <= $2 AND sent_at >= $4
			ORDER BY visible_at LIMIT $5 FOR UPDATE SKIP LOCKED)
		RETURNING ` + messageColumns
	claimFIFO = `UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = $1,
			first_receive = CASE WHEN first_receive = 0 THEN $2 ELSE first_receive END
		WHERE id IN (SELECT m.id FROM queue_messages m WHERE m.queue_id = $3 AND m.group_id <> '' AND m.visible_at <= $2 AND m.sent_at >= $4
			AND NOT EXISTS (SELECT 1 FROM queue_messages f WHERE f.queue_id = $3 AND f.group_id = m.group_id AND f.group_id <> '' AND f.visible_at > $2 AND f.receive_count > 0)
			ORDER BY m.id LIMIT $5 FOR UPDATE SKIP LOCKED)
		RETURNING ` + messageColumns
)

// queueLockSpace is the first key of the advisory locks that serialise FIFO claims of a queue.
const queueLockSpace = 0x71756575 // "queu"

// MessagesReceive claims visible messages. FIFO claims of one queue take an advisory lock, so
// that two nodes never both see a group as free.
func (db *DB) MessagesReceive(ctx context.Context, p *store.MessagesReceiveParams) (*store.ReceiveResult, error) {
	res := &store.ReceiveResult{}
	err := db.write(ctx, func(tx pgx.Tx) error {
		res.Messages, res.DeadLettered = nil, 0
		q := claimStandard
		if p.FIFO {
			q = claimFIFO
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(queueLockSpace), int32(p.QueueID)); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, q, p.VisibleAt, p.Now, p.QueueID, p.RetainedAfter, p.Max)
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
		_, err = tx.Exec(ctx, `UPDATE queue_messages SET queue_id = $1, visible_at = $2, receive_count = receive_count - 1, source_queue_id = $3
			WHERE id = ANY($4)`, p.DeadLetterQueueID, p.Now, p.QueueID, dead)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// MessagesDelete deletes messages by id.
func (db *DB) MessagesDelete(ctx context.Context, p *store.MessagesDeleteParams) error {
	if len(p.IDs) == 0 {
		return nil
	}
	_, err := db.pool.Exec(ctx, `DELETE FROM queue_messages WHERE queue_id = $1 AND id = ANY($2)`, p.QueueID, p.IDs)
	return err
}

// MessagesChangeVisibility changes the visibility of in-flight messages.
func (db *DB) MessagesChangeVisibility(ctx context.Context, p *store.MessagesChangeVisibilityParams) ([]store.VisibilityStatus, error) {
	out := make([]store.VisibilityStatus, len(p.Changes))
	err := db.write(ctx, func(tx pgx.Tx) error {
		for i, c := range p.Changes {
			var visible, count, first int64
			err := tx.QueryRow(ctx, `SELECT visible_at, receive_count, first_receive FROM queue_messages WHERE id = $1 AND queue_id = $2 FOR UPDATE`, c.ID, p.QueueID).
				Scan(&visible, &count, &first)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			out[i] = store.VisibilityStatusOf(err != nil, visible, count, first, c.VisibleAt, p.Now, p.MaxAfterFirstReceive)
			if out[i] != store.VisibilityChanged {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE queue_messages SET visible_at = $1 WHERE id = $2`, c.VisibleAt, c.ID); err != nil {
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
	err := db.write(ctx, func(tx pgx.Tx) error {
		var limit *int
		if p.Max > 0 {
			limit = &p.Max
		}
		tag, err := tx.Exec(ctx, `DELETE FROM queue_messages WHERE id IN (SELECT id FROM queue_messages WHERE queue_id = $1 AND sent_at < $2 LIMIT $3)`,
			p.QueueID, p.SentBefore, limit)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM queue_dedup WHERE queue_id = $1 AND expires_at <= $2`, p.QueueID, p.Now)
		return err
	})
	return n, err
}

// MessagesMove moves visible messages to another queue or back to their sources.
func (db *DB) MessagesMove(ctx context.Context, p *store.MessagesMoveParams) (int64, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE queue_messages SET queue_id = CASE WHEN $1::bigint > 0 THEN $1::bigint ELSE source_queue_id END,
			source_queue_id = 0, receive_count = 0, first_receive = 0, visible_at = $2
		WHERE id IN (SELECT id FROM queue_messages WHERE queue_id = $3 AND visible_at <= $2
			AND ($1::bigint > 0 OR source_queue_id IN (SELECT id FROM queues WHERE deleted_at = 0))
			ORDER BY visible_at LIMIT $4 FOR UPDATE SKIP LOCKED)`, p.DestinationID, p.Now, p.QueueID, p.Max)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

const moveTaskColumns = `handle, source_queue_id, source_arn, dest_arn, dest_queue_id, rate, status, moved, to_move, failure, started`

// MoveTaskCreate inserts a move task unless its source has a running one.
func (db *DB) MoveTaskCreate(ctx context.Context, t *store.MoveTask) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(queueLockSpace+1), int32(t.SourceQueueID)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM queue_move_tasks WHERE source_queue_id = $1 AND status IN ($2, $3)`,
			t.SourceQueueID, store.MoveRunning, store.MoveCancelling).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrConflict
		}
		_, err := tx.Exec(ctx, `INSERT INTO queue_move_tasks (`+moveTaskColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			t.Handle, t.SourceQueueID, t.SourceArn, t.DestArn, t.DestQueueID, t.RatePerSecond, t.Status, t.Moved, t.ToMove, t.Failure, t.Started)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

func scanMoveTask(row pgx.Row) (*store.MoveTask, error) {
	t := &store.MoveTask{}
	err := row.Scan(&t.Handle, &t.SourceQueueID, &t.SourceArn, &t.DestArn, &t.DestQueueID, &t.RatePerSecond, &t.Status, &t.Moved, &t.ToMove, &t.Failure, &t.Started)
	return t, notFound(err)
}

// MoveTaskGet returns a task by handle.
func (db *DB) MoveTaskGet(ctx context.Context, handle string) (*store.MoveTask, error) {
	return scanMoveTask(db.pool.QueryRow(ctx, `SELECT `+moveTaskColumns+` FROM queue_move_tasks WHERE handle = $1`, handle))
}

// MoveTaskList lists move tasks, newest first.
func (db *DB) MoveTaskList(ctx context.Context, p *store.MoveTaskListParams) ([]*store.MoveTask, error) {
	var limit *int
	if p.Limit > 0 {
		limit = &p.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+moveTaskColumns+` FROM queue_move_tasks
		WHERE ($1::bigint = 0 OR source_queue_id = $1::bigint) AND ($2::text = '' OR status = $2::text) ORDER BY started DESC, handle LIMIT $3`, p.SourceQueueID, p.Status, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.MoveTask
	for rows.Next() {
		t, err := scanMoveTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// MoveTaskUpdate writes a task's progress.
func (db *DB) MoveTaskUpdate(ctx context.Context, p *store.MoveTaskUpdateParams) error {
	err := queueRowsChanged(db.pool.Exec(ctx, `UPDATE queue_move_tasks SET status = $1, moved = moved + $2, failure = $3 WHERE handle = $4 AND ($5::text = '' OR status = $5::text)`,
		p.Status, p.AddMoved, p.Failure, p.Handle, p.IfStatus))
	if p.IfStatus != "" && errors.Is(err, store.ErrNotFound) {
		return store.ErrConflict
	}
	return err
}
