package logs_test

import (
	"os"
	"testing"

	"github.com/ceap/ceap/internal/store/postgres/pgtest"
)

// TestMain stops the throwaway PostgreSQL server that the store conformance helpers may start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
