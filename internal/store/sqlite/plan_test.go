package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// TestObjectListReadsOnlyTheIndex proves that a listing page is one range of the covering index
// of current versions, with no lookup in the table and no sort, for each shape of its range.
func TestObjectListReadsOnlyTheIndex(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "ceap.db")})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for _, p := range []store.ObjectListParams{
		{Bucket: "b", Limit: 1000},
		{Bucket: "b", Prefix: "executions/", Limit: 1000},
		{Bucket: "b", Prefix: "executions/", After: "executions/x", Limit: 1000},
		{Bucket: "b", Prefix: "\xff\xff", Limit: 1000}, // no end to the range
	} {
		query, args := objectListQuery(&p)
		rows, err := db.readers.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatalf("explain: %v", err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatalf("scan plan: %v", err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if len(plan) != 1 || !strings.Contains(got, "USING COVERING INDEX s3_objects_current (bucket=? AND key>") {
			t.Errorf("listing %+v: plan %q, want one range of the covering index s3_objects_current", p, got)
		}
	}
}
