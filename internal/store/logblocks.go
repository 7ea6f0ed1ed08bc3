package store

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Log events are stored in blocks rather than one row per event: a block holds consecutive events
// of one stream (a PutLogEvents batch, or several small ones appended together), in time order,
// with its time range in columns that the database indexes. A scan of a group over a time range
// reads the few blocks that overlap it, sequentially, and tests the messages in Go; a put writes
// one row per batch. Both drivers store the same encoding (LogBlock.Data) and share the code
// below; only their SQL differs.
//
// An event's data in a block is "<time - block first>,<ingestion time - time>,<message bytes>:"
// followed by the message: text, so that a SQL migration can write it, and cheap to walk.

// Limits of a log block.
const (
	// LogBlockMaxEvents is the most events one block holds. It is PutLogEvents' limit on a batch
	// (10,000), and it keeps an event's place in its block under 1<<16 (see LogEventID).
	LogBlockMaxEvents = 10000
	// LogBlockMaxSpan is the widest time span of one block in milliseconds (24 hours,
	// PutLogEvents' limit on a batch): a scan from time t reads only the blocks that start at
	// t - LogBlockMaxSpan or later.
	LogBlockMaxSpan = 24 * 60 * 60 * 1000
	// LogBlockMaxBytes is the largest block that a put writes (1 MiB, about PutLogEvents' limit on
	// a batch): a bigger batch is split.
	LogBlockMaxBytes = 1 << 20
	// LogBlockAppendBytes is the size under which a stream's latest block takes the next put's
	// events (when they follow it in time) instead of a new block being written: small puts, such
	// as a function's START/END/REPORT lines, gather into blocks of a useful size while a put
	// rewrites at most this much.
	LogBlockAppendBytes = 16 << 10
)

// maxLogEventHeader is the longest header of an event in a block: three integers of up to 20
// characters and their separators.
const maxLogEventHeader = 3*20 + 3

// logEventIndexBits is how many low bits of an event id hold the event's place in its block.
const logEventIndexBits = 16

// LogEventID is the id of the index-th event of block.
func LogEventID(block int64, index int) int64 { return block<<logEventIndexBits | int64(index) }

// ErrLogBlockCorrupt reports a block whose data does not decode.
var ErrLogBlockCorrupt = errors.New("log block data is corrupt")

// LogBlock is one stored block of events.
type LogBlock struct {
	ID       int64
	StreamID int64
	First    int64 // time of the first event
	Last     int64 // time of the last event
	Count    int
	Data     string
}

// LogBlockTail is what a put needs to know of a stream's latest block (the one that ends last).
type LogBlockTail struct {
	ID          int64
	First, Last int64
	Count       int
	Bytes       int
}

// LogBlockAppends reports whether events (in time order) may be appended to tail.
func LogBlockAppends(tail *LogBlockTail, events []LogEventRow) bool {
	if tail == nil || len(events) == 0 || tail.Bytes >= LogBlockAppendBytes || tail.Count+len(events) > LogBlockMaxEvents {
		return false
	}
	return events[0].Timestamp >= tail.Last && events[len(events)-1].Timestamp-tail.First <= LogBlockMaxSpan
}

// SortLogEvents returns events in time order (stable), reusing the slice when it already is.
func SortLogEvents(events []LogEventRow) []LogEventRow {
	cmp := func(a, b LogEventRow) int {
		switch {
		case a.Timestamp < b.Timestamp:
			return -1
		case a.Timestamp > b.Timestamp:
			return 1
		}
		return 0
	}
	if slices.IsSortedFunc(events, cmp) {
		return events
	}
	out := slices.Clone(events)
	slices.SortStableFunc(out, cmp)
	return out
}

// SplitLogBlocks cuts events (in time order) into the blocks a put writes, each within
// LogBlockMaxEvents, LogBlockMaxSpan and LogBlockMaxBytes.
func SplitLogBlocks(events []LogEventRow, ingested int64) []LogBlock {
	var out []LogBlock
	for len(events) > 0 {
		first := events[0].Timestamp
		n, size := 0, 0
		for n < len(events) && n < LogBlockMaxEvents && events[n].Timestamp-first <= LogBlockMaxSpan {
			next := size + len(events[n].Message) + maxLogEventHeader
			if n > 0 && next > LogBlockMaxBytes {
				break
			}
			size = next
			n++
		}
		data := AppendLogBlock(make([]byte, 0, size), first, events[:n], ingested)
		out = append(out, LogBlock{First: first, Last: events[n-1].Timestamp, Count: n, Data: string(data)})
		events = events[n:]
	}
	return out
}

// AppendLogBlock appends the encoding of events, ingested at the given time, to the data of a
// block whose first event is at first.
func AppendLogBlock(data []byte, first int64, events []LogEventRow, ingested int64) []byte {
	for _, e := range events {
		data = strconv.AppendInt(data, e.Timestamp-first, 10)
		data = append(data, ',')
		data = strconv.AppendInt(data, ingested-e.Timestamp, 10)
		data = append(data, ',')
		data = strconv.AppendInt(data, int64(len(e.Message)), 10)
		data = append(data, ':')
		data = append(data, e.Message...)
	}
	return data
}

// DecodeLogBlock returns the events of a block, in order, with their ids.
func DecodeLogBlock(b *LogBlock) ([]LogEventRow, error) {
	out := make([]LogEventRow, 0, b.Count)
	for i, pos := 0, 0; pos < len(b.Data); i++ {
		e, next, err := decodeLogEvent(b.Data, pos)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", b.ID, err)
		}
		e.ID, e.StreamID, e.Timestamp = LogEventID(b.ID, i), b.StreamID, b.First+e.Timestamp
		e.Ingested += e.Timestamp
		out = append(out, e)
		pos = next
	}
	return out, nil
}

// decodeLogEvent reads the event at data[pos:]: its time relative to the block's first event, its
// ingestion time relative to its time, and its message; next is the offset of the following event.
func decodeLogEvent(data string, pos int) (e LogEventRow, next int, err error) {
	var size int64
	if e.Timestamp, pos, err = logBlockInt(data, pos, ','); err != nil {
		return e, 0, err
	}
	if e.Ingested, pos, err = logBlockInt(data, pos, ','); err != nil {
		return e, 0, err
	}
	if size, pos, err = logBlockInt(data, pos, ':'); err != nil {
		return e, 0, err
	}
	if size < 0 || int64(len(data)-pos) < size {
		return e, 0, ErrLogBlockCorrupt
	}
	end := pos + int(size)
	e.Message = data[pos:end]
	return e, end, nil
}

// logBlockInt reads a decimal integer ended by stop.
func logBlockInt(data string, pos int, stop byte) (int64, int, error) {
	neg := pos < len(data) && data[pos] == '-'
	if neg {
		pos++
	}
	var v int64
	start := pos
	for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
		if v > (math.MaxInt64-9)/10 {
			return 0, 0, ErrLogBlockCorrupt
		}
		v = v*10 + int64(data[pos]-'0')
		pos++
	}
	if pos == start || pos >= len(data) || data[pos] != stop {
		return 0, 0, ErrLogBlockCorrupt
	}
	if neg {
		v = -v
	}
	return v, pos + 1, nil
}

// LogBlockRange is the part of the block index that a scan reads. Ascending scans read blocks
// with FirstFrom <= first (< FirstTo when FirstTo > 0) and last >= LastFrom, by (first, id);
// descending scans read blocks with last >= LastFrom (< LastTo and first < FirstTo when FirstTo
// > 0), by (last, id) descending.
type LogBlockRange struct {
	FirstFrom, FirstTo int64
	LastFrom, LastTo   int64
}

// eventBounds returns the time range of the events a scan may return: [start, end), end 0 none.
func (p *LogEventScanParams) eventBounds() (int64, int64) {
	start, end := p.Start, p.End
	if p.AfterID > 0 && !p.Descending {
		start = max(start, p.AfterTime)
	}
	if p.AfterID > 0 && p.Descending && (end == 0 || p.AfterTime+1 < end) {
		end = p.AfterTime + 1
	}
	return start, end
}

// LogBlockScan turns the blocks that a driver reads, in the order of LogBlockRange, into the
// result of a LogEventScan: it decodes them, filters their events and merges them in (time, id)
// order. Events of a block are final once the scan has read every block that may hold an
// earlier event: in an ascending scan, the blocks that start before the next block does.
//
// Blocks are filtered on other goroutines, up to logScanAhead at a time, while the driver reads
// the next ones; their results are applied in the order the blocks came, so the result is the one
// a sequential scan gives. A scan ends with Result, which waits for the goroutines it started.
type LogBlockScan struct {
	p          *LogEventScanParams
	start, end int64
	queue      []*logBlockWork
	pending    logBlockHeap
	res        LogEventScanResult
	size       int
	done       bool
}

// logScanAhead is how many blocks a scan filters at once, ahead of merging them.
const logScanAhead = 4

// logScanInline is the block size (events) under which a block is filtered on the driver's
// goroutine: starting a goroutine would cost more than the work.
const logScanInline = 64

// logBlockWork is one block being filtered: its events that the scan returns, in scan order, and
// how many events of the range it holds.
type logBlockWork struct {
	b        *LogBlock
	done     chan struct{}
	keep     []LogEventRow
	examined int
	err      error
}

// NewLogBlockScan starts a scan with p and returns it with the blocks to read.
func NewLogBlockScan(p *LogEventScanParams) (*LogBlockScan, LogBlockRange) {
	s := &LogBlockScan{p: p}
	s.start, s.end = p.eventBounds()
	s.pending.desc = p.Descending
	r := LogBlockRange{LastFrom: s.start}
	if p.Descending {
		if s.end > 0 {
			r.FirstTo, r.LastTo = s.end, s.end+LogBlockMaxSpan
		}
	} else {
		r.FirstFrom, r.FirstTo = s.start-LogBlockMaxSpan, s.end
	}
	return s, r
}

// Add takes the next block of the scan (and keeps b); it returns false when the scan needs no
// more blocks.
func (s *LogBlockScan) Add(b *LogBlock) (bool, error) {
	if s.done {
		return false, nil
	}
	w := &logBlockWork{b: b, done: make(chan struct{})}
	if b.Count < logScanInline {
		s.filter(w)
	} else {
		go s.filter(w)
	}
	s.queue = append(s.queue, w)
	for len(s.queue) > logScanAhead && !s.done {
		if err := s.settle(); err != nil {
			return false, err
		}
	}
	return !s.done, nil
}

// settle waits for the oldest block in the queue and merges it, as a sequential scan would have
// right after reading it.
func (s *LogBlockScan) settle() error {
	w := s.queue[0]
	s.queue = s.queue[1:]
	<-w.done
	if w.err != nil {
		return w.err
	}
	b := w.b
	// Every event on the near side of this block's start (its end, descending) has been read.
	if s.p.Descending {
		s.flush(func(ts int64) bool { return ts > b.Last })
	} else {
		s.flush(func(ts int64) bool { return ts < b.First })
	}
	if s.done {
		return nil
	}
	if s.p.MaxExamined > 0 && s.res.Examined >= s.p.MaxExamined && s.progresses(b) {
		// Every event on the near side of this block is in the result: resume from there.
		s.res.Paused, s.done = true, true
		if s.p.Descending {
			s.res.ResumeTime, s.res.ResumeID = b.Last, math.MaxInt64
		} else {
			s.res.ResumeTime, s.res.ResumeID = b.First-1, math.MaxInt64
		}
		return nil
	}
	s.res.Examined += w.examined
	if len(w.keep) > 0 {
		heap.Push(&s.pending, w.keep)
	}
	return nil
}

// progresses reports whether pausing before block b would resume the scan further than it began:
// when b starts (ends, descending) where the scan began, it must be read now.
func (s *LogBlockScan) progresses(b *LogBlock) bool {
	if s.p.Descending {
		return s.end == 0 || b.Last < s.end-1
	}
	return b.First-1 > s.start
}

// filter decodes a block and keeps its events that the scan returns. It reads only the scan's
// parameters, so that blocks are filtered concurrently.
func (s *LogBlockScan) filter(w *logBlockWork) {
	defer close(w.done)
	b := w.b
	for _, c := range s.p.Contains {
		if !strings.Contains(b.Data, c) {
			w.examined = b.Count
			return
		}
	}
	for i, pos := 0, 0; pos < len(b.Data); i++ {
		e, next, err := decodeLogEvent(b.Data, pos)
		if err != nil {
			w.err = fmt.Errorf("block %d: %w", b.ID, err)
			return
		}
		pos = next
		e.Timestamp += b.First
		if e.Timestamp < s.start || (s.end > 0 && e.Timestamp >= s.end) {
			continue
		}
		e.ID = LogEventID(b.ID, i)
		if s.p.AfterID > 0 {
			if s.p.Descending && (e.Timestamp > s.p.AfterTime || (e.Timestamp == s.p.AfterTime && e.ID >= s.p.AfterID)) {
				continue
			}
			if !s.p.Descending && (e.Timestamp < s.p.AfterTime || (e.Timestamp == s.p.AfterTime && e.ID <= s.p.AfterID)) {
				continue
			}
		}
		w.examined++
		if !s.matches(e.Message) {
			continue
		}
		e.StreamID = b.StreamID
		e.Ingested += e.Timestamp
		w.keep = append(w.keep, e)
	}
	if s.p.Descending {
		slices.Reverse(w.keep)
	}
}

func (s *LogBlockScan) matches(msg string) bool {
	for _, c := range s.p.Contains {
		if !strings.Contains(msg, c) {
			return false
		}
	}
	return s.p.Match == nil || s.p.Match(msg)
}

// flush moves the pending events for which final holds, in scan order, to the result, until the
// result is full.
func (s *LogBlockScan) flush(final func(ts int64) bool) {
	for len(s.pending.lists) > 0 && !s.done {
		head := &s.pending.lists[0][0]
		if !final(head.Timestamp) {
			return
		}
		if s.p.Limit > 0 && len(s.res.Events) >= s.p.Limit {
			s.res.Truncated, s.done = true, true
			return
		}
		if s.p.MaxBytes > 0 {
			s.size += len(head.Message) + s.p.ByteOverhead
			if s.size > s.p.MaxBytes && len(s.res.Events) > 0 {
				s.res.Truncated, s.done = true, true
				return
			}
		}
		s.res.Events = append(s.res.Events, head)
		if rest := s.pending.lists[0][1:]; len(rest) > 0 {
			s.pending.lists[0] = rest
			heap.Fix(&s.pending, 0)
		} else {
			heap.Pop(&s.pending)
		}
	}
}

// Result ends the scan (after the last block, when Add returned false, or when reading failed)
// and returns its result.
func (s *LogBlockScan) Result() (*LogEventScanResult, error) {
	var err error
	for len(s.queue) > 0 && !s.done && err == nil {
		err = s.settle()
	}
	for _, w := range s.queue {
		<-w.done
	}
	s.queue = nil
	if err != nil {
		return nil, err
	}
	s.flush(func(int64) bool { return true })
	if s.p.Limit > 0 && len(s.res.Events) >= s.p.Limit && !s.res.Paused {
		s.res.Truncated = true
	}
	if s.res.Events == nil {
		s.res.Events = []*LogEventRow{}
	}
	return &s.res, nil
}

// logBlockHeap orders the pending events of the blocks read, one list per block, by their
// first event.
type logBlockHeap struct {
	lists [][]LogEventRow
	desc  bool
}

func (h *logBlockHeap) Len() int { return len(h.lists) }

func (h *logBlockHeap) Less(i, j int) bool {
	a, b := &h.lists[i][0], &h.lists[j][0]
	if h.desc {
		a, b = b, a
	}
	return a.Timestamp < b.Timestamp || (a.Timestamp == b.Timestamp && a.ID < b.ID)
}

func (h *logBlockHeap) Swap(i, j int) { h.lists[i], h.lists[j] = h.lists[j], h.lists[i] }

func (h *logBlockHeap) Push(x any) { h.lists = append(h.lists, x.([]LogEventRow)) }

func (h *logBlockHeap) Pop() any {
	n := len(h.lists)
	x := h.lists[n-1]
	h.lists = h.lists[:n-1]
	return x
}

// LogEventBytes is what events add to a stream's and a group's stored bytes: their messages'
// lengths.
func LogEventBytes(events []LogEventRow) int64 {
	var n int64
	for _, e := range events {
		n += int64(len(e.Message))
	}
	return n
}

// SortLogStreams returns the events of each stream in time order (SortLogEvents) and their stored
// bytes in all.
func SortLogStreams(streams []LogStreamEvents) ([][]LogEventRow, int64) {
	sorted := make([][]LogEventRow, len(streams))
	var bytes int64
	for i, st := range streams {
		sorted[i] = SortLogEvents(st.Events)
		bytes += LogEventBytes(sorted[i])
	}
	return sorted, bytes
}
