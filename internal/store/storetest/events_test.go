package storetest

import (
	"context"
	"errors"
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
