package states

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ceap/ceap/internal/store/sqlite"
)

const benchMachine = `{"StartAt":"P1","States":{
 "P1":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"P2"},
 "P2":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"C"},
 "C":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericGreaterThanEquals":0,"Next":"P3"}],"Default":"P3"},
 "P3":{"Type":"Pass","Result":3,"ResultPath":"$.c","Next":"P4"},
 "P4":{"Type":"Pass","Result":4,"ResultPath":"$.d","Next":"P5"},
 "P5":{"Type":"Pass","Result":5,"ResultPath":"$.e","End":true}}}`

func benchService(b *testing.B, typ string) (*Service, string) {
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(b.TempDir(), "ceap.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := New(Config{Store: db})
	s.Start(context.Background())
	b.Cleanup(func() { s.Stop(context.Background()) })
	def, role := benchMachine, "arn:aws:iam::1:role/r"
	res, err := s.CreateStateMachine(context.Background(), Caller{Account: "1", Region: "us-east-1"}, &MachineInput{Name: "m", Definition: &def, RoleArn: &role, Type: typ})
	if err != nil {
		b.Fatal(err)
	}
	return s, res.ARN
}

// BenchmarkStartStandard measures durable Standard executions of five Pass states and a Choice,
// each committed with its history before StartExecution returns.
func BenchmarkStartStandard(b *testing.B) {
	s, arn := benchService(b, TypeStandard)
	var n atomic.Int64
	c := Caller{Account: "1", Region: "us-east-1"}
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := fmt.Sprintf(`{"i":%d}`, n.Add(1))
			if _, err := s.StartExecution(context.Background(), c, &StartInput{StateMachineARN: arn, Input: &in}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStartSync measures Express StartSyncExecution of the same machine.
func BenchmarkStartSync(b *testing.B) {
	s, arn := benchService(b, TypeExpress)
	c := Caller{Account: "1", Region: "us-east-1"}
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := `{"i":1}`
		for pb.Next() {
			if _, err := s.StartSyncExecution(context.Background(), c, &StartInput{StateMachineARN: arn, Input: &in}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const benchMap = `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{
 "ProcessorConfig":{"Mode":"INLINE"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`

// BenchmarkSyncMap1000 measures StartSyncExecution of an inline Map over 1,000 Pass items.
func BenchmarkSyncMap1000(b *testing.B) {
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(b.TempDir(), "ceap.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := New(Config{Store: db})
	s.Start(context.Background())
	b.Cleanup(func() { s.Stop(context.Background()) })
	c := Caller{Account: "1", Region: "us-east-1"}
	def, role := benchMap, "arn:aws:iam::1:role/r"
	res, err := s.CreateStateMachine(context.Background(), c, &MachineInput{Name: "m", Definition: &def, RoleArn: &role, Type: TypeExpress})
	if err != nil {
		b.Fatal(err)
	}
	items := make([]string, 1000)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	in := `{"items":[` + strings.Join(items, ",") + `]}`
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.StartSyncExecution(context.Background(), c, &StartInput{StateMachineARN: res.ARN, Input: &in}); err != nil {
			b.Fatal(err)
		}
	}
}
