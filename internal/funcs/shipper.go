package funcs

import (
	"context"
	"log/slog"
	"sync"

	"github.com/ceap/ceap/internal/logs"
)

// shipperQueue is how many batches of lines may wait for the log writer before environments
// wait for it.
const shipperQueue = 4096

// logBatch is lines of one stream.
type logBatch struct {
	account, group, stream string
	events                 []logs.Event
}

// shipper writes environments' lines to the logs service off the invocation path, so that an
// invocation does not wait for the log's durable commit. One goroutine keeps each stream's lines
// in order and merges what queued up into one write per stream.
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
	for b := range sh.queue {
		pending := []logBatch{b}
	drain:
		for len(pending) < shipperQueue {
			select {
			case nb, ok := <-sh.queue:
				if !ok {
					break drain
				}
				pending = append(pending, nb)
			default:
				break drain
			}
		}
		sh.write(pending)
	}
}

// write merges batches by stream, keeping their order, and writes each stream once.
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
	for _, key := range order {
		m := merged[key]
		if err := sh.out.Put(context.Background(), m.account, m.group, m.stream, m.events); err != nil {
			sh.log.Warn("function_log_write_failed", "group", m.group, "err", err)
		}
	}
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
