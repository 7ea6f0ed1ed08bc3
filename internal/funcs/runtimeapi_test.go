package funcs

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/clock"
)

// bareEnvironment is an environment without a process, for driving its Runtime API directly.
func bareEnvironment(t testing.TB) *environment {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	out, err := newOutput(r, clock.Real{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &environment{
		spec: &Spec{Name: "f", Timeout: time.Second}, clock: clock.Real{}, output: out,
		pending: make(chan *invocation, 1), stopping: make(chan struct{}), exited: make(chan struct{}),
		ready: make(chan struct{}), initFailed: make(chan struct{}),
	}
}

func serve(e *environment, method, path, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec
}

func TestRuntimeAPIAnswersAsTheEmulator(t *testing.T) {
	t.Parallel()
	e := bareEnvironment(t)
	inv := &invocation{id: "req-1", arn: "arn", traceID: "Root=1", payload: []byte(`{"a":1}`), delivered: make(chan time.Time, 1), done: make(chan struct{})}
	e.pending <- inv
	next := serve(e, http.MethodGet, "/2018-06-01/runtime/invocation/next", "")
	if next.Code != 200 || next.Header().Get(headerRequestID) != "req-1" || next.Header().Get(headerDeadlineMS) == "" || next.Body.String() != `{"a":1}` {
		t.Fatalf("next = %d %v %s", next.Code, next.Header(), next.Body)
	}
	if again := serve(e, http.MethodGet, "/2018-06-01/runtime/invocation/next", ""); again.Code != 403 || !strings.Contains(again.Body.String(), rapiInvalidStateTransition) {
		t.Fatalf("next during an invocation = %d %s", again.Code, again.Body)
	}
	if wrong := serve(e, http.MethodPost, "/2018-06-01/runtime/invocation/other/response", "{}"); wrong.Code != 400 || !strings.Contains(wrong.Body.String(), rapiInvalidRequestID) {
		t.Fatalf("response for another id = %d %s", wrong.Code, wrong.Body)
	}
	if ok := serve(e, http.MethodPost, "/2018-06-01/runtime/invocation/req-1/response", `"done"`); ok.Code != 202 {
		t.Fatalf("response = %d %s", ok.Code, ok.Body)
	}
	<-inv.done
	if string(inv.result) != `"done"` || inv.isError {
		t.Fatalf("result = %s %v", inv.result, inv.isError)
	}
	if twice := serve(e, http.MethodPost, "/2018-06-01/runtime/invocation/req-1/error", "{}"); twice.Code != 400 {
		t.Fatalf("second result = %d", twice.Code)
	}
	if nf := serve(e, http.MethodGet, "/2018-06-01/runtime/unknown", ""); nf.Code != 404 {
		t.Fatalf("unknown path = %d", nf.Code)
	}
	big := bytes.Repeat([]byte("x"), MaxPayloadSize+1)
	inv2 := &invocation{id: "req-2", delivered: make(chan time.Time, 1), done: make(chan struct{})}
	e.pending <- inv2
	serve(e, http.MethodGet, "/2018-06-01/runtime/invocation/next", "")
	if tooBig := serve(e, http.MethodPost, "/2018-06-01/runtime/invocation/req-2/response", string(big)); tooBig.Code != 413 {
		t.Fatalf("oversized response = %d", tooBig.Code)
	}
	<-inv2.done
	if !inv2.isError || !strings.Contains(string(inv2.result), errTypeResponseTooLarge) {
		t.Fatalf("oversized result = %s", inv2.result)
	}
	if ie := serve(e, http.MethodPost, "/2018-06-01/runtime/init/error", `not json`); ie.Code != 202 || !strings.Contains(string(e.initError), "Runtime.Unknown") {
		t.Fatalf("init error = %d %s", ie.Code, e.initError)
	}
	if ie := serve(e, http.MethodPost, "/2018-06-01/runtime/init/error", `{}`); ie.Code != 403 {
		t.Fatalf("second init error = %d", ie.Code)
	}
}

func FuzzRuntimeAPI(f *testing.F) {
	f.Add("POST", "/2018-06-01/runtime/invocation/req/response", "{}")
	f.Add("POST", "/2018-06-01/runtime/invocation/req/error", "x")
	f.Add("POST", "/2018-06-01/runtime/init/error", `{"errorType":"x"}`)
	f.Add("GET", "/2018-06-01/runtime/invocation/req", "")
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n?#%") || (method != "GET" && method != "POST" && method != "PUT") {
			return
		}
		if path == "/2018-06-01/runtime/invocation/next" {
			return // next waits for work
		}
		e := bareEnvironment(t)
		inv := &invocation{id: "req", delivered: make(chan time.Time, 1), done: make(chan struct{})}
		e.current = inv
		rec := serve(e, method, path, body)
		switch rec.Code {
		case 200, 202, 400, 403, 404, 413:
		default:
			t.Fatalf("%s %s answered %d", method, path, rec.Code)
		}
	})
}
