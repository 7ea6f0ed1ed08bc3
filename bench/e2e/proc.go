package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/bench/internal/loopback"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on Linux).
const clockTicks = 100

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
	f, ok := stat(b.pid)
	if !ok {
		return u
	}
	// Fields after the command: 4 ppid, 14 utime, 15 stime, 16 cutime, 17 cstime (1-based).
	u.server = ticks(f[14]) + ticks(f[15])
	u.functions = ticks(f[16]) + ticks(f[17])
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == b.pid {
			continue
		}
		if c, ok := stat(pid); ok && c[4] == strconv.Itoa(b.pid) {
			u.functions += ticks(c[14]) + ticks(c[15]) + ticks(c[16]) + ticks(c[17])
		}
	}
	return u
}

// stat returns /proc/<pid>/stat's fields, numbered from 1 as in proc(5) (index 0 is empty).
func stat(pid int) ([]string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	s := string(b)
	// The command (field 2) is in parentheses and may hold spaces.
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return nil, false
	}
	head := strings.Fields(s[:strings.IndexByte(s, '(')])
	rest := strings.Fields(s[end+1:])
	f := append([]string{"", firstOr(head), "cmd"}, rest...)
	if len(f) < 18 {
		return nil, false
	}
	return f, true
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func ticks(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * time.Second / clockTicks
}
