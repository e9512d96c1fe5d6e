package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/results"
)

// runCrashSuite runs suite (two cells, one repetition each) with exe as
// the tunebench binary and returns the results file as read back.
func runCrashSuite(t *testing.T, suite, exe string) (Summary, *results.File, string) {
	t.Helper()
	s := parseSuite(t, suite)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var out, side, progress syncBuffer
	sum, err := Run(context.Background(), Options{
		Suite: s, Cells: cells, Exe: exe, Seed: 1,
		Results: &out, Sidecar: &side, Progress: &progress,
	})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	f, err := results.Read("results.txt", strings.NewReader(out.String()))
	if err != nil {
		t.Fatalf("results: %v", err)
	}
	return sum, f, progress.String()
}

// TestRunServerCrashesMidLoad: a server that dies while the load runs
// fails that repetition with the end of its stderr; the suite goes on and
// the other repetition is measured.
func TestRunServerCrashesMidLoad(t *testing.T) {
	needRoot(t)
	checkClean(t)
	dir := t.TempDir()
	bin := tunebench(t)
	// The first start serves for 0.6 s of the 1.5 s load, then the server
	// is killed and its wrapper says so and exits 3; later starts serve.
	suite := fmt.Sprintf(`
suite: crash
links: [{name: lan, rtt: 2ms}]
server:
  command: "if [ -e %[1]s/crashed ]; then exec %[2]s serve --addr {addr}; fi; touch %[1]s/crashed; %[2]s serve --addr {addr} & p=$!; sleep 0.6; echo 'server: staged crash after some requests' >&2; kill -9 $p; exit 3"
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 1.5s, count: 1}
`, dir, bin)
	sum, f, _ := runCrashSuite(t, suite, bin)
	if sum.Reps != 2 || sum.Failed != 1 {
		t.Errorf("got %d repetitions, %d failed; want 2, 1 failed", sum.Reps, sum.Failed)
	}
	if len(f.Failures) != 1 || len(f.Rows) != 1 {
		t.Fatalf("got %d failure lines and %d results; want 1 and 1", len(f.Failures), len(f.Rows))
	}
	msg := f.Failures[0].Message
	for _, want := range []string{"server exited during the load: exit status 3", "server: staged crash after some requests"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q lacks %q", msg, want)
		}
	}
	if f.Failures[0].Line > f.Rows[0].Line {
		t.Errorf("the crash was the first repetition; its failure line is after the result")
	}
}

// TestRunAgentCrashes: a load agent killed mid-load (SIGKILL, as the OOM
// killer does) fails that repetition with how it died and its last
// stderr; the suite goes on.
func TestRunAgentCrashes(t *testing.T) {
	needRoot(t)
	checkClean(t)
	dir := t.TempDir()
	wrapper := filepath.Join(dir, "tunebench")
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = load ] && [ ! -e %[1]s/crashed ]; then
	touch %[1]s/crashed
	exec 3<&0
	%[2]s load <&3 &
	sleep 0.5
	echo "agent: staged crash mid-load" >&2
	kill -9 $! $$
fi
exec %[2]s "$@"
`, dir, tunebench(t))
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, f, _ := runCrashSuite(t, `
suite: agentcrash
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 1.5s, count: 1}
`, wrapper)
	if sum.Reps != 2 || sum.Failed != 1 {
		t.Errorf("got %d repetitions, %d failed; want 2, 1 failed", sum.Reps, sum.Failed)
	}
	if len(f.Failures) != 1 || len(f.Rows) != 1 {
		t.Fatalf("got %d failure lines and %d results; want 1 and 1", len(f.Failures), len(f.Rows))
	}
	msg := f.Failures[0].Message
	for _, want := range []string{"load agent: signal: killed", "agent: staged crash mid-load"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q lacks %q", msg, want)
		}
	}
}
