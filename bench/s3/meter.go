package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on Linux).
const clockTicks = 100

// meter measures a phase: wall time, the server's and the generator's CPU time, and the load.
type meter struct {
	pid         int
	start       time.Time
	serverTicks int64
	self        time.Duration
}

func startMeter(pid int) *meter {
	return &meter{pid: pid, start: time.Now(), serverTicks: serverTicks(pid), self: selfCPU()}
}

// report adds the phase's seconds, CPU seconds (per operation when ops > 0) and load average.
func (m *meter) report(out map[string]any, ops int) {
	secs := time.Since(m.start).Seconds()
	client := (selfCPU() - m.self).Seconds()
	out["seconds"] = round(secs)
	if ops > 0 {
		out["per_second"] = round(float64(ops) / secs)
		out["client_cpu_us_per_op"] = round(client * 1e6 / float64(ops))
	}
	out["client_cpu_s"] = round(client)
	if m.pid > 0 {
		server := float64(serverTicks(m.pid)-m.serverTicks) / clockTicks
		out["server_cpu_s"] = round(server)
		if ops > 0 {
			out["server_cpu_us_per_op"] = round(server * 1e6 / float64(ops))
		}
	}
	out["load_avg_1m"] = loadAverage()
}

// serverTicks returns the user+system CPU time of pid in clock ticks (0 when unknown).
func serverTicks(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis are
	// state (3), ..., utime (14) and stime (15).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return user + sys
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
