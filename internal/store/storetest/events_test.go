package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// TestEventRules covers the rule and target methods.
func TestEventRules(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		rule := func(name, state string) *store.RuleRow {
			return &store.RuleRow{Account: "a", Bus: "default", Name: name, ARN: "arn:aws:events:us-east-1:a:rule/" + name, Spec: []byte(`{}`), State: state, Modified: 1}
		}
		for _, r := range []*store.RuleRow{rule("r2", "ENABLED"), rule("r1", "ENABLED"), rule("x", "ENABLED")} {
			if err := s.RulePut(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RulePut(ctx, rule("r1", "DISABLED")); err != nil {
			t.Fatalf("replace: %v", err)
		}
		got, err := s.RuleGet(ctx, &store.RuleGetParams{Account: "a", Bus: "default", Name: "r1"})
		if err != nil || got.State != "DISABLED" {
			t.Fatalf("get = %+v, %v", got, err)
		}
		list, err := s.RuleList(ctx, &store.RuleListParams{Account: "a", Bus: "default", NamePrefix: "r", Limit: 1})
		if err != nil || len(list) != 1 || list[0].Name != "r1" {
			t.Fatalf("list = %v, %v", list, err)
		}
		list, _ = s.RuleList(ctx, &store.RuleListParams{Account: "a", Bus: "default", NamePrefix: "r", After: "r1"})
		if len(list) != 1 || list[0].Name != "r2" {
			t.Fatalf("list page 2 = %v", list)
		}
		key := store.RuleGetParams{Account: "a", Bus: "default", Name: "r1"}
		if err := s.TargetsPut(ctx, &store.TargetsPutParams{Rule: key, Targets: []*store.TargetRow{{ID: "b", ARN: "arn1", Spec: []byte(`{}`)}, {ID: "a", ARN: "arn2", Spec: []byte(`{}`)}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.TargetsPut(ctx, &store.TargetsPutParams{Rule: key, Targets: []*store.TargetRow{{ID: "b", ARN: "arn3", Spec: []byte(`{}`)}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.TargetsPut(ctx, &store.TargetsPutParams{Rule: store.RuleGetParams{Account: "a", Bus: "default", Name: "none"}, Targets: []*store.TargetRow{{ID: "a", ARN: "x", Spec: []byte(`{}`)}}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("targets of missing rule: %v", err)
		}
		ts, err := s.TargetsList(ctx, &key)
		if err != nil || len(ts) != 2 || ts[0].ID != "a" || ts[1].ARN != "arn3" {
			t.Fatalf("targets = %v, %v", ts, err)
		}
		if err := s.RuleDelete(ctx, &key); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("delete rule with targets: %v, want ErrConflict", err)
		}
		missing, err := s.TargetsRemove(ctx, &store.TargetsRemoveParams{Rule: key, IDs: []string{"a", "b", "zz"}})
		if err != nil || len(missing) != 1 || missing[0] != "zz" {
			t.Fatalf("remove: missing %v, %v", missing, err)
		}
		if err := s.RuleDelete(ctx, &key); err != nil {
			t.Fatal(err)
		}
		if err := s.RuleDelete(ctx, &key); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

// TestEventDeliveries covers the delivery outbox: due order, leases, retry and delete, and
// concurrent claimers that never share a row.
func TestEventDeliveries(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		const now = 1_700_000_000_000
		var rows []*store.DeliveryRow
		for i := 0; i < 20; i++ {
			rows = append(rows, &store.DeliveryRow{ID: fmt.Sprintf("d%02d", i), Account: "a", Rule: "r", Target: []byte(`{}`), Input: []byte(`{}`), NextAt: now + int64(i), Created: now})
		}
		rows = append(rows, &store.DeliveryRow{ID: "later", Account: "a", Rule: "r", Target: []byte(`{}`), Input: []byte(`{}`), NextAt: now + 1_000_000, Created: now})
		if err := s.DeliveriesAdd(ctx, rows); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(owner string) {
				defer wg.Done()
				for {
					got, err := s.DeliveriesClaim(ctx, &store.DeliveriesClaimParams{Owner: owner, Now: now + 100, Until: now + 10_000, Limit: 3})
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						if prev, ok := seen[d.ID]; ok {
							t.Errorf("%s claimed by %s and %s", d.ID, prev, owner)
						}
						seen[d.ID] = owner
					}
					mu.Unlock()
				}
			}(fmt.Sprintf("w%d", w))
		}
		wg.Wait()
		if len(seen) != 20 {
			t.Fatalf("claimed %d deliveries, want the 20 due ones", len(seen))
		}
		if err := s.DeliveryRetry(ctx, &store.DeliveryRetryParams{ID: "d00", Attempts: 1, NextAt: now + 200}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeliveryDelete(ctx, "d01"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeliveryDelete(ctx, "d01"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		got, _ := s.DeliveriesClaim(ctx, &store.DeliveriesClaimParams{Owner: "x", Now: now + 150, Until: now + 20_000, Limit: 10})
		if len(got) != 0 {
			t.Fatalf("claimed %v before it was due or while leased", got)
		}
		got, _ = s.DeliveriesClaim(ctx, &store.DeliveriesClaimParams{Owner: "x", Now: now + 200, Until: now + 20_000, Limit: 10})
		if len(got) != 1 || got[0].ID != "d00" || got[0].Attempts != 1 {
			t.Fatalf("after retry: %v", got)
		}
		// An expired lease makes the rest claimable again.
		got, _ = s.DeliveriesClaim(ctx, &store.DeliveriesClaimParams{Owner: "y", Now: now + 10_000, Until: now + 30_000, Limit: 100})
		if len(got) != 18 {
			t.Fatalf("after lease expiry claimed %d, want 18", len(got))
		}
	})
}
