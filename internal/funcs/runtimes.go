package funcs

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ceap/ceap/internal/awserr"
)

//go:embed bootstraps/python.py
var pythonBootstrap string

//go:embed bootstraps/nodejs.js
var nodeBootstrap string

// runtimeFamily groups Lambda's runtime identifiers by how ceap starts them.
type runtimeFamily int

const (
	familyProvided runtimeFamily = iota
	familyPython
	familyNode
)

// familyOf returns how ceap starts a Lambda runtime identifier, and whether it can.
func familyOf(runtime string) (runtimeFamily, bool) {
	switch runtime {
	case "provided", "provided.al2", "provided.al2023":
		return familyProvided, true
	case "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14":
		return familyPython, true
	case "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x":
		return familyNode, true
	}
	return 0, false
}

// CheckRuntime answers InvalidParameterValueException for a runtime ceap cannot run.
func CheckRuntime(runtime string) error {
	if _, ok := familyOf(runtime); !ok {
		return awserr.New("InvalidParameterValueException",
			"The runtime parameter of %s is not supported by ceap; use provided.al2023, provided.al2, python3.x or nodejs18.x and later.", runtime)
	}
	return nil
}

// isReservedVariable reports the environment variable names that Lambda sets and a function may
// not.
func isReservedVariable(name string) bool {
	switch name {
	case "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
		"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
		"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR":
		return true
	}
	return false
}

// CheckEnvironment answers InvalidParameterValueException for variables that Lambda reserves.
func CheckEnvironment(vars map[string]string) error {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var bad []string
	for _, k := range keys {
		if isReservedVariable(k) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		return awserr.New("InvalidParameterValueException",
			"Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(bad, ","))
	}
	return nil
}

// Credentials are what a function's environment receives as its AWS credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// launcher builds the command and variables of an environment. It finds the python and node
// interpreters once and writes the embedded bootstraps under its directory.
type launcher struct {
	dir         string
	python      string
	node        string
	endpoint    string
	credentials func(account string) Credentials

	once     sync.Once
	onceErr  error
	pyOnce   sync.Once
	pyExe    string
	nodeOnce sync.Once
	nodePath string
}

func (l *launcher) prepare() error {
	l.once.Do(func() {
		for name, body := range map[string]string{"python/bootstrap.py": pythonBootstrap, "nodejs/bootstrap.js": nodeBootstrap} {
			p := filepath.Join(l.dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				l.onceErr = fmt.Errorf("create runtime dir: %w", err)
				return
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				l.onceErr = fmt.Errorf("write bootstrap %s: %w", name, err)
				return
			}
		}
	})
	return l.onceErr
}

// pythonExe resolves the python interpreter to its real executable, past version-manager shims,
// once and only when a python function first starts.
func (l *launcher) pythonExe() string {
	l.pyOnce.Do(func() {
		py, err := exec.LookPath(l.python)
		if err != nil {
			return
		}
		out, err := exec.Command(py, "-c", "import sys; print(sys.executable)").Output()
		if err == nil && len(bytes.TrimSpace(out)) > 0 {
			l.pyExe = string(bytes.TrimSpace(out))
		}
	})
	return l.pyExe
}

func (l *launcher) nodeExe() string {
	l.nodeOnce.Do(func() {
		if n, err := exec.LookPath(l.node); err == nil {
			l.nodePath = n
		}
	})
	return l.nodePath
}

// build returns how to start an environment for spec.
func (l *launcher) build(spec *Spec) (launch, error) {
	if err := l.prepare(); err != nil {
		return launch{}, err
	}
	family, ok := familyOf(spec.Runtime)
	if !ok {
		return launch{}, CheckRuntime(spec.Runtime)
	}
	var argv []string
	var extraPath, execEnv, runtimeDir string
	switch family {
	case familyProvided:
		argv = []string{filepath.Join(spec.CodeDir, "bootstrap")}
		runtimeDir = spec.CodeDir
	case familyPython:
		py := l.pythonExe()
		if py == "" {
			return launch{}, fmt.Errorf("%w: python3 was not found", errRuntimeUnavailable)
		}
		runtimeDir = filepath.Join(l.dir, "python")
		argv = []string{py, "-u", filepath.Join(runtimeDir, "bootstrap.py")}
		extraPath, execEnv = filepath.Dir(py), "AWS_Lambda_"+spec.Runtime
	case familyNode:
		node := l.nodeExe()
		if node == "" {
			return launch{}, fmt.Errorf("%w: node was not found", errRuntimeUnavailable)
		}
		runtimeDir = filepath.Join(l.dir, "nodejs")
		argv = []string{node, filepath.Join(runtimeDir, "bootstrap.js")}
		extraPath, execEnv = filepath.Dir(node), "AWS_Lambda_"+spec.Runtime
	}
	path := "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
	if extraPath != "" {
		path = extraPath + ":" + path
	}
	creds := Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if l.credentials != nil {
		creds = l.credentials(spec.Account)
	}
	env := []string{
		"_HANDLER=" + spec.Handler,
		"AWS_REGION=" + spec.Region,
		"AWS_DEFAULT_REGION=" + spec.Region,
		"AWS_LAMBDA_FUNCTION_NAME=" + spec.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(spec.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION=" + spec.Version,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=" + spec.LogGroup(),
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"LAMBDA_TASK_ROOT=" + spec.CodeDir,
		"LAMBDA_RUNTIME_DIR=" + runtimeDir,
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"PATH=" + path,
		"LD_LIBRARY_PATH=/lib64:/usr/lib64:" + runtimeDir + ":" + runtimeDir + "/lib:" + spec.CodeDir + ":" + spec.CodeDir + "/lib:/opt/lib",
	}
	if creds.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+creds.SessionToken)
	}
	if execEnv != "" {
		env = append(env, "AWS_EXECUTION_ENV="+execEnv)
	}
	if l.endpoint != "" {
		env = append(env, "AWS_ENDPOINT_URL="+l.endpoint)
	}
	if _, set := spec.Environment["GOMAXPROCS"]; family == familyProvided && !set {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(vcpus(spec.MemoryMB, runtime.NumCPU())))
	}
	keys := make([]string, 0, len(spec.Environment))
	for k := range spec.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+spec.Environment[k])
	}
	return launch{argv: argv, env: env}, nil
}

// mbPerVCPU is the memory at which Lambda gives a function the equivalent of one vCPU; it
// allocates CPU in proportion to memory (6 vCPUs at the 10,240 MB maximum).
const mbPerVCPU = 1769

// vcpus is the number of CPUs a function of memoryMB may use at once, as Lambda allocates them,
// at least one and at most the machine's. A custom runtime (a Go binary, typically) gets it as
// GOMAXPROCS unless the function sets that variable itself: on a machine shared by many
// environments, a Go runtime that believes it owns every core spends much of its CPU spinning
// between its threads, and Lambda's own environments never give a function under 1,769 MB a
// whole core anyway.
func vcpus(memoryMB, machine int) int {
	return max(1, min(machine, (memoryMB+mbPerVCPU-1)/mbPerVCPU))
}
