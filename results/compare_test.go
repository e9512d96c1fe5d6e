package results

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The inputs under testdata/gate and testdata/compare were written once by
// a script and are kept as they are: gate/base.txt and gate/new.txt are two
// runs of one suite whose configuration lines differ (tunebench, seed,
// link-wan), in which link=lan/keepalive=on got 30% slower, link=lan/
// keepalive=off moved within noise and link=wan/keepalive=on got 20% faster;
// compare/handshake.txt is one run with keep-alive on and off on two links
// and one failed repetition.
const (
	gateBase  = "testdata/gate/base.txt"
	gateNew   = "testdata/gate/new.txt"
	handshake = "testdata/compare/handshake.txt"
)

// compareCase is one comparison, written as benchstat's command line.
type compareCase struct {
	name string
	args []string // benchstat's flags, then the files
	// format is text, csv, json or markdown; benchstat has the first two.
	format string
	// split keeps benchstat's tables by configuration (an explicit -table).
	split bool
}

var compareCases = []compareCase{
	{name: "default", args: []string{gateBase, gateNew}, format: "text"},
	{name: "default-csv", args: []string{gateBase, gateNew}, format: "csv"},
	{name: "labels", args: []string{"-filter", ".unit:(p99-ns OR req/s)", "base=" + gateBase, "new=" + gateNew}, format: "text"},
	{name: "split", args: []string{"-table", ".config", "-filter", ".unit:p99-ns", gateBase, gateNew}, format: "text", split: true},
	{name: "col-keepalive", args: []string{"-col", "/keepalive", handshake}, format: "text"},
	{name: "col-keepalive-fixed", args: []string{"-col", "/keepalive@(off on)", "-row", "/link", "-filter", ".unit:p99-ns", handshake}, format: "text"},
	{name: "filter-link", args: []string{"-col", "/keepalive", "-filter", "/link:wan40", handshake}, format: "text"},
	{name: "row-name-warning", args: []string{"-row", ".name", "-filter", ".unit:ns/op", handshake}, format: "text"},
	{name: "alpha-confidence", args: []string{"-alpha", "0.001", "-confidence", "0.9", "-filter", ".unit:p99-ns", gateBase, gateNew}, format: "text"},
	{name: "col-keepalive-csv", args: []string{"-col", "/keepalive", "-filter", ".unit:(p50-ns OR errors)", handshake}, format: "csv"},
	{name: "markdown", args: []string{"-filter", ".unit:(p99-ns OR req/s)", "base=" + gateBase, "new=" + gateNew}, format: "markdown"},
	{name: "col-keepalive-markdown", args: []string{"-col", "/keepalive", "-filter", ".unit:(p99-ns OR errors)", handshake}, format: "markdown"},
	{name: "json", args: []string{"-col", "/keepalive", "-filter", ".unit:p99-ns", handshake}, format: "json"},
	{name: "two-files-json", args: []string{"-filter", ".unit:p99-ns /link:lan", gateBase, gateNew}, format: "json"},
}

// parseCompareArgs reads benchstat's flags into CompareOptions, as the
// tunebench compare command does.
func parseCompareArgs(t *testing.T, args []string) ([]Input, CompareOptions) {
	t.Helper()
	fs := flag.NewFlagSet("benchstat", flag.ContinueOnError)
	var o CompareOptions
	fs.StringVar(&o.Table, "table", "", "")
	fs.StringVar(&o.Row, "row", "", "")
	fs.StringVar(&o.Col, "col", "", "")
	fs.StringVar(&o.Ignore, "ignore", "", "")
	fs.StringVar(&o.Filter, "filter", "", "")
	fs.Float64Var(&o.Alpha, "alpha", 0, "")
	fs.Float64Var(&o.Confidence, "confidence", 0, "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	o.SplitOnConfig = o.Table != ""
	return ParseInputs(fs.Args()), o
}

// render writes c in format; CSV warnings follow the table after a
// "# warnings" line.
func render(t *testing.T, c *Comparison, format string) []byte {
	t.Helper()
	var out, warn bytes.Buffer
	var err error
	switch format {
	case "text":
		err = c.WriteText(&out)
	case "csv":
		err = c.WriteCSV(&out, &warn)
		if warn.Len() > 0 {
			out.WriteString("# warnings\n")
			out.Write(warn.Bytes())
		}
	case "json":
		err = c.WriteJSON(&out)
	case "markdown":
		err = c.WriteMarkdown(&out)
	}
	if err != nil {
		t.Fatalf("writing %s: %v", format, err)
	}
	return out.Bytes()
}

func TestCompareGolden(t *testing.T) {
	for _, tt := range compareCases {
		t.Run(tt.name, func(t *testing.T) {
			inputs, opts := parseCompareArgs(t, tt.args)
			c, err := Compare(inputs, opts)
			if err != nil {
				t.Fatal(err)
			}
			ext := map[string]string{"text": "txt", "csv": "csv", "json": "json", "markdown": "md"}[tt.format]
			golden(t, filepath.Join("compare", tt.name+"."+ext+".golden"), render(t, c, tt.format))
		})
	}
}

// TestCompareMatchesBenchstat runs the real benchstat on the same files
// with the same flags, and wants the very same text and CSV. Where the
// files' configuration differs, benchstat gets the -ignore that Compare
// applied of itself.
func TestCompareMatchesBenchstat(t *testing.T) {
	benchstat := buildBenchstat(t)
	for _, tt := range compareCases {
		if tt.format != "text" && tt.format != "csv" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			inputs, opts := parseCompareArgs(t, tt.args)
			c, err := Compare(inputs, opts)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"-format", tt.format}
			if keys := c.IgnoredKeys(); len(keys) > 0 {
				args = append(args, "-ignore", strings.Join(keys, ","))
			}
			args = append(args, tt.args...)
			cmd := exec.Command(benchstat, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("benchstat %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
			}
			var ours, warn bytes.Buffer
			if tt.format == "csv" {
				err = c.WriteCSV(&ours, &warn)
			} else {
				err = c.WriteText(&ours)
			}
			if err != nil {
				t.Fatal(err)
			}
			if ours.String() != stdout.String() {
				t.Errorf("benchstat %s differs (-benchstat +ours):\n%s", strings.Join(args, " "), lineDiff(stdout.String(), ours.String()))
			}
			if tt.format == "csv" && warn.String() != stderr.String() {
				t.Errorf("got CSV warnings %q; benchstat wrote %q", warn.String(), stderr.String())
			}
		})
	}
}

func TestCompareIgnored(t *testing.T) {
	c, err := Compare(ParseInputs([]string{gateBase, gateNew}), CompareOptions{Filter: ".unit:p99-ns"})
	if err != nil {
		t.Fatal(err)
	}
	want := []ConfigDiff{
		{Key: "tunebench", Values: []string{"v0.3.0", "v0.4.0"}},
		{Key: "seed", Values: []string{"1", "2"}},
		{Key: "link-wan", Values: []string{"rtt=40ms", "rtt=40ms loss=0.1%"}},
	}
	if !reflect.DeepEqual(c.Ignored, want) {
		t.Errorf("got ignored %v; want %v", c.Ignored, want)
	}
	if len(c.Tables) != 1 || len(c.Tables[0].Cols) != 2 {
		t.Errorf("got %d tables; want 1 with 2 columns, the files side by side", len(c.Tables))
	}
	if got, want := c.Ignored[2].String(), "link-wan: rtt=40ms → rtt=40ms loss=0.1%"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}

	split, err := Compare(ParseInputs([]string{gateBase, gateNew}), CompareOptions{Filter: ".unit:p99-ns", SplitOnConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(split.Ignored) != 0 || len(split.Tables) != 2 {
		t.Errorf("with SplitOnConfig: got %d ignored keys and %d tables; want 0 and 2, one a file", len(split.Ignored), len(split.Tables))
	}
}

func TestCompareSignificance(t *testing.T) {
	c, err := Compare(ParseInputs([]string{gateBase, gateNew}), CompareOptions{Filter: ".unit:p99-ns"})
	if err != nil {
		t.Fatal(err)
	}
	tab := c.Tables[0]
	want := map[string]bool{
		"Gate/link=lan/keepalive=on":  true,
		"Gate/link=lan/keepalive=off": false,
		"Gate/link=wan/keepalive=on":  true,
	}
	for _, row := range tab.Rows {
		cell := tab.Cells[TableKey{row, tab.Cols[1]}]
		if got := cell.Significant(); got != want[row.StringValues()] {
			t.Errorf("%s: got significant %v; want %v", row.StringValues(), got, want[row.StringValues()])
		}
	}
}

func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	empty := write("empty.txt", "")
	configOnly := write("config.txt", "goos: linux\n\nUnit p50-ns better=lower\n")
	garbage := write("garbage.txt", "BenchmarkS/k=v\t1\t1 ns/op\nPASS\n")
	conflict := write("conflict.txt", "Unit p99-ns better=higher\nBenchmarkGate/link=lan/keepalive=on\t1\t1 p99-ns\n")
	unreadable := dir // a directory

	tests := []struct {
		name    string
		inputs  []string
		opts    CompareOptions
		wantErr string
	}{
		{"no files", nil, CompareOptions{}, "no files given"},
		{"missing", []string{filepath.Join(dir, "missing.txt")}, CompareOptions{}, "missing.txt: no such file or directory; run `tunebench run` first"},
		{"unreadable", []string{unreadable}, CompareOptions{}, "is a directory"},
		{"empty", []string{empty}, CompareOptions{}, "empty.txt: no benchmark results; run `tunebench run` first"},
		{"config only", []string{configOnly}, CompareOptions{}, "config.txt: no benchmark results"},
		{"garbage", []string{garbage}, CompareOptions{}, "garbage.txt:2: unrecognised line \"PASS\""},
		{"units conflict between files", []string{gateBase, conflict}, CompareOptions{}, "conflict.txt:1: metadata better of unit p99-ns already set to lower"},
		{"bad filter", []string{gateBase}, CompareOptions{Filter: "/link:("}, "-filter"},
		{"bad col", []string{gateBase}, CompareOptions{Col: "/link@nope"}, "-col"},
		{"unit in col", []string{gateBase}, CompareOptions{Col: ".unit"}, "-col"},
		{"filter matches nothing", []string{gateBase}, CompareOptions{Filter: "/link:moon"}, "-filter \"/link:moon\" leaves no results to compare"},
		{"wrong unit in filter", []string{gateBase}, CompareOptions{Filter: ".unit:p98-ns"}, "leaves no results to compare"},
		{"alpha", []string{gateBase}, CompareOptions{Alpha: 2}, "alpha 2 is not over 0 and at most 1"},
		{"confidence", []string{gateBase}, CompareOptions{Confidence: 1}, "confidence 1 is not over 0 and below 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compare(ParseInputs(tt.inputs), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v; want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseInputs(t *testing.T) {
	tests := []struct {
		args []string
		want []Input
	}{
		{[]string{"a.txt", "b.txt"}, []Input{{"a.txt", "a.txt"}, {"b.txt", "b.txt"}}},
		{[]string{"base=a.txt", "new=out/b.txt"}, []Input{{"base", "a.txt"}, {"new", "out/b.txt"}}},
		{[]string{"a.txt", "a.txt", "b.txt"}, []Input{{"a.txt#0", "a.txt"}, {"a.txt#1", "a.txt"}, {"b.txt", "b.txt"}}},
		{[]string{"x=a.txt", "x=a.txt"}, []Input{{"x", "a.txt"}, {"x", "a.txt"}}},
	}
	for _, tt := range tests {
		if got := ParseInputs(tt.args); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseInputs(%q): got %v; want %v", tt.args, got, tt.want)
		}
	}
}
