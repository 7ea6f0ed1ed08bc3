// Package postgres is the store driver for many ceap nodes sharing one PostgreSQL database. Every
// claim of work is a row claimed in the database (FOR UPDATE SKIP LOCKED, leases with expiry), so
// no in-process lock is ever what makes two nodes correct. Each method runs in its own transaction;
// PostgreSQL's own group commit batches concurrent commits.
//
// It must never hold SQL outside this package.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrations across nodes.
const migrationLock = 0x63656170 // "ceap"

// Config configures the driver.
type Config struct {
	// URL is the connection string (postgres://...).
	URL string
	// Schema, when set, is created if missing and used as the search_path (tests isolate
	// themselves this way).
	Schema string
	// MaxConns is the pool size (default 16).
	MaxConns int32
}

// DB is the PostgreSQL store.
type DB struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*DB)(nil)

// Open connects and applies the migrations.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 16
	}
	pc.MaxConns = cfg.MaxConns
	if cfg.Schema != "" {
		boot, err := pgx.ConnectConfig(ctx, pc.ConnConfig.Copy())
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		_, err = boot.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{cfg.Schema}.Sanitize())
		boot.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("create schema: %w", err)
		}
		pc.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Driver returns "postgres".
func (db *DB) Driver() string { return "postgres" }

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// write runs fn in one committed transaction.
func (db *DB) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("migrate lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLock)
	return migrate.Apply(ctx, migrations, "migrations", &pgMigrator{conn: conn.Conn()})
}

type pgMigrator struct{ conn *pgx.Conn }

func (m *pgMigrator) Applied(ctx context.Context) (map[int]bool, error) {
	if _, err := m.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	rows, err := m.conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, err
	}
	out := map[int]bool{}
	for _, v := range vs {
		out[int(v)] = true
	}
	return out, nil
}

func (m *pgMigrator) Apply(ctx context.Context, mig migrate.Migration, now int64) error {
	return pgx.BeginFunc(ctx, m.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, mig.SQL); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", mig.Version, mig.Name, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, mig.Version, mig.Name, now)
		return err
	})
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// notFound maps pgx.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
