package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
)

// runSuiteYAML is a suite small enough for the command's tests: two cells
// on a 2 ms path, half a second of load each.
const runSuiteYAML = `suite: cli
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 0.5s, count: 2}
`

// TestRunBadInput needs no root: bad input is refused before anything is
// built.
func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", runSuiteYAML)
	bad := writeTempIn(t, dir, "bad.yaml", "suite: bad\nlinks: [{name: lan, rtt: 2ms, loss: 120%}]\nmatrix: {keepalive: [on]}\nload: {rate: 20, duration: 1s}\n")
	full := writeTempIn(t, dir, "full.txt", "tunebench: v0\n")
	fullSidecar := writeTempIn(t, dir, "other.hist.jsonl", "{}\n")
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no suite", []string{"run"}, "run: give one suite file"},
		{"two suites", []string{"run", suite, suite}, "run: give one suite file"},
		{"missing suite", []string{"run", filepath.Join(dir, "nope.yaml"), "-o", filepath.Join(dir, "a.txt")}, "no such file or directory"},
		{"suite error names file and line", []string{"run", bad, "-o", filepath.Join(dir, "a.txt")}, bad + ":2: links[0].loss: "},
		{"negative count", []string{"run", suite, "--count", "-1"}, "--count -1: give 1 to 1000"},
		{"unknown backend", []string{"run", suite, "--backend", "qdisc"}, `--backend: netem: backend "qdisc": unknown`},
		{"bad selector", []string{"run", suite, "--only", "keepalive"}, "run: --only: selector"},
		{"selector names no cell", []string{"run", suite, "--only", "link=wan40"}, `no link is named "wan40"`},
		{"unknown flag", []string{"run", suite, "--cont", "2"}, "flag provided but not defined: -cont"},
		{"results file holds results", []string{"run", suite, "-o", full}, "run: " + full + " already holds results; give another file with -o"},
		{"sidecar holds results", []string{"run", "-o", filepath.Join(dir, "other.txt"), suite}, "run: " + fullSidecar + ", the histogram sidecar of " + filepath.Join(dir, "other.txt") + ", already holds another run's histograms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.args...)
			if code != 2 {
				t.Errorf("got exit status %d; want 2 (bad input)", code)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("got stderr:\n%s\nwant it to contain %q", stderr, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(full); string(b) != "tunebench: v0\n" {
		t.Errorf("a refused results file was changed to %q; want it untouched", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run created its results file (%v); want nothing created", err)
	}
}

// tbRunCode runs the built binary and returns its output and exit status.
func tbRunCode(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	stdout, stderr, code = tb(t, 2*time.Minute, args...)
	t.Logf("tunebench %s: exit status %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	return stdout, stderr, code
}

// progressOrder lists the "[i/n] cell rep r" prefixes of the progress lines.
var progressRE = regexp.MustCompile(`(?m)^\[\d+/\d+\] \S+ rep \d+:`)

func TestRunCommand(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", runSuiteYAML)
	out := filepath.Join(dir, "results.txt")

	stdout, _, code := tbRunCode(t, "run", suite, "-o", out, "--seed", "7")
	if code != 0 {
		t.Fatalf("got exit status %d; want 0", code)
	}
	for _, want := range []string{
		"seed 7 (rerun the same order with --seed 7)\n",
		"] link=lan/keepalive=on rep 2: p50 ",
		"tunebench: 4 of 4 repetitions in ",
		", 0 failed; results in " + out + " (histograms in " + filepath.Join(dir, "results.hist.jsonl") + ")\n",
		"compare with: tunebench compare -col /keepalive " + out + "\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	f, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 4 || len(f.Failures) != 0 {
		t.Errorf("got %d results and %d failures; want 4 and 0", len(f.Rows), len(f.Failures))
	}
	sf, err := os.Open(results.SidecarPath(out))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := results.ReadSidecar(sf)
	sf.Close()
	if err != nil || len(entries) != 4 {
		t.Errorf("sidecar: got %d entries, error %v; want 4", len(entries), err)
	}
	noLeftovers(t)

	// The file is never overwritten nor appended to by another run.
	before, _ := os.ReadFile(out)
	_, stderr, code := tbRunCode(t, "run", suite, "-o", out)
	if code != 2 || !strings.Contains(stderr, "already holds results") {
		t.Errorf("second run into %s: got exit status %d, stderr %q; want 2 and a refusal", out, code, stderr)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Errorf("the refused run changed %s", out)
	}

	// The same seed gives the same order.
	again, _, code := tbRunCode(t, "run", "--seed", "7", suite, "-o", filepath.Join(dir, "again.txt"))
	if code != 0 {
		t.Fatalf("got exit status %d; want 0", code)
	}
	if a, b := progressRE.FindAllString(stdout, -1), progressRE.FindAllString(again, -1); strings.Join(a, "\n") != strings.Join(b, "\n") || len(a) != 4 {
		t.Errorf("--seed 7 twice: got orders\n%s\nand\n%s\nwant the same 4 lines", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}

	// --quiet prints only the summary; --only and --count pick what runs.
	quiet, _, code := tbRunCode(t, "run", suite, "--quiet", "--only", "keepalive=off", "--count", "1", "-o", filepath.Join(dir, "quiet.txt"))
	if code != 0 {
		t.Fatalf("got exit status %d; want 0", code)
	}
	if strings.Contains(quiet, "[1/1]") || !strings.HasPrefix(quiet, "tunebench: 1 of 1 repetitions in ") {
		t.Errorf("--quiet: got stdout %q; want the summary only", quiet)
	}
	if f, err := results.ReadFile(filepath.Join(dir, "quiet.txt")); err != nil || len(f.Rows) != 1 || f.Rows[0].Cell != "link=lan/keepalive=off" {
		t.Errorf("--only keepalive=off --count 1: got %+v, %v; want one row of link=lan/keepalive=off", f, err)
	}
	noLeftovers(t)
}

func TestRunCommandFailures(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	bin := linkTestBinary(t)

	t.Run("every repetition", func(t *testing.T) {
		suite := writeTempIn(t, dir, "all.yaml", `suite: allfail
links: [{name: lan, rtt: 2ms}]
server: {command: "echo staged failure >&2; exit 3"}
matrix: {keepalive: [on]}
load: {rate: 20, duration: 0.5s, count: 2}
`)
		out := filepath.Join(dir, "all.txt")
		stdout, stderr, code := tbRunCode(t, "run", suite, "-o", out, "--max-failures", "5")
		if code != exitRepsFailed {
			t.Errorf("got exit status %d; want 3, whatever --max-failures says", code)
		}
		if want := "tunebench: run: every repetition failed (the --- FAIL lines in " + out + " say why); the first: server exited before it listened: exit status 3: staged failure"; !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
		if !strings.Contains(stdout, "2 failed") {
			t.Errorf("stdout lacks the summary's \"2 failed\"")
		}
		if f, err := results.ReadFile(out); err != nil || len(f.Failures) != 2 {
			t.Errorf("got %+v, %v; want 2 failure lines", f, err)
		}
	})

	// The user's own server command: the first start fails, the next is
	// the reference server on the address the runner gives.
	someSuite := func(name, gates string) string {
		return writeTempIn(t, dir, name+".yaml", fmt.Sprintf(`suite: somefail
links: [{name: lan, rtt: 2ms}]
server: {command: "if [ -e %[1]s/%[3]s.mark ]; then exec %[2]s serve --addr {addr}; fi; touch %[1]s/%[3]s.mark; echo staged >&2; exit 3", port: 9000}
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 0.5s, count: 1}
`, dir, bin, name)+gates)
	}
	t.Run("some repetitions", func(t *testing.T) {
		suite := someSuite("some", "")
		out := filepath.Join(dir, "some.txt")
		_, stderr, code := tbRunCode(t, "run", suite, "-o", out)
		if code != exitRepsFailed {
			t.Errorf("got exit status %d; want 3", code)
		}
		if want := "tunebench: run: 1 of 2 repetitions failed, over --max-failures 0 (the --- FAIL lines in " + out + " say why); the first: server exited before it listened: exit status 3: staged"; !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
		f, err := results.ReadFile(out)
		if err != nil || len(f.Failures) != 1 || len(f.Rows) != 1 {
			t.Fatalf("got %+v, %v; want 1 failure line and 1 result", f, err)
		}
		for _, c := range f.Config {
			if c.Key == "server" && !strings.HasPrefix(c.Value, "if [ -e ") {
				t.Errorf("config server: %q; want the suite's command", c.Value)
			}
		}
	})

	// --gate checks the objectives whatever failed; --max-failures decides
	// whether failures alone fail the run. One of four repetitions fails.
	tests := []struct {
		name, gates string
		args        []string
		want        int
		stdout      []string
		stderr      []string
	}{
		{"within --max-failures the gate decides: pass", "gates: [{metric: p99, max: 1s}]\n", []string{"--max-failures", "1"}, 0,
			[]string{"1 of 4 repetitions failed, within --max-failures 1", "objectives on ", "gate: all 2 checks passed"}, nil},
		{"within --max-failures the gate decides: fail", "gates: [{metric: p50, max: 1us}]\n", []string{"--max-failures", "1"}, exitGateFailed,
			[]string{"objectives on "}, []string{"tunebench: gate: 2 of 2 checks failed"}},
		{"failed gate and too many failures: both said, the gate's status", "gates: [{metric: p50, max: 1us}]\n", nil, exitGateFailed,
			[]string{"objectives on "}, []string{"tunebench: gate: 2 of 2 checks failed", "1 of 4 repetitions failed, over --max-failures 0"}},
		{"passed gate and too many failures", "gates: [{metric: p99, max: 1s}]\n", nil, exitRepsFailed,
			[]string{"gate: all 2 checks passed"}, []string{"1 of 4 repetitions failed, over --max-failures 0"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			suite := someSuite(fmt.Sprintf("gate%d", i), tt.gates)
			args := append([]string{"run", suite, "-o", filepath.Join(dir, fmt.Sprintf("gate%d.txt", i)), "--count", "2", "--seed", "1", "--gate"}, tt.args...)
			stdout, stderr, code := tbRunCode(t, args...)
			if code != tt.want {
				t.Errorf("exit status %d; want %d", code, tt.want)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q", w)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
		})
	}
	noLeftovers(t)
}

// TestRunInterrupt sends SIGINT during a run: it stops within seconds with
// status 130, keeps the finished repetitions, and leaves nothing behind.
func TestRunInterrupt(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", strings.Replace(runSuiteYAML, "duration: 0.5s, count: 2", "duration: 3s, count: 3", 1))
	out := filepath.Join(dir, "results.txt")
	cmd := exec.Command(linkTestBinary(t), "run", suite, "-o", out)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	deadline := time.After(30 * time.Second)
	for first := false; !first; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the run ended before its first repetition; stderr:\n%s", stderr.String())
			}
			t.Log(l)
			first = strings.HasPrefix(l, "[1/6] ")
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("no first repetition within 30s")
		}
	}
	time.Sleep(time.Second) // into the second repetition's load
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if ok {
				t.Log(l)
			}
		case err = <-exited:
			done = true
		case <-ctx.Done():
			cmd.Process.Kill()
			t.Fatalf("still running 15s after SIGINT")
		}
	}
	t.Logf("exited %v after SIGINT: %v; stderr:\n%s", time.Since(sent).Round(time.Millisecond), err, stderr.String())
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("got %v; want exit status 130", err)
	}
	if d := time.Since(sent); d > 5*time.Second {
		t.Errorf("took %v to stop after SIGINT; want under 5s", d)
	}
	if !strings.Contains(stderr.String(), "tunebench: interrupted after 1 of 6 repetitions; those are in "+out) {
		t.Errorf("stderr lacks the interruption notice")
	}
	f, err := results.ReadFile(out)
	if err != nil || len(f.Rows) != 1 || len(f.Failures) != 0 {
		t.Errorf("got %+v, %v; want the one finished repetition", f, err)
	}
	left, _ := netem.Leftovers()
	for _, l := range left {
		if l.Owner == cmd.Process.Pid {
			t.Errorf("left behind: %s", l.Name)
		}
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(cmd.Process.Pid)); err == nil {
		t.Errorf("process %d still exists", cmd.Process.Pid)
	}
}

func TestRunGate(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	tests := []struct {
		name, gates string
		want        int
	}{
		// A 2 ms link cannot answer in 1 µs; it answers well within 1 s.
		{"met", "gates: [{metric: p99, max: 1s, where: {keepalive: on}}]\n", 0},
		{"missed", "gates: [{metric: p50, max: 1us, where: {keepalive: on}}]\n", exitGateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			suite := writeTempIn(t, dir, tt.name+".yaml", "suite: gated\nlinks: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on]}\nload: {rate: 20, duration: 0.5s, count: 2}\n"+tt.gates)
			_, stderr, code := tbRunCode(t, "run", suite, "-o", filepath.Join(dir, tt.name+".txt"), "--gate")
			if code != tt.want {
				t.Errorf("run --gate: exit status %d; want %d (stderr %q)", code, tt.want, stderr)
			}
		})
	}
	noSuite := writeTempIn(t, dir, "nogates.yaml", runSuiteYAML)
	if _, stderr, code := tbRunCode(t, "run", noSuite, "-o", filepath.Join(dir, "n.txt"), "--gate"); code != 2 || !strings.Contains(stderr, "no gates") {
		t.Errorf("run --gate on a suite without gates: exit %d, %q; want 2 and the fix", code, stderr)
	}
	noLeftovers(t)
}
