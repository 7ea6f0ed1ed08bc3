// Package storetest is the one conformance suite of the store drivers: every method of
// store.Store is tested here, once, and each test runs on SQLite and on PostgreSQL. Domain files
// (metrics_test.go, queues_test.go, ...) hold the tests of their domain's methods, each run on both
// drivers through Each.
package storetest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/postgres"
	"github.com/ceap/ceap/internal/store/postgres/pgtest"
	"github.com/ceap/ceap/internal/store/sqlite"
)

// Driver opens a fresh, empty store of one kind for one test.
type Driver struct {
	Name string
	Open func(t testing.TB) store.Store
}

var schemaSeq atomic.Int64

// Drivers returns both drivers. The PostgreSQL one isolates each test in a schema of its own.
func Drivers() []Driver {
	return []Driver{
		{Name: "sqlite", Open: OpenSQLite},
		{Name: "postgres", Open: OpenPostgres},
	}
}

// OpenSQLite opens a fresh SQLite store in the test's temp dir.
func OpenSQLite(t testing.TB) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "ceap.db")})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenPostgres opens a fresh PostgreSQL store in a new schema.
func OpenPostgres(t testing.TB) store.Store {
	t.Helper()
	return OpenPostgresSchema(t, NewSchema(t))
}

// NewSchema returns a schema name unique to this test process and test.
func NewSchema(t testing.TB) string {
	name := strings.ToLower(strings.NewReplacer("/", "_", " ", "_", "-", "_", "#", "_").Replace(t.Name()))
	if len(name) > 30 {
		name = name[len(name)-30:]
	}
	return fmt.Sprintf("t%d_%d_%s", time.Now().UnixNano()%1e9, schemaSeq.Add(1), name)
}

// OpenPostgresSchema opens a PostgreSQL store on an existing or new schema (two stores on one
// schema act as two ceap nodes on one database).
func OpenPostgresSchema(t testing.TB, schema string) store.Store {
	t.Helper()
	db, err := postgres.Open(context.Background(), postgres.Config{URL: pgtest.URL(t), Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Each runs fn as a parallel subtest on every driver.
func Each(t *testing.T, fn func(t *testing.T, s store.Store)) {
	for _, d := range Drivers() {
		d := d
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, d.Open(t))
		})
	}
}
