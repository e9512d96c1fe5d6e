package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/results"
)

var ownServerBuild goBuild

// ownServer returns the path of testdata/ownserver, built once: a stand-in
// for a user's own server.
func ownServer(t *testing.T) string {
	t.Helper()
	p, err := ownServerBuild.build("ownserver", "./runner/testdata/ownserver")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOwnServerEndToEnd runs a user's own server in list form on the real
// kernel: started without a shell (an argument with a space, $ and ; reaches
// it as written), placeholders replaced per argument, ready once /healthz
// answers 2xx (it answers 503 for its first 300 ms), TUNEBENCH_CODEC in its
// environment, its stdout and stderr in the repetition's log file. The
// agent decodes its Protobuf bodies. And a kernel knob applies to it
// unchanged: with tfo=on and keep-alive off, connections to it use TCP Fast
// Open (TcpExtTCPFastOpenPassive in the server host), although it never set
// TCP_FASTOPEN on its listener.
func TestOwnServerEndToEnd(t *testing.T) {
	testenv.Short(t, "runs a suite on the real kernel")
	needRoot(t)
	bin := ownServer(t)
	suite := fmt.Sprintf(`
suite: own
links: [{name: lan, rtt: 2ms}]
server:
  command: [%q, "--listen", "{addr}", "--tag", "codec-{codec} port-{port} $HOME;x"]
  ready: /healthz
  endpoint: "/orders?items=20"
matrix:
  codec: [protobuf]
  tfo: [on]
  keepalive: [off]
load: {rate: 20, duration: 1s, warmup: 0.3s, count: 1}
`, bin)
	f, logs, sum := runLogged(t, suite)
	if sum.Failed != 0 || len(f.Rows) != 1 {
		t.Fatalf("got %d rows, %d failed (%s); want 1, none failed", len(f.Rows), sum.Failed, sum.FirstFailure)
	}
	row := f.Rows[0]
	const cell = "link=lan/codec=protobuf/tfo=on/keepalive=off"
	if row.Cell != cell {
		t.Fatalf("cell %q; want %q", row.Cell, cell)
	}
	if v := row.Values; v[results.UnitErrors] != 0 || v[UnitDecoded] != 1 {
		t.Errorf("errors %v, decoded/op %v; want 0 and 1: every Protobuf body of the own server decoded", v[results.UnitErrors], v[UnitDecoded])
	}
	if got := row.Values["tfo-passive/op"]; got <= 0 {
		t.Errorf("tfo-passive/op %v; want Fast Open connections to a server that never set TCP_FASTOPEN", got)
	}

	logPath := filepath.Join(logs, "link=lan", "codec=protobuf", "tfo=on", "keepalive=off", "rep1.log")
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("server log: %v", err)
	}
	log := string(b)
	t.Logf("server log %s:\n%s", logPath, log)
	for _, want := range []string{
		// stdout: what it was given, placeholders replaced, no shell.
		`ownserver: given tag="codec-protobuf port-8080 $HOME;x" TUNEBENCH_CODEC=protobuf TUNEBENCH_ADDR=198.18.0.2:8080`,
		// stderr: the ready probe waited through the 503s.
		"ownserver: starting on 198.18.0.2:8080",
		"ownserver: healthz 503 (starting)",
		"ownserver: healthz 200",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("server log lacks %q", want)
		}
	}
}

// TestOwnServerNotReady: a ready path that never answers 2xx fails the
// repetition within the ready timeout, naming the path, the last answer and
// the end of the server's stderr, and the log still has the output.
func TestOwnServerNotReady(t *testing.T) {
	testenv.Short(t, "runs a suite on the real kernel")
	needRoot(t)
	bin := ownServer(t)
	suite := fmt.Sprintf(`
suite: notready
links: [{name: lan, rtt: 2ms}]
server: {command: [%q, "--listen", "{addr}"], ready: /nope}
matrix: {keepalive: [on]}
load: {rate: 20, duration: 0.5s, count: 1}
`, bin)
	f, logs, sum := runLogged(t, suite)
	if sum.Failed != 1 || len(f.Failures) != 1 {
		t.Fatalf("got %d failed, %d failure lines; want 1", sum.Failed, len(f.Failures))
	}
	msg := f.Failures[0].Message
	logPath := filepath.Join(logs, "link=lan", "keepalive=on", "rep1.log")
	for _, want := range []string{
		"server: GET http://198.18.0.2:8080/nope did not answer 2xx within 10s (last: 404 Not Found)",
		"its stderr: ownserver: starting on 198.18.0.2:8080",
		"server log: " + logPath,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q lacks %q", msg, want)
		}
	}
	if b, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(b), "ownserver: starting on") {
		t.Errorf("server log: %v, %q; want the server's stderr", err, b)
	}
}
