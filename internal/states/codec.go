package states

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/store"
)

// History chunks are stored as JSON arrays (first byte '['), or, from compressAtLeast bytes on,
// as DEFLATE-compressed JSON behind a one-byte marker. History is most of what an execution
// writes and it compresses several times over; on SQLite with synchronous commits the bytes per
// commit, not the CPU, bound how many executions a second are durable.
const (
	historyDeflate  = 0x01
	compressAtLeast = 512
)

// codec encodes history chunks, reusing DEFLATE writers (each holds large tables).
type codec struct {
	deflaters sync.Pool
	// details lists asl.HistoryEvent's detail fields (found once): an event sets one of about
	// forty, and writing the one set beats encoding/json visiting them all.
	detailsOnce sync.Once
	details     []eventDetail
}

// eventDetail is a detail field of asl.HistoryEvent: its index and its JSON key, as
// `,"name":`.
type eventDetail struct {
	index int
	key   string
}

// detailFields finds the detail fields, or nil when asl.HistoryEvent is not the shape
// marshalEvents writes (then it falls back to encoding/json).
func (c *codec) detailFields() []eventDetail {
	c.detailsOnce.Do(func() {
		// The JSON keys of the fields that are not details, in order.
		header := [...]string{"timestamp", "type", "id", "previousEventId"}
		t := reflect.TypeFor[asl.HistoryEvent]()
		var details []eventDetail
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if i < len(header) {
				if name != header[i] || opts != "" {
					return
				}
				continue
			}
			if f.Type.Kind() != reflect.Pointer || opts != "omitempty" || name == "" || name == "-" {
				return
			}
			details = append(details, eventDetail{index: i, key: `,"` + name + `":`})
		}
		c.details = details
	})
	return c.details
}

// encodedDetail is an event's detail field, encoded: its key (as `,"name":`) and its JSON. An
// Express execution with logging writes each event twice, in its record's history and in its log
// record; the detail, most of the bytes, is encoded once for both.
type encodedDetail struct {
	key  string
	json []byte
}

// eventDetails encodes each event's detail (a zero encodedDetail for none), or returns nil when
// asl.HistoryEvent is not the shape detailFields knows.
func (c *codec) eventDetails(events []asl.HistoryEvent) []encodedDetail {
	details := c.detailFields()
	if details == nil {
		return nil
	}
	out := make([]encodedDetail, len(events))
	for i := range events {
		v := reflect.ValueOf(&events[i]).Elem()
		for _, d := range details {
			if f := v.Field(d.index); !f.IsNil() {
				out[i] = encodedDetail{key: d.key, json: marshal(f.Interface())}
				break
			}
		}
	}
	return out
}

// marshalEvents encodes events exactly as json.Marshal does, faster.
func (c *codec) marshalEvents(events []asl.HistoryEvent) []byte {
	return c.marshalEventsWith(events, nil)
}

// marshalEventsWith is marshalEvents with the events' details already encoded (by eventDetails;
// nil: encode them here).
func (c *codec) marshalEventsWith(events []asl.HistoryEvent, encoded []encodedDetail) []byte {
	details := c.detailFields()
	if details == nil || len(events) == 0 {
		return marshal(events)
	}
	b := make([]byte, 0, 320*len(events))
	b = append(b, '[')
	for i := range events {
		ev := &events[i]
		if y := ev.Timestamp.Year(); y < 0 || y > 9999 || !plainJSONString(ev.Type) {
			return marshal(events)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"timestamp":`...)
		b = ev.Timestamp.AppendFormat(b, `"`+time.RFC3339Nano+`"`)
		b = append(b, `,"type":"`...)
		b = append(b, ev.Type...)
		b = append(b, `","id":`...)
		b = strconv.AppendInt(b, ev.ID, 10)
		b = append(b, `,"previousEventId":`...)
		b = strconv.AppendInt(b, ev.PreviousEventID, 10)
		if encoded != nil {
			// An event sets at most one detail field.
			if d := encoded[i]; d.json != nil {
				b = append(b, d.key...)
				b = append(b, d.json...)
			}
			b = append(b, '}')
			continue
		}
		v := reflect.ValueOf(ev).Elem()
		for _, d := range details {
			f := v.Field(d.index)
			if f.IsNil() {
				continue
			}
			b = append(b, d.key...)
			b = append(b, marshal(f.Interface())...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// logRecord writes an event as a Step Functions CloudWatch Logs record: {details,
// event_timestamp, execution_arn, id, previous_event_id, type}, where details is the event's one
// detail object (null for none) and event_timestamp is in Unix milliseconds. Every execution
// with logging sends each of its events through here, so it writes the record directly instead
// of round-tripping the event through encoding/json's maps.
func (c *codec) logRecord(ev *asl.HistoryEvent, executionARN string) []byte {
	return c.appendLogRecord(make([]byte, 0, 256), ev, nil, marshal(executionARN))
}

// appendLogRecord appends ev's log record to b. detail is the event's encoded detail (from
// eventDetails; nil: encode it here) and arnJSON the execution ARN as a JSON string.
func (c *codec) appendLogRecord(b []byte, ev *asl.HistoryEvent, detail *encodedDetail, arnJSON []byte) []byte {
	b = append(b, `{"details":`...)
	switch {
	case detail == nil:
		b = c.appendDetail(b, ev)
	case detail.json == nil:
		b = append(b, "null"...)
	default:
		b = append(b, detail.json...)
	}
	b = append(b, `,"event_timestamp":`...)
	b = strconv.AppendInt(b, ev.Timestamp.UnixMilli(), 10)
	b = append(b, `,"execution_arn":`...)
	b = append(b, arnJSON...)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, ev.ID, 10)
	b = append(b, `,"previous_event_id":`...)
	b = strconv.AppendInt(b, ev.PreviousEventID, 10)
	b = append(b, `,"type":`...)
	if plainJSONString(ev.Type) {
		b = append(b, '"')
		b = append(b, ev.Type...)
		b = append(b, '"')
	} else {
		b = append(b, marshal(ev.Type)...)
	}
	return append(b, '}')
}

// appendDetail appends the event's detail object, or null.
func (c *codec) appendDetail(b []byte, ev *asl.HistoryEvent) []byte {
	details := c.detailFields()
	if details == nil {
		// Not the shape detailFields knows: find the detail among the event's JSON members.
		var m map[string]json.RawMessage
		json.Unmarshal(marshal(ev), &m)
		for k, v := range m {
			switch k {
			case "timestamp", "type", "id", "previousEventId":
			default:
				return append(b, v...)
			}
		}
		return append(b, "null"...)
	}
	v := reflect.ValueOf(ev).Elem()
	for _, d := range details {
		if f := v.Field(d.index); !f.IsNil() {
			return append(b, marshal(f.Interface())...)
		}
	}
	return append(b, "null"...)
}

// plainJSONString says whether s is written in JSON as itself between quotes.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// encodeHistory encodes a history chunk, compressed when compress is set and the chunk is
// large enough. Standard executions compress (their commits wait on the bytes); Express records
// do not (they are written off the request path, where the CPU is what is short).
func (c *codec) encodeHistory(events []asl.HistoryEvent, compress bool) []byte {
	return c.encodeHistoryWith(events, nil, compress)
}

// encodeHistoryWith is encodeHistory with the events' details already encoded (see
// marshalEventsWith).
func (c *codec) encodeHistoryWith(events []asl.HistoryEvent, encoded []encodedDetail, compress bool) []byte {
	raw := c.marshalEventsWith(events, encoded)
	if !compress || len(raw) < compressAtLeast {
		return raw
	}
	var buf bytes.Buffer
	buf.Grow(len(raw)/4 + 16)
	buf.WriteByte(historyDeflate)
	w, _ := c.deflaters.Get().(*flate.Writer)
	if w == nil {
		w, _ = flate.NewWriter(&buf, flate.BestSpeed)
	} else {
		w.Reset(&buf)
	}
	w.Write(raw)
	w.Close()
	c.deflaters.Put(w)
	return buf.Bytes()
}

func decodeHistory(b []byte) ([]asl.HistoryEvent, error) {
	if len(b) > 0 && b[0] == historyDeflate {
		raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(b[1:])))
		if err != nil {
			return nil, fmt.Errorf("inflate history: %w", err)
		}
		b = raw
	}
	var evs []asl.HistoryEvent
	if err := json.Unmarshal(b, &evs); err != nil {
		return nil, fmt.Errorf("decode history: %w", err)
	}
	return evs, nil
}

// resourceTTL is how long a node trusts a cached state machine, version or alias document. A
// change made on this node is seen at once; one made on another node within this time.
const resourceTTL = time.Second

// resourceCache keeps recently read resource documents for StartExecution's hot path.
type resourceCache struct {
	m sync.Map // ARN -> cachedResource
}

type cachedResource struct {
	doc any // *machineDoc or *aliasDoc, never changed once cached
	at  time.Time
}

// cachedMachine reads a state machine or version through the cache; the result is a copy.
func (s *Service) cachedMachine(ctx context.Context, arn string) (*machineDoc, error) {
	v, err := s.cached(ctx, arn, func() any { return &machineDoc{} })
	if err != nil {
		return nil, err
	}
	m := *v.(*machineDoc)
	return &m, nil
}

// cachedAlias reads an alias through the cache; the result must not be changed.
func (s *Service) cachedAlias(ctx context.Context, arn string) (*aliasDoc, error) {
	v, err := s.cached(ctx, arn, func() any { return &aliasDoc{} })
	if err != nil {
		return nil, err
	}
	return v.(*aliasDoc), nil
}

func (s *Service) cached(ctx context.Context, arn string, fresh func() any) (any, error) {
	now := s.now()
	if v, ok := s.cache.m.Load(arn); ok {
		if c := v.(cachedResource); now.Sub(c.at) < resourceTTL && !now.Before(c.at) {
			return c.doc, nil
		}
	}
	r, err := s.st.StateResourceGet(ctx, &store.StateResourceGetParams{ARN: arn})
	if err != nil {
		return nil, err
	}
	doc := fresh()
	if err := json.Unmarshal(r.Doc, doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w", arn, err)
	}
	s.cache.m.Store(arn, cachedResource{doc: doc, at: now})
	return doc, nil
}

// writeResources writes resources and forgets their cached documents.
func (s *Service) writeResources(ctx context.Context, p *store.StateResourcesWriteParams) error {
	err := s.st.StateResourcesWrite(ctx, p)
	for _, r := range p.Puts {
		s.cache.m.Delete(r.ARN)
	}
	for _, arn := range p.Deletes {
		s.cache.m.Delete(arn)
	}
	return err
}
