package asl

import (
	"context"
	"runtime"
	"testing"
)

const benchTransitions = `{"StartAt":"P1","States":{
	"P1":{"Type":"Pass","Result":{"stage":"etl"},"ResultPath":"$.p1","Next":"P2"},
	"P2":{"Type":"Pass","Parameters":{"id.$":"$.id","name.$":"$$.Execution.Name"},"ResultPath":"$.p2","Next":"P3"},
	"P3":{"Type":"Pass","Next":"C"},
	"C":{"Type":"Choice","Choices":[{"Variable":"$.id","NumericGreaterThan":10,"Next":"P4"}],"Default":"P5"},
	"P4":{"Type":"Pass","End":true},
	"P5":{"Type":"Pass","OutputPath":"$.p2","End":true}}}`

// BenchmarkTransition runs 5 Pass + 1 Choice executions; ns/op and allocs/op are reported per
// state transition.
func BenchmarkTransition(b *testing.B) {
	p := mustCompile(b, benchTransitions)
	input := map[string]any{"id": 3.0, "payload": map[string]any{"a": "b", "n": []any{1.0, 2.0}}}
	ctx := testContext()
	const transitions = 5 // P1 P2 P3 C P5
	var before, after runtime.MemStats
	b.ReportAllocs()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, o := p.Start(input, ctx, testStart)
		if o.Status != StatusSucceeded {
			b.Fatalf("status %s", o.Status)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*transitions), "ns/transition")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*transitions), "allocs/transition")
}

// BenchmarkInlineMap1000 runs an inline Map over 1,000 items with a Pass processor through Run.
func BenchmarkInlineMap1000(b *testing.B) {
	p := mustCompile(b, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`)
	items := make([]any, 1000)
	for i := range items {
		items[i] = map[string]any{"i": float64(i)}
	}
	clk := &fakeClock{now: testStart}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o, _ := Run(context.Background(), p, items, testContext(), nil, clk.Now, clk.Sleep)
		if o.Status != StatusSucceeded {
			b.Fatalf("status %s %s", o.Status, o.Cause)
		}
	}
}
