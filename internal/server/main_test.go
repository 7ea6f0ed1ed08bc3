package server_test

import (
	"os"
	"testing"

	"github.com/ceap/ceap/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
