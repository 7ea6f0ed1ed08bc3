package funcs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Runtime API constants, as the Lambda Runtime API and its interface emulator define them.
const (
	runtimeAPIPrefix = "/2018-06-01/runtime/"

	headerRequestID     = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMS    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN   = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID       = "Lambda-Runtime-Trace-Id"
	headerClientContext = "Lambda-Runtime-Client-Context"
	headerErrorType     = "Lambda-Runtime-Function-Error-Type"

	// MaxPayloadSize is Lambda's limit on a synchronous invocation's request and response
	// payloads (6 MB).
	MaxPayloadSize = 6 * 1024 * 1024

	// Error types that the Runtime API answers with (from the runtime interface emulator).
	rapiInvalidRequestID        = "InvalidRequestID"
	rapiInvalidStateTransition  = "InvalidStateTransition"
	rapiRequestEntityTooLarge   = "RequestEntityTooLarge"
	rapiStateTransitionFormat   = "State transition from %s to %s failed for runtime. Error: %s"
	rapiEntityTooLargeFormat    = "Exceeded maximum allowed payload size (%d bytes)."
	rapiInvalidRequestIDMessage = "Invalid request ID"
)

// rapiError is the Runtime API's error body.
type rapiError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// acceptedBody is the Runtime API's answer to a response or an error, written once per
// invocation: encoded once.
var acceptedBody = []byte(`{"status":"OK"}` + "\n")

// acceptedLength is acceptedBody's Content-Length header value.
var acceptedLength = []string{strconv.Itoa(len(acceptedBody))}

// jsonType is the Content-Type header value of the Runtime API's JSON answers.
var jsonType = []string{"application/json"}

func accepted(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Content-Length"] = acceptedLength
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(acceptedBody)
}

// ServeHTTP serves the Runtime API of one environment: one invocation at a time, handed to the
// runtime through /invocation/next and completed by /response or /error.
func (e *environment) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, runtimeAPIPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case path == "invocation/next" && r.Method == http.MethodGet:
		e.serveNext(w, r)
	case path == "init/error" && r.Method == http.MethodPost:
		e.serveInitError(w, r)
	case strings.HasPrefix(path, "invocation/") && r.Method == http.MethodPost:
		rest := strings.TrimPrefix(path, "invocation/")
		id, verb, found := strings.Cut(rest, "/")
		switch {
		case found && verb == "response":
			e.serveResponse(w, r, id)
		case found && verb == "error":
			e.serveError(w, r, id)
		default:
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

func (e *environment) serveNext(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	if e.current != nil && !e.current.completed {
		state := "Invoke"
		e.mu.Unlock()
		writeJSON(w, http.StatusForbidden, rapiError{
			ErrorType:    rapiInvalidStateTransition,
			ErrorMessage: fmt.Sprintf(rapiStateTransitionFormat, state, "InvocationNext", "invocation in progress"),
		})
		return
	}
	e.mu.Unlock()
	e.markReady()
	select {
	case inv := <-e.pending:
		now := e.clock.Now()
		e.mu.Lock()
		e.current = inv
		inv.deadline = now.Add(e.spec.Timeout)
		e.mu.Unlock()
		inv.delivered <- now
		// The header names are in canonical form already; assigning skips canonicalizing them
		// for every invocation.
		h := w.Header()
		v := [...]string{inv.id, strconv.FormatInt(inv.deadline.UnixMilli(), 10), inv.arn, inv.traceID,
			strconv.Itoa(len(inv.payload)), inv.clientContext}
		h[headerRequestID] = v[0:1:1]
		h[headerDeadlineMS] = v[1:2:2]
		h[headerFunctionARN] = v[2:3:3]
		h[headerTraceID] = v[3:4:4]
		h["Content-Length"] = v[4:5:5]
		if inv.clientContext != "" {
			h[headerClientContext] = v[5:6:6]
		}
		h["Content-Type"] = jsonType
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-e.stopping:
	}
}

// readPayload reads a body of at most MaxPayloadSize bytes; tooLarge reports a bigger one.
func readPayload(r io.Reader) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, MaxPayloadSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("read runtime request body: %w", err)
	}
	return body, len(body) > MaxPayloadSize, nil
}

// claim returns the invocation that id names if it is in progress, or nil.
func (e *environment) claim(id string) *invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	inv := e.current
	if inv == nil || inv.id != id || inv.completed {
		return nil
	}
	inv.completed = true
	return inv
}

func (e *environment) serveResponse(w http.ResponseWriter, r *http.Request, id string) {
	body, tooLarge, err := readPayload(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, rapiError{ErrorType: "InvalidRequest", ErrorMessage: "could not read the request body"})
		return
	}
	inv := e.claim(id)
	if inv == nil {
		writeJSON(w, http.StatusBadRequest, rapiError{ErrorType: rapiInvalidRequestID, ErrorMessage: rapiInvalidRequestIDMessage})
		return
	}
	if tooLarge {
		inv.finish(functionErrorPayload(errTypeResponseTooLarge,
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayloadSize)), true)
		writeJSON(w, http.StatusRequestEntityTooLarge, rapiError{
			ErrorType: rapiRequestEntityTooLarge, ErrorMessage: fmt.Sprintf(rapiEntityTooLargeFormat, MaxPayloadSize),
		})
		return
	}
	e.output.drain()
	inv.finish(body, false)
	accepted(w)
}

func (e *environment) serveError(w http.ResponseWriter, r *http.Request, id string) {
	body, _, err := readPayload(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, rapiError{ErrorType: "InvalidRequest", ErrorMessage: "could not read the request body"})
		return
	}
	inv := e.claim(id)
	if inv == nil {
		writeJSON(w, http.StatusBadRequest, rapiError{ErrorType: rapiInvalidRequestID, ErrorMessage: rapiInvalidRequestIDMessage})
		return
	}
	e.output.drain()
	inv.finish(errorBody(body, r.Header.Get(headerErrorType)), true)
	accepted(w)
}

func (e *environment) serveInitError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readPayload(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, rapiError{ErrorType: "InvalidRequest", ErrorMessage: "could not read the request body"})
		return
	}
	e.mu.Lock()
	already := e.initError != nil
	if !already {
		e.initError = errorBody(body, r.Header.Get(headerErrorType))
	}
	e.mu.Unlock()
	if already {
		writeJSON(w, http.StatusForbidden, rapiError{
			ErrorType:    rapiInvalidStateTransition,
			ErrorMessage: fmt.Sprintf(rapiStateTransitionFormat, "InitError", "InitError", "init error already reported"),
		})
		return
	}
	e.output.drain()
	close(e.initFailed)
	accepted(w)
}

// errorBody returns the runtime's error document when it is JSON, or builds one from the error
// type header, as Lambda does when the runtime sends no usable payload.
func errorBody(body []byte, errType string) []byte {
	var doc map[string]any
	if len(body) > 0 && json.Unmarshal(body, &doc) == nil {
		return body
	}
	if errType == "" {
		errType = "Runtime.Unknown"
	}
	msg := string(body)
	if msg == "" {
		msg = "Unknown application error occurred"
	}
	return functionErrorPayload(errType, msg)
}

// functionErrorPayload is the payload Lambda returns for an error that ceap itself detects.
func functionErrorPayload(errType, message string) []byte {
	// Marshalling two strings cannot fail.
	b, _ := json.Marshal(rapiError{ErrorType: errType, ErrorMessage: message})
	return b
}
