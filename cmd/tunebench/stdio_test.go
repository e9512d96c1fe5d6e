package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// tbStdin runs the built binary with stdin and returns stdout, stderr and
// the exit status.
func tbStdin(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return tbStdinIn(t, "", stdin, args...)
}

// tbStdinIn is tbStdin in the working directory dir ("" for the test's).
func tbStdinIn(t *testing.T, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, linkTestBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("tunebench %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// TestStdin: "-" reads a suite or a results file from standard input, and
// report's -o - writes standard output; standard input is read once.
func TestStdin(t *testing.T) {
	suite, err := os.ReadFile("../../scenarios/quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	results, err := os.ReadFile(newFile)
	if err != nil {
		t.Fatal(err)
	}
	gated := gateSuiteYAML + "gates:\n  - {metric: p99, max: 150ms, where: {link: lan}}\n"
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"validate -", string(suite), []string{"validate", "-"}, 0, []string{"<stdin>: suite quick, ", "BenchmarkQuick/link=lan/keepalive=on"}, ""},
		{"validate - names <stdin>:line", "suite: bad\nlinks: [{name: lan, rtt: 2ms, loss: 120%}]\nmatrix: {keepalive: [on]}\n", []string{"validate", "-"}, 2, nil, "<stdin>:2: links[0].loss"},
		{"gate --current -", string(results), []string{"gate", "--baseline", newFile, "--current", "-", "--metric", "p99"}, 0, []string{newFile + " → <stdin>", "gate: all 3 checks passed"}, ""},
		{"gate --suite -", gated, []string{"gate", "--suite", "-", "--current", newFile}, 0, []string{"(<stdin>:11)", "gate: all 2 checks passed"}, ""},
		{"gate - twice", string(results), []string{"gate", "--baseline", "-", "--current", "-", "--metric", "p99"}, 2, nil, "gate: - (standard input) is given 2 times"},
		{"compare -", string(results), []string{"compare", baseFile, "-"}, 0, []string{"stdin", "Gate/link=lan/keepalive=on"}, ""},
		{"compare label=-", string(results), []string{"compare", "old=" + baseFile, "new=-"}, 0, []string{"new"}, ""},
		{"report - -o -", string(results), []string{"report", "-", "-o", "-"}, 0, []string{"<!DOCTYPE html>", "</html>"}, ""},
		{"report -o - markdown", string(results), []string{"report", newFile, "-o", "-", "--format", "markdown"}, 2, nil, "report: -o - and --format markdown"},
		{"run -o - with --json", string(suite), []string{"run", "-", "-o", "-", "--json"}, 2, nil, "run: -o - and --json: both write standard output"},
		{"run --resume -", string(suite), []string{"run", "-", "--resume", "-"}, 2, nil, "run: --resume -"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := tbStdin(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("tunebench %s: exit status %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.stderr)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("tunebench %s: stdout lacks %q:\n%s", strings.Join(tt.args, " "), w, stdout)
				}
			}
		})
	}
}

// TestStdinSuiteFiles: the @file bodies of a suite read from standard
// input are found relative to the working directory, as docs/cli.md says.
func TestStdinSuiteFiles(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	writeTempIn(t, dir, "payload.json", `{"a":1}`)
	suite := "suite: body\nlinks: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on]}\nload: {rate: 20, duration: 1s}\nrequests:\n  - {name: raw, method: PUT, path: /x, body: \"@payload.json\"}\n"
	if _, stderr, code := tbStdinIn(t, dir, suite, "validate", "-"); code != 0 {
		t.Errorf("validate - in the folder of payload.json: exit status %d, stderr %q; want 0", code, stderr)
	}
	_, stderr, code := tbStdinIn(t, elsewhere, suite, "validate", "-")
	if code != exitUsage || !strings.Contains(stderr, "<stdin>:6: ") || !strings.Contains(stderr, "payload.json") {
		t.Errorf("validate - elsewhere: exit status %d, stderr %q; want 2 and <stdin>:6 naming payload.json", code, stderr)
	}
}

// TestCompareHint: the hint after a run names a knob whose values the run
// compared, never one with a single value.
func TestCompareHint(t *testing.T) {
	tests := []struct {
		name, yaml, only string
		want             string
	}{
		{"the first knob varies", "links: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on, off], tfo: [on, off]}\n", "", "keepalive"},
		{"the first knob has one value", "links: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on], tfo: [on, off]}\n", "", "tfo"},
		{"only the links vary", "links: [{name: lan, rtt: 2ms}, {name: wan, rtt: 40ms}]\nmatrix: {keepalive: [on]}\n", "", "link"},
		{"--only fixes the first knob", "links: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on, off], tfo: [on, off]}\n", "keepalive=on", "tfo"},
		{"nothing varies", "links: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on]}\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scenarios.Parse("s.yaml", []byte("suite: hint\n"+tt.yaml+"load: {rate: 20, duration: 1s}\n"))
			if err != nil {
				t.Fatal(err)
			}
			cells, err := s.Expand()
			if tt.only != "" {
				sel, serr := scenarios.ParseSelector(tt.only)
				if serr != nil {
					t.Fatal(serr)
				}
				cells, err = s.Filter(sel)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := compareHint(s, cells); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

// TestRunStreamsAndNumberedFiles: a suite from stdin, its results on
// stdout and checked by --gate there; and two runs into x.1 and x.2, which
// used to share one histogram sidecar, so that the second was refused.
func TestRunStreamsAndNumberedFiles(t *testing.T) {
	needRootT(t)
	t.Cleanup(func() { noLeftovers(t) })
	dir := t.TempDir()
	suite := "suite: stream\nlinks: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on, off]}\nload: {rate: 20, duration: 0.5s, count: 1}\ngates: [{metric: p99, max: 1s}]\n"

	stdout, stderr, code := tbStdin(t, suite, "run", "-", "-o", "-", "--gate")
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	if code != 0 {
		t.Fatalf("run - -o - --gate: exit status %d; want 0", code)
	}
	f, err := results.Read("stdout", strings.NewReader(stdout))
	if err != nil || len(f.Rows) != 2 {
		t.Fatalf("stdout is not the results file of 2 repetitions: %v", err)
	}
	for _, w := range []string{"2 of 2 repetitions in ", "results in standard output", "objectives on <stdout>", "gate: all 2 checks passed"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q", w)
		}
	}
	if strings.Contains(stdout, "objectives on") || strings.Contains(stdout, "[1/2]") {
		t.Errorf("stdout holds more than the results")
	}

	path := writeTempIn(t, dir, "suite.yaml", suite)
	for _, name := range []string{"x.1", "x.2"} {
		out := filepath.Join(dir, name)
		if _, stderr, code := tbRunCode(t, "run", path, "-o", out, "--only", "keepalive=on", "--quiet"); code != 0 {
			t.Fatalf("run -o %s: exit status %d; want 0 (%s)", name, code, stderr)
		}
		sf, err := os.Open(out + ".hist.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		entries, err := results.ReadSidecar(sf)
		sf.Close()
		if err != nil || len(entries) != 1 {
			t.Errorf("%s.hist.jsonl: %d entries, %v; want the run's 1", name, len(entries), err)
		}
	}
}
