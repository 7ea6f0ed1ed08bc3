package loopback

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux).
const clockTicks = 100

// ProcStat is what the load generators read from /proc/<pid>/stat.
type ProcStat struct {
	PID, PPID int
	// CPU is the process's user + system time (utime + stime).
	CPU time.Duration
	// ChildrenCPU is the user + system time of its children that have exited and been waited
	// for (cutime + cstime).
	ChildrenCPU time.Duration
}

// ReadProcStat reads /proc/<pid>/stat; ok is false when the process is gone or pid <= 0.
func ReadProcStat(pid int) (ProcStat, bool) {
	if pid <= 0 {
		return ProcStat{}, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStat{}, false
	}
	// The command (field 2) is in parentheses and may hold spaces; after it come state (3),
	// ppid (4), ..., utime (14), stime (15), cutime (16), cstime (17).
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return ProcStat{}, false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 15 {
		return ProcStat{}, false
	}
	n := func(i int) int64 { v, _ := strconv.ParseInt(f[i], 10, 64); return v }
	ticks := func(t int64) time.Duration { return time.Duration(t) * time.Second / clockTicks }
	ppid, _ := strconv.Atoi(f[1])
	return ProcStat{PID: pid, PPID: ppid, CPU: ticks(n(11) + n(12)), ChildrenCPU: ticks(n(13) + n(14))}, true
}

// LiveChildren returns the stats of the running processes whose parent is pid.
func LiveChildren(pid int) []ProcStat {
	var out []ProcStat
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		if st, ok := ReadProcStat(child); ok && st.PPID == pid {
			out = append(out, st)
		}
	}
	return out
}

// SelfCPU is this process's user + system time so far.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// LoadAvg is the 1, 5 and 15 minute load averages as `uptime` prints them ("" when unknown).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// LoadAvg1m is the one-minute load average (0 when unknown).
func LoadAvg1m() float64 {
	f := strings.Fields(LoadAvg())
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
