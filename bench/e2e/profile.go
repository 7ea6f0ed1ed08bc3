package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// modulePrefix is the import path prefix of ceap's own packages.
const modulePrefix = "github.com/ceap/ceap/internal/"

// services maps ceap's packages to the AWS service whose work they do. A sample belongs to the
// service of its innermost frame in one of these packages (so SQLite work under the S3 handler
// counts as S3, and a function invoke made by the engine counts as Lambda).
var services = map[string]string{
	"api/sqs": "SQS", "queues": "SQS",
	"api/pipes": "Pipes", "pipes": "Pipes",
	"api/sfn": "Step Functions", "states": "Step Functions", "asl": "Step Functions",
	"api/lambda": "Lambda", "funcs": "Lambda",
	"api/s3": "S3", "objects": "S3", "blob": "S3",
	"api/logs": "CloudWatch Logs", "logs": "CloudWatch Logs",
	"metrics": "CloudWatch metrics", "api/sns": "SNS", "topics": "SNS", "events": "EventBridge", "api/events": "EventBridge",
}

// profile is a CPU profile being taken by the server.
type profile struct {
	path   string
	keep   bool
	done   chan struct{}
	err    error
	window int
}

// startProfile asks the server for a CPU profile of the next secs seconds (ceap serve --pprof).
func (b *bench) startProfile(ctx context.Context, secs int, out string) *profile {
	if secs <= 0 {
		return nil
	}
	p := &profile{path: out, keep: out != "", done: make(chan struct{}), window: secs}
	if p.path == "" {
		f, err := os.CreateTemp("", "ceap-e2e-*.pprof")
		if err != nil {
			fail("profile file: %v", err)
		}
		f.Close()
		p.path = f.Name()
	}
	go func() {
		defer close(p.done)
		url := fmt.Sprintf("%s/_ceap/debug/pprof/profile?seconds=%d", b.endpoint, secs)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			p.err = err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			p.err = fmt.Errorf("%s: %s (is the server running with --pprof?)", url, resp.Status)
			return
		}
		f, err := os.Create(p.path)
		if err != nil {
			p.err = err
			return
		}
		_, p.err = io.Copy(f, resp.Body)
		if cerr := f.Close(); p.err == nil {
			p.err = cerr
		}
	}()
	return p
}

// reportProfile prints the profile's CPU by service and by ceap package, one line each, with
// `go tool pprof -raw` reading the profile.
func (b *bench) reportProfile(p *profile) {
	<-p.done
	if !p.keep {
		defer os.Remove(p.path)
	}
	if p.err != nil {
		emit(map[string]any{"phase": "profile", "error": p.err.Error()})
		return
	}
	raw, err := exec.Command("go", "tool", "pprof", "-raw", p.path).Output()
	if err != nil {
		emit(map[string]any{"phase": "profile", "error": fmt.Sprintf("go tool pprof -raw: %v", err)})
		return
	}
	stacks, err := parseRaw(raw)
	if err != nil {
		emit(map[string]any{"phase": "profile", "error": err.Error()})
		return
	}
	byService, byPackage := map[string]float64{}, map[string]float64{}
	total := 0.0
	for _, s := range stacks {
		total += s.cpu
		byService[serviceOf(s.frames)] += s.cpu
		byPackage[innermostPackage(s.frames)] += s.cpu
	}
	if total == 0 {
		emit(map[string]any{"phase": "profile", "error": "no samples"})
		return
	}
	emit(map[string]any{"phase": "profile", "profile_seconds": p.window, "cpu_seconds": r2(total / 1e9), "cores_busy": r2(total / 1e9 / float64(p.window))})
	for _, kv := range sorted(byService) {
		emit(map[string]any{"phase": "profile", "service": kv.k, "cpu_share_pct": r1(100 * kv.v / total)})
	}
	for i, kv := range sorted(byPackage) {
		if i == 15 {
			break
		}
		emit(map[string]any{"phase": "profile", "package": kv.k, "cpu_share_pct": r1(100 * kv.v / total)})
	}
}

type kv struct {
	k string
	v float64
}

func sorted(m map[string]float64) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].v > out[j].v || out[i].v == out[j].v && out[i].k < out[j].k })
	return out
}

// stack is one profile sample: its CPU nanoseconds and its functions, innermost first.
type stack struct {
	cpu    float64
	frames []string
}

var (
	sampleLine   = regexp.MustCompile(`^\s*\d+\s+(\d+):((?:\s+\d+)+)\s*$`)
	locationLine = regexp.MustCompile(`^\s*(\d+):\s+0x[0-9a-f]+\s+M=\d+\s+(\S+)`)
	inlinedLine  = regexp.MustCompile(`^\s+(\S+)\s+\S+:\d+`)
)

// parseRaw reads `go tool pprof -raw` output: the samples (count, nanoseconds: location ids,
// innermost first) and the locations (id, address, mapping, function, then the functions
// inlined into it on their own lines).
func parseRaw(raw []byte) ([]stack, error) {
	type sample struct {
		cpu  float64
		locs []int
	}
	var samples []sample
	locs := map[int][]string{}
	section := ""
	last := -1
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		switch strings.TrimSpace(line) {
		case "Samples:", "Locations", "Mappings":
			section = strings.TrimSuffix(strings.TrimSpace(line), ":")
			continue
		}
		switch section {
		case "Samples":
			m := sampleLine.FindStringSubmatch(line)
			if m == nil {
				continue // the header and label lines
			}
			ns, _ := strconv.ParseFloat(m[1], 64)
			s := sample{cpu: ns}
			for _, f := range strings.Fields(m[2]) {
				id, _ := strconv.Atoi(f)
				s.locs = append(s.locs, id)
			}
			samples = append(samples, s)
		case "Locations":
			if m := locationLine.FindStringSubmatch(line); m != nil {
				last, _ = strconv.Atoi(m[1])
				locs[last] = append(locs[last], m[2])
			} else if m := inlinedLine.FindStringSubmatch(line); m != nil && last >= 0 {
				locs[last] = append(locs[last], m[1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read pprof -raw: %w", err)
	}
	out := make([]stack, 0, len(samples))
	for _, s := range samples {
		st := stack{cpu: s.cpu}
		for _, id := range s.locs {
			st.frames = append(st.frames, locs[id]...)
		}
		out = append(out, st)
	}
	return out, nil
}

// pkgOf is the import path of a function name such as
// github.com/ceap/ceap/internal/states.(*Service).invoke or runtime.mallocgc.
func pkgOf(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

func serviceOf(frames []string) string {
	for _, f := range frames {
		if p, ok := strings.CutPrefix(pkgOf(f), modulePrefix); ok {
			if s, ok := services[p]; ok {
				return s
			}
		}
	}
	return "other: " + outermost(frames)
}

func innermostPackage(frames []string) string {
	for _, f := range frames {
		if p, ok := strings.CutPrefix(pkgOf(f), modulePrefix); ok {
			return p
		}
	}
	return "(no ceap frame) " + outermost(frames)
}

// outermost names the package at the root of a stack that holds no ceap frame: runtime (the
// scheduler, the garbage collector), net/http, ...
func outermost(frames []string) string {
	if len(frames) == 0 {
		return "?"
	}
	p := pkgOf(frames[len(frames)-1])
	if p == "runtime" && len(frames) > 1 {
		// goexit and mstart root most stacks; the frame above them says what ran.
		p = pkgOf(frames[len(frames)-2])
	}
	return p
}
