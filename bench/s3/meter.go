package main

import (
	"time"

	"github.com/ceap/ceap/bench/internal/loopback"
)

// meter measures a phase: wall time, the server's and the generator's CPU time, and the load.
type meter struct {
	pid    int
	start  time.Time
	server time.Duration
	self   time.Duration
}

func startMeter(pid int) *meter {
	return &meter{pid: pid, start: time.Now(), server: serverCPU(pid), self: loopback.SelfCPU()}
}

// report adds the phase's seconds, CPU seconds (per operation when ops > 0) and load average.
func (m *meter) report(out map[string]any, ops int) {
	secs := time.Since(m.start).Seconds()
	client := (loopback.SelfCPU() - m.self).Seconds()
	out["seconds"] = round(secs)
	if ops > 0 {
		out["per_second"] = round(float64(ops) / secs)
		out["client_cpu_us_per_op"] = round(client * 1e6 / float64(ops))
	}
	out["client_cpu_s"] = round(client)
	if m.pid > 0 {
		server := (serverCPU(m.pid) - m.server).Seconds()
		out["server_cpu_s"] = round(server)
		if ops > 0 {
			out["server_cpu_us_per_op"] = round(server * 1e6 / float64(ops))
		}
	}
	out["load_avg_1m"] = loopback.LoadAvg1m()
}

// serverCPU returns the user+system CPU time of pid (0 when unknown).
func serverCPU(pid int) time.Duration {
	st, _ := loopback.ReadProcStat(pid)
	return st.CPU
}
