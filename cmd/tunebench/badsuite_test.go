package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/netem"
)

// goodSuite is a valid suite; the bad ones below break one thing of it.
const goodSuite = `suite: bad
links:
  - {name: lan, rtt: 2ms}
  - {name: wan, rtt: 40ms}
matrix:
  keepalive: [on, off]
load: {rate: 10, duration: 1s}
`

// replaceLine replaces line n (1-based) of goodSuite with text.
func replaceLine(n int, text string) string {
	lines := strings.Split(strings.TrimSuffix(goodSuite, "\n"), "\n")
	lines[n-1] = text
	return strings.Join(lines, "\n") + "\n"
}

// millionCells is a matrix of 100 × 100 × 100 cells.
func millionCells() string {
	var vals []string
	for i := 1; i <= 100; i++ {
		vals = append(vals, strconv.Itoa(i))
	}
	list := "[" + strings.Join(vals, ", ") + "]"
	return replaceLine(6, "  initcwnd: "+list+"\n  initrwnd: "+list+"\n  max_requests: "+list)
}

// TestRunRejectsBadSuites feeds `tunebench run` malformed suites, one
// problem each: every one is refused with exit status 2 and an error that
// names the file and line, before anything is created: no results file, no
// sidecar, no namespace.
func TestRunRejectsBadSuites(t *testing.T) {
	tests := []struct {
		name string
		data string
		line int    // the line the error names
		want string // and a fragment of what it says
	}{
		// Syntax.
		{"unclosed brace", replaceLine(3, "  - {name: lan, rtt: 2ms"), 3, "syntax error"},
		{"unclosed bracket", replaceLine(6, "  keepalive: [on, off"), 6, "syntax error"},
		{"tab indentation", replaceLine(3, "\t- {name: lan, rtt: 2ms}"), 3, "YAML indents with spaces, not tabs"},
		{"bad indentation", replaceLine(4, " - {name: wan, rtt: 40ms}"), 4, "syntax error"},
		{"two documents", goodSuite + "---\nsuite: again\n", 8, "a second YAML document"},
		{"empty file", "", 1, "empty file"},
		{"list at the top", "- a\n- b\n", 1, "a suite is a mapping"},
		{"key given twice", goodSuite + "load: {rate: 5, duration: 1s}\n", 8, "given twice"},
		// Unknown keys.
		{"unknown top-level key", goodSuite + "knobs: {}\n", 8, "knobs: unknown key"},
		{"unknown link key", replaceLine(4, "  - {name: wan, rttt: 40ms}"), 4, "links[1].rttt: unknown key; did you mean rtt?"},
		{"unknown load key", replaceLine(7, "load: {rate: 10, duration: 1s, rps: 5}"), 7, "load.rps: unknown key"},
		{"unknown knob", replaceLine(6, "  zerocopy: [on, off]"), 6, "matrix.zerocopy: unknown knob"},
		// Wrong types.
		{"links is a string", "suite: bad\nlinks: lan\nmatrix: {keepalive: [on]}\nload: {rate: 10, duration: 1s}\n", 2, "links: got \"lan\"; give a list of links"},
		{"rtt is a list", replaceLine(4, "  - {name: wan, rtt: [40ms]}"), 4, "links[1].rtt: got a list"},
		{"load is a list", replaceLine(7, "load: [10, 1s]"), 7, "load: got a list"},
		{"count not whole", replaceLine(7, "load: {rate: 10, duration: 1s, count: 2.5}"), 7, "load.count: \"2.5\" is not a whole number"},
		{"rate not a number", replaceLine(7, "load: {rate: fast, duration: 1s}"), 7, "load.rate"},
		// Durations.
		{"negative rtt", replaceLine(4, "  - {name: wan, rtt: -40ms}"), 4, "is negative"},
		{"absurd rtt", replaceLine(4, "  - {name: wan, rtt: 20s}"), 4, "20s is over 10s"},
		{"rtt without unit", replaceLine(4, "  - {name: wan, rtt: 40}"), 4, "has no unit"},
		{"negative warmup", replaceLine(7, "load: {rate: 10, duration: 1s, warmup: -1s}"), 7, "load.warmup: -1s is negative"},
		{"zero duration", replaceLine(7, "load: {rate: 10, duration: 0s}"), 7, "load.duration: 0s is not over 0"},
		{"absurd duration", replaceLine(7, "load: {rate: 10, duration: 100h}"), 7, "load.duration: 100h is over 1h"},
		{"rtt 0 with jitter", replaceLine(4, "  - {name: wan, jitter: 1ms}"), 4, "jitter 1ms with rtt 0"},
		// Loss and rates.
		{"loss over 100%", replaceLine(4, "  - {name: wan, rtt: 40ms, loss: 120%}"), 4, "120% is over 100%"},
		{"negative loss", replaceLine(4, "  - {name: wan, rtt: 40ms, loss: -1%}"), 4, "below 0%"},
		{"ambiguous rate", replaceLine(4, "  - {name: wan, rtt: 40ms, rate: 10mbps}"), 4, "10mbps is ambiguous"},
		{"absurd request rate", replaceLine(7, "load: {rate: 10000000, duration: 1s}"), 7, "load.rate"},
		// Knob values and names.
		{"unknown knob value", replaceLine(6, "  keepalive: [on, maybe]"), 6, `"maybe" is not a value of keepalive`},
		{"knob integer out of range", replaceLine(6, "  initcwnd: [0]"), 6, "is not a value of initcwnd"},
		{"duplicate link name", replaceLine(4, "  - {name: lan, rtt: 40ms}"), 4, "link lan is given twice (first at line 3)"},
		{"empty matrix", replaceLine(6, "  {}"), 6, "matrix: no knobs"},
		{"empty knob", replaceLine(6, "  keepalive: []"), 6, "no values"},
		{"no links", "suite: bad\nmatrix: {keepalive: [on]}\nload: {rate: 10, duration: 1s}\n", 1, "links: missing"},
		// Size and bytes.
		{"a million cells", millionCells(), 5, "make over 1000000 combinations"},
		{"huge file", goodSuite + "#" + strings.Repeat("x", 2<<20) + "\n", 1, "over the 1048576-byte limit"},
		{"binary garbage", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00", 1, "not a text file"},
		{"invalid UTF-8", "suite: bad\nlinks: \xff\xfe\n", 1, "not UTF-8 text"},
	}
	if len(tests) < 30 {
		t.Fatalf("%d cases; the issue asks for at least 30", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			suite := writeTempIn(t, dir, "bad.yaml", tt.data)
			out := filepath.Join(dir, "out.txt")
			for _, args := range [][]string{{"run", suite, "-o", out}, {"validate", suite}} {
				_, stderr, code := runCLI(t, args...)
				if code != 2 {
					t.Errorf("%s: exit status %d; want 2", args[0], code)
				}
				prefix := suite + ":" + strconv.Itoa(tt.line) + ": "
				if !strings.Contains(stderr, prefix) || !strings.Contains(stderr, tt.want) {
					t.Errorf("%s: stderr\n%s\nwant %q and %q", args[0], firstLines(stderr, 3), prefix, tt.want)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("a refused suite created files: %v", names)
			}
			left, _ := netem.Leftovers()
			for _, l := range left {
				if l.Owner == os.Getpid() {
					t.Errorf("a refused suite created namespace %s", l.Name)
				}
			}
		})
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
