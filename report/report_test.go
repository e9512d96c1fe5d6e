package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/results"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixtures are the report tests' inputs; see testdata/README.md.
var fixtures = []struct {
	name              string
	current, baseline string
	objectives        []results.Objective
}{
	{name: "quick", current: "testdata/quick.txt"},
	{name: "baseline", current: "testdata/quick.txt", baseline: "testdata/baseline.txt"},
	{name: "failed", current: "testdata/failed.txt"},
	{name: "single", current: "testdata/single.txt"},
	{name: "phases", current: "testdata/phases.txt"},
	{name: "knee", current: "testdata/knee.txt", objectives: kneeGates},
	{name: "capacity", current: "testdata/capacity.txt"},
}

// kneeGates are the gates of knee.txt's suite: two that bound a drawn
// latency, one that names a rate (a point, not a line) and one on the
// rate itself (not a latency).
var kneeGates = []results.Objective{
	{Metric: "p99", Max: 20e6, HasMax: true},
	{Metric: "p50-ns", Max: 8e6, HasMax: true, Where: map[string]string{"codec": "json"}},
	{Metric: "p99", Max: 5e6, HasMax: true, Where: map[string]string{"rate": "100"}},
	{Metric: "rate", Min: 90, HasMin: true},
}

func build(t *testing.T, current, baseline string, objectives ...results.Objective) *Report {
	t.Helper()
	rep, err := Build(Options{Current: current, Baseline: baseline, Objectives: objectives})
	if err != nil {
		t.Fatalf("Build(%s, %s): %v", current, baseline, err)
	}
	return rep
}

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s\n(if the change is intended, run go test ./report -update)", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines that differ, at most 20.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

func TestMarkdownGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			rep := build(t, fx.current, fx.baseline, fx.objectives...)
			dir := t.TempDir()
			files, err := rep.WriteMarkdown(filepath.Join(dir, "report.md"))
			if err != nil {
				t.Fatal(err)
			}
			md, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			golden(t, fx.name+".md", md)
			// Every image the Markdown links to was written beside it,
			// and is an SVG.
			for _, f := range files[1:] {
				name := filepath.Base(f)
				if !bytes.Contains(md, []byte("("+name+")")) {
					t.Errorf("%s written but not linked from the Markdown", name)
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(b, []byte("<svg ")) || !bytes.HasSuffix(b, []byte("</svg>\n")) {
					t.Errorf("%s is not an SVG document: %.60q", name, b)
				}
			}
			if got, want := len(files)-1, len(rep.Knobs)+len(rep.CDFs)+btoi(rep.Phases != nil)+btoi(rep.Rates != nil)+len(rep.Capacity); got != want {
				t.Errorf("wrote %d charts; want %d", got, want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestChartDataGolden pins what the charts draw: every point, interval,
// CDF sample and phase segment.
func TestChartDataGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			rep := build(t, fx.current, fx.baseline, fx.objectives...)
			data := struct {
				Notes    []string
				Knobs    []KnobChart
				Rates    *RateChart  `json:",omitempty"`
				Capacity []KnobChart `json:",omitempty"`
				CDFs     []CDFChart
				Phases   *PhaseChart
			}{rep.Notes, rep.Knobs, rep.Rates, rep.Capacity, rep.CDFs, rep.Phases}
			b, err := json.MarshalIndent(data, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, fx.name+".chart.json", append(b, '\n'))
		})
	}
}

// TestEstimatesAreBenchstats checks the chart's centres against the
// median of the file's own values, computed here by hand, and its
// intervals against benchstat's rule of at least 6 samples.
func TestEstimatesAreBenchstats(t *testing.T) {
	f, err := results.ReadFile("testdata/quick.txt")
	if err != nil {
		t.Fatal(err)
	}
	rep := build(t, "testdata/quick.txt", "")
	checked := 0
	for _, p := range rep.Knobs[0].Panels {
		for _, pt := range p.Points {
			unit := map[string]string{"P50": "p50-ns", "P99": "p99-ns"}[pt.Metric]
			var vals []float64
			for _, row := range f.Rows {
				if row.Cell == pt.Cell {
					vals = append(vals, row.Values[unit]/1e9)
				}
			}
			slices.Sort(vals)
			median := (vals[len(vals)/2-1] + vals[len(vals)/2]) / 2
			if len(vals) != 6 || pt.Estimate.N != 6 {
				t.Fatalf("%s: %d values, estimate of %d; want 6", pt.Cell, len(vals), pt.Estimate.N)
			}
			if !near(pt.Estimate.Center, median) {
				t.Errorf("%s %s: centre %v; want the median %v", pt.Cell, pt.Metric, pt.Estimate.Center, median)
			}
			// With 6 samples benchstat's 95% interval is the range.
			if !pt.Estimate.HasCI || !near(pt.Estimate.Lo, vals[0]) || !near(pt.Estimate.Hi, vals[5]) {
				t.Errorf("%s %s: interval %v–%v (ok %v); want %v–%v", pt.Cell, pt.Metric, pt.Estimate.Lo, pt.Estimate.Hi, pt.Estimate.HasCI, vals[0], vals[5])
			}
			checked++
		}
	}
	if checked != 8 {
		t.Errorf("checked %d points; want 8 (4 cells × P50, P99)", checked)
	}
}

// near reports whether a and b agree to 12 digits: benchstat's values are
// the file's nanoseconds scaled to seconds.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Abs(b) }

// TestHonestConfidence: a report of one sample per cell, and one with
// failed repetitions, claim no interval they do not have and hide no
// failure.
func TestHonestConfidence(t *testing.T) {
	t.Run("single sample", func(t *testing.T) {
		rep := build(t, "testdata/single.txt", "")
		for _, p := range rep.Knobs[0].Panels {
			for _, pt := range p.Points {
				if pt.Estimate.HasCI || pt.Estimate.N != 1 || pt.Estimate.Lo != pt.Estimate.Center || pt.Estimate.Hi != pt.Estimate.Center {
					t.Errorf("%s %s: %+v; want n=1 and no interval", pt.Cell, pt.Metric, pt.Estimate)
				}
			}
		}
		svg := rep.Knobs[0].SVG([]string{LabelCurrent})
		if n := strings.Count(svg, "n=1: no CI"); n != 4 {
			t.Errorf("chart labels %d values \"n=1: no CI\"; want 4", n)
		}
		if strings.Contains(svg, "confidence interval 0") || strings.Contains(svg, "stroke-dasharray") {
			t.Errorf("chart draws an interval for single samples")
		}
		html := writeHTML(t, rep)
		if !strings.Contains(html, "± ∞") || !strings.Contains(html, "need &gt;= 6 samples for confidence interval") {
			t.Errorf("table does not say the interval is unknown (± ∞ and benchstat's footnote)")
		}
		if !hasNote(rep, "fewer than 6 successful repetitions (the fewest: 1)") {
			t.Errorf("notes %q do not warn of too few repetitions", rep.Notes)
		}
	})
	t.Run("failed repetitions", func(t *testing.T) {
		rep := build(t, "testdata/failed.txt", "")
		var allFailed, partial *KnobPoint
		for _, p := range rep.Knobs[0].Panels {
			for i, pt := range p.Points {
				switch pt.Cell {
				case "link=wan40/keepalive=off":
					allFailed = &p.Points[i]
				case "link=lan/keepalive=off":
					partial = &p.Points[i]
				}
			}
		}
		if allFailed == nil || allFailed.OK != 0 || allFailed.Failed != 6 {
			t.Fatalf("all-failed cell: %+v; want a point with 0 ok and 6 failed", allFailed)
		}
		if partial == nil || partial.OK != 4 || partial.Failed != 2 || partial.Estimate.N != 4 || partial.Estimate.HasCI {
			t.Fatalf("partly failed cell: %+v; want 4 ok, 2 failed, no interval", partial)
		}
		svg := rep.Knobs[0].SVG([]string{LabelCurrent})
		for _, want := range []string{"all 6 failed", "2 of 6 failed", "n=4: no CI"} {
			if !strings.Contains(svg, want) {
				t.Errorf("chart lacks %q", want)
			}
		}
		if strings.Contains(svg, "link=wan40/keepalive=off P50: median") {
			t.Errorf("chart draws a point for a cell whose every repetition failed")
		}
		for _, c := range rep.CDFs {
			if c.Cell == "link=wan40/keepalive=off" {
				t.Errorf("CDF drawn for a cell with no successful repetition")
			}
			if c.Cell == "link=lan/keepalive=off" && (c.Series[0].Reps != 4 || c.Series[0].Requests != 240) {
				t.Errorf("CDF of the partly failed cell merges %d reps, %d requests; want 4, 240", c.Series[0].Reps, c.Series[0].Requests)
			}
		}
		html := writeHTML(t, rep)
		f, _ := results.ReadFile("testdata/failed.txt")
		for _, fail := range f.Failures {
			if !strings.Contains(html, fail.Message) {
				t.Errorf("HTML does not list failure %q", fail.Message)
			}
		}
		for _, want := range []string{"8 of 24 repetitions failed", "cell link=wan40/keepalive=off: all 6 repetitions failed",
			"cell link=lan/keepalive=on: 3 of 360 measured requests failed"} {
			if !hasNote(rep, want) {
				t.Errorf("notes %q lack %q", rep.Notes, want)
			}
		}
	})
}

func hasNote(rep *Report, s string) bool {
	return slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, s) })
}

func writeHTML(t *testing.T, rep *Report) string {
	t.Helper()
	var b strings.Builder
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestMissingSidecar(t *testing.T) {
	rep := build(t, "testdata/phases.txt", "")
	if len(rep.CDFs) != 0 {
		t.Errorf("%d CDFs drawn without a sidecar", len(rep.CDFs))
	}
	if !hasNote(rep, "no histogram sidecar phases.hist.jsonl next to phases.txt: no latency CDFs drawn") {
		t.Errorf("notes %q do not say the sidecar is missing", rep.Notes)
	}
	if rep.Phases == nil || !slices.Equal(rep.Phases.Phases, []string{"connect", "wait", "read"}) {
		t.Fatalf("phases %+v; want connect, wait, read (no tls-ns in the file)", rep.Phases)
	}
}

func TestHTMLSelfContained(t *testing.T) {
	for _, fx := range fixtures {
		html := writeHTML(t, build(t, fx.current, fx.baseline))
		rest := strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, "")
		for _, bad := range []string{"http://", "https://", "<script", "<link", " src=", "@import", "url("} {
			if strings.Contains(rest, bad) {
				t.Errorf("%s: HTML contains %q: it must need nothing from the network", fx.name, bad)
			}
		}
		if n := strings.Count(html, "<svg "); n < 2 {
			t.Errorf("%s: %d inline SVG charts; want the knob charts and more", fx.name, n)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"no file", Options{}, "no results file given"},
		{"missing", Options{Current: "testdata/nope.txt"}, "testdata/nope.txt: no such file or directory; run `tunebench run` first"},
		{"missing baseline", Options{Current: "testdata/quick.txt", Baseline: "testdata/nope.txt"}, "testdata/nope.txt"},
		{"not results", Options{Current: "testdata/README.md"}, "testdata/README.md:1: unrecognised line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Build: %v; want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestCDFPoints(t *testing.T) {
	h := results.NewHistogram()
	for i := 1; i <= 1000; i++ {
		if err := h.RecordValue(int64(i) * 1000); err != nil {
			t.Fatal(err)
		}
	}
	pts := cdfPoints(h)
	if pts[0].Q != 0 {
		t.Errorf("first quantile %v; want 0", pts[0].Q)
	}
	if last := pts[len(pts)-1]; last.Q != 0.999 {
		t.Errorf("last quantile %v; want 0.999, the highest 1000 requests resolve", last.Q)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].Q <= pts[i-1].Q || pts[i].Seconds < pts[i-1].Seconds {
			t.Fatalf("points %d and %d not rising: %+v %+v", i-1, i, pts[i-1], pts[i])
		}
	}
	if mid := pts[20]; mid.Q != 0.9 || mid.Seconds < 899e-6 || mid.Seconds > 901e-6 {
		t.Errorf("point 20: %+v; want q 0.9 at 900µs", mid)
	}
}

func TestNaturalCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"rtt=2ms", "rtt=10ms", -1},
		{"initcwnd=10", "initcwnd=4", 1},
		{"off", "on", -1},
		{"link=lan", "link=lan", 0},
		{"a", "ab", -1},
	}
	for _, tt := range tests {
		if got := naturalCompare(tt.a, tt.b); got != tt.want {
			t.Errorf("naturalCompare(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		hi   float64
		want []float64
	}{
		{8.6, []float64{0, 2, 4, 6, 8, 10}},
		{42.5, []float64{0, 10, 20, 30, 40, 50}},
		{0, []float64{0, 1}},
	}
	for _, tt := range tests {
		if got := niceTicks(tt.hi, 5); !slices.Equal(got, tt.want) {
			t.Errorf("niceTicks(%v) = %v; want %v", tt.hi, got, tt.want)
		}
	}
}

// TestAllFailed: a run whose every repetition failed makes a report that
// says so, with no point, CDF or table drawn from nothing.
func TestAllFailed(t *testing.T) {
	data, err := os.ReadFile("testdata/failed.txt")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	reps := make(map[string]int)
	for _, l := range strings.Split(string(data), "\n") {
		if name, _, ok := strings.Cut(l, "\t"); ok && strings.HasPrefix(l, "Benchmark") {
			reps[name]++
			l = "--- FAIL: " + name + " rep=" + strconv.Itoa(10+reps[name]) + ": load agent: no route to host"
		}
		lines = append(lines, l)
	}
	path := filepath.Join(t.TempDir(), "allfailed.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := build(t, path, "")
	if rep.Comparison != nil || len(rep.CDFs) != 0 || rep.Phases != nil {
		t.Errorf("comparison %v, %d CDFs, phases %v; want none", rep.Comparison != nil, len(rep.CDFs), rep.Phases)
	}
	for _, p := range rep.Knobs[0].Panels {
		for _, pt := range p.Points {
			if pt.OK != 0 || pt.Failed != 6 {
				t.Errorf("%s: %d ok, %d failed; want 0 and 6", pt.Cell, pt.OK, pt.Failed)
			}
		}
	}
	if !hasNote(rep, "24 of 24 repetitions failed") {
		t.Errorf("notes %q", rep.Notes)
	}
	html := writeHTML(t, rep)
	if strings.Count(html, "all 6 failed") != 4 || !strings.Contains(html, "No successful repetition: nothing to compare") {
		t.Errorf("HTML does not say that every cell failed")
	}
	if _, err := rep.WriteMarkdown(filepath.Join(t.TempDir(), "r.md")); err != nil {
		t.Error(err)
	}
}

func TestPhaseChart(t *testing.T) {
	ms := 1e-3
	st := func(vals map[string]float64) *stats {
		s := &stats{est: make(map[statKey]Estimate), units: make(map[string]string)}
		for u, v := range vals {
			s.units[u] = u
			s.est[statKey{LabelCurrent, "tls=full", u}] = Estimate{Center: v, N: 6}
		}
		return s
	}
	runs := []*Run{{Label: LabelCurrent}}
	tests := []struct {
		name       string
		vals       map[string]float64
		wantPhases []string
		want       []float64
	}{
		{"every phase, a new connection per request",
			map[string]float64{"p50-ns": 130 * ms, unitConnect: 40 * ms, unitTLS: 45 * ms, unitTTFB: 41 * ms, unitBody: 2 * ms, unitConns: 1, unitHandshakes: 1},
			[]string{"connect", "TLS", "wait", "read"}, []float64{40 * ms, 45 * ms, 41 * ms, 2 * ms}},
		{"kept alive: setup paid once per ten requests",
			map[string]float64{"p50-ns": 50 * ms, unitConnect: 40 * ms, unitTLS: 45 * ms, unitTTFB: 41 * ms, unitBody: 2 * ms, unitConns: 0.1},
			[]string{"connect", "TLS", "wait", "read"}, []float64{4 * ms, 4.5 * ms, 41 * ms, 2 * ms}},
		{"no body-ns: read is what is left of P50",
			map[string]float64{"p50-ns": 90 * ms, unitConnect: 40 * ms, unitTTFB: 41 * ms},
			[]string{"connect", "wait", "read"}, []float64{40 * ms, 41 * ms, 9 * ms}},
		{"connect alone; a negative remainder is zero",
			map[string]float64{"p50-ns": 30 * ms, unitConnect: 40 * ms},
			[]string{"connect", "wait + read"}, []float64{40 * ms, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc := phaseChart(runs, []string{"tls=full"}, st(tt.vals))
			if !slices.Equal(pc.Phases, tt.wantPhases) || len(pc.Bars) != 1 {
				t.Fatalf("phases %q, %d bars; want %q and 1", pc.Phases, len(pc.Bars), tt.wantPhases)
			}
			got := pc.Bars[0].Seconds
			for i := range tt.want {
				if math.Abs(got[i]-tt.want[i]) > 1e-9 {
					t.Errorf("segments %v; want %v", got, tt.want)
					break
				}
			}
		})
	}
	if pc := phaseChart(runs, []string{"tls=full"}, st(map[string]float64{"p50-ns": 0.1})); pc != nil {
		t.Errorf("phase chart %+v without any phase metric; want nil", pc)
	}
}
