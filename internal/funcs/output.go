package funcs

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/ceap/ceap/internal/clock"
)

const (
	// tailLimit is how much of an invocation's log Invoke returns with LogType Tail (the last 4 KB).
	tailLimit = 4 * 1024
	// flushLines is how many captured lines are held before they are written to the log stream
	// while an invocation is still running.
	flushLines = 256
	// maxLineBytes splits an unterminated line that grows past this size (CloudWatch Logs' event
	// size limit is 256 KB, less the 26 bytes of per-event overhead).
	maxLineBytes = 256*1024 - 26
)

// LogLine is one line that a function environment wrote, with the time ceap read it.
type LogLine struct {
	Time    time.Time
	Message string
}

// output reads an environment's stdout and stderr (one pipe) into log lines. Reads happen only
// while mu is held, so drain sees every byte the runtime wrote before it called the Runtime API.
type output struct {
	file  *os.File
	raw   syscall.RawConn
	clock clock.Clock
	sink  func([]LogLine)

	// emitMu keeps batches in order from taking them to handing them to the sink; it is taken
	// before mu.
	emitMu sync.Mutex

	mu      sync.Mutex
	partial []byte
	lines   []LogLine
	tail    []byte
	// holding keeps an invocation's lines until it ends, so they reach the log in one batch;
	// tailOn also keeps its last 4 KB, when the caller asked for the tail.
	holding bool
	tailOn  bool
	eof     bool
	doneRun chan struct{}
}

func newOutput(f *os.File, c clock.Clock, sink func([]LogLine)) (*output, error) {
	raw, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &output{file: f, raw: raw, clock: c, sink: sink, doneRun: make(chan struct{})}, nil
}

// run reads until the pipe closes, then flushes what is left.
func (o *output) run() {
	defer close(o.doneRun)
	_ = o.raw.Read(func(fd uintptr) bool {
		o.emitMu.Lock()
		defer o.emitMu.Unlock()
		o.mu.Lock()
		done := o.pumpLocked(int(fd))
		var flush []LogLine
		if !o.holding || len(o.lines) >= flushLines || done {
			flush = o.takeLocked()
		}
		o.mu.Unlock()
		o.emit(flush)
		return done
	})
	o.emitMu.Lock()
	o.mu.Lock()
	if len(o.partial) > 0 {
		o.lineLocked(o.partial)
		o.partial = nil
	}
	flush := o.takeLocked()
	o.mu.Unlock()
	o.emit(flush)
	o.emitMu.Unlock()
	_ = o.file.Close()
}

// pumpLocked reads everything that is in the pipe now; it reports true at end of file.
func (o *output) pumpLocked(fd int) bool {
	if o.eof {
		return true
	}
	var buf [32 * 1024]byte
	for {
		n, err := syscall.Read(fd, buf[:])
		if n > 0 {
			o.bytesLocked(buf[:n])
		}
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return false
		case err != nil || n == 0:
			o.eof = true
			return true
		}
	}
}

func (o *output) bytesLocked(b []byte) {
	for len(b) > 0 {
		i := indexByte(b, '\n')
		if i < 0 {
			o.partial = append(o.partial, b...)
			if len(o.partial) >= maxLineBytes {
				o.lineLocked(o.partial[:maxLineBytes])
				o.partial = append([]byte(nil), o.partial[maxLineBytes:]...)
			}
			return
		}
		line := b[:i]
		if len(o.partial) > 0 {
			line = append(o.partial, line...)
			o.partial = nil
		}
		o.lineLocked(line)
		b = b[i+1:]
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (o *output) lineLocked(line []byte) {
	o.addLocked(string(line))
}

// addLocked records one line (from the runtime or written by ceap, such as START and REPORT).
func (o *output) addLocked(msg string) {
	o.lines = append(o.lines, LogLine{Time: o.clock.Now(), Message: msg})
	if o.tailOn {
		o.tail = append(o.tail, msg...)
		o.tail = append(o.tail, '\n')
		if len(o.tail) > 16*tailLimit {
			o.tail = append([]byte(nil), o.tail[len(o.tail)-tailLimit:]...)
		}
	}
}

func (o *output) takeLocked() []LogLine {
	l := o.lines
	o.lines = nil
	return l
}

func (o *output) emit(lines []LogLine) {
	if len(lines) > 0 && o.sink != nil {
		o.sink(lines)
	}
}

// drain reads whatever the runtime has written so far.
func (o *output) drain() {
	_ = o.raw.Control(func(fd uintptr) {
		o.mu.Lock()
		o.pumpLocked(int(fd))
		o.mu.Unlock()
	})
}

// begin starts holding an invocation's lines (and capturing its tail when tail is set) and
// writes its first line.
func (o *output) begin(first string, tail bool) {
	o.mu.Lock()
	o.holding = true
	o.tailOn = tail
	o.tail = o.tail[:0]
	o.addLocked(first)
	o.mu.Unlock()
}

// write adds lines that ceap writes (END, REPORT, timeouts) to the stream.
func (o *output) write(msgs ...string) {
	o.mu.Lock()
	for _, m := range msgs {
		o.addLocked(m)
	}
	o.mu.Unlock()
}

// end stops holding, flushes the stream and returns the last 4 KB of the invocation's log ("" when
// the tail was not asked for).
func (o *output) end() string {
	o.emitMu.Lock()
	defer o.emitMu.Unlock()
	o.mu.Lock()
	tail := o.tail
	if len(tail) > tailLimit {
		tail = tail[len(tail)-tailLimit:]
	}
	var s string
	if o.tailOn {
		s = string(tail)
	}
	o.holding, o.tailOn = false, false
	flush := o.takeLocked()
	o.mu.Unlock()
	o.emit(flush)
	return s
}
