package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

func alarmRow(account, name string) *store.AlarmRow {
	return &store.AlarmRow{Account: account, Name: name, ARN: "arn:aws:cloudwatch:us-east-1:" + account + ":alarm:" + name,
		Spec: []byte(`{"Threshold":1}`), Tags: []byte(`[{"Key":"team","Value":"ops"}]`), State: "INSUFFICIENT_DATA",
		StateReason: "Unchecked: Initial alarm creation", StateUpdated: 1000, StateTransitioned: 1000, Modified: 1000}
}

// TestAlarms covers AlarmPut, AlarmGet, AlarmList, AlarmUpdate and AlarmDelete.
func TestAlarms(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, name := range []string{"b-dlq", "a-failed", "b-latency"} {
			if err := s.AlarmPut(ctx, &store.AlarmPutParams{Row: alarmRow("1", name)}); err != nil {
				t.Fatalf("put %s: %v", name, err)
			}
		}
		if err := s.AlarmPut(ctx, &store.AlarmPutParams{Row: alarmRow("2", "a-failed")}); err != nil {
			t.Fatalf("put other account: %v", err)
		}
		got, err := s.AlarmGet(ctx, &store.AlarmGetParams{Account: "1", Name: "a-failed"})
		if err != nil || got.Version != 1 || got.State != "INSUFFICIENT_DATA" || string(got.Tags) != `[{"Key":"team","Value":"ops"}]` {
			t.Fatalf("get = %+v (err %v)", got, err)
		}
		if _, err := s.AlarmGet(ctx, &store.AlarmGetParams{Account: "1", Name: "nope"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get missing: err = %v, want ErrNotFound", err)
		}

		// A state change, then a configuration update that keeps the state.
		moved := *got
		moved.State, moved.StateReason, moved.StateUpdated, moved.StateTransitioned = "ALARM", "Threshold Crossed", 2000, 2000
		moved.PendingActions = `{"OldState":"INSUFFICIENT_DATA"}`
		hist := []*store.AlarmHistoryRow{{Account: "1", AlarmName: "a-failed", AlarmType: "MetricAlarm", Time: 2000, ItemType: "StateUpdate", Summary: "Alarm updated from INSUFFICIENT_DATA to ALARM", Data: "{}"}}
		if err := s.AlarmUpdate(ctx, &store.AlarmUpdateParams{Row: &moved, IfVersion: 1, History: hist}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if err := s.AlarmUpdate(ctx, &store.AlarmUpdateParams{Row: &moved, IfVersion: 1, History: hist}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("update at a stale version: err = %v, want ErrConflict", err)
		}
		missing := alarmRow("1", "nope")
		if err := s.AlarmUpdate(ctx, &store.AlarmUpdateParams{Row: missing, IfVersion: 1}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: err = %v, want ErrNotFound", err)
		}
		reput := alarmRow("1", "a-failed")
		reput.Spec, reput.Modified, reput.Tags = []byte(`{"Threshold":5}`), 3000, []byte(`[]`)
		if err := s.AlarmPut(ctx, &store.AlarmPutParams{Row: reput}); err != nil {
			t.Fatalf("re-put: %v", err)
		}
		got, _ = s.AlarmGet(ctx, &store.AlarmGetParams{Account: "1", Name: "a-failed"})
		if got.State != "ALARM" || got.StateUpdated != 2000 || string(got.Spec) != `{"Threshold":5}` || got.Modified != 3000 || got.Version != 3 || string(got.Tags) == `[]` ||
			got.PendingActions != `{"OldState":"INSUFFICIENT_DATA"}` {
			t.Fatalf("after re-put = %+v, want state and pending actions kept, spec replaced, tags kept, version 3", got)
		}

		list, err := s.AlarmList(ctx, &store.AlarmListParams{Account: "1", NamePrefix: "b-"})
		if err != nil || len(list) != 2 || list[0].Name != "b-dlq" || list[1].Name != "b-latency" {
			t.Fatalf("list prefix b- = %v (err %v)", alarmNames(list), err)
		}
		page, err := s.AlarmList(ctx, &store.AlarmListParams{Account: "1", After: "a-failed", Limit: 1})
		if err != nil || len(page) != 1 || page[0].Name != "b-dlq" {
			t.Fatalf("page after a-failed = %v (err %v)", alarmNames(page), err)
		}
		all, err := s.AlarmList(ctx, &store.AlarmListParams{})
		if err != nil || len(all) != 4 || all[3].Account != "2" {
			t.Fatalf("every account = %v (err %v)", alarmNames(all), err)
		}

		n, err := s.AlarmDelete(ctx, &store.AlarmDeleteParams{Account: "1", Names: []string{"b-dlq", "nope", "b-latency"}})
		if err != nil || n != 2 {
			t.Fatalf("delete = %d (err %v), want 2", n, err)
		}
		if list, _ := s.AlarmList(ctx, &store.AlarmListParams{Account: "1"}); len(list) != 1 {
			t.Fatalf("after delete = %v", alarmNames(list))
		}
		h, err := s.AlarmHistoryList(ctx, &store.AlarmHistoryListParams{Account: "1", AlarmName: "a-failed"})
		if err != nil || len(h) != 1 || h[0].ItemType != "StateUpdate" || h[0].Seq == 0 {
			t.Fatalf("history after the conflicting update = %+v (err %v), want the one committed item", h, err)
		}
	})
}

func alarmNames(rows []*store.AlarmRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Account+"/"+r.Name)
	}
	return out
}

// TestAlarmHistory covers AlarmHistoryList's filters, order and cursor, and AlarmHistoryPrune.
func TestAlarmHistory(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		var items []*store.AlarmHistoryRow
		for i := 1; i <= 5; i++ {
			typ := "StateUpdate"
			if i%2 == 0 {
				typ = "Action"
			}
			items = append(items, &store.AlarmHistoryRow{Account: "1", AlarmName: "x", AlarmType: "MetricAlarm", Time: int64(i * 1000), ItemType: typ, Summary: fmt.Sprint(i), Data: "{}"})
		}
		items = append(items, &store.AlarmHistoryRow{Account: "1", AlarmName: "y", AlarmType: "MetricAlarm", Time: 6000, ItemType: "StateUpdate", Summary: "y", Data: "{}"})
		if err := s.AlarmPut(ctx, &store.AlarmPutParams{Row: alarmRow("1", "x"), History: items}); err != nil {
			t.Fatal(err)
		}
		newest, err := s.AlarmHistoryList(ctx, &store.AlarmHistoryListParams{Account: "1", AlarmName: "x", Limit: 2})
		if err != nil || len(newest) != 2 || newest[0].Summary != "5" || newest[1].Summary != "4" {
			t.Fatalf("newest 2 = %+v (err %v)", newest, err)
		}
		next, err := s.AlarmHistoryList(ctx, &store.AlarmHistoryListParams{Account: "1", AlarmName: "x", After: newest[1].Seq, Limit: 10})
		if err != nil || len(next) != 3 || next[0].Summary != "3" {
			t.Fatalf("after cursor = %+v (err %v)", next, err)
		}
		oldest, err := s.AlarmHistoryList(ctx, &store.AlarmHistoryListParams{Account: "1", ItemType: "StateUpdate", OldestFirst: true, From: 2000, To: 6001})
		if err != nil || len(oldest) != 3 || oldest[0].Summary != "3" || oldest[2].Summary != "y" {
			t.Fatalf("state updates in [2000,6001) oldest first = %+v (err %v)", oldest, err)
		}
		if err := s.AlarmHistoryPrune(ctx, &store.AlarmHistoryPruneParams{Before: 3000}); err != nil {
			t.Fatal(err)
		}
		rest, _ := s.AlarmHistoryList(ctx, &store.AlarmHistoryListParams{Account: "1"})
		if len(rest) != 4 {
			t.Fatalf("after prune: %d items, want 4", len(rest))
		}
	})
}

// TestAlarmEvaluationClaim checks that a minute is claimed once, even by two stores (nodes) on
// one database.
func TestAlarmEvaluationClaim(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		ok, err := s.AlarmEvaluationClaim(ctx, &store.AlarmEvaluationClaimParams{Minute: 60000, Owner: "n1", Now: 60001})
		if err != nil || !ok {
			t.Fatalf("first claim = %v (err %v)", ok, err)
		}
		ok, err = s.AlarmEvaluationClaim(ctx, &store.AlarmEvaluationClaimParams{Minute: 60000, Owner: "n2", Now: 60002})
		if err != nil || ok {
			t.Fatalf("second claim of the same minute = %v (err %v), want false", ok, err)
		}
		ok, err = s.AlarmEvaluationClaim(ctx, &store.AlarmEvaluationClaimParams{Minute: 120000, Owner: "n2", Now: 120001})
		if err != nil || !ok {
			t.Fatalf("next minute = %v (err %v)", ok, err)
		}
	})
	t.Run("two postgres nodes", func(t *testing.T) {
		t.Parallel()
		schema := NewSchema(t)
		a, b := OpenPostgresSchema(t, schema), OpenPostgresSchema(t, schema)
		ctx := context.Background()
		won := 0
		for i, s := range []store.Store{a, b, a, b} {
			ok, err := s.AlarmEvaluationClaim(ctx, &store.AlarmEvaluationClaimParams{Minute: 60000, Owner: fmt.Sprint("n", i%2), Now: 60000})
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				won++
			}
		}
		if won != 1 {
			t.Fatalf("%d claims of one minute won, want 1", won)
		}
	})
}

// TestDashboards covers DashboardPut, DashboardGet, DashboardList and DashboardDelete.
func TestDashboards(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, name := range []string{"Workflow", "Queues", "WorkflowMonitoring"} {
			if err := s.DashboardPut(ctx, &store.DashboardPutParams{Row: &store.DashboardRow{Account: "1", Name: name, ARN: "arn:" + name, Body: `{"widgets":[]}`, Modified: 1000}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DashboardPut(ctx, &store.DashboardPutParams{Row: &store.DashboardRow{Account: "1", Name: "Queues", ARN: "arn:Queues", Body: `{"widgets":[{}]}`, Modified: 2000}}); err != nil {
			t.Fatal(err)
		}
		d, err := s.DashboardGet(ctx, &store.DashboardGetParams{Account: "1", Name: "Queues"})
		if err != nil || d.Body != `{"widgets":[{}]}` || d.Modified != 2000 {
			t.Fatalf("get = %+v (err %v)", d, err)
		}
		if _, err := s.DashboardGet(ctx, &store.DashboardGetParams{Account: "2", Name: "Queues"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other account: err = %v, want ErrNotFound", err)
		}
		list, err := s.DashboardList(ctx, &store.DashboardListParams{Account: "1", NamePrefix: "Workflow"})
		if err != nil || len(list) != 2 || list[0].Name != "Workflow" || list[1].Name != "WorkflowMonitoring" {
			t.Fatalf("list = %+v (err %v)", list, err)
		}
		if err := s.DashboardDelete(ctx, &store.DashboardDeleteParams{Account: "1", Names: []string{"Workflow", "Missing"}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete with a missing name: err = %v, want ErrNotFound", err)
		}
		if all, _ := s.DashboardList(ctx, &store.DashboardListParams{Account: "1"}); len(all) != 3 {
			t.Fatalf("a failed delete removed dashboards: %d left", len(all))
		}
		if err := s.DashboardDelete(ctx, &store.DashboardDeleteParams{Account: "1", Names: []string{"Workflow", "Queues", "Workflow"}}); err != nil {
			t.Fatal(err)
		}
		if all, _ := s.DashboardList(ctx, &store.DashboardListParams{Account: "1"}); len(all) != 1 || all[0].Name != "WorkflowMonitoring" {
			t.Fatalf("after delete = %+v", all)
		}
	})
}
