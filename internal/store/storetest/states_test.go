package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// TestStateResources covers StateResourceGet, StateResourcesList and StateResourcesWrite.
func TestStateResources(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		sm := &store.StateResource{ARN: "arn:sm:a", Account: "1", Kind: "stateMachine", Key: "a", Created: 5, Doc: []byte(`{"v":1}`)}
		ver := &store.StateResource{ARN: "arn:sm:a:1", Account: "1", Kind: "version", Parent: "arn:sm:a", Key: "0000000001", Created: 6, Doc: []byte(`{}`)}
		if err := s.StateResourcesWrite(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{sm, ver}}); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := s.StateResourcesWrite(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{{ARN: "arn:sm:b", Account: "1", Kind: "stateMachine", Key: "b", Doc: []byte(`{}`)}, sm}}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("create existing: err %v, want ErrAlreadyExists", err)
		}
		if _, err := s.StateResourceGet(ctx, &store.StateResourceGetParams{ARN: "arn:sm:b"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed write left arn:sm:b behind (err %v)", err)
		}
		got, err := s.StateResourceGet(ctx, &store.StateResourceGetParams{ARN: "arn:sm:a"})
		if err != nil || got.Revision != 1 || string(got.Doc) != `{"v":1}` || got.Created != 5 {
			t.Fatalf("get = %+v, %v", got, err)
		}
		got.Doc = []byte(`{"v":2}`)
		if err := s.StateResourcesWrite(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{got}}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if err := s.StateResourcesWrite(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{got}}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale update: err %v, want ErrConflict", err)
		}
		list, err := s.StateResourcesList(ctx, &store.StateResourcesListParams{Account: "1", Kind: "version", Parent: "arn:sm:a"})
		if err != nil || len(list) != 1 || list[0].ARN != ver.ARN {
			t.Fatalf("list versions = %v, %v", list, err)
		}
		for _, n := range []string{"c", "d"} {
			r := &store.StateResource{ARN: "arn:sm:" + n, Account: "1", Kind: "stateMachine", Key: n, Doc: []byte(`{}`)}
			if err := s.StateResourcesWrite(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{r}}); err != nil {
				t.Fatal(err)
			}
		}
		page, err := s.StateResourcesList(ctx, &store.StateResourcesListParams{Account: "1", Kind: "stateMachine", After: "a", Limit: 1})
		if err != nil || len(page) != 1 || page[0].Key != "c" {
			t.Fatalf("page after a = %v, %v", page, err)
		}
		if err := s.StateResourcesWrite(ctx, &store.StateResourcesWriteParams{Deletes: []string{"arn:sm:a", "arn:sm:zz"}}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := s.StateResourceGet(ctx, &store.StateResourceGetParams{ARN: "arn:sm:a"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted resource: err %v", err)
		}
	})
}

// TestExecutions covers ExecutionWrite, ExecutionGet, ExecutionsList, HistoryList,
// ExecutionsRecord and ExecutionsExpire.
func TestExecutions(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		row := func(name string, started int64) *store.ExecutionRow {
			return &store.ExecutionRow{ARN: "arn:ex:" + name, Account: "1", StateMachineARN: "arn:sm", Name: name, Status: "RUNNING", StartedAt: started, Version: 1, Doc: []byte(`{}`), Snapshot: []byte(`{"s":1}`)}
		}
		a := row("a", 10)
		err := s.ExecutionWrite(ctx, &store.ExecutionWriteParams{Execution: a, History: &store.HistoryChunk{ExecutionARN: a.ARN, FirstID: 1, Events: []byte(`[1,2]`)},
			WorkAdd: []*store.WorkRow{{ID: "w1", ExecutionARN: a.ARN, Kind: "timer", ReadyAt: 100, Doc: []byte(`{}`)}}})
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		if err := s.ExecutionWrite(ctx, &store.ExecutionWriteParams{Execution: row("a", 11)}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("insert twice: err %v", err)
		}
		got, err := s.ExecutionGet(ctx, &store.ExecutionGetParams{ARN: a.ARN, WithSnapshot: true})
		if err != nil || string(got.Snapshot) != `{"s":1}` || got.Version != 1 || got.StartedAt != 10 {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if next, err := s.WorkNextReady(ctx, &store.WorkNextReadyParams{}); err != nil || next != 100 {
			t.Fatalf("next ready = %d, %v", next, err)
		}
		if w, err := s.WorkClaim(ctx, &store.WorkClaimParams{Now: 99, Owner: "n1", LeaseUntil: 200, Limit: 10}); err != nil || len(w) != 0 {
			t.Fatalf("claim before due = %v, %v", w, err)
		}
		w, err := s.WorkClaim(ctx, &store.WorkClaimParams{Now: 100, Owner: "n1", LeaseUntil: 200, Limit: 10})
		if err != nil || len(w) != 1 || w[0].ID != "w1" || w[0].Owner != "n1" {
			t.Fatalf("claim = %v, %v", w, err)
		}
		if w, _ := s.WorkClaim(ctx, &store.WorkClaimParams{Now: 150, Owner: "n2", LeaseUntil: 250, Limit: 10}); len(w) != 0 {
			t.Fatalf("a leased row was claimed again: %v", w)
		}
		if err := s.WorkExtend(ctx, &store.WorkExtendParams{ID: "w1", Owner: "n2", LeaseUntil: 300}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("extend by non-owner: err %v", err)
		}
		a2 := *a
		a2.Version, a2.Status, a2.StoppedAt, a2.Snapshot = 2, "SUCCEEDED", 20, nil
		if err := s.ExecutionWrite(ctx, &store.ExecutionWriteParams{Execution: &a2, PrevVersion: 1, Claimed: []string{"w1"}, ClaimOwner: "n2"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("write consuming another owner's claim: err %v", err)
		}
		if err := s.ExecutionWrite(ctx, &store.ExecutionWriteParams{Execution: &a2, PrevVersion: 1, Claimed: []string{"w1"}, ClaimOwner: "n1",
			History:     &store.HistoryChunk{ExecutionARN: a.ARN, FirstID: 3, Events: []byte(`[3]`)},
			ActivityAdd: []*store.ActivityTaskRow{{ID: "t1", ActivityARN: "arn:act", ExecutionARN: a.ARN, Token: "tok", Input: "{}", Created: 1}}}); err != nil {
			t.Fatalf("advance: %v", err)
		}
		if err := s.ExecutionWrite(ctx, &store.ExecutionWriteParams{Execution: &a2, PrevVersion: 1}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale advance: err %v", err)
		}
		if _, err := s.WorkNextReady(ctx, &store.WorkNextReadyParams{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("claimed work not consumed: %v", err)
		}
		h, err := s.HistoryList(ctx, &store.HistoryListParams{ExecutionARN: a.ARN})
		if err != nil || len(h) != 2 || string(h[0].Events) != `[1,2]` || string(h[1].Events) != `[3]` {
			t.Fatalf("history = %v, %v", h, err)
		}
		task, err := s.ActivityTaskClaim(ctx, &store.ActivityTaskClaimParams{ActivityARN: "arn:act", Worker: "w", Now: 5})
		if err != nil || task.Token != "tok" || task.Worker != "w" {
			t.Fatalf("activity claim = %+v, %v", task, err)
		}
		if _, err := s.ActivityTaskClaim(ctx, &store.ActivityTaskClaimParams{ActivityARN: "arn:act", Worker: "w", Now: 5}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("claimed task handed out twice: %v", err)
		}
		if got, err := s.ActivityTaskGet(ctx, &store.ActivityTaskGetParams{ID: "t1"}); err != nil || got.ClaimedAt != 5 {
			t.Fatalf("activity get = %+v, %v", got, err)
		}

		b, c := row("b", 20), row("c", 30)
		b.RedriveCount = 1
		c.Express, c.Status, c.ExpiresAt = true, "SUCCEEDED", 1000
		for _, e := range []*store.ExecutionRow{b} {
			if err := s.ExecutionWrite(ctx, &store.ExecutionWriteParams{Execution: e}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ExecutionsRecord(ctx, &store.ExecutionsRecordParams{Executions: []*store.ExecutionRow{c}, History: []*store.HistoryChunk{{ExecutionARN: c.ARN, FirstID: 1, Events: []byte(`[]`)}}}); err != nil {
			t.Fatalf("record: %v", err)
		}
		list, err := s.ExecutionsList(ctx, &store.ExecutionsListParams{Account: "1", StateMachineARN: "arn:sm", Limit: 2})
		if err != nil || len(list) != 2 || list[0].Name != "c" || list[1].Name != "b" || !list[0].Express {
			t.Fatalf("list = %v, %v", names(list), err)
		}
		rest, err := s.ExecutionsList(ctx, &store.ExecutionsListParams{Account: "1", StateMachineARN: "arn:sm", BeforeStart: list[1].StartedAt, BeforeARN: list[1].ARN})
		if err != nil || len(rest) != 1 || rest[0].Name != "a" {
			t.Fatalf("second page = %v, %v", names(rest), err)
		}
		yes := true
		if r, _ := s.ExecutionsList(ctx, &store.ExecutionsListParams{Account: "1", StateMachineARN: "arn:sm", Redriven: &yes}); len(r) != 1 || r[0].Name != "b" {
			t.Fatalf("redriven = %v", names(r))
		}
		if r, _ := s.ExecutionsList(ctx, &store.ExecutionsListParams{Account: "1", StateMachineARN: "arn:sm", Status: "SUCCEEDED"}); len(r) != 2 {
			t.Fatalf("succeeded = %v", names(r))
		}
		if n, err := s.ExecutionsExpire(ctx, &store.ExecutionsExpireParams{Now: 1000}); err != nil || n != 1 {
			t.Fatalf("expire = %d, %v", n, err)
		}
		if _, err := s.ExecutionGet(ctx, &store.ExecutionGetParams{ARN: c.ARN}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired execution still there: %v", err)
		}
	})
}

// TestWorkClaimConcurrent checks that concurrent claimers never get the same row.
func TestWorkClaimConcurrent(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		const n = 60
		e := &store.ExecutionRow{ARN: "arn:ex", Account: "1", StateMachineARN: "arn:sm", Name: "x", Status: "RUNNING", Version: 1, Doc: []byte(`{}`)}
		var work []*store.WorkRow
		for i := 0; i < n; i++ {
			work = append(work, &store.WorkRow{ID: fmt.Sprintf("w%02d", i), ExecutionARN: e.ARN, Kind: "timer", ReadyAt: int64(i), Doc: []byte(`{}`)})
		}
		if err := s.ExecutionWrite(ctx, &store.ExecutionWriteParams{Execution: e, WorkAdd: work}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		for c := 0; c < 4; c++ {
			owner := fmt.Sprintf("n%d", c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.WorkClaim(ctx, &store.WorkClaimParams{Now: 1000, Owner: owner, LeaseUntil: 5000, Limit: 3})
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, w := range got {
						if prev, dup := seen[w.ID]; dup {
							t.Errorf("%s claimed by %s and %s", w.ID, prev, owner)
						}
						seen[w.ID] = owner
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d rows, want %d", len(seen), n)
		}
	})
}

func names(rows []*store.ExecutionRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Name)
	}
	return out
}
