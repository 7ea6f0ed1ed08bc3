package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

func functionRow(account, name string) *store.FunctionRow {
	return &store.FunctionRow{Account: account, Name: name, ARN: "arn:aws:lambda:us-east-1:" + account + ":function:" + name,
		Spec: []byte(`{"Runtime":"provided.al2023"}`), Aliases: []byte(`{}`), Tags: []byte(`{}`), Reserved: -1, NextVersion: 1,
		Revision: "r1", Created: 1000, Modified: 1000}
}

// TestFunctions covers FunctionCreate, FunctionGet, FunctionList, FunctionUpdate, FunctionDelete
// and the FunctionVersion methods.
func TestFunctions(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, r := range []*store.FunctionRow{functionRow("a", "f2"), functionRow("a", "f1"), functionRow("b", "f1")} {
			if err := s.FunctionCreate(ctx, &store.FunctionCreateParams{Row: r}); err != nil {
				t.Fatalf("create %s/%s: %v", r.Account, r.Name, err)
			}
		}
		if err := s.FunctionCreate(ctx, &store.FunctionCreateParams{Row: functionRow("a", "f1")}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate: %v", err)
		}
		got, err := s.FunctionGet(ctx, &store.FunctionGetParams{Account: "a", Name: "f1"})
		if err != nil || got.Reserved != -1 || got.Revision != "r1" || string(got.Spec) != `{"Runtime":"provided.al2023"}` {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if _, err := s.FunctionGet(ctx, &store.FunctionGetParams{Account: "c", Name: "f1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get other account: %v", err)
		}
		page, err := s.FunctionList(ctx, &store.FunctionListParams{Account: "a", Limit: 1})
		if err != nil || len(page) != 1 || page[0].Name != "f1" {
			t.Fatalf("list = %v, %v", page, err)
		}
		page, err = s.FunctionList(ctx, &store.FunctionListParams{Account: "a", After: "f1"})
		if err != nil || len(page) != 1 || page[0].Name != "f2" {
			t.Fatalf("list page 2 = %v, %v", page, err)
		}
		if all, err := s.FunctionList(ctx, &store.FunctionListParams{}); err != nil || len(all) != 3 {
			t.Fatalf("list all = %v, %v", all, err)
		}
		up := *got
		up.Reserved, up.Revision, up.NextVersion, up.Spec = 5, "r2", 2, []byte(`{"Runtime":"python3.12"}`)
		if err := s.FunctionUpdate(ctx, &store.FunctionUpdateParams{Row: &up, IfRevision: "r1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.FunctionUpdate(ctx, &store.FunctionUpdateParams{Row: &up, IfRevision: "r1"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale update: %v", err)
		}
		missing := functionRow("a", "nope")
		if err := s.FunctionUpdate(ctx, &store.FunctionUpdateParams{Row: missing}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		got, _ = s.FunctionGet(ctx, &store.FunctionGetParams{Account: "a", Name: "f1"})
		if got.Reserved != 5 || got.NextVersion != 2 || string(got.Spec) != `{"Runtime":"python3.12"}` {
			t.Fatalf("after update = %+v", got)
		}

		for v := 1; v <= 2; v++ {
			if err := s.FunctionVersionCreate(ctx, &store.FunctionVersionCreateParams{Row: &store.FunctionVersionRow{Account: "a", Name: "f1", Version: v, Spec: []byte(`{}`), Created: int64(v)}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.FunctionVersionCreate(ctx, &store.FunctionVersionCreateParams{Row: &store.FunctionVersionRow{Account: "a", Name: "f1", Version: 1, Spec: []byte(`{}`)}}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate version: %v", err)
		}
		v, err := s.FunctionVersionGet(ctx, &store.FunctionVersionGetParams{Account: "a", Name: "f1", Version: 2})
		if err != nil || v.Created != 2 {
			t.Fatalf("version 2 = %+v, %v", v, err)
		}
		if err := s.FunctionVersionDelete(ctx, &store.FunctionVersionGetParams{Account: "a", Name: "f1", Version: 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.FunctionVersionDelete(ctx, &store.FunctionVersionGetParams{Account: "a", Name: "f1", Version: 1}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second version delete: %v", err)
		}
		vs, err := s.FunctionVersionList(ctx, &store.FunctionGetParams{Account: "a", Name: "f1"})
		if err != nil || len(vs) != 1 || vs[0].Version != 2 {
			t.Fatalf("versions = %v, %v", vs, err)
		}
		if err := s.FunctionDelete(ctx, &store.FunctionGetParams{Account: "a", Name: "f1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.FunctionDelete(ctx, &store.FunctionGetParams{Account: "a", Name: "f1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if _, err := s.FunctionVersionGet(ctx, &store.FunctionVersionGetParams{Account: "a", Name: "f1", Version: 2}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("version of a deleted function: %v", err)
		}
	})
}

// TestFunctionEvents covers FunctionEventEnqueue, FunctionEventClaim, FunctionEventRetry and
// FunctionEventDelete.
func TestFunctionEvents(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for i, due := range []int64{30, 10, 20} {
			row := &store.FunctionEventRow{ID: fmt.Sprint("e", i), Account: "a", Name: "f", Payload: []byte(`{}`), Due: due, Created: 1}
			if err := s.FunctionEventEnqueue(ctx, &store.FunctionEventEnqueueParams{Row: row}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.FunctionEventClaim(ctx, &store.FunctionEventClaimParams{Owner: "n1", Now: 25, Until: 100, Limit: 10})
		if err != nil || len(got) != 2 {
			t.Fatalf("claim = %v, %v", got, err)
		}
		ids := map[string]bool{got[0].ID: true, got[1].ID: true}
		if !ids["e1"] || !ids["e2"] || got[0].Owner != "n1" {
			t.Fatalf("claimed %v", got)
		}
		if again, _ := s.FunctionEventClaim(ctx, &store.FunctionEventClaimParams{Owner: "n2", Now: 50, Until: 100, Limit: 10}); len(again) != 1 || again[0].ID != "e0" {
			t.Fatalf("second claim = %v", again)
		}
		if err := s.FunctionEventRetry(ctx, &store.FunctionEventRetryParams{ID: "e1", Owner: "n2", Attempt: 1, Due: 60}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("retry by another owner: %v", err)
		}
		if err := s.FunctionEventRetry(ctx, &store.FunctionEventRetryParams{ID: "e1", Owner: "n1", Attempt: 1, Due: 60}); err != nil {
			t.Fatal(err)
		}
		if err := s.FunctionEventDelete(ctx, &store.FunctionEventDeleteParams{ID: "e2", Owner: "n1"}); err != nil {
			t.Fatal(err)
		}
		// e1 is due again at 60; e0's lease (n2, until 100) has not ended.
		later, err := s.FunctionEventClaim(ctx, &store.FunctionEventClaimParams{Owner: "n3", Now: 70, Until: 200, Limit: 10})
		if err != nil || len(later) != 1 || later[0].ID != "e1" || later[0].Attempt != 1 {
			t.Fatalf("claim after retry = %v, %v", later, err)
		}
		expired, _ := s.FunctionEventClaim(ctx, &store.FunctionEventClaimParams{Owner: "n3", Now: 150, Until: 300, Limit: 10})
		if len(expired) != 1 || expired[0].ID != "e0" {
			t.Fatalf("claim after a lease ended = %v", expired)
		}
	})
}
