package objects

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkExpiry measures the expiry of one PUT under the CEAP bucket's lifecycle rule, with the
// rules decoded from the stored document every time (as before the cache) and from the cache.
//
//	go test ./internal/objects -run XXX -bench Expiry
func BenchmarkExpiry(b *testing.B) {
	days := 7
	prefix := "executions/"
	doc, err := json.Marshal(&Lifecycle{Rules: []Rule{{ID: "DeleteOldExecutions", Status: StatusEnabled, Prefix: &prefix, Expiration: &Expiration{Days: &days}}}})
	if err != nil {
		b.Fatal(err)
	}
	c := Candidate{Key: "executions/abc/ETLTask/output.json", Size: 4096}
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeLifecycle(doc).CurrentExpiry(c, created); !ok {
				b.Fatal("no expiry")
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		var cache lifecycleCache
		for b.Loop() {
			if _, ok := cache.get(doc).CurrentExpiry(c, created); !ok {
				b.Fatal("no expiry")
			}
		}
	})
}
