package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// pipeT0 is a realistic time in Unix milliseconds (past 32 bits).
const pipeT0 = 1_700_000_000_000

func pipeRow(account, name string) *store.PipeRow {
	return &store.PipeRow{Account: account, Name: name, ARN: "arn:aws:pipes:us-east-1:" + account + ":pipe/" + name,
		Source: "arn:aws:sqs:us-east-1:" + account + ":q", Target: "arn:aws:states:us-east-1:" + account + ":stateMachine:m",
		Spec: []byte(`{"a":1}`), Tags: []byte(`{}`), DesiredState: "RUNNING", CurrentState: "CREATING", Created: pipeT0, Modified: pipeT0}
}

// TestPipes covers PipeCreate, PipeGet, PipeList, PipeUpdate and PipeDelete.
func TestPipes(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, r := range []*store.PipeRow{pipeRow("a", "p2"), pipeRow("a", "p1"), pipeRow("a", "x1"), pipeRow("b", "p1")} {
			if err := s.PipeCreate(ctx, &store.PipeCreateParams{Row: r}); err != nil {
				t.Fatalf("create %s/%s: %v", r.Account, r.Name, err)
			}
		}
		if err := s.PipeCreate(ctx, &store.PipeCreateParams{Row: pipeRow("a", "p1")}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate create: %v, want ErrAlreadyExists", err)
		}
		got, err := s.PipeGet(ctx, &store.PipeGetParams{Account: "a", Name: "p1"})
		if err != nil || got.CurrentState != "CREATING" || string(got.Spec) != `{"a":1}` || got.Created != pipeT0 {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if _, err := s.PipeGet(ctx, &store.PipeGetParams{Account: "c", Name: "p1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get other account: %v, want ErrNotFound", err)
		}
		page, err := s.PipeList(ctx, &store.PipeListParams{Account: "a", NamePrefix: "p", Limit: 1})
		if err != nil || len(page) != 1 || page[0].Name != "p1" {
			t.Fatalf("list page 1 = %v, %v", page, err)
		}
		page, err = s.PipeList(ctx, &store.PipeListParams{Account: "a", NamePrefix: "p", After: "p1"})
		if err != nil || len(page) != 1 || page[0].Name != "p2" {
			t.Fatalf("list page 2 = %v, %v", page, err)
		}
		all, err := s.PipeList(ctx, &store.PipeListParams{})
		if err != nil || len(all) != 4 || all[3].Account != "b" {
			t.Fatalf("list all accounts = %d rows, %v", len(all), err)
		}

		upd := pipeRow("a", "p1")
		upd.CurrentState, upd.DesiredState, upd.Modified = "STOPPED", "STOPPED", pipeT0+1000
		if err := s.PipeUpdate(ctx, &store.PipeUpdateParams{Row: upd, IfModified: pipeT0 - 1}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale update: %v, want ErrConflict", err)
		}
		if err := s.PipeUpdate(ctx, &store.PipeUpdateParams{Row: upd, IfModified: pipeT0}); err != nil {
			t.Fatalf("update: %v", err)
		}
		got, _ = s.PipeGet(ctx, &store.PipeGetParams{Account: "a", Name: "p1"})
		if got.CurrentState != "STOPPED" || got.Modified != pipeT0+1000 || got.Created != pipeT0 {
			t.Fatalf("after update = %+v", got)
		}
		if err := s.PipeUpdate(ctx, &store.PipeUpdateParams{Row: pipeRow("a", "nope")}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v, want ErrNotFound", err)
		}
		if err := s.PipeDelete(ctx, &store.PipeGetParams{Account: "a", Name: "p1"}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if err := s.PipeDelete(ctx, &store.PipeGetParams{Account: "a", Name: "p1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete again: %v, want ErrNotFound", err)
		}
	})
}

// TestPipeLease covers PipeLeaseClaim and PipeLeaseRelease: one owner at a time until expiry.
func TestPipeLease(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		if err := s.PipeCreate(ctx, &store.PipeCreateParams{Row: pipeRow("a", "p")}); err != nil {
			t.Fatal(err)
		}
		claim := func(owner string, now int64) bool {
			t.Helper()
			ok, err := s.PipeLeaseClaim(ctx, &store.PipeLeaseParams{Account: "a", Name: "p", Owner: owner, Now: pipeT0 + now, Until: pipeT0 + now + 100})
			if err != nil {
				t.Fatalf("claim by %s: %v", owner, err)
			}
			return ok
		}
		if !claim("n1", 0) {
			t.Fatal("n1 could not claim a free lease")
		}
		if claim("n2", 50) {
			t.Fatal("n2 claimed a lease that n1 holds")
		}
		if !claim("n1", 90) {
			t.Fatal("n1 could not renew its lease")
		}
		if !claim("n2", 190) {
			t.Fatal("n2 could not claim an expired lease")
		}
		if err := s.PipeLeaseRelease(ctx, &store.PipeLeaseParams{Account: "a", Name: "p", Owner: "n1"}); err != nil {
			t.Fatal(err)
		}
		if claim("n1", 200) {
			t.Fatal("release by a non-holder freed the lease")
		}
		if err := s.PipeLeaseRelease(ctx, &store.PipeLeaseParams{Account: "a", Name: "p", Owner: "n2"}); err != nil {
			t.Fatal(err)
		}
		if !claim("n1", 201) {
			t.Fatal("n1 could not claim a released lease")
		}
		if _, err := s.PipeLeaseClaim(ctx, &store.PipeLeaseParams{Account: "a", Name: "missing", Owner: "n1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("claim missing: %v, want ErrNotFound", err)
		}
	})
}
