package funcs

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/logs"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/storetest"
)

type memLogs struct {
	mu    sync.Mutex
	lines []string
}

func (m *memLogs) Put(_ context.Context, _, _, _ string, ev []logs.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range ev {
		m.lines = append(m.lines, e.Message)
	}
	return nil
}

func (m *memLogs) count(prefix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, l := range m.lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func newService(t *testing.T) (*Service, *memLogs) {
	t.Helper()
	lg := &memLogs{}
	s := New(Config{Store: storetest.OpenSQLite(t), Dir: t.TempDir(), Logs: lg, AsyncRetryDelays: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	if _, err := s.CreateFunction(context.Background(), "acct", CreateInput{Name: "fn", Runtime: "provided.al2023", Role: "r", Code: CodeInput{ZipFile: goFunctionZip}}); err != nil {
		t.Fatal(err)
	}
	return s, lg
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEventInvocationsRunAndRetry(t *testing.T) {
	t.Parallel()
	s, lg := newService(t)
	ctx := context.Background()
	ok, err := s.Invoke(ctx, "acct", "fn", []byte(`{"op":"print","value":"async"}`), InvokeOptions{InvocationType: Event})
	if err != nil || ok.StatusCode != 202 {
		t.Fatalf("event invoke = %+v, %v", ok, err)
	}
	eventually(t, "the event to run", func() bool { return lg.count("to stderr ASYNC") == 1 })

	if _, err := s.Invoke(ctx, "acct", "fn", []byte(`{"op":"fail","value":"x"}`), InvokeOptions{InvocationType: Event}); err != nil {
		t.Fatal(err)
	}
	// The first run and two retries, then the invocation is dropped.
	eventually(t, "three attempts", func() bool { return lg.count("END RequestId:") == 4 })
	time.Sleep(300 * time.Millisecond)
	if n := lg.count("END RequestId:"); n != 4 {
		t.Fatalf("%d runs in all, want 4 (one success, one failure run three times)", n)
	}
	rows, err := s.st.FunctionEventClaim(ctx, &store.FunctionEventClaimParams{Owner: "check", Now: time.Now().Add(time.Hour).UnixMilli(), Until: 1, Limit: 10})
	if err != nil || len(rows) != 0 {
		t.Fatalf("queue after the retries = %v, %v", rows, err)
	}
}

func TestInvokeValidation(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	ctx := context.Background()
	cases := map[string]struct {
		fn      string
		payload string
		opts    InvokeOptions
		code    string
	}{
		"missing function":  {"nope", "{}", InvokeOptions{}, "ResourceNotFoundException"},
		"other account arn": {"arn:aws:lambda:us-east-1:999999999999:function:fn", "{}", InvokeOptions{}, "ResourceNotFoundException"},
		"bad json":          {"fn", "{", InvokeOptions{}, "InvalidRequestContentException"},
		"bad type":          {"fn", "{}", InvokeOptions{InvocationType: "Later"}, "InvalidParameterValueException"},
		"missing version":   {"fn:7", "{}", InvokeOptions{}, "ResourceNotFoundException"},
		"big async payload": {"fn", `"` + strings.Repeat("x", MaxAsyncPayloadSize) + `"`, InvokeOptions{InvocationType: Event}, "RequestTooLargeException"},
	}
	for name, c := range cases {
		_, err := s.Invoke(ctx, "acct", c.fn, []byte(c.payload), c.opts)
		if ae, ok := awserr.As(err); !ok || ae.Code != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	if _, err := s.PutFunctionConcurrency(ctx, "acct", "fn", DefaultAccountConcurrency); err == nil {
		t.Fatal("a reservation of the whole account must be refused")
	}
	if _, err := s.CreateFunction(ctx, "acct", CreateInput{Name: "env", Runtime: "provided.al2023", Role: "r", Code: CodeInput{ZipFile: goFunctionZip},
		Environment: map[string]string{"AWS_REGION": "x"}}); err == nil {
		t.Fatal("reserved environment variables must be refused")
	}
}
