package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// gateSuiteYAML is a suite whose cells are those of the results package's
// gate files, with objectives; gates is spliced in at the end.
const gateSuiteYAML = `suite: gate
links:
  - {name: lan, rtt: 2ms}
  - {name: wan, rtt: 40ms}
  - {name: far, rtt: 80ms}
matrix:
  keepalive: [on, off]
skip: [{link: wan, keepalive: off}]
load: {rate: 20, duration: 1s}
`

func TestGateCommand(t *testing.T) {
	passing := writeTemp(t, "pass.yaml", gateSuiteYAML+"gates:\n  - {metric: p99, max: 150ms, where: {link: lan}}\n  - {metric: rate, min: 19.5}\n")
	failing := writeTemp(t, "fail.yaml", gateSuiteYAML+"gates:\n  - {metric: rate, min: 19.5}\n  - {metric: p99, max: 150ms}\n")
	farGate := writeTemp(t, "far.yaml", gateSuiteYAML+"gates: [{metric: p99, max: 150ms, where: {link: far}}]\n")
	noGates := writeTemp(t, "none.yaml", gateSuiteYAML)
	badGate := writeTemp(t, "bad.yaml", gateSuiteYAML+"gates: [{metric: p99x, max: 150ms}]\n")
	empty := writeTemp(t, "empty.txt", "")
	configOnly := writeTemp(t, "config.txt", "tunebench: v0.3.0\n\nUnit p99-ns better=lower\n")
	few := func(name string, v string) string {
		return writeTemp(t, name, "Unit p99-ns better=lower\n"+strings.Repeat("BenchmarkT/a\t1\t"+v+" p99-ns\n", 3))
	}
	fewBase, fewNew := few("fewbase.txt", "1000000"), few("fewnew.txt", "9000000")
	renamed := writeTemp(t, "renamed.txt", "Unit p99-ns better=lower\n"+strings.Repeat("BenchmarkRenamed/link=lan/keepalive=on\t1\t50000000 p99-ns\n", 6))
	lanOnly := writeTemp(t, "lan.txt", lanOnlyOf(t, newFile))

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr string
	}{
		{"a regression fails", []string{"gate", "--baseline", baseFile, "--current", newFile, "--metric", "p99-ns", "--max-regression", "10%"}, 99,
			[]string{"differ in configuration; cells are compared by name anyway:\n  tunebench: v0.3.0 → v0.4.0\n",
				"FAIL  Gate/link=lan/keepalive=on   p99-ns  50.10ms → 65.10ms  worse by 29.94% (p=0.002 n=6), over the 10% allowed",
				"ok    Gate/link=lan/keepalive=off  p99-ns", "ok    Gate/link=wan/keepalive=on   p99-ns", "gate: 1 of 3 checks failed\n"},
			"tunebench: gate: 1 of 3 checks failed:\n  Gate/link=lan/keepalive=on p99-ns: 50.10ms → 65.10ms: worse by 29.94% (p=0.002 n=6), over the 10% allowed\n"},
		{"a run against itself passes", []string{"gate", "--baseline", newFile, "--current", newFile, "--metric", "p99,rate,errors,p99co"}, 0, []string{"gate: all 12 checks passed"}, ""},
		{"within a larger threshold", []string{"gate", "--baseline", baseFile, "--current", newFile, "--metric", "p99", "--max-regression", "40%"}, 0, []string{"within the 40% allowed"}, ""},
		{"json", []string{"gate", "--format", "json", "--baseline", baseFile, "--current", newFile, "--metric", "p99"}, 99, []string{`"passed": false`, `"verdict": "fail"`}, ""},
		{"markdown", []string{"gate", "--format", "markdown", "--baseline", baseFile, "--current", newFile, "--metric", "p99"}, 99, []string{"### tunebench gate: ❌ 1 of 3 checks failed", "| ❌ | Gate/link=lan/keepalive=on |"}, ""},
		{"report link", []string{"gate", "--format", "markdown", "--report", "https://example.com/r.html", "--baseline", newFile, "--current", newFile, "--metric", "p99"}, 0, []string{"[Report](https://example.com/r.html)"}, ""},
		{"too few samples pass", []string{"gate", "--baseline", fewBase, "--current", fewNew, "--metric", "p99"}, 0, []string{"undecided  T/a  p99-ns  1.000ms → 9.000ms  too few samples to decide (n=3); the U test needs at least 4 repetitions a side to reach α=0.05"}, ""},
		{"too few samples fail with --strict", []string{"gate", "--strict", "--baseline", fewBase, "--current", fewNew, "--metric", "p99"}, 99, []string{"FAIL  T/a"}, "too few samples to decide"},
		{"suite objectives pass", []string{"gate", "--suite", passing, "--current", newFile}, 0, []string{"objectives on " + newFile, "ok  p99 max 150ms where link=lan (" + passing + ":11)  Gate/link=lan/keepalive=on"}, ""},
		{"suite objectives fail", []string{"gate", "--suite", failing, "--current", newFile}, 99, []string{"FAIL  p99 max 150ms (" + failing + ":12)  Gate/link=wan/keepalive=on   median 160.2ms over the maximum 150ms (n=6)"},
			"objective p99 max 150ms (" + failing + ":12): Gate/link=wan/keepalive=on: median 160.2ms over the maximum 150ms (n=6)"},
		{"regressions and objectives together", []string{"gate", "--suite", failing, "--baseline", baseFile, "--current", newFile, "--metric", "p99"}, 99, []string{"gate: 2 of 9 checks failed"}, ""},

		{"wrong metric", []string{"gate", "--baseline", baseFile, "--current", newFile, "--metric", "p98"}, 2, nil, `tunebench: gate: unknown metric "p98": no such unit in`},
		{"metric in the suite", []string{"gate", "--suite", badGate, "--current", newFile}, 2, nil, badGate + `:10: gates[0].metric: unknown metric; did you mean p99?`},
		{"where matches nothing in the file", []string{"gate", "--suite", farGate, "--current", newFile}, 2, nil, "gate: objective p99 max 150ms where link=far (" + farGate + ":10): no cell of " + newFile + " has link=far; it has link=lan,wan"},
		{"suite without gates", []string{"gate", "--suite", noGates, "--current", newFile}, 2, nil, "gate: " + noGates + " has no gates:"},
		{"missing suite", []string{"gate", "--suite", "missing.yaml", "--current", newFile}, 2, nil, "missing.yaml"},
		{"missing file", []string{"gate", "--baseline", "missing.txt", "--current", newFile, "--metric", "p99"}, 2, nil, "gate: open missing.txt: no such file or directory; run `tunebench run` first"},
		{"unreadable file", []string{"gate", "--baseline", baseFile, "--current", t.TempDir(), "--metric", "p99"}, 2, nil, "is a directory"},
		{"file with no results", []string{"gate", "--baseline", baseFile, "--current", empty, "--metric", "p99"}, 2, nil, "gate: " + empty + ": no benchmark results; run `tunebench run` first"},
		{"file with configuration only", []string{"gate", "--suite", passing, "--current", configOnly}, 2, nil, "no benchmark results"},
		{"no current", []string{"gate", "--baseline", baseFile, "--metric", "p99"}, 2, nil, "gate: --current is missing"},
		{"nothing to check", []string{"gate", "--current", newFile}, 2, nil, "gate: nothing to check"},
		{"baseline without metric", []string{"gate", "--baseline", baseFile, "--current", newFile}, 2, nil, "gate: --baseline needs --metric"},
		{"metric without baseline", []string{"gate", "--suite", passing, "--current", newFile, "--metric", "p99"}, 2, nil, "give --baseline too"},
		{"threshold without %", []string{"gate", "--baseline", baseFile, "--current", newFile, "--metric", "p99", "--max-regression", "10"}, 2, nil, `gate: --max-regression "10": give a percentage of 0% or more, e.g. 10%`},
		{"negative threshold", []string{"gate", "--baseline", baseFile, "--current", newFile, "--metric", "p99", "--max-regression", "-5%"}, 2, nil, "give a percentage of 0% or more"},
		{"alpha", []string{"gate", "--baseline", baseFile, "--current", newFile, "--metric", "p99", "--alpha", "5"}, 2, nil, "gate: --alpha 5: give a level over 0 and at most 1"},
		{"format", []string{"gate", "--format", "html", "--baseline", baseFile, "--current", newFile, "--metric", "p99"}, 2, nil, `gate: --format "html": give one of text, markdown, json`},
		{"positional argument", []string{"gate", newFile}, 2, nil, "gate: unexpected argument"},
		{"help", []string{"gate", "-h"}, 0, []string{"Exit status: 0 every check passed; 99 a check failed", "-allow-missing"}, ""},
		{"a renamed suite compares nothing: an error", []string{"gate", "--baseline", baseFile, "--current", renamed, "--metric", "p99"}, 2, nil,
			"tunebench: gate: " + baseFile + " and " + renamed + " have no cell in common (the baseline has Gate/link=lan/keepalive=on and 2 more, the current run Renamed/link=lan/keepalive=on), so there is nothing to compare"},
		{"a renamed suite with --allow-missing passes nothing", []string{"gate", "--allow-missing", "--baseline", baseFile, "--current", renamed, "--metric", "p99"}, 0,
			[]string{"missing (--allow-missing): only in " + baseFile + ": Gate/link=lan/keepalive=on, Gate/link=lan/keepalive=off, Gate/link=wan/keepalive=on", "gate: nothing was checked (no cell in common, and --allow-missing)"}, ""},
		{"a cell missing from the current run fails", []string{"gate", "--baseline", baseFile, "--current", lanOnly, "--metric", "p99"}, 99,
			[]string{"FAIL  missing: only in " + baseFile + ": Gate/link=lan/keepalive=off, Gate/link=wan/keepalive=on"},
			"Gate/link=wan/keepalive=on: in the baseline " + baseFile + " but not in " + lanOnly + " (a missing cell fails; --allow-missing lets it pass)"},
		{"a cell missing from the current run passes with --allow-missing", []string{"gate", "--allow-missing", "--baseline", baseFile, "--current", lanOnly, "--metric", "p99"}, 99,
			[]string{"missing (--allow-missing): only in", "gate: the one check failed"}, ""},
		{"--allow-missing without a baseline", []string{"gate", "--allow-missing", "--suite", passing, "--current", newFile}, 2, nil, "give --baseline too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("got exit status %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("got stdout:\n%s\nwant it to contain %q", stdout, want)
				}
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("got stderr:\n%s\nwant it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

// lanOnlyOf returns the results file at path less the lines of cells other
// than link=lan/keepalive=on: a run that lost cells.
func lanOnlyOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if !strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "BenchmarkGate/link=lan/keepalive=on\t") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func TestGateJSON(t *testing.T) {
	stdout, _, code := runCLI(t, "gate", "--format", "json", "--baseline", baseFile, "--current", newFile, "--metric", "p99")
	if code != 99 {
		t.Fatalf("got exit status %d; want 99", code)
	}
	var out struct {
		Passed      bool
		Failures    []string
		Regressions []struct{ Name, Verdict string }
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, stdout)
	}
	if out.Passed || len(out.Failures) != 1 || len(out.Regressions) != 3 || out.Regressions[0].Verdict != "fail" {
		t.Errorf("got %+v; want one failure of three checks", out)
	}
}

// TestGateSuite is what `tunebench run --gate` calls after a run.
func TestGateSuite(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	load := func(gates string) *scenarios.Suite {
		s, err := scenarios.Parse("s.yaml", []byte(gateSuiteYAML+gates))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name     string
		suite    *scenarios.Suite
		results  string
		format   string
		wantCode int // of exitCode; 0 for no error
		want     string
	}{
		{"pass", load("gates: [{metric: p99, max: 150ms, where: {link: lan}}]"), newFile, "text", 0, "gate: all 2 checks passed"},
		{"fail", load("gates: [{metric: p99, max: 150ms}]"), newFile, "markdown", 99, "| ❌ | p99 max 150ms (s.yaml:10) | Gate/link=wan/keepalive=on | 160.2ms ± 1% | median 160.2ms over the maximum 150ms (n=6) |"},
		{"json", load("gates: [{metric: errors, max: 1%}]"), newFile, "json", 0, `"objective": "errors max 1%"`},
		{"no gates", load(""), newFile, "text", 2, ""},
		{"bad format", load("gates: [{metric: p99, max: 150ms}]"), newFile, "html", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			cur, err := results.ReadFile(tt.results)
			if err != nil {
				t.Fatal(err)
			}
			err = gateSuite(&stdout, tt.suite, cur, tt.format)
			code := 0
			if err != nil {
				code = exitCode(err)
			}
			if code != tt.wantCode {
				t.Fatalf("got %v (exit status %d); want exit status %d", err, code, tt.wantCode)
			}
			if tt.wantCode == 99 && !errors.As(err, new(gateFailed)) {
				t.Errorf("got %T; want a gateFailed", err)
			}
			if !strings.Contains(stdout.String(), tt.want) {
				t.Errorf("got:\n%s\nwant it to contain %q", stdout.String(), tt.want)
			}
		})
	}
}

func TestGateStepSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "tunebench/tunebench")
	t.Setenv("GITHUB_RUN_ID", "42")
	var stdout, stderr bytes.Buffer
	err := run(&stdout, &stderr, []string{"gate", "--baseline", baseFile, "--current", newFile, "--metric", "p99", "--report", "https://example.com/report.html"})
	if exitCode(err) != 99 {
		t.Fatalf("got %v; want a failed gate", err)
	}
	got, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### tunebench gate: ❌ 1 of 3 checks failed",
		"| ❌ | Gate/link=lan/keepalive=on | p99-ns | 50.10ms ± 2% | 65.10ms ± 2% | **+29.94%** | 0.002 (n=6) |",
		"[Report](https://example.com/report.html) · [Workflow run (results and report artifacts)](https://github.com/tunebench/tunebench/actions/runs/42)",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("got summary:\n%s\nwant it to contain %q", got, want)
		}
	}
	if strings.Contains(stdout.String(), "###") {
		t.Errorf("got Markdown on stdout with --format text")
	}
}

// TestGateMetricNames keeps the suite's short metric names and the results
// package's in step: a gate must mean the unit that the results carry.
func TestGateMetricNames(t *testing.T) {
	short := scenarios.GateMetrics()
	for name, unit := range short {
		if got := results.MetricUnit(name); got != unit {
			t.Errorf("%s: the suite means %s, results.MetricUnit says %s", name, unit, got)
		}
	}
	for _, name := range results.ShortMetrics() {
		if _, ok := short[name]; !ok {
			t.Errorf("results knows the short metric %s; scenarios does not", name)
		}
	}
}

// TestGateEndToEnd runs a tiny suite twice on the real kernel, the second
// time over a longer round trip, and wants the gate to catch it; a run
// compared with itself passes, and the suite's objective passes on the
// first run and fails on the second.
func TestGateEndToEnd(t *testing.T) {
	testenv.Short(t, "runs a suite twice (about a minute)")
	testenv.Root(t)
	bin := buildForGate(t)
	dir := t.TempDir()
	suite := func(rtt string) string {
		return writeTempIn(t, dir, "suite-"+rtt+".yaml", `suite: gate
links: [{name: lan, rtt: `+rtt+`}]
matrix: {keepalive: [on]}
load: {rate: 20, duration: 1s, warmup: 0.2s, count: 6}
gates: [{metric: p50, max: 30ms, where: {link: lan, keepalive: on}}]
`)
	}
	fast, slow := suite("5ms"), suite("60ms")
	base, cur := filepath.Join(dir, "base.txt"), filepath.Join(dir, "new.txt")

	tbRun := func(wantCode int, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("tunebench %s: %v", strings.Join(args, " "), err)
		}
		if code != wantCode {
			t.Fatalf("tunebench %s: got exit status %d; want %d\n%s", strings.Join(args, " "), code, wantCode, out.String())
		}
		t.Logf("tunebench %s (exit status %d):\n%s", strings.Join(args, " "), code, out.String())
		return out.String()
	}

	tbRun(0, "run", fast, "-o", base, "--quiet")
	tbRun(0, "run", slow, "-o", cur, "--quiet")

	out := tbRun(99, "gate", "--baseline", base, "--current", cur, "--metric", "p50-ns", "--max-regression", "10%")
	if !strings.Contains(out, "FAIL  Gate/link=lan/keepalive=on  p50-ns") || !strings.Contains(out, "link-lan: rtt=5ms → rtt=60ms") {
		t.Errorf("got:\n%s\nwant the cell to fail and the link's change to be named", out)
	}
	tbRun(0, "gate", "--baseline", base, "--current", base, "--metric", "p50-ns", "--max-regression", "10%")
	tbRun(0, "gate", "--suite", fast, "--current", base)
	tbRun(99, "gate", "--suite", slow, "--current", cur)
	out = tbRun(0, "compare", base, cur)
	if !strings.Contains(out, "(p=0.002 n=6)") {
		t.Errorf("got:\n%s\nwant a significant change with six samples a side", out)
	}
}

// buildForGate builds the tunebench binary from the module root, as a user
// does.
func buildForGate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tunebench")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tunebench")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tunebench: %v\n%s", err, out)
	}
	return bin
}

func writeTempIn(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
