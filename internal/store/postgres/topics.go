package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ceap/ceap/internal/store"
)

const (
	topicColumns = `arn, account, name, attributes, tags, created`
	subColumns   = `arn, account, topic_arn, protocol, endpoint, owner, attributes, confirmed, token, created`
)

func scanTopic(sc pgx.Row) (*store.TopicRow, error) {
	r := &store.TopicRow{}
	return r, sc.Scan(&r.ARN, &r.Account, &r.Name, &r.Attributes, &r.Tags, &r.Created)
}

func scanSubscription(sc pgx.Row) (*store.SubscriptionRow, error) {
	r := &store.SubscriptionRow{}
	return r, sc.Scan(&r.ARN, &r.Account, &r.TopicARN, &r.Protocol, &r.Endpoint, &r.Owner, &r.Attributes, &r.Confirmed, &r.Token, &r.Created)
}

// affected turns an UPDATE or DELETE that touched no row into ErrNotFound.
func affected(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// TopicCreate inserts a topic.
func (db *DB) TopicCreate(ctx context.Context, r *store.TopicRow) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO topics (`+topicColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`, r.ARN, r.Account, r.Name, r.Attributes, r.Tags, r.Created)
	if isUnique(err) {
		return store.ErrAlreadyExists
	}
	return err
}

// TopicGet returns a topic.
func (db *DB) TopicGet(ctx context.Context, arn string) (*store.TopicRow, error) {
	r, err := scanTopic(db.pool.QueryRow(ctx, `SELECT `+topicColumns+` FROM topics WHERE arn = $1`, arn))
	return r, notFound(err)
}

func limitArg(n int) any {
	if n > 0 {
		return n
	}
	return nil
}

// TopicList returns an account's topics by ARN.
func (db *DB) TopicList(ctx context.Context, p *store.TopicListParams) ([]*store.TopicRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+topicColumns+` FROM topics WHERE account = $1 AND arn COLLATE "C" > $2 ORDER BY arn COLLATE "C" LIMIT $3`, p.Account, p.After, limitArg(p.Limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.TopicRow, error) { return scanTopic(r) })
}

// TopicUpdate replaces a topic's attributes and tags.
func (db *DB) TopicUpdate(ctx context.Context, r *store.TopicRow) error {
	return affected(db.pool.Exec(ctx, `UPDATE topics SET attributes = $1, tags = $2 WHERE arn = $3`, r.Attributes, r.Tags, r.ARN))
}

// TopicDelete removes a topic and its subscriptions.
func (db *DB) TopicDelete(ctx context.Context, arn string) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM subscriptions WHERE topic_arn = $1`, arn); err != nil {
			return err
		}
		return affected(tx.Exec(ctx, `DELETE FROM topics WHERE arn = $1`, arn))
	})
}

// SubscriptionCreate inserts a subscription.
func (db *DB) SubscriptionCreate(ctx context.Context, r *store.SubscriptionRow) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM topics WHERE arn = $1 FOR SHARE`, r.TopicARN).Scan(&one); err != nil {
			return notFound(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO subscriptions (`+subColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			r.ARN, r.Account, r.TopicARN, r.Protocol, r.Endpoint, r.Owner, r.Attributes, r.Confirmed, r.Token, r.Created)
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

// SubscriptionGet returns a subscription.
func (db *DB) SubscriptionGet(ctx context.Context, arn string) (*store.SubscriptionRow, error) {
	r, err := scanSubscription(db.pool.QueryRow(ctx, `SELECT `+subColumns+` FROM subscriptions WHERE arn = $1`, arn))
	return r, notFound(err)
}

// SubscriptionList returns subscriptions by ARN.
func (db *DB) SubscriptionList(ctx context.Context, p *store.SubscriptionListParams) ([]*store.SubscriptionRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+subColumns+` FROM subscriptions
		WHERE account = $1 AND ($2 = '' OR topic_arn = $2) AND arn COLLATE "C" > $3 ORDER BY arn COLLATE "C" LIMIT $4`, p.Account, p.TopicARN, p.After, limitArg(p.Limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.SubscriptionRow, error) { return scanSubscription(r) })
}

// SubscriptionUpdate replaces a subscription's attributes and confirmation.
func (db *DB) SubscriptionUpdate(ctx context.Context, r *store.SubscriptionRow) error {
	return affected(db.pool.Exec(ctx, `UPDATE subscriptions SET attributes = $1, confirmed = $2, token = $3 WHERE arn = $4`, r.Attributes, r.Confirmed, r.Token, r.ARN))
}

// SubscriptionDelete removes a subscription.
func (db *DB) SubscriptionDelete(ctx context.Context, arn string) error {
	return affected(db.pool.Exec(ctx, `DELETE FROM subscriptions WHERE arn = $1`, arn))
}
