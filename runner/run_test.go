package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
)

// e2eSuite is the end-to-end suite: keep-alive on and off, near and far.
// The endpoint lists 5 orders, about 3.6 KB, which fit in the initial
// congestion window of 10 segments; 20 orders (14.5 KB) would not, and a
// new connection would then pay a third round trip for the rest of the
// body, hiding the handshake's one behind it.
const e2eSuite = `
suite: e2e
links:
  - {name: lan, rtt: 2ms}
  - {name: wan40, rtt: 40ms}
server: {endpoint: "/orders?items=5"}
matrix:
  keepalive: [on, off]
load: {rate: 20, duration: 2s, warmup: 0.5s, count: 6}
`

// TestRunEndToEnd runs a suite on the real kernel and checks that its
// results are what benchstat reads, and what the emulated paths imply.
func TestRunEndToEnd(t *testing.T) {
	needRoot(t)
	testenv.Short(t, "the suite takes about a minute; run without -short")
	checkClean(t)
	s := parseSuite(t, e2eSuite)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "results.txt")
	out, side := createFile(t, path), createFile(t, results.SidecarPath(path))
	var progress syncBuffer
	sum, err := Run(context.Background(), Options{
		Suite: s, Cells: cells, Backend: netem.BackendAuto, Exe: tunebench(t),
		Results: out, Sidecar: side, Progress: &progress, Version: "v0.0.0-test",
	})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("summary: %+v", sum)
	if sum.Reps != 24 || sum.Failed != 0 || sum.Planned != 24 {
		t.Errorf("got %d repetitions, %d failed, of %d; want 24, 0 failed, of 24 (first failure: %s)", sum.Reps, sum.Failed, sum.Planned, sum.FirstFailure)
	}
	if want := fmt.Sprintf("seed %d (rerun the same order with --seed %d)\n", sum.Seed, sum.Seed); !strings.HasPrefix(progress.String(), want) {
		t.Errorf("progress does not start with %q", want)
	}
	if got := strings.Count(progress.String(), "/24] "); got != 24 {
		t.Errorf("got %d progress lines; want 24", got)
	}
	if left := ourNamespaces(); len(left) > 0 {
		t.Errorf("namespaces left after Run: %v", left)
	}

	// (1) benchfmt reads every line, as benchstat will.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(bytes.NewReader(data), path)
	n := 0
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt: %v", rec)
		case *benchfmt.Result:
			n++
		}
	}
	if err := r.Err(); err != nil {
		t.Errorf("benchfmt: %v", err)
	}
	if n != 24 {
		t.Errorf("benchfmt read %d results; want 24", n)
	}
	f, err := results.ReadFile(path)
	if err != nil {
		t.Fatalf("results.ReadFile: %v", err)
	}
	config := make(map[string]string)
	for _, c := range f.Config {
		config[c.Key] = c.Value
	}
	for k, want := range map[string]string{
		"suite": "e2e", "seed": strconv.FormatInt(sum.Seed, 10), "count": "6", "backend": sum.Backend,
		"link-lan": "rtt=2ms", "link-wan40": "rtt=40ms", "endpoint": "/orders?items=5",
	} {
		if config[k] != want {
			t.Errorf("config %s: got %q; want %q", k, config[k], want)
		}
	}
	entries, err := readSidecar(results.SidecarPath(path))
	if err != nil {
		t.Fatalf("sidecar: %v", err)
	}
	if len(entries) != 24 {
		t.Errorf("sidecar has %d entries; want 24", len(entries))
	}

	// (2) The real benchstat puts keep-alive on and off side by side.
	t.Run("benchstat", func(t *testing.T) {
		bs := benchstat(t)
		cmd := exec.Command(bs, "-col", "/keepalive", path)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("benchstat -col /keepalive: %v\n%s", err, stderr.String())
		}
		t.Logf("benchstat -col /keepalive:\n%s", stdout.String())
		if stderr.Len() > 0 {
			t.Errorf("got benchstat stderr %q; want none", stderr.String())
		}
		// One header of columns per unit table, naming on and off once
		// each, in the order they first appear in the file.
		columns := regexp.MustCompile(`(?m)^\s*│\s+(on|off)\s+│\s+(on|off)\s+│$`)
		headers := columns.FindAllStringSubmatch(stdout.String(), -1)
		if len(headers) == 0 {
			t.Fatalf("got no \"│ on │ off │\" column header; want one per unit")
		}
		for _, h := range headers {
			if h[1] == h[2] {
				t.Errorf("got columns %q; want one for on and one for off", h[0])
			}
		}
		for _, link := range []string{"lan", "wan40"} {
			row := regexp.MustCompile(`(?m)^E2e/link=` + link + `\s+\S+ ± \S+\s+\S+ ± \S+\s+\S+\s+\(p=\S+ n=6\)$`)
			if !row.MatchString(stdout.String()) {
				t.Errorf("got no row for link=%s with 6 samples of each value and a comparison", link)
			}
		}
	})

	// (3) Fidelity: on the 40 ms path, a kept-alive connection answers in
	// one round trip; a new connection per request adds the handshake's.
	p50 := func(cell string) time.Duration {
		var v []float64
		for _, row := range f.Rows {
			if row.Cell == cell {
				v = append(v, row.Values[results.UnitP50])
			}
		}
		if len(v) == 0 {
			t.Fatalf("no rows for %s", cell)
		}
		slices.Sort(v)
		return time.Duration(v[len(v)/2])
	}
	on, off := p50("link=wan40/keepalive=on"), p50("link=wan40/keepalive=off")
	lanOn, lanOff := p50("link=lan/keepalive=on"), p50("link=lan/keepalive=off")
	t.Logf("median P50: wan40 keepalive on %v, off %v (%.2f×); lan on %v, off %v", on, off, float64(off)/float64(on), lanOn, lanOff)
	if on < 38*time.Millisecond || on > 60*time.Millisecond {
		t.Errorf("wan40 keepalive=on: P50 %v; want 38ms..60ms, about one 40 ms round trip", on)
	}
	if off < 78*time.Millisecond || off > 110*time.Millisecond {
		t.Errorf("wan40 keepalive=off: P50 %v; want 78ms..110ms, about two round trips (handshake and request)", off)
	}
	if ratio := float64(off) / float64(on); ratio < 1.6 || ratio > 2.4 {
		t.Errorf("wan40: P50 off/on = %.2f; want 1.6..2.4", ratio)
	}
	if lanOn > 10*time.Millisecond || lanOff > 20*time.Millisecond {
		t.Errorf("lan: P50 on %v, off %v; want under 10ms and 20ms on a 2 ms path", lanOn, lanOff)
	}
}

// TestRunServerFails: a server that exits before it listens fails its
// repetition, with the server's stderr, and the run goes on.
func TestRunServerFails(t *testing.T) {
	needRoot(t)
	checkClean(t)
	dir := t.TempDir()
	// The wrapper's first serve fails, as a port in use would; the rest
	// are the real tunebench.
	wrapper := filepath.Join(dir, "tunebench")
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = serve ] && [ ! -e %[1]s/failed ]; then
	touch %[1]s/failed
	echo "servers: listening on $3: address already in use (staged by the test)" >&2
	exit 1
fi
exec %[2]s "$@"
`, dir, tunebench(t))
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := parseSuite(t, `
suite: fails
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 0.3s, count: 2}
`)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var out, side, progress syncBuffer
	sum, err := Run(context.Background(), Options{
		Suite: s, Cells: cells, Exe: wrapper, Seed: 1,
		Results: &out, Sidecar: &side, Progress: &progress,
	})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.Reps != 4 || sum.Failed != 1 {
		t.Errorf("got %d repetitions, %d failed; want 4, 1 failed", sum.Reps, sum.Failed)
	}
	const why = "server exited before it listened: exit status 1: servers: listening on 198.18.0.2:8080: address already in use (staged by the test)"
	if sum.FirstFailure != why {
		t.Errorf("got first failure %q; want %q", sum.FirstFailure, why)
	}
	if !strings.Contains(progress.String(), "[1/4] ") || !strings.Contains(progress.String(), " rep 1: FAILED: "+why+"\n") {
		t.Errorf("progress has no \"[1/4] … rep 1: FAILED: %s\" line", why)
	}
	f, err := results.Read("results.txt", strings.NewReader(out.String()))
	if err != nil {
		t.Fatalf("results: %v", err)
	}
	if len(f.Failures) != 1 || len(f.Rows) != 3 {
		t.Fatalf("got %d failure lines and %d results; want 1 and 3", len(f.Failures), len(f.Rows))
	}
	if got := f.Failures[0]; got.Message != why || got.Rep != 1 || got.Line > f.Rows[0].Line {
		t.Errorf("got failure %+v; want the first line, repetition 1, with %q", got, why)
	}
}

// TestRunCellTimeout: a repetition that outlasts load.cell_timeout is
// stopped and written as a failure that names the timeout.
func TestRunCellTimeout(t *testing.T) {
	needRoot(t)
	checkClean(t)
	s := parseSuite(t, `
suite: slow
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: [on]}
load: {rate: 20, duration: 3s, count: 1}
`)
	s.Load.CellTimeout = time.Second // the parser refuses less than warmup+duration
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var out, progress syncBuffer
	start := time.Now()
	sum, err := Run(context.Background(), Options{Suite: s, Cells: cells, Exe: tunebench(t), Results: &out, Progress: &progress})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run took %v; want the 1s cell timeout to stop the 3s load", d)
	}
	const want = "cell timeout: 1s passed (load agent: stopped: context deadline exceeded); raise load.cell_timeout if the cell needs longer"
	if sum.Reps != 1 || sum.Failed != 1 || sum.FirstFailure != want {
		t.Errorf("got %d repetitions, %d failed, first failure %q; want 1, 1 failed, %q", sum.Reps, sum.Failed, sum.FirstFailure, want)
	}
	if !strings.Contains(out.String(), "--- FAIL: BenchmarkSlow/link=lan/keepalive=on rep=1: "+want+"\n") {
		t.Errorf("results lack the failure line:\n%s", out.String())
	}
}

// TestRunLinkFails: hosts that cannot be built fail every repetition
// quickly, each written, and nothing is left.
func TestRunLinkFails(t *testing.T) {
	needRoot(t)
	if netem.ProbeNetem() == nil {
		t.Skip("this kernel has the netem qdisc, so backend netem does not fail here")
	}
	checkClean(t)
	s := parseSuite(t, `
suite: nolink
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 1s, count: 2}
`)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var out, progress syncBuffer
	sum, err := Run(context.Background(), Options{
		Suite: s, Cells: cells, Exe: "/nonexistent/tunebench", Backend: netem.BackendNetem,
		Results: &out, Progress: &progress,
	})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.Reps != 4 || sum.Failed != 4 || sum.Backend != netem.BackendNetem {
		t.Errorf("got %d repetitions, %d failed, backend %s; want 4, 4 failed, netem", sum.Reps, sum.Failed, sum.Backend)
	}
	if !strings.HasPrefix(sum.FirstFailure, "link: ") {
		t.Errorf("got first failure %q; want it to start with \"link: \"", sum.FirstFailure)
	}
	if got := strings.Count(out.String(), "--- FAIL: BenchmarkNolink/link=lan/keepalive="); got != 4 {
		t.Errorf("got %d failure lines; want 4:\n%s", got, out.String())
	}
}

// TestRunCancel: cancelling the run mid-repetition tears it down promptly,
// keeps what was written, and writes nothing for the interrupted one.
func TestRunCancel(t *testing.T) {
	needRoot(t)
	checkClean(t)
	s := parseSuite(t, `
suite: cancel
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 3s, count: 3}
`)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelledAt := make(chan time.Time, 1)
	var once sync.Once
	// Cancel one second into the second repetition's load.
	progress := &syncBuffer{onWrite: func(line string) {
		if strings.HasPrefix(line, "[1/6]") {
			once.Do(func() {
				time.AfterFunc(time.Second, func() { cancelledAt <- time.Now(); cancel() })
			})
		}
	}}
	var out syncBuffer
	sum, err := Run(ctx, Options{Suite: s, Cells: cells, Exe: tunebench(t), Results: &out, Progress: progress})
	returned := time.Now()
	t.Logf("progress:\n%s", progress.String())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: got error %v; want context.Canceled", err)
	}
	var cancelled time.Time
	select {
	case cancelled = <-cancelledAt:
	default:
		t.Fatal("Run returned before the test cancelled it")
	}
	if d := returned.Sub(cancelled); d > 5*time.Second {
		t.Errorf("Run returned %v after the cancel; want within 5s", d)
	}
	if sum.Reps != 1 || sum.Failed != 0 || sum.Planned != 6 {
		t.Errorf("got %d repetitions, %d failed, of %d; want 1, 0 failed, of 6", sum.Reps, sum.Failed, sum.Planned)
	}
	f, err := results.Read("results.txt", strings.NewReader(out.String()))
	if err != nil {
		t.Fatalf("results: %v", err)
	}
	if len(f.Rows) != 1 || len(f.Failures) != 0 {
		t.Errorf("got %d results and %d failures; want the 1 finished repetition and no failure", len(f.Rows), len(f.Failures))
	}
	if left := ourNamespaces(); len(left) > 0 {
		t.Errorf("namespaces left after Run: %v", left)
	}
}

func TestRunOptions(t *testing.T) {
	s := parseSuite(t, `
suite: opts
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: on}
load: {rate: 20, duration: 1s}
`)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	good := Options{Suite: s, Cells: cells, Exe: "tunebench", Results: &bytes.Buffer{}}
	tests := []struct {
		name    string
		edit    func(*Options)
		wantErr string
	}{
		{"no suite", func(o *Options) { o.Suite = nil }, "runner: no suite"},
		{"no cells", func(o *Options) { o.Cells = nil }, "runner: no cells to measure"},
		{"no exe", func(o *Options) { o.Exe = "" }, "set Options.Exe"},
		{"no results", func(o *Options) { o.Results = nil }, "runner: no results writer"},
		{"negative count", func(o *Options) { o.Count = -1 }, "count -1: negative"},
		{"bad backend", func(o *Options) { o.Backend = "qdisc" }, `backend "qdisc": unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.edit(&o)
			sum, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run: got error %v; want one containing %q", err, tt.wantErr)
			}
			if sum.Reps != 0 {
				t.Errorf("got %d repetitions; want none", sum.Reps)
			}
			if b, ok := o.Results.(*bytes.Buffer); ok && b.Len() > 0 {
				t.Errorf("wrote %q; want nothing for options that cannot run", b.String())
			}
		})
	}

	r, count, err := newRun(good)
	if err != nil {
		t.Fatal(err)
	}
	if count != 6 || r.port != DefaultPort || r.cellTimeout != 31*time.Second || r.o.Seed == 0 || r.suite != "Opts" {
		t.Errorf("defaults: got count %d, port %d, cell timeout %v, seed %d, suite %q; want 6, %d, 31s, a seed, \"Opts\"",
			count, r.port, r.cellTimeout, r.o.Seed, r.suite, DefaultPort)
	}
	cfg := r.agentConfig(cells[0], 1)
	want := agent.Config{URL: "http://198.18.0.2:8080/orders?items=20", Rate: 20, Duration: time.Second, KeepAlive: true, Timeout: 10 * time.Second,
		Seed: mixSeed(r.o.Seed, cells[0].Name(), 1)}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("agentConfig:\ngot  %+v\nwant %+v", cfg, want)
	}
}
