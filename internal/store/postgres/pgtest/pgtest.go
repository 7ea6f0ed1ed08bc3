// Package pgtest gives tests a PostgreSQL server: the one named by CEAP_TEST_POSTGRES, or else a
// throwaway server that it starts from the machine's PostgreSQL binaries (initdb and pg_ctl under
// /usr/lib/postgresql/*/bin, run as the postgres user when the tests run as root) on a free
// loopback port, and stops when the test binary ends. Each test isolates itself in a schema of its
// own (see storetest).
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// EnvURL names the environment variable that points tests at an existing server.
const EnvURL = "CEAP_TEST_POSTGRES"

var (
	once     sync.Once
	url      string
	startErr error
	dataDir  string
	asUser   []string
)

// Main runs the tests of a package and stops the server it may have started. Use it from TestMain:
// `func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }`.
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// URL returns the connection string of a running server, starting one if needed. The test fails
// (it is never skipped) when no server can be had: PostgreSQL is part of what ceap supports.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { url, startErr = start() })
	if startErr != nil {
		t.Fatalf("PostgreSQL for tests: %v (set %s or install postgresql)", startErr, EnvURL)
	}
	return url
}

// Stop stops the server that URL started, if any.
func Stop() {
	if dataDir == "" {
		return
	}
	run(exec.Command(pgBin("pg_ctl"), "-D", dataDir, "-m", "immediate", "stop"))
	os.RemoveAll(filepath.Dir(dataDir))
	dataDir = ""
}

func start() (string, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, nil
	}
	if pgBin("initdb") == "" {
		return "", fmt.Errorf("no PostgreSQL binaries under /usr/lib/postgresql")
	}
	root, err := os.MkdirTemp("", "ceap-pgtest-")
	if err != nil {
		return "", err
	}
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		asUser = []string{"runuser", "-u", "postgres", "--"}
		pw, err := user.Lookup("postgres")
		if err != nil {
			return "", fmt.Errorf("user postgres: %w", err)
		}
		uid, _ := strconv.Atoi(pw.Uid)
		gid, _ := strconv.Atoi(pw.Gid)
		os.Chmod(root, 0o755)
		if err := os.Chown(root, uid, gid); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(root, "data")
	if out, err := run(exec.Command(pgBin("initdb"), "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions")); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB", port, root)
	if out, err := run(exec.Command(pgBin("pg_ctl"), "-D", dir, "-o", opts, "-l", filepath.Join(root, "log"), "-w", "start")); err != nil {
		return "", fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	dataDir = dir
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), nil
}

func run(cmd *exec.Cmd) ([]byte, error) {
	if len(asUser) > 0 {
		cmd = exec.Command(asUser[0], append(asUser[1:], cmd.Args...)...)
	}
	return cmd.CombinedOutput()
}

// pgBin returns the path of a PostgreSQL program from the newest installed version.
func pgBin(name string) string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a > b
	})
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
