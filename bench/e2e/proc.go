package main

import (
	"time"

	"github.com/ceap/ceap/bench/internal/loopback"
)

// usage is CPU time used so far by the server and by the stage functions' processes (the
// server's children, living and exited), and the server's resident memory now.
type usage struct {
	server, functions time.Duration
	rss               int64
}

func (u usage) since(before usage) usage {
	return usage{server: u.server - before.server, functions: u.functions - before.functions, rss: u.rss}
}

func (b *bench) usage() usage {
	if b.pid <= 0 {
		return usage{}
	}
	u := usage{rss: loopback.RSS(b.pid)}
	st, ok := loopback.ReadProcStat(b.pid)
	if !ok {
		return u
	}
	u.server = st.CPU
	u.functions = st.ChildrenCPU
	for _, c := range loopback.LiveChildren(b.pid) {
		u.functions += c.CPU + c.ChildrenCPU
	}
	return u
}
