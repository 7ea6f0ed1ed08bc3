package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// TestQueryDefinitions covers the saved Logs Insights queries.
func TestQueryDefinitions(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ok := st.(store.QueryDefinitionStore)
		if !ok {
			t.Fatalf("%T does not implement store.QueryDefinitionStore", st)
		}
		ctx := context.Background()
		def := func(id, account, name string) *store.QueryDefinitionRow {
			return &store.QueryDefinitionRow{ID: id, Account: account, Name: name, Query: "fields @message", LogGroups: []byte(`["g"]`), LastModified: 1}
		}
		put := func(r *store.QueryDefinitionRow, max int) error {
			return s.QueryDefinitionPut(ctx, &store.QueryDefinitionPutParams{Row: r, Max: max})
		}
		// Byte order: "B" sorts before "a"; two definitions may share a name ("b", by id).
		for _, r := range []*store.QueryDefinitionRow{def("3", "a", "b"), def("1", "a", "b"), def("2", "a", "B"), def("4", "a", "a/x"), def("5", "other", "b")} {
			if err := put(r, 4); err != nil {
				t.Fatalf("put %s: %v", r.ID, err)
			}
		}
		if err := put(def("1", "other", "z"), 0); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate id = %v", err)
		}
		if err := put(def("6", "a", "c"), 4); !errors.Is(err, store.ErrLimitExceeded) {
			t.Fatalf("fifth definition with max 4 = %v", err)
		}
		if n, err := s.QueryDefinitionCount(ctx, "a"); err != nil || n != 4 {
			t.Fatalf("count = %d, %v", n, err)
		}
		var ids []string
		after := &store.QueryDefinitionListParams{Account: "a", Limit: 3}
		for {
			page, err := s.QueryDefinitionList(ctx, after)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				ids = append(ids, r.ID)
			}
			if len(page) < after.Limit {
				break
			}
			last := page[len(page)-1]
			after = &store.QueryDefinitionListParams{Account: "a", AfterName: last.Name, AfterID: last.ID, Limit: 3}
		}
		if got := strings.Join(ids, ","); got != "2,4,1,3" {
			t.Fatalf("list order = %s, want 2,4,1,3", got)
		}
		pre, err := s.QueryDefinitionList(ctx, &store.QueryDefinitionListParams{Account: "a", Prefix: "a/"})
		if err != nil || len(pre) != 1 || pre[0].ID != "4" {
			t.Fatalf("prefix list = %v, %v", pre, err)
		}
		// A prefix is literal: "%" and "_" match only themselves.
		if pre, err := s.QueryDefinitionList(ctx, &store.QueryDefinitionListParams{Account: "a", Prefix: "%"}); err != nil || len(pre) != 0 {
			t.Fatalf("prefix %% list = %v, %v", pre, err)
		}

		up := def("1", "a", "renamed")
		up.Query, up.LogGroups, up.LastModified = "stats count(*)", []byte(`[]`), 2
		if err := s.QueryDefinitionPut(ctx, &store.QueryDefinitionPutParams{Row: up, Update: true, Max: 4}); err != nil {
			t.Fatalf("update at the bound: %v", err)
		}
		got, err := s.QueryDefinitionGet(ctx, "a", "1")
		if err != nil || got.Name != "renamed" || got.Query != "stats count(*)" || string(got.LogGroups) != `[]` || got.LastModified != 2 || got.Account != "a" {
			t.Fatalf("get after update = %+v, %v", got, err)
		}
		if err := s.QueryDefinitionPut(ctx, &store.QueryDefinitionPutParams{Row: def("5", "a", "steal"), Update: true}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update of another account's definition = %v", err)
		}
		if err := s.QueryDefinitionPut(ctx, &store.QueryDefinitionPutParams{Row: def("9", "a", "n"), Update: true}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update of a missing definition = %v", err)
		}
		if _, err := s.QueryDefinitionGet(ctx, "a", "5"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get of another account's definition = %v", err)
		}
		if err := s.QueryDefinitionDelete(ctx, "a", "5"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete of another account's definition = %v", err)
		}
		if err := s.QueryDefinitionDelete(ctx, "a", "1"); err != nil {
			t.Fatal(err)
		}
		if err := s.QueryDefinitionDelete(ctx, "a", "1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete = %v", err)
		}
		if _, err := s.QueryDefinitionGet(ctx, "a", "1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get after delete = %v", err)
		}
		if n, err := s.QueryDefinitionCount(ctx, "other"); err != nil || n != 1 {
			t.Fatalf("count of other = %d, %v", n, err)
		}
	})
}
