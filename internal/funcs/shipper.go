package funcs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/logs"
)

const (
	// shipperQueue is how many batches of lines may wait for the log writer before environments
	// wait for it.
	shipperQueue = 4096
	// shipperLinger is how long the shipper keeps collecting lines after the first one of a
	// round, so that a busy function's START, END and REPORT lines reach the log store in a few
	// large commits rather than one small commit per invocation. CloudWatch Logs itself delivers
	// a function's lines seconds after they are written.
	shipperLinger = 50 * time.Millisecond
	// shipperRoundLines ends a round early once this many lines are waiting.
	shipperRoundLines = 8192
	// shipperWriters caps the streams written at once in one round.
	shipperWriters = 16
)

// logBatch is lines of one stream.
type logBatch struct {
	account, group, stream string
	events                 []logs.Event
}

// shipper writes environments' lines to the logs service off the invocation path, so that an
// invocation does not wait for the log's durable commit. One goroutine collects lines for a short
// round, keeps each stream's lines in order, merges them into one write per stream and writes
// the streams of a round together, so that the store commits them as one group.
type shipper struct {
	out   LogWriter
	log   *slog.Logger
	queue chan logBatch
	done  chan struct{}

	// mu keeps send and close apart: lines that arrive after close are dropped, not sent on a
	// closed channel.
	mu     sync.RWMutex
	closed bool
}

func newShipper(out LogWriter, log *slog.Logger) *shipper {
	sh := &shipper{out: out, log: log, queue: make(chan logBatch, shipperQueue), done: make(chan struct{})}
	go sh.loop()
	return sh
}

func (sh *shipper) send(b logBatch) {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if sh.closed {
		return
	}
	sh.queue <- b
}

func (sh *shipper) loop() {
	defer close(sh.done)
	// One timer for the shipper's life, reset once per round.
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for b := range sh.queue {
		pending := []logBatch{b}
		lines := len(b.events)
		linger.Reset(shipperLinger)
	collect:
		for lines < shipperRoundLines {
			select {
			case nb, ok := <-sh.queue:
				if !ok {
					break collect
				}
				pending = append(pending, nb)
				lines += len(nb.events)
			case <-linger.C:
				break collect
			}
		}
		linger.Stop()
		sh.write(pending)
	}
}

// write merges batches by stream, keeping their order, and writes the streams concurrently.
func (sh *shipper) write(batches []logBatch) {
	var order []string
	merged := map[string]*logBatch{}
	for _, b := range batches {
		key := b.account + "\x00" + b.group + "\x00" + b.stream
		m, ok := merged[key]
		if !ok {
			cp := b
			cp.events = append([]logs.Event(nil), b.events...)
			merged[key] = &cp
			order = append(order, key)
			continue
		}
		m.events = append(m.events, b.events...)
	}
	slots := make(chan struct{}, shipperWriters)
	var wg sync.WaitGroup
	for _, key := range order {
		m := merged[key]
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := sh.out.Put(context.Background(), m.account, m.group, m.stream, m.events); err != nil {
				sh.log.Warn("function_log_write_failed", "group", m.group, "err", err)
			}
		}()
	}
	wg.Wait()
}

// close writes what is queued and stops.
func (sh *shipper) close() {
	sh.mu.Lock()
	if !sh.closed {
		sh.closed = true
		close(sh.queue)
	}
	sh.mu.Unlock()
	<-sh.done
}
