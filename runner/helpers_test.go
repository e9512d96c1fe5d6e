package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
)

// binDir holds the binaries the tests build, once per test binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tunebench-runner-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needRoot skips tests that build namespaces; CI runs as root, so there
// they always run.
func needRoot(t *testing.T) {
	t.Helper()
	testenv.TUN(t)
}

// goBuild builds pkg (run in the module root) into binDir/name once.
type goBuild struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

func (b *goBuild) build(name, pkg string) (string, error) {
	b.once.Do(func() {
		b.path = filepath.Join(binDir, name)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.path, pkg)
		cmd.Dir = ".." // the module root
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, b.err, b.out)
	}
	return b.path, nil
}

var tunebenchBuild, benchstatBuild goBuild

// tunebench returns the path of the tunebench binary, built from this
// module, which Run starts as the server and the load agent.
func tunebench(t *testing.T) string {
	t.Helper()
	p, err := tunebenchBuild.build("tunebench", "./cmd/tunebench")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// benchstat returns the path of the real benchstat, or skips the test
// when it cannot be built (it needs golang.org/x/perf in the module cache).
func benchstat(t *testing.T) string {
	t.Helper()
	p, err := benchstatBuild.build("benchstat", "golang.org/x/perf/cmd/benchstat")
	if err != nil {
		testenv.Missing(t, "benchstat (golang.org/x/perf in the module cache): %v", err)
	}
	return p
}

// checkClean fails the test, when it ends, if a namespace of this process
// or a child process is left.
func checkClean(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if left := ourNamespaces(); len(left) > 0 {
			t.Errorf("namespaces left behind: %v", left)
			netem.SweepOwn()
		}
		if kids := children(); len(kids) > 0 {
			t.Errorf("child processes left behind: %v", kids)
		}
	})
}

// ourNamespaces lists the namespaces of this process.
func ourNamespaces() []string {
	entries, _ := os.ReadDir(netem.NamespaceDir)
	var left []string
	mine := netem.Prefix + strconv.Itoa(os.Getpid()) + "-"
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), mine) {
			left = append(left, e.Name())
		}
	}
	return left
}

// children lists the live child processes of this process as "pid comm".
func children() []string {
	entries, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	var kids []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state, ppid, ...
		if len(f) > 1 && f[1] == self && f[0] != "Z" {
			kids = append(kids, e.Name()+" "+s[strings.IndexByte(s, '(')+1:i])
		}
	}
	return kids
}

// syncBuffer is a bytes.Buffer safe for the runner's goroutines, which
// calls onWrite with each write.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	onWrite func(string)
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.onWrite != nil {
		b.onWrite(string(p))
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// createFile creates path for the test and closes it when the test ends.
func createFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readSidecar(path string) ([]results.SidecarEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return results.ReadSidecar(f)
}
