package main

import (
	"bytes"
	"fmt"
	"io"
)

// patternPeriod is the period of the large object's bytes: byte i is i mod 251, a prime, so that
// a misplaced block of any power-of-two size shows.
const patternPeriod = 251

// patternTable holds the pattern from offset 0 for long enough that any 64 KiB window starting
// at any phase is a plain slice of it: generating and checking cost a copy or a compare, not a
// division per byte (which bounded the generator before).
var patternTable = func() []byte {
	b := make([]byte, patternPeriod+(1<<20))
	for i := range b {
		b[i] = byte(i % patternPeriod)
	}
	return b
}()

// window returns the pattern's bytes from offset off, at most max of them.
func window(off int64, max int) []byte {
	phase := int(off % patternPeriod)
	return patternTable[phase : phase+min(max, len(patternTable)-patternPeriod)]
}

// pattern yields bytes [off, n) of the pattern without holding them.
type pattern struct{ off, n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n-p.off {
		b = b[:p.n-p.off]
	}
	total := 0
	for total < len(b) {
		k := copy(b[total:], window(p.off, len(b)-total))
		total += k
		p.off += int64(k)
	}
	return total, nil
}

// patternCheck is a writer that fails on the first byte that differs from the pattern.
type patternCheck struct{ off int64 }

func (c *patternCheck) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		want := window(c.off, len(b)-done)
		if !bytes.Equal(b[done:done+len(want)], want) {
			return done, fmt.Errorf("downloaded bytes differ from the upload near offset %d", c.off)
		}
		done += len(want)
		c.off += int64(len(want))
	}
	return done, nil
}
