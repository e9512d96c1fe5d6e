package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/runner"
)

// reportFixture is a real results file with its sidecar (see
// report/testdata/README.md).
const reportFixture = "../../report/testdata/quick.txt"

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "r.html")
	stdout, stderr, code := runCLI(t, "report", reportFixture, "-o", html)
	if code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr)
	}
	if want := "tunebench: report in " + html + "\n"; stdout != want {
		t.Errorf("stdout %q; want %q", stdout, want)
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("<svg ")); n != 5 {
		t.Errorf("%d charts in the HTML; want 5 (1 knob, 4 CDFs)", n)
	}

	md := filepath.Join(dir, "docs", "r.md")
	stdout, stderr, code = runCLI(t, "report", "--format", "markdown", reportFixture, "--baseline", "../../report/testdata/baseline.txt", "-o", md)
	if code != 0 {
		t.Fatalf("markdown: exit status %d; stderr:\n%s", code, stderr)
	}
	if want := "tunebench: report in " + md + " (5 charts beside it)\n"; stdout != want {
		t.Errorf("stdout %q; want %q", stdout, want)
	}
	for _, f := range []string{"r.md", "r-knob-keepalive.svg", "r-cdf-link-wan40_keepalive-on.svg"} {
		if _, err := os.Stat(filepath.Join(dir, "docs", f)); err != nil {
			t.Errorf("markdown report: %v", err)
		}
	}
}

func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"report", "-o", filepath.Join(dir, "r.html")}, "report: give one results file"},
		{"no -o", []string{"report", reportFixture}, "report: -o is missing"},
		{"bad format", []string{"report", reportFixture, "-o", "r.pdf", "--format", "pdf"}, `report: --format "pdf": give html or markdown`},
		{"markdown to .html", []string{"report", reportFixture, "-o", filepath.Join(dir, "r.html"), "--format", "markdown"}, "give -o a .md file"},
		{"missing file", []string{"report", filepath.Join(dir, "nope.txt"), "-o", filepath.Join(dir, "r.html")}, "nope.txt: no such file or directory; run `tunebench run` first"},
		{"not results", []string{"report", "../../report/testdata/README.md", "-o", filepath.Join(dir, "r.html")}, "README.md:1: unrecognised line"},
		{"bad confidence", []string{"report", reportFixture, "-o", filepath.Join(dir, "r.html"), "--confidence", "1"}, "--confidence 1: give a level over 0 and below 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit status %d, stderr:\n%s\nwant 2 and %q", code, stderr, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "r.html")); err == nil {
		t.Errorf("a refused report wrote its file")
	}
}

func TestProgressFor(t *testing.T) {
	ev := runner.Event{Type: runner.EventRep, N: 1, Total: 2, Cell: "link=lan/keepalive=on", Rep: 1}
	tests := []struct {
		name            string
		quiet, json     bool
		wantProgressOut bool // plain lines on stdout
		wantProgressErr bool // plain lines on stderr
		wantJSON        bool
	}{
		{name: "plain", wantProgressOut: true},
		{name: "quiet", quiet: true},
		{name: "json", json: true, wantProgressErr: true, wantJSON: true},
		{name: "quiet json", quiet: true, json: true, wantJSON: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			progress, events, done := progressFor(tt.quiet, tt.json, &stdout, &stderr)
			io.WriteString(progress, "[1/2] a line\n")
			if events != nil {
				events(ev)
			}
			done()
			if got := strings.Contains(stdout.String(), "[1/2] a line"); got != tt.wantProgressOut {
				t.Errorf("line on stdout: %v; want %v", got, tt.wantProgressOut)
			}
			if got := strings.Contains(stderr.String(), "[1/2] a line"); got != tt.wantProgressErr {
				t.Errorf("line on stderr: %v; want %v", got, tt.wantProgressErr)
			}
			if got := strings.Contains(stdout.String(), `{"type":"rep"`); got != tt.wantJSON {
				t.Errorf("JSON on stdout: %v (stdout %q); want %v", got, stdout.String(), tt.wantJSON)
			}
		})
	}
}

// TestRunJSONTerminalAndReport is the end to end test of this feature on
// the real kernel: a run with --json and stderr on a terminal writes one
// JSON event per repetition on stdout and draws the live status line on
// the terminal; its results then make a report.
func TestRunJSONTerminalAndReport(t *testing.T) {
	needRootT(t)
	defer noLeftovers(t)
	bin := linkTestBinary(t)
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", runSuiteYAML)
	out := filepath.Join(dir, "res.txt")

	ptm, pts := openPTY(t)
	var term bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // until the terminal closes
		defer wg.Done()
		io.Copy(&term, ptm)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", suite, "-o", out, "--json", "--count", "2", "--seed", "7")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, pts
	err := cmd.Run()
	pts.Close()
	ptm.SetReadDeadline(time.Now().Add(5 * time.Second))
	wg.Wait()
	t.Logf("stdout:\n%s\nterminal:\n%q", stdout.String(), term.String())
	if err != nil {
		t.Fatalf("tunebench run: %v", err)
	}

	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("stdout has %d lines; want 4 JSON events, one per repetition (2 cells × 2), and nothing else", len(lines))
	}
	for i, l := range lines {
		var e runner.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("stdout line %d %q: %v", i+1, l, err)
		}
		// The 2 ms path: a request takes 2 to 4 RTTs, far from 0.2 ms
		// and from 200 ms whatever the machine's load.
		if e.Type != "rep" || e.N != i+1 || e.Total != 4 || e.Failed != "" || e.Requests < 5 ||
			e.P50 < int64(time.Millisecond) || e.P50 > int64(200*time.Millisecond) {
			t.Errorf("event %d: %+v; want rep %d of 4 with a p50 of a few ms", i+1, e, i+1)
		}
	}
	screen := term.String()
	for _, want := range []string{"\x1b[2K", "4/4 reps · 2/2 cells done", "[1/4] link=lan/keepalive=", "tunebench: 4 of 4 repetitions"} {
		if !strings.Contains(screen, want) {
			t.Errorf("terminal lacks %q", want)
		}
	}

	html := filepath.Join(dir, "res.html")
	if _, stderr, code := tb(t, time.Minute, "report", out, "-o", html); code != 0 {
		t.Fatalf("report: exit status %d: %s", code, stderr)
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	// 1 knob chart, 2 CDFs and, where the agent wrote phase metrics, the
	// phase breakdown; with 2 repetitions, no interval.
	res, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := 3
	if bytes.Contains(res, []byte(" connect-ns")) || bytes.Contains(res, []byte(" ttfb-ns")) {
		want = 4
		if !bytes.Contains(b, []byte("Where the median request")) {
			t.Errorf("the results carry phase metrics; the report has no phase chart")
		}
	}
	if n := bytes.Count(b, []byte("<svg ")); n != want {
		t.Errorf("%d charts in the report; want %d", n, want)
	}
	if !bytes.Contains(b, []byte("n=2: no CI")) || bytes.Contains(b, []byte("no histogram sidecar")) {
		t.Errorf("report of a 2-repetition run: want \"n=2: no CI\" and the sidecar's CDFs")
	}
}

// openPTY opens a pseudo-terminal pair: what a user's terminal is.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testenv.Missing(t, "pseudo-terminals (/dev/ptmx, a kernel feature): %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}
