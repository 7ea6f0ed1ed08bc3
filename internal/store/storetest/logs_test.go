package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

func logGroup(account, name string) *store.LogGroupRow {
	return &store.LogGroupRow{Account: account, Name: name, ARN: "arn:aws:logs:us-east-1:" + account + ":log-group:" + name, Created: 1000}
}

// TestLogGroups covers LogGroupCreate, LogGroupGet, LogGroupList, LogGroupUpdate and LogGroupDelete.
func TestLogGroups(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, g := range []*store.LogGroupRow{logGroup("a", "/aws/lambda/f2"), logGroup("a", "/aws/lambda/f1"), logGroup("a", "/aws-glue/jobs/output"), logGroup("b", "/aws/lambda/f1")} {
			got, err := s.LogGroupCreate(ctx, &store.LogGroupCreateParams{Row: g})
			if err != nil || got.ID == 0 {
				t.Fatalf("create %s/%s: %+v, %v", g.Account, g.Name, got, err)
			}
		}
		if _, err := s.LogGroupCreate(ctx, &store.LogGroupCreateParams{Row: logGroup("a", "/aws/lambda/f1")}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate: %v, want ErrAlreadyExists", err)
		}
		g, err := s.LogGroupGet(ctx, &store.LogGroupGetParams{Account: "a", Name: "/aws/lambda/f1"})
		if err != nil || g.Class != "STANDARD" || string(g.Tags) != "{}" || g.Created != 1000 || g.RetentionDays != 0 {
			t.Fatalf("get = %+v, %v", g, err)
		}
		if _, err := s.LogGroupGet(ctx, &store.LogGroupGetParams{Account: "c", Name: "/aws/lambda/f1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get other account: %v", err)
		}
		page, err := s.LogGroupList(ctx, &store.LogGroupListParams{Account: "a", NamePrefix: "/aws/lambda/", Limit: 1})
		if err != nil || len(page) != 1 || page[0].Name != "/aws/lambda/f1" {
			t.Fatalf("list page 1 = %v, %v", page, err)
		}
		page, err = s.LogGroupList(ctx, &store.LogGroupListParams{Account: "a", NamePrefix: "/aws/lambda/", After: page[0].Name})
		if err != nil || len(page) != 1 || page[0].Name != "/aws/lambda/f2" {
			t.Fatalf("list page 2 = %v, %v", page, err)
		}
		all, err := s.LogGroupList(ctx, &store.LogGroupListParams{})
		if err != nil || len(all) != 4 || all[0].Account != "a" || all[0].Name != "/aws-glue/jobs/output" || all[3].Account != "b" {
			t.Fatalf("list all = %v, %v", all, err)
		}
		if err := s.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Account: "a", Name: "/aws/lambda/f1", RetentionDays: 14, Tags: []byte(`{"k":"v"}`)}); err != nil {
			t.Fatal(err)
		}
		g, _ = s.LogGroupGet(ctx, &store.LogGroupGetParams{Account: "a", Name: "/aws/lambda/f1"})
		if g.RetentionDays != 14 || string(g.Tags) != `{"k":"v"}` {
			t.Fatalf("after update = %+v", g)
		}
		if err := s.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Account: "a", Name: "missing"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		st, err := s.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupID: g.ID, Name: "s", Created: 5})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.LogEventPut(ctx, &store.LogEventPutParams{GroupID: g.ID, StreamID: st.ID, Now: 10, Events: []store.LogEventRow{{Timestamp: 9, Message: "x"}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.LogGroupDelete(ctx, &store.LogGroupGetParams{Account: "a", Name: "/aws/lambda/f1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.LogGroupDelete(ctx, &store.LogGroupGetParams{Account: "a", Name: "/aws/lambda/f1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if ev, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID}); err != nil || len(ev) != 0 {
			t.Fatalf("events of a deleted group = %v, %v", ev, err)
		}
		if _, err := s.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupID: g.ID, Name: "s2"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("stream in a deleted group: %v", err)
		}
	})
}

// TestLogStreamsAndEvents covers LogStreamCreate, LogStreamGet, LogStreamList, LogStreamDelete,
// LogEventPut, LogEventScan and LogEventExpire.
func TestLogStreamsAndEvents(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		g, err := s.LogGroupCreate(ctx, &store.LogGroupCreateParams{Row: logGroup("a", "g")})
		if err != nil {
			t.Fatal(err)
		}
		streams := map[string]*store.LogStreamRow{}
		for _, name := range []string{"s2", "s1", "t1"} {
			st, err := s.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupID: g.ID, Name: name, Created: 100})
			if err != nil {
				t.Fatal(err)
			}
			streams[name] = st
		}
		if _, err := s.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupID: g.ID, Name: "s1"}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate stream: %v", err)
		}
		put := func(stream string, now int64, ts ...int64) {
			t.Helper()
			var ev []store.LogEventRow
			for _, x := range ts {
				ev = append(ev, store.LogEventRow{Timestamp: x, Message: fmt.Sprintf("%s event at %d ERROR=%v", stream, x, x%20 == 0)})
			}
			if err := s.LogEventPut(ctx, &store.LogEventPutParams{GroupID: g.ID, StreamID: streams[stream].ID, Now: now, Events: ev}); err != nil {
				t.Fatal(err)
			}
		}
		put("s1", 500, 10, 20, 30)
		put("s2", 600, 15, 25)
		put("t1", 700, 5)
		put("s1", 800, 40)

		st, err := s.LogStreamGet(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: "s1"})
		if err != nil || st.FirstEvent != 10 || st.LastEvent != 40 || st.LastIngestion != 800 || st.StoredBytes == 0 {
			t.Fatalf("stream s1 = %+v, %v", st, err)
		}
		byName, err := s.LogStreamList(ctx, &store.LogStreamListParams{GroupID: g.ID, NamePrefix: "s"})
		if err != nil || len(byName) != 2 || byName[0].Name != "s1" || byName[1].Name != "s2" {
			t.Fatalf("list by name = %v, %v", byName, err)
		}
		desc, err := s.LogStreamList(ctx, &store.LogStreamListParams{GroupID: g.ID, ByLastEvent: true, Descending: true, Limit: 2})
		if err != nil || len(desc) != 2 || desc[0].Name != "s1" || desc[1].Name != "s2" {
			t.Fatalf("list by last event desc = %v, %v", desc, err)
		}
		rest, err := s.LogStreamList(ctx, &store.LogStreamListParams{GroupID: g.ID, ByLastEvent: true, Descending: true, After: desc[1].Name, AfterTime: desc[1].LastEvent})
		if err != nil || len(rest) != 1 || rest[0].Name != "t1" {
			t.Fatalf("list by last event desc, page 2 = %v, %v", rest, err)
		}

		all, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID})
		if err != nil || len(all) != 7 {
			t.Fatalf("scan all = %d, %v", len(all), err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Timestamp < all[i-1].Timestamp {
				t.Fatalf("scan out of order: %v", all)
			}
		}
		ranged, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, Start: 15, End: 30, Limit: 2})
		if err != nil || len(ranged) != 2 || ranged[0].Timestamp != 15 || ranged[1].Timestamp != 20 {
			t.Fatalf("scan range = %v, %v", ranged, err)
		}
		next, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, Start: 15, End: 30, AfterTime: ranged[1].Timestamp, AfterID: ranged[1].ID})
		if err != nil || len(next) != 1 || next[0].Timestamp != 25 {
			t.Fatalf("scan after cursor = %v, %v", next, err)
		}
		filtered, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, StreamIDs: []int64{streams["s1"].ID, streams["t1"].ID}, Contains: []string{"ERROR=true"}})
		if err != nil || len(filtered) != 2 || filtered[0].Timestamp != 20 || filtered[1].Timestamp != 40 || filtered[0].StreamID != streams["s1"].ID {
			t.Fatalf("scan with streams and contains = %v, %v", filtered, err)
		}
		for lit, want := range map[string]int{"error=true": 0, "ERROR=": 7, "ent at 4": 1, "=t": 2, `"`: 0} {
			got, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, Contains: []string{lit}})
			if err != nil || len(got) != want {
				t.Fatalf("scan containing %q = %d events, %v; want %d", lit, len(got), err, want)
			}
		}
		one, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, StreamIDs: []int64{streams["s2"].ID}, Descending: true})
		if err != nil || len(one) != 2 || one[0].Timestamp != 25 || one[0].Ingested != 600 || one[0].Message != "s2 event at 25 ERROR=false" {
			t.Fatalf("scan one stream descending = %v, %v", one, err)
		}
		before, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, Descending: true, AfterTime: one[0].Timestamp, AfterID: one[0].ID, Limit: 1})
		if err != nil || len(before) != 1 || before[0].Timestamp != 20 {
			t.Fatalf("scan descending before cursor = %v, %v", before, err)
		}

		n, err := s.LogEventExpire(ctx, &store.LogEventExpireParams{GroupID: g.ID, Before: 20, Limit: 2})
		if err != nil || n != 2 {
			t.Fatalf("expire = %d, %v", n, err)
		}
		n, err = s.LogEventExpire(ctx, &store.LogEventExpireParams{GroupID: g.ID, Before: 20})
		if err != nil || n != 1 {
			t.Fatalf("expire rest = %d, %v", n, err)
		}
		left, _ := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID})
		if len(left) != 4 || left[0].Timestamp != 20 {
			t.Fatalf("after expiry = %v", left)
		}

		if err := s.LogStreamDelete(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: "s1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.LogStreamDelete(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: "s1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second stream delete: %v", err)
		}
		left, _ = s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID})
		if len(left) != 1 || left[0].StreamID != streams["s2"].ID {
			t.Fatalf("after stream delete = %v", left)
		}
		if err := s.LogEventPut(ctx, &store.LogEventPutParams{GroupID: g.ID, StreamID: streams["s1"].ID, Now: 1, Events: []store.LogEventRow{{Timestamp: 1}}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("put to a deleted stream: %v", err)
		}
	})
}
