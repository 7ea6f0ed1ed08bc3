// Command sqlitedrivers measures the two SQLite drivers that ceap could embed — mattn/go-sqlite3
// (cgo) and modernc.org/sqlite (pure Go) — on the work ceap's store does most: group-committed
// inserts of queue-message-sized rows (WAL, synchronous=FULL) and claiming UPDATE ... RETURNING.
//
//	go run ./bench/sqlitedrivers -rows 200000
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3"
	_ "modernc.org/sqlite"
)

func main() {
	rows := flag.Int("rows", 200000, "rows to insert")
	batch := flag.Int("batch", 500, "rows per transaction (group commit)")
	flag.Parse()
	for _, d := range []struct{ driver, dsn string }{
		{"sqlite3", "?_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"},
		{"sqlite", "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"},
	} {
		dir, _ := os.MkdirTemp("", "sqlitebench-")
		ins, claim, err := run(d.driver, "file:"+filepath.Join(dir, "b.db")+d.dsn, *rows, *batch)
		os.RemoveAll(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, d.driver, err)
			os.Exit(1)
		}
		name := map[string]string{"sqlite3": "mattn/go-sqlite3 (cgo)", "sqlite": "modernc.org/sqlite (pure Go)"}[d.driver]
		fmt.Printf("{\"driver\":%q,\"insert_rows_per_s\":%.0f,\"claim_rows_per_s\":%.0f}\n", name, ins, claim)
	}
}

func run(driver, dsn string, rows, batch int) (float64, float64, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE m (id INTEGER PRIMARY KEY, q INTEGER, visible INTEGER, receives INTEGER, body TEXT)`); err != nil {
		return 0, 0, err
	}
	if _, err := db.Exec(`CREATE INDEX m_visible ON m (q, visible, id)`); err != nil {
		return 0, 0, err
	}
	body := strings.Repeat("x", 200)
	start := time.Now()
	for i := 0; i < rows; i += batch {
		tx, err := db.Begin()
		if err != nil {
			return 0, 0, err
		}
		st, err := tx.Prepare(`INSERT INTO m (q, visible, receives, body) VALUES (1, 0, 0, ?)`)
		if err != nil {
			return 0, 0, err
		}
		for j := i; j < i+batch && j < rows; j++ {
			if _, err := st.Exec(body); err != nil {
				return 0, 0, err
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			return 0, 0, err
		}
	}
	ins := float64(rows) / time.Since(start).Seconds()
	start = time.Now()
	claimed := 0
	for claimed < rows {
		tx, err := db.Begin()
		if err != nil {
			return 0, 0, err
		}
		for k := 0; k < batch/10; k++ {
			r, err := tx.Query(`UPDATE m SET visible = 1, receives = receives + 1 WHERE id IN (SELECT id FROM m WHERE q = 1 AND visible = 0 ORDER BY id LIMIT 10) RETURNING id, body`)
			if err != nil {
				return 0, 0, err
			}
			for r.Next() {
				var id int
				var b string
				r.Scan(&id, &b)
				claimed++
			}
			r.Close()
		}
		if err := tx.Commit(); err != nil {
			return 0, 0, err
		}
	}
	return ins, float64(claimed) / time.Since(start).Seconds(), nil
}
