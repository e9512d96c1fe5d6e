package runner

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/scenarios"
)

func TestLogDir(t *testing.T) {
	tests := []struct{ in, want string }{
		{"results.txt", "results.logs"},
		{"out/quick.txt", "out/quick.logs"},
		{"out/run.v2.txt", "out/run.v2.logs"},
		{"noext", "noext.logs"},
	}
	for _, tt := range tests {
		if got := LogDir(tt.in); got != tt.want {
			t.Errorf("LogDir(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
	if got, want := serverLogPath("r.logs", "link=lan/codec=json", 3), filepath.Join("r.logs", "link=lan", "codec=json", "rep3.log"); got != want {
		t.Errorf("serverLogPath: got %q; want %q", got, want)
	}
}

// testRun is a run of suite text for the functions that only read it.
func testRun(t *testing.T, text string) (*run, []scenarios.Cell) {
	t.Helper()
	s := parseSuite(t, text)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := newRun(Options{Suite: s, Cells: cells, Exe: "/bin/tunebench", Results: &syncBuffer{}, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return r, cells
}

func TestServerCommandForms(t *testing.T) {
	const suite = `
suite: own
links: [{name: lan, rtt: 2ms}]
server: %s
matrix: {codec: [protobuf], tls: [full]}
load: {rate: 1, duration: 1s}
`
	tests := []struct {
		name      string
		server    string
		wantArgs  []string
		reference bool
		readyURL  string
	}{
		{"reference", `{endpoint: /orders}`, []string{"/bin/tunebench", "serve", "--addr", "198.18.0.2:8080"}, true, ""},
		{"shell", `{command: "./srv -l {addr} -c {codec} $X", port: 9000}`, []string{"/bin/sh", "-c", "./srv -l 198.18.0.2:9000 -c protobuf $X"}, false, ""},
		{"list", `{command: ["./srv", "-l", "{addr}", "{server}:{port}", "a {codec} b; $X", "{unknown}"], ready: /healthz}`,
			[]string{"./srv", "-l", "198.18.0.2:8080", "198.18.0.2:8080", "a protobuf b; $X", "{unknown}"}, false, "https://198.18.0.2:8080/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, cells := testRun(t, strings.Replace(suite, "%s", tt.server, 1))
			spec, log, err := r.serverSpec(cells[0], 2)
			if err != nil {
				t.Fatal(err)
			}
			defer log.close()
			if !reflect.DeepEqual(spec.cmd.Args, tt.wantArgs) {
				t.Errorf("args: got %q; want %q", spec.cmd.Args, tt.wantArgs)
			}
			if spec.reference != tt.reference || spec.readyURL != tt.readyURL {
				t.Errorf("reference %v, ready %q; want %v, %q", spec.reference, spec.readyURL, tt.reference, tt.readyURL)
			}
			env := strings.Join(spec.cmd.Env, "\n")
			for _, want := range []string{"TUNEBENCH_CODEC=protobuf", "TUNEBENCH_TLS=full", "TUNEBENCH_CELL=link=lan/codec=protobuf/tls=full"} {
				if !strings.Contains(env, want+"\n") && !strings.HasSuffix(env, want) {
					t.Errorf("env lacks %s", want)
				}
			}
			wantLog := filepath.Join(r.o.LogDir, "link=lan", "codec=protobuf", "tls=full", "rep2.log")
			if log == nil || log.path != wantLog || spec.log == nil {
				t.Fatalf("log: got %+v; want %s", log, wantLog)
			}
			if _, err := os.Stat(wantLog); err != nil {
				t.Errorf("log file: %v", err)
			}
		})
	}
}

func TestServerLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "rep1.log")
	l, err := openServerLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := l.Write([]byte("one\n")); n != 4 || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	// After close, writes are dropped and still reported written, so a
	// server's late output never blocks.
	if n, err := l.Write([]byte("late\n")); n != 5 || err != nil {
		t.Errorf("Write after close: %d, %v; want 5, nil", n, err)
	}
	if err := l.close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one\n" {
		t.Errorf("log: got %q; want %q", b, "one\n")
	}
	if _, err := openServerLog(filepath.Join(path, "x.log")); err == nil || !strings.HasPrefix(err.Error(), "server log: ") {
		t.Errorf("log under a file: got %v; want a server log error", err)
	}
}

func TestWithServerOutput(t *testing.T) {
	c := &child{stderr: newTail()}
	c.stderr.Write([]byte("panic: boom\n"))
	log := &serverLog{path: "r.logs/link=lan/rep1.log"}
	base := errors.New("no successful requests")
	tests := []struct {
		name string
		srv  *child
		log  *serverLog
		err  error
		want string
	}{
		{"both", c, log, base, "no successful requests (server stderr: panic: boom; server log: r.logs/link=lan/rep1.log)"},
		{"no log", c, nil, base, "no successful requests (server stderr: panic: boom)"},
		{"not started", nil, log, base, "no successful requests (server log: r.logs/link=lan/rep1.log)"},
		{"stderr already there", c, nil, errors.New("server exited: panic: boom"), "server exited: panic: boom"},
		{"nothing to add", nil, nil, base, "no successful requests"},
	}
	for _, tt := range tests {
		got := withServerOutput(tt.err, tt.srv, tt.log)
		if got.Error() != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, got, tt.want)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("%s: the error no longer wraps the cause", tt.name)
		}
	}
	if withServerOutput(nil, c, log) != nil {
		t.Error("nil error: got an error")
	}
}
