package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
		if ev, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID}); err != nil || len(ev.Events) != 0 {
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

		scan := func(p store.LogEventScanParams) []*store.LogEventRow {
			t.Helper()
			p.GroupID = g.ID
			res, err := s.LogEventScan(ctx, &p)
			if err != nil {
				t.Fatalf("scan %+v: %v", p, err)
			}
			return res.Events
		}
		all := scan(store.LogEventScanParams{})
		if len(all) != 7 {
			t.Fatalf("scan all = %d events", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].Timestamp < all[i-1].Timestamp {
				t.Fatalf("scan out of order: %v", all)
			}
		}
		if all[0].Timestamp != 5 || all[0].Ingested != 700 || all[6].Timestamp != 40 || all[6].Ingested != 800 || all[5].Ingested != 500 {
			t.Fatalf("times of the events = %v", all)
		}
		ranged := scan(store.LogEventScanParams{Start: 15, End: 30, Limit: 2})
		if len(ranged) != 2 || ranged[0].Timestamp != 15 || ranged[1].Timestamp != 20 {
			t.Fatalf("scan range = %v", ranged)
		}
		next := scan(store.LogEventScanParams{Start: 15, End: 30, AfterTime: ranged[1].Timestamp, AfterID: ranged[1].ID})
		if len(next) != 1 || next[0].Timestamp != 25 {
			t.Fatalf("scan after cursor = %v", next)
		}
		filtered := scan(store.LogEventScanParams{StreamIDs: []int64{streams["s1"].ID, streams["t1"].ID}, Contains: []string{"ERROR=true"}})
		if len(filtered) != 2 || filtered[0].Timestamp != 20 || filtered[1].Timestamp != 40 || filtered[0].StreamID != streams["s1"].ID {
			t.Fatalf("scan with streams and contains = %v", filtered)
		}
		for lit, want := range map[string]int{"error=true": 0, "ERROR=": 7, "ent at 4": 1, "=t": 2, `"`: 0} {
			if got := scan(store.LogEventScanParams{Contains: []string{lit}}); len(got) != want {
				t.Fatalf("scan containing %q = %d events; want %d", lit, len(got), want)
			}
		}
		matched := scan(store.LogEventScanParams{Contains: []string{"s1"}, Match: func(m string) bool { return strings.HasSuffix(m, "false") }})
		if len(matched) != 2 || matched[0].Timestamp != 10 || matched[1].Timestamp != 30 {
			t.Fatalf("scan with a match function = %v", matched)
		}
		one := scan(store.LogEventScanParams{StreamIDs: []int64{streams["s2"].ID}, Descending: true})
		if len(one) != 2 || one[0].Timestamp != 25 || one[0].Ingested != 600 || one[0].Message != "s2 event at 25 ERROR=false" {
			t.Fatalf("scan one stream descending = %v", one)
		}
		before := scan(store.LogEventScanParams{Descending: true, AfterTime: one[0].Timestamp, AfterID: one[0].ID, Limit: 1})
		if len(before) != 1 || before[0].Timestamp != 20 {
			t.Fatalf("scan descending before cursor = %v", before)
		}

		// Blocks are deleted whole, once all their events are older than the limit: s1's block
		// (10-40) stays, s2's (15, 25) and t1's (5) go.
		n, err := s.LogEventExpire(ctx, &store.LogEventExpireParams{GroupID: g.ID, Before: 30, Limit: 1})
		if err != nil || n != 1 {
			t.Fatalf("expire = %d, %v; want t1's one event", n, err)
		}
		n, err = s.LogEventExpire(ctx, &store.LogEventExpireParams{GroupID: g.ID, Before: 30})
		if err != nil || n != 2 {
			t.Fatalf("expire rest = %d, %v; want s2's two events", n, err)
		}
		if n, err = s.LogEventExpire(ctx, &store.LogEventExpireParams{GroupID: g.ID, Before: 30}); err != nil || n != 0 {
			t.Fatalf("expire again = %d, %v", n, err)
		}
		left := scan(store.LogEventScanParams{})
		if len(left) != 4 || left[0].Timestamp != 10 || left[0].StreamID != streams["s1"].ID {
			t.Fatalf("after expiry = %v", left)
		}
		put("s2", 900, 50)

		if err := s.LogStreamDelete(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: "s1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.LogStreamDelete(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: "s1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second stream delete: %v", err)
		}
		left = scan(store.LogEventScanParams{})
		if len(left) != 1 || left[0].StreamID != streams["s2"].ID {
			t.Fatalf("after stream delete = %v", left)
		}
		if err := s.LogEventPut(ctx, &store.LogEventPutParams{GroupID: g.ID, StreamID: streams["s1"].ID, Now: 1, Events: []store.LogEventRow{{Timestamp: 1}}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("put to a deleted stream: %v", err)
		}
	})
}

// TestLogEventBlocks covers how LogEventPut gathers events into blocks and how LogEventScan
// merges, pages and pauses over them: small puts appended to a stream's latest block, a put of
// older events, batches split by count and time span, and scans that resume after Limit,
// MaxBytes and MaxExamined in both directions, each returning every event exactly once.
func TestLogEventBlocks(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		g, err := s.LogGroupCreate(ctx, &store.LogGroupCreateParams{Row: logGroup("a", "blocks")})
		if err != nil {
			t.Fatal(err)
		}
		var sids []int64
		for _, name := range []string{"a", "b", "c", "big"} {
			st, err := s.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupID: g.ID, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			sids = append(sids, st.ID)
		}
		pad := strings.Repeat("p", 150)
		put := func(stream int, now int64, ts ...int64) {
			t.Helper()
			var ev []store.LogEventRow
			for _, x := range ts {
				ev = append(ev, store.LogEventRow{Timestamp: x, Message: fmt.Sprintf("stream %d at %d %s", stream, x, pad)})
			}
			if err := s.LogEventPut(ctx, &store.LogEventPutParams{GroupID: g.ID, StreamID: sids[stream], Now: now, Events: ev}); err != nil {
				t.Fatal(err)
			}
		}
		want := 0
		// Interleaved small puts on three streams, some events at the same time; the streams'
		// blocks fill up (LogBlockAppendBytes) and overlap in time.
		for i := int64(0); i < 120; i++ {
			put(int(i%3), 1000+i, 100+i*10, 100+i*10, 105+i*10)
			want += 3
		}
		put(1, 2000, 50, 60, 70) // older than the stream's latest block: a block of its own
		want += 3
		// A batch over LogBlockMaxSpan is split.
		put(0, 3000, 300, 300+store.LogBlockMaxSpan+1)
		want += 2
		// So is one over LogBlockMaxEvents events (in a stream of its own, left out of the paging
		// below).
		var many []int64
		for i := range store.LogBlockMaxEvents + 5 {
			many = append(many, 1000+int64(i)/100)
		}
		put(3, 3000, many...)
		big, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, StreamIDs: sids[3:], Start: 1100})
		if err != nil || len(big.Events) != 5 || big.Events[4].ID != big.Events[0].ID+4 || big.Events[0].Message != "stream 3 at 1100 "+pad {
			t.Fatalf("the events of a split batch after 1100 = %+v, %v", big, err)
		}
		if big, err = s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, StreamIDs: sids[3:]}); err != nil || len(big.Events) != len(many) || big.Events[0].Message != "stream 3 at 1000 "+pad {
			t.Fatalf("the events of a split batch = %d, %v", len(big.Events), err)
		}
		sids = sids[:3]

		full, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, StreamIDs: sids})
		if err != nil || len(full.Events) != want || full.Truncated || full.Paused {
			t.Fatalf("full scan = %d events (truncated %v, paused %v), %v; want %d", len(full.Events), full.Truncated, full.Paused, err, want)
		}
		ids := map[int64]bool{}
		for i, e := range full.Events {
			if ids[e.ID] {
				t.Fatalf("event id %d appears twice", e.ID)
			}
			ids[e.ID] = true
			if i > 0 {
				p := full.Events[i-1]
				if e.Timestamp < p.Timestamp || (e.Timestamp == p.Timestamp && e.ID <= p.ID) {
					t.Fatalf("events %d and %d out of (time, id) order: %+v, %+v", i-1, i, p, e)
				}
			}
			if e.Message != fmt.Sprintf("stream %d at %d %s", slicesIndex(sids, e.StreamID), e.Timestamp, pad) {
				t.Fatalf("event %+v has another's message", e)
			}
		}
		if full.Events[0].Timestamp != 50 || full.Events[0].Ingested != 2000 || full.Events[3].Timestamp != 100 || full.Events[3].Ingested != 1000 {
			t.Fatalf("first events = %+v", full.Events[:4])
		}

		page := func(p store.LogEventScanParams) []*store.LogEventRow {
			t.Helper()
			var got []*store.LogEventRow
			p.GroupID, p.StreamIDs = g.ID, sids
			for range 100000 {
				res, err := s.LogEventScan(ctx, &p)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, res.Events...)
				switch {
				case res.Paused:
					if len(res.Events) > 0 && !p.Descending && (res.ResumeTime < res.Events[len(res.Events)-1].Timestamp) {
						t.Fatalf("resume point %d before the last event returned %+v", res.ResumeTime, res.Events[len(res.Events)-1])
					}
					p.AfterTime, p.AfterID = res.ResumeTime, res.ResumeID
				case res.Truncated:
					last := res.Events[len(res.Events)-1]
					p.AfterTime, p.AfterID = last.Timestamp, last.ID
				default:
					return got
				}
			}
			t.Fatal("scan did not end")
			return nil
		}
		same := func(what string, got []*store.LogEventRow, reverse bool) {
			t.Helper()
			if len(got) != len(full.Events) {
				t.Fatalf("%s: %d events, want %d", what, len(got), len(full.Events))
			}
			for i := range got {
				w := full.Events[i]
				if reverse {
					w = full.Events[len(got)-1-i]
				}
				if got[i].ID != w.ID || got[i].Message != w.Message || got[i].Ingested != w.Ingested || got[i].StreamID != w.StreamID {
					t.Fatalf("%s: event %d = %+v, want %+v", what, i, got[i], w)
				}
			}
		}
		for _, limit := range []int{1, 7, 500} {
			same(fmt.Sprintf("pages of %d", limit), page(store.LogEventScanParams{Limit: limit}), false)
			same(fmt.Sprintf("pages of %d, descending", limit), page(store.LogEventScanParams{Limit: limit, Descending: true}), true)
		}
		same("pages of 2,000 bytes", page(store.LogEventScanParams{MaxBytes: 2000, ByteOverhead: 26}), false)
		same("pauses every 50 events", page(store.LogEventScanParams{MaxExamined: 50}), false)
		same("pauses every 3 events, descending", page(store.LogEventScanParams{MaxExamined: 3, Descending: true}), true)

		res, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, StreamIDs: sids, MaxBytes: 10})
		if err != nil || len(res.Events) != 1 || !res.Truncated {
			t.Fatalf("a scan smaller than one event = %+v, %v; want the first event", res, err)
		}
		res, err = s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, MaxExamined: 1, Contains: []string{"3 at 1004"}})
		if err != nil || !res.Paused || len(res.Events) != 0 || res.Examined == 0 {
			t.Fatalf("a paused scan before any match = %+v, %v", res, err)
		}
		wantMatches := 0
		for _, e := range full.Events {
			if strings.HasPrefix(e.Message, "stream 1 ") {
				wantMatches++
			}
		}
		matches := page(store.LogEventScanParams{MaxExamined: 1, Contains: []string{"stream 1 "}})
		if len(matches) != wantMatches || wantMatches != 40*3+3 {
			t.Fatalf("paged search = %d events, want %d", len(matches), wantMatches)
		}
		st, err := s.LogStreamGet(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: "b"})
		if err != nil || st.FirstEvent != 50 || st.LastEvent != 105+118*10 {
			t.Fatalf("stream b = %+v, %v", st, err)
		}
	})
}

func slicesIndex(s []int64, v int64) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestLogStreamsPut: one call creates the missing streams, appends to an existing one without
// changing its creation time, keeps each stream's events in time order, adds every stream's
// bytes to the group, and writes nothing when the group is missing.
func TestLogStreamsPut(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		g, err := s.LogGroupCreate(ctx, &store.LogGroupCreateParams{Row: logGroup("a", "/aws/vendedlogs/states/m")})
		if err != nil {
			t.Fatal(err)
		}
		old, err := s.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupID: g.ID, Name: "old", Created: 5})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.LogEventPut(ctx, &store.LogEventPutParams{GroupID: g.ID, StreamID: old.ID, Now: 10, Events: []store.LogEventRow{{Timestamp: 8, Message: "first"}}}); err != nil {
			t.Fatal(err)
		}
		ids, err := s.LogStreamsPut(ctx, &store.LogStreamsPutParams{GroupID: g.ID, Now: 100, Streams: []store.LogStreamEvents{
			{Name: "new-1", Events: []store.LogEventRow{{Timestamp: 60, Message: "b"}, {Timestamp: 50, Message: "a"}}},
			{Name: "old", Events: []store.LogEventRow{{Timestamp: 9, Message: "second"}}},
			{Name: "new-2", Events: []store.LogEventRow{{Timestamp: 70, Message: "c"}}},
		}})
		if err != nil || len(ids) != 3 || ids[1] != old.ID || ids[0] == ids[2] {
			t.Fatalf("put = %v, %v; want three ids, the second %d", ids, err, old.ID)
		}
		idOf := map[string]int64{"new-1": ids[0], "old": ids[1], "new-2": ids[2]}
		want := map[string]struct {
			created, first, last, bytes int64
			messages                    string
		}{
			"new-1": {100, 50, 60, 2, "a b"},
			"new-2": {100, 70, 70, 1, "c"},
			"old":   {5, 8, 9, 11, "first second"},
		}
		for name, w := range want {
			st, err := s.LogStreamGet(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: name})
			if err != nil {
				t.Fatalf("get %s: %v", name, err)
			}
			if st.ID != idOf[name] || st.Created != w.created || st.FirstEvent != w.first || st.LastEvent != w.last || st.StoredBytes != w.bytes || st.LastIngestion != 100 {
				t.Fatalf("stream %s = %+v, want %+v", name, st, w)
			}
			res, err := s.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, StreamIDs: []int64{st.ID}})
			if err != nil {
				t.Fatalf("scan %s: %v", name, err)
			}
			var msgs []string
			for _, e := range res.Events {
				msgs = append(msgs, e.Message)
			}
			if got := strings.Join(msgs, " "); got != w.messages {
				t.Fatalf("events of %s = %q, want %q", name, got, w.messages)
			}
		}
		gr, err := s.LogGroupGet(ctx, &store.LogGroupGetParams{Account: "a", Name: g.Name})
		if err != nil || gr.StoredBytes != 5+2+6+1 {
			t.Fatalf("group = %+v, %v; want 14 stored bytes", gr, err)
		}
		if err := s.LogGroupDelete(ctx, &store.LogGroupGetParams{Account: "a", Name: g.Name}); err != nil {
			t.Fatal(err)
		}
		_, err = s.LogStreamsPut(ctx, &store.LogStreamsPutParams{GroupID: g.ID, Now: 200, Streams: []store.LogStreamEvents{{Name: "late", Events: []store.LogEventRow{{Timestamp: 1, Message: "x"}}}}})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("put to a deleted group: %v, want ErrNotFound", err)
		}
		if _, err := s.LogStreamGet(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: "late"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("stream of a failed put: %v, want ErrNotFound", err)
		}
	})
}
