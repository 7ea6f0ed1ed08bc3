package sqlite

import (
	"context"
	"database/sql"

	"github.com/ceap/ceap/internal/store"
)

const (
	topicColumns = `arn, account, name, attributes, tags, created`
	subColumns   = `arn, account, topic_arn, protocol, endpoint, owner, attributes, confirmed, token, created`
)

func scanTopic(sc interface{ Scan(...any) error }) (*store.TopicRow, error) {
	r := &store.TopicRow{}
	return r, sc.Scan(&r.ARN, &r.Account, &r.Name, &r.Attributes, &r.Tags, &r.Created)
}

func scanSubscription(sc interface{ Scan(...any) error }) (*store.SubscriptionRow, error) {
	r := &store.SubscriptionRow{}
	return r, sc.Scan(&r.ARN, &r.Account, &r.TopicARN, &r.Protocol, &r.Endpoint, &r.Owner, &r.Attributes, &r.Confirmed, &r.Token, &r.Created)
}

// TopicCreate inserts a topic.
func (db *DB) TopicCreate(ctx context.Context, r *store.TopicRow) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO topics (`+topicColumns+`) VALUES (?, ?, ?, ?, ?, ?)`, r.ARN, r.Account, r.Name, r.Attributes, r.Tags, r.Created)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// TopicGet returns a topic (SNS Publish reads it on every call: the statement is prepared once).
func (db *DB) TopicGet(ctx context.Context, arn string) (*store.TopicRow, error) {
	return readRow(ctx, db, scanTopic, `SELECT `+topicColumns+` FROM topics WHERE arn = ?`, arn)
}

// TopicList returns an account's topics by ARN.
func (db *DB) TopicList(ctx context.Context, p *store.TopicListParams) ([]*store.TopicRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.TopicRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+topicColumns+` FROM topics WHERE account = ? AND arn > ? ORDER BY arn LIMIT ?`, p.Account, p.After, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanTopic(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// TopicUpdate replaces a topic's attributes and tags.
func (db *DB) TopicUpdate(ctx context.Context, r *store.TopicRow) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE topics SET attributes = ?, tags = ? WHERE arn = ?`, r.Attributes, r.Tags, r.ARN)
		return affected(res, err)
	})
}

// TopicDelete removes a topic and its subscriptions.
func (db *DB) TopicDelete(ctx context.Context, arn string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE topic_arn = ?`, arn); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM topics WHERE arn = ?`, arn)
		return affected(res, err)
	})
}

// SubscriptionCreate inserts a subscription.
func (db *DB) SubscriptionCreate(ctx context.Context, r *store.SubscriptionRow) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM topics WHERE arn = ?`, r.TopicARN).Scan(&one); err != nil {
			return notFound(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (`+subColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ARN, r.Account, r.TopicARN, r.Protocol, r.Endpoint, r.Owner, r.Attributes, r.Confirmed, r.Token, r.Created)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// SubscriptionGet returns a subscription.
func (db *DB) SubscriptionGet(ctx context.Context, arn string) (*store.SubscriptionRow, error) {
	var out *store.SubscriptionRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		out, err = scanSubscription(c.QueryRowContext(ctx, `SELECT `+subColumns+` FROM subscriptions WHERE arn = ?`, arn))
		return notFound(err)
	})
	return out, err
}

// SubscriptionList returns subscriptions by ARN.
func (db *DB) SubscriptionList(ctx context.Context, p *store.SubscriptionListParams) ([]*store.SubscriptionRow, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []*store.SubscriptionRow
	// Prepared once: SNS Publish lists a topic's subscriptions on every call.
	err := db.readRows(ctx, func(rows *sql.Rows) error {
		r, err := scanSubscription(rows)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, `SELECT `+subColumns+` FROM subscriptions
			WHERE account = ? AND (? = '' OR topic_arn = ?) AND arn > ? ORDER BY arn LIMIT ?`, p.Account, p.TopicARN, p.TopicARN, p.After, limit)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SubscriptionUpdate replaces a subscription's attributes and confirmation.
func (db *DB) SubscriptionUpdate(ctx context.Context, r *store.SubscriptionRow) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET attributes = ?, confirmed = ?, token = ? WHERE arn = ?`, r.Attributes, r.Confirmed, r.Token, r.ARN)
		return affected(res, err)
	})
}

// SubscriptionDelete removes a subscription.
func (db *DB) SubscriptionDelete(ctx context.Context, arn string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE arn = ?`, arn)
		return affected(res, err)
	})
}

// affected turns an UPDATE or DELETE that touched no row into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
