package results

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readTestFile reads a results file from testdata.
func readTestFile(t *testing.T, path string) *File {
	t.Helper()
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// parseTest reads a results file from text.
func parseTest(t *testing.T, name, text string) *File {
	t.Helper()
	f, err := Read(name, strings.NewReader(text))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

// lines returns results lines of the named cell, one per value of unit.
func lines(name, unit string, values ...float64) string {
	var b strings.Builder
	for _, v := range values {
		fmt.Fprintf(&b, "BenchmarkT/%s\t100\t%s %s\n", name, formatValue(v), unit)
	}
	return b.String()
}

const unitLines = "Unit p99-ns better=lower\nUnit req/s better=higher\nUnit errors better=lower\n\n"

// TestGateGolden is the example: one cell regressed significantly,
// one changed within noise and one improved, so exactly one check fails.
func TestGateGolden(t *testing.T) {
	r, err := Gate(GateOptions{
		Baseline: readTestFile(t, gateBase), Current: readTestFile(t, gateNew),
		Metrics: []string{"p99-ns"}, MaxRegression: 0.10,
	})
	if err != nil {
		t.Fatal(err)
	}
	failures := r.Failures()
	if len(failures) != 1 || !strings.HasPrefix(failures[0], "Gate/link=lan/keepalive=on p99-ns: 50.10ms → 65.10ms: worse by 29.94% (p=0.002 n=6), over the 10% allowed") {
		t.Errorf("got failures %q; want exactly one, for Gate/link=lan/keepalive=on", failures)
	}
	want := map[string]Verdict{
		"Gate/link=lan/keepalive=on":  Fail,
		"Gate/link=lan/keepalive=off": Pass,
		"Gate/link=wan/keepalive=on":  Pass,
	}
	for _, c := range r.Regressions {
		if c.Verdict != want[c.Name] {
			t.Errorf("%s: got verdict %s (%s); want %s", c.Name, c.Verdict, c.Why, want[c.Name])
		}
	}
	if got := len(r.ConfigDiffs); got != 3 {
		t.Errorf("got %d configuration differences; want 3 (tunebench, seed, link-wan)", got)
	}

	r.Links = []GateLink{{Text: "Report", URL: "https://example.com/report.html"}}
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"verdicts.txt", func(b *bytes.Buffer) error { return r.WriteText(b) }},
		{"verdicts.md", func(b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"verdicts.json", func(b *bytes.Buffer) error { return r.WriteJSON(b) }},
	} {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("gate", f.name+".golden"), b.Bytes())
	}
}

// TestGateAgreesWithBenchstat runs the real benchstat on the gate's files
// and wants the same cells significant, with the same p-values.
func TestGateAgreesWithBenchstat(t *testing.T) {
	benchstat := buildBenchstat(t)
	base, cur := readTestFile(t, gateBase), readTestFile(t, gateNew)
	for _, metric := range []string{"p99-ns", "p50-ns", "req/s"} {
		r, err := Gate(GateOptions{Baseline: base, Current: cur, Metrics: []string{metric}, MaxRegression: 0.10})
		if err != nil {
			t.Fatal(err)
		}
		var ignore []string
		for _, d := range r.ConfigDiffs {
			ignore = append(ignore, d.Key)
		}
		args := []string{"-filter", ".unit:" + metric, "-ignore", strings.Join(ignore, ","), gateBase, gateNew}
		out, err := exec.Command(benchstat, args...).Output()
		if err != nil {
			t.Fatalf("benchstat %s: %v", strings.Join(args, " "), err)
		}
		t.Logf("benchstat %s:\n%s", strings.Join(args, " "), out)
		// "Gate/link=lan/keepalive=on   50.10m ± 2%   65.10m ± 2%  +29.94% (p=0.002 n=6)"
		row := regexp.MustCompile(`(?m)^(Gate/\S+)\s.*\s(~|[-+]\d+\.\d+%) \(p=(\d\.\d+) n=6\)$`)
		rows := row.FindAllStringSubmatch(string(out), -1)
		if len(rows) != len(r.Regressions) {
			t.Fatalf("%s: got %d benchstat rows; want %d", metric, len(rows), len(r.Regressions))
		}
		for _, m := range rows {
			i := slices.IndexFunc(r.Regressions, func(c RegressionCheck) bool { return c.Name == m[1] })
			if i < 0 {
				t.Errorf("%s: benchstat row %s has no check", metric, m[1])
				continue
			}
			c := r.Regressions[i]
			if got, want := c.Significant, m[2] != "~"; got != want {
				t.Errorf("%s %s: got significant %v; benchstat says %s", metric, c.Name, got, m[2])
			}
			if got := fmt.Sprintf("%.3f", c.P); got != m[3] {
				t.Errorf("%s %s: got p=%s; benchstat says p=%s", metric, c.Name, got, m[3])
			}
			if m[2] != "~" {
				if got := fmt.Sprintf("%+.2f%%", c.Change*100); got != m[2] {
					t.Errorf("%s %s: got change %s; benchstat says %s", metric, c.Name, got, m[2])
				}
			}
		}
	}
}

func TestGateRegressions(t *testing.T) {
	slow := []float64{50e6, 51e6, 49e6, 50.5e6, 49.5e6, 50.2e6}
	scale := func(vs []float64, f float64) []float64 {
		out := make([]float64, len(vs))
		for i, v := range vs {
			out[i] = v * f
		}
		return out
	}
	tests := []struct {
		name       string
		base, cur  string
		opts       GateOptions
		wantFail   []string // cells that fail, in order
		wantVerd   map[string]Verdict
		onlyBase   []string
		onlyCur    []string
		wantWhyHas string
		wantChecks *int // nil: not checked
	}{
		{
			name: "within the threshold", base: lines("a", "p99-ns", slow...), cur: lines("a", "p99-ns", scale(slow, 1.05)...),
			opts:     GateOptions{Metrics: []string{"p99"}, MaxRegression: 0.10},
			wantVerd: map[string]Verdict{"T/a": Pass}, wantWhyHas: "worse by 5.00% (p=0.002 n=6), within the 10% allowed",
		},
		{
			name: "a zero threshold fails any significant regression", base: lines("a", "p99-ns", slow...), cur: lines("a", "p99-ns", scale(slow, 1.05)...),
			opts:     GateOptions{Metrics: []string{"p99-ns"}},
			wantFail: []string{"T/a"}, wantWhyHas: "over the 0% allowed",
		},
		{
			name: "higher is better: a lower rate fails", base: lines("a", "req/s", 100, 101, 99, 100, 102, 98), cur: lines("a", "req/s", 80, 81, 79, 80, 82, 78),
			opts:     GateOptions{Metrics: []string{"rate"}, MaxRegression: 0.10},
			wantFail: []string{"T/a"}, wantWhyHas: "worse by 20.00%",
		},
		{
			name: "higher is better: a higher rate passes", base: lines("a", "req/s", 80, 81, 79, 80, 82, 78), cur: lines("a", "req/s", 100, 101, 99, 100, 102, 98),
			opts:     GateOptions{Metrics: []string{"req/s"}},
			wantVerd: map[string]Verdict{"T/a": Pass}, wantWhyHas: "better by 25.00%",
		},
		{
			name: "too few samples to decide", base: lines("a", "p99-ns", 1e6, 1e6, 1e6), cur: lines("a", "p99-ns", 9e6, 9e6, 9e6),
			opts:     GateOptions{Metrics: []string{"p99"}, MaxRegression: 0.10},
			wantVerd: map[string]Verdict{"T/a": Undecided}, wantWhyHas: "too few samples to decide (n=3); the U test needs at least 4 repetitions a side",
		},
		{
			name: "too few samples fail with strict", base: lines("a", "p99-ns", 1e6, 1e6, 1e6), cur: lines("a", "p99-ns", 9e6, 9e6, 9e6),
			opts:     GateOptions{Metrics: []string{"p99"}, MaxRegression: 0.10, Strict: true},
			wantFail: []string{"T/a"},
		},
		{
			name: "cells on one side only are listed; the baseline's fail", base: lines("a", "p99-ns", slow...) + lines("gone", "p99-ns", slow...), cur: lines("a", "p99-ns", slow...) + lines("new", "p99-ns", slow...),
			opts:     GateOptions{Metrics: []string{"p99"}},
			wantFail: []string{"T/gone"}, wantChecks: intp(2),
			wantVerd: map[string]Verdict{"T/a": Pass}, onlyBase: []string{"T/gone"}, onlyCur: []string{"T/new"},
		},
		{
			name: "a cell missing from current passes with allow-missing", base: lines("a", "p99-ns", slow...) + lines("gone", "p99-ns", slow...), cur: lines("a", "p99-ns", slow...),
			opts:       GateOptions{Metrics: []string{"p99"}, AllowMissing: true},
			wantChecks: intp(1), onlyBase: []string{"T/gone"},
		},
		{
			name: "a cell missing from current fails with strict too", base: lines("a", "p99-ns", slow...) + lines("gone", "p99-ns", slow...), cur: lines("a", "p99-ns", slow...),
			opts:     GateOptions{Metrics: []string{"p99"}, Strict: true},
			wantFail: []string{"T/gone"}, onlyBase: []string{"T/gone"},
		},
		{
			name: "no cell in common passes nothing with allow-missing", base: lines("a", "p99-ns", slow...), cur: lines("b", "p99-ns", slow...),
			opts:       GateOptions{Metrics: []string{"p99"}, AllowMissing: true},
			wantChecks: intp(0), onlyBase: []string{"T/a"}, onlyCur: []string{"T/b"},
		},
		{
			name: "every repetition failed in current", base: lines("a", "p99-ns", slow...), cur: lines("b", "p99-ns", slow...) + "--- FAIL: BenchmarkT/a rep=1: boom\n--- FAIL: BenchmarkT/a rep=2: boom\n",
			opts:     GateOptions{Metrics: []string{"p99"}},
			wantFail: []string{"T/a"}, onlyBase: nil, onlyCur: []string{"T/b"}, wantWhyHas: "every repetition failed in the current run (2)",
		},
		{
			name: "errors from zero", base: lines("a", "errors", 0, 0, 0, 0, 0, 0), cur: lines("a", "errors", 0.01, 0.02, 0.01, 0.03, 0.01, 0.02),
			opts:     GateOptions{Metrics: []string{"errors"}, MaxRegression: 0.5},
			wantFail: []string{"T/a"}, wantWhyHas: "worse by +Inf%",
		},
		{
			name: "noise passes", base: lines("a", "p99-ns", 100, 104, 98, 102, 99, 103), cur: lines("a", "p99-ns", 103, 106, 99, 104, 101, 107),
			opts:     GateOptions{Metrics: []string{"p99"}},
			wantVerd: map[string]Verdict{"T/a": Pass}, wantWhyHas: "no significant change (p=0.195 n=6)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Baseline = parseTest(t, "base.txt", unitLines+tt.base)
			tt.opts.Current = parseTest(t, "new.txt", unitLines+tt.cur)
			r, err := Gate(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, f := range r.Failures() {
				name, _, _ := strings.Cut(f, " ")
				failed = append(failed, strings.TrimSuffix(name, ":"))
			}
			if !slices.Equal(failed, tt.wantFail) {
				t.Errorf("got failures %q; want cells %q to fail", r.Failures(), tt.wantFail)
			}
			for _, c := range r.Regressions {
				if want, ok := tt.wantVerd[c.Name]; ok && c.Verdict != want {
					t.Errorf("%s: got %s (%s); want %s", c.Name, c.Verdict, c.Why, want)
				}
			}
			if tt.wantWhyHas != "" && !slices.ContainsFunc(r.Regressions, func(c RegressionCheck) bool { return strings.Contains(c.Why, tt.wantWhyHas) }) {
				var whys []string
				for _, c := range r.Regressions {
					whys = append(whys, c.Why)
				}
				t.Errorf("got reasons %q; want one containing %q", whys, tt.wantWhyHas)
			}
			if !slices.Equal(r.OnlyBaseline, tt.onlyBase) || !slices.Equal(r.OnlyCurrent, tt.onlyCur) {
				t.Errorf("got only in baseline %q, only in current %q; want %q, %q", r.OnlyBaseline, r.OnlyCurrent, tt.onlyBase, tt.onlyCur)
			}
			if r.Passed() != (len(tt.wantFail) == 0) {
				t.Errorf("got Passed %v with failures %q", r.Passed(), r.Failures())
			}
			if tt.wantChecks != nil {
				if got := r.Checks(); got != *tt.wantChecks {
					t.Errorf("got %d checks; want %d", got, *tt.wantChecks)
				}
			}
		})
	}
}

func TestGateErrors(t *testing.T) {
	base := readTestFile(t, gateBase)
	cur := readTestFile(t, gateNew)
	custom := parseTest(t, "custom.txt", "BenchmarkGate/link=lan/keepalive=on\t1\t3 retrans/op\t1 p99-ns\n")
	renamed := parseTest(t, "renamed.txt", "Unit p99-ns better=lower\nBenchmarkRenamed/link=lan/keepalive=on\t1\t1 p99-ns\n")
	tests := []struct {
		name    string
		opts    GateOptions
		wantErr string
	}{
		{"no current", GateOptions{Baseline: base, Metrics: []string{"p99"}}, "no current results file"},
		{"nothing to check", GateOptions{Current: cur}, "nothing to check"},
		{"no metrics", GateOptions{Baseline: base, Current: cur}, "a baseline needs the metrics to compare"},
		{"unknown metric", GateOptions{Baseline: base, Current: cur, Metrics: []string{"p98"}}, `unknown metric "p98": no such unit in testdata/gate/base.txt or testdata/gate/new.txt; give one of ns/op, p50-ns, p90-ns, p99-ns, p999-ns, max-ns, p99co-ns, req/s, errors, or a short form (errors, max, mean, p50, p90, p99, p999, p99co, rate)`},
		{"metric in one file only", GateOptions{Baseline: base, Current: custom, Metrics: []string{"retrans/op"}}, "metric retrans/op: testdata/gate/base.txt has no retrans/op values; compare a metric both files have"},
		{"unit without direction", GateOptions{Baseline: custom, Current: custom, Metrics: []string{"retrans/op"}}, `unit retrans/op declares no direction; add a line "Unit retrans/op better=lower"`},
		{"negative threshold", GateOptions{Baseline: base, Current: cur, Metrics: []string{"p99"}, MaxRegression: -0.1}, "max regression -0.1 is negative"},
		{"alpha", GateOptions{Baseline: base, Current: cur, Metrics: []string{"p99"}, Alpha: 1.5}, "alpha 1.5 is not over 0 and at most 1"},
		{"no cell in common", GateOptions{Baseline: base, Current: renamed, Metrics: []string{"p99"}},
			"testdata/gate/base.txt and renamed.txt have no cell in common (the baseline has Gate/link=lan/keepalive=on and 2 more, the current run Renamed/link=lan/keepalive=on), so there is nothing to compare; compare runs of the same suite (a renamed suite or matrix renames its cells), or pass --allow-missing to let that pass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Gate(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v; want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestObjectives(t *testing.T) {
	cur := readTestFile(t, gateNew)
	lan := map[string]string{"link": "lan"}
	tests := []struct {
		name     string
		obj      Objective
		wantFail []string // the cells that fail
		wantPass int
		wantWhy  string
	}{
		{"p99 under 300ms everywhere", Objective{Metric: "p99", Max: 300e6, HasMax: true}, nil, 3, "median 65.10ms within bounds (n=6)"},
		{"p99 under 100ms on lan", Objective{Metric: "p99", Max: 100e6, HasMax: true, Where: lan}, []string{"Gate/link=lan/keepalive=off"}, 1, "median 103.5ms over the maximum 100ms (n=6)"},
		{"p99 under 100ms with keep-alive on", Objective{Metric: "p99-ns", Max: 100e6, HasMax: true, Where: map[string]string{"keepalive": "on"}}, []string{"Gate/link=wan/keepalive=on"}, 1, "median 160.2ms over the maximum 100ms"},
		{"rate at least 19.7", Objective{Metric: "rate", Min: 19.7, HasMin: true}, []string{"Gate/link=wan/keepalive=on"}, 2, "median 19.60 req/s under the minimum 19.7"},
		{"errors at most 0.1%", Objective{Metric: "errors", Max: 0.001, HasMax: true, Where: map[string]string{"link": "wan", "keepalive": "on"}}, nil, 1, "median 0% within bounds"},
		{"benchstat's unit name", Objective{Metric: "p99-sec", Max: 1e9, HasMax: true}, nil, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Gate(GateOptions{Current: cur, Objectives: []Objective{tt.obj}})
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			pass := 0
			for _, c := range r.Objectives {
				if c.Verdict == Fail {
					failed = append(failed, c.Name)
				} else {
					pass++
				}
			}
			if !slices.Equal(failed, tt.wantFail) || pass != tt.wantPass {
				t.Errorf("got failed %q and %d passed; want %q and %d", failed, pass, tt.wantFail, tt.wantPass)
			}
			if tt.wantWhy != "" && !slices.ContainsFunc(r.Objectives, func(c ObjectiveCheck) bool { return strings.Contains(c.Why, tt.wantWhy) }) {
				t.Errorf("got %+v; want a reason containing %q", r.Objectives, tt.wantWhy)
			}
			if len(r.Failures()) != len(tt.wantFail) {
				t.Errorf("got failures %q; want %d", r.Failures(), len(tt.wantFail))
			}
		})
	}
}

func TestObjectivesFailedCell(t *testing.T) {
	f := parseTest(t, "r.txt", unitLines+lines("link=lan", "p99-ns", 1e6, 1e6)+"--- FAIL: BenchmarkT/link=wan rep=1: boom\n")
	r, err := Gate(GateOptions{Current: f, Objectives: []Objective{{Metric: "p99", Max: 1e9, HasMax: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Failures(); len(got) != 1 || !strings.Contains(got[0], "T/link=wan: no successful repetition (1 failed)") {
		t.Errorf("got failures %q; want T/link=wan to fail for its failed repetition", got)
	}
}

func TestObjectivesErrors(t *testing.T) {
	cur := readTestFile(t, gateNew)
	tests := []struct {
		name    string
		obj     Objective
		wantErr string
	}{
		{"unknown metric", Objective{Metric: "p98", Max: 1, HasMax: true}, `objective p98 max 1: unknown metric "p98": no such unit in testdata/gate/new.txt`},
		{"unknown where key", Objective{Metric: "p99", Max: 1, HasMax: true, Where: map[string]string{"tfo": "on"}, Source: "s.yaml:9"}, `objective p99 max 1ns where tfo=on (s.yaml:9): no cell of testdata/gate/new.txt has a key "tfo"; its cells have keepalive, link`},
		{"unknown where value", Objective{Metric: "p99", Max: 1, HasMax: true, Where: map[string]string{"link": "wan40"}}, "no cell of testdata/gate/new.txt has link=wan40; it has link=lan,wan"},
		{"where selects nothing", Objective{Metric: "p99", Max: 1, HasMax: true, Where: map[string]string{"link": "wan", "keepalive": "off"}}, "no cell of testdata/gate/new.txt has all of link=wan,keepalive=off"},
		{"no bound", Objective{Metric: "p99"}, "neither max nor min is set"},
		{"min over max", Objective{Metric: "p99", Max: 1, HasMax: true, Min: 2, HasMin: true}, "min is over max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Gate(GateOptions{Current: cur, Objectives: []Objective{tt.obj}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v; want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestUTestNeed(t *testing.T) {
	tests := []struct {
		n1, n2 int
		alpha  float64
		want   int
	}{
		{6, 6, 0.05, 0}, {4, 4, 0.05, 0}, {3, 3, 0.05, 4}, {6, 3, 0.05, 0}, {1, 1, 0.05, 4},
		{0, 6, 0.05, 6}, {6, 6, 0.001, 7}, {5, 5, 0.01, 0},
	}
	for _, tt := range tests {
		if got := uTestNeed(tt.n1, tt.n2, tt.alpha); got != tt.want {
			t.Errorf("uTestNeed(%d, %d, %v): got %d; want %d", tt.n1, tt.n2, tt.alpha, got, tt.want)
		}
	}
	if got, want := minUTestP(6, 6), 2.0/924; math.Abs(got-want) > 1e-15 {
		t.Errorf("minUTestP(6, 6): got %v; want %v", got, want)
	}
}

func TestMetricUnit(t *testing.T) {
	for name, want := range map[string]string{
		"p50": "p50-ns", "p90": "p90-ns", "p99": "p99-ns", "p999": "p999-ns", "p99co": "p99co-ns",
		"mean": "ns/op", "max": "max-ns", "rate": "req/s", "errors": "errors", "p99-ns": "p99-ns", "retrans/op": "retrans/op",
	} {
		if got := MetricUnit(name); got != want {
			t.Errorf("MetricUnit(%q): got %q; want %q", name, got, want)
		}
	}
}

func intp(n int) *int { return &n }
