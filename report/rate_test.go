package report

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/results"
)

// TestRateChart: a rate knob draws latency against rate, per combination
// of the other knobs, with the gates that bound a drawn latency as lines;
// the rate gets no categorical knob chart of its own.
func TestRateChart(t *testing.T) {
	rep := build(t, "testdata/knee.txt", "", kneeGates...)
	ch := rep.Rates
	if ch == nil {
		t.Fatal("no rate chart for a suite with a rate knob")
	}
	if !slices.Equal(ch.Rates, []float64{100, 400, 1600, 6400}) || !ch.Log {
		t.Errorf("rates %v, log %v; want 100..6400 on a log axis", ch.Rates, ch.Log)
	}
	var titles []string
	for _, p := range ch.Panels {
		titles = append(titles, p.Title)
		if len(p.Points) != 8 {
			t.Errorf("%s: %d points; want 4 rates × P50, P99", p.Title, len(p.Points))
		}
	}
	if want := []string{"link=lan/codec=json", "link=lan/codec=protobuf"}; !slices.Equal(titles, want) {
		t.Errorf("panels %q; want %q", titles, want)
	}
	gates := func(p RatePanel) []GateLine { return p.Gates }
	if g := gates(ch.Panels[0]); len(g) != 2 || g[0] != (GateLine{"p99 max 20ms", "P99", 0.02}) || g[1] != (GateLine{"p50-ns max 8ms", "P50", 0.008}) {
		t.Errorf("json panel gates %+v; want p99 max 20ms and p50-ns max 8ms", g)
	}
	if g := gates(ch.Panels[1]); len(g) != 1 || g[0].Label != "p99 max 20ms" {
		t.Errorf("protobuf panel gates %+v; want p99 max 20ms only (the p50 gate is where codec=json)", g)
	}
	for _, k := range rep.Knobs {
		if k.Knob == rateKnob {
			t.Errorf("a categorical knob chart of rate beside the rate chart")
		}
	}
	if len(rep.Knobs) != 1 || rep.Knobs[0].Knob != "codec" {
		t.Errorf("knob charts %v; want codec's", rep.Knobs)
	}

	// The points are benchstat's medians of the file's values.
	f, err := results.ReadFile("testdata/knee.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range ch.Panels[0].Points {
		if pt.Rate != 6400 || pt.Metric != "P99" {
			continue
		}
		var vals []float64
		for _, row := range f.Rows {
			if row.Cell == pt.Cell {
				vals = append(vals, row.Values["p99-ns"]/1e9)
			}
		}
		slices.Sort(vals)
		if median := (vals[2] + vals[3]) / 2; math.Abs(pt.Estimate.Center-median) > 1e-12 || pt.Suspect != 1 {
			t.Errorf("%s P99: centre %v, %d suspect; want the median %v and 1 suspect", pt.Cell, pt.Estimate.Center, pt.Suspect, median)
		}
	}

	svg := ch.SVG([]string{LabelCurrent})
	for _, want := range []string{"p99 max 20ms", "p50-ns max 8ms", "offered rate (req/s), log scale", "1 suspect", "<polyline"} {
		if !strings.Contains(svg, want) {
			t.Errorf("rate chart SVG lacks %q", want)
		}
	}
	if strings.Contains(svg, "max 5ms") {
		t.Errorf("rate chart draws the gate that names one rate; want it left out")
	}
	html := writeHTML(t, rep)
	if !strings.Contains(html, "<h2>Latency against rate</h2>") {
		t.Errorf("HTML has no Latency against rate section")
	}
}

// TestNoRateChart: without a numeric rate knob, or with one value, there
// is no rate chart.
func TestNoRateChart(t *testing.T) {
	for _, cells := range [][]string{
		{"link=lan/keepalive=on", "link=lan/keepalive=off"},
		{"link=lan/rate=100"},
		{"link=lan/rate=100", "link=lan/rate=fast"},
	} {
		if ch := rateChart(nil, cells, &stats{}, nil); ch != nil {
			t.Errorf("%q: got a rate chart; want none", cells)
		}
	}
	if rep := build(t, "testdata/quick.txt", ""); rep.Rates != nil || len(rep.Capacity) != 0 {
		t.Errorf("quick.txt: a rate chart or capacity charts; want neither")
	}
}

// TestCapacity: slo-req/s, a capacity search's result, is charted per
// knob, shown in the table, and a suspect repetition is counted, noted and
// marked.
func TestCapacity(t *testing.T) {
	rep := build(t, "testdata/capacity.txt", "")
	if len(rep.Capacity) != 1 || rep.Capacity[0].Knob != "codec" || rep.Capacity[0].Unit != "slo-req/s" {
		t.Fatalf("capacity charts %+v; want one of codec", rep.Capacity)
	}
	f, err := results.ReadFile("testdata/capacity.txt")
	if err != nil {
		t.Fatal(err)
	}
	points := 0
	for _, p := range rep.Capacity[0].Panels {
		for _, pt := range p.Points {
			var vals []float64
			for _, row := range f.Rows {
				if row.Cell == pt.Cell {
					vals = append(vals, row.Values["slo-req/s"])
				}
			}
			slices.Sort(vals)
			median := (vals[2] + vals[3]) / 2
			if pt.Metric != labelCapacity || pt.Estimate.N != 6 || pt.Estimate.Center != median || pt.Estimate.Lo != vals[0] || pt.Estimate.Hi != vals[5] {
				t.Errorf("%s: %q %+v; want capacity over 6 repetitions, median %v, interval %v–%v", pt.Cell, pt.Metric, pt.Estimate, median, vals[0], vals[5])
			}
			points++
		}
	}
	if points != 4 {
		t.Errorf("%d capacity points; want 4 cells", points)
	}
	if !hasNote(rep, "cell link=wan40/codec=protobuf: 1 of 6 repetitions are suspect") {
		t.Errorf("notes %q; want the suspect repetition", rep.Notes)
	}
	svg := rep.Capacity[0].SVG([]string{LabelCurrent})
	for _, want := range []string{"capacity (req/s)", "1 of 6 suspect", "Capacity by codec"} {
		if !strings.Contains(svg, want) {
			t.Errorf("capacity SVG lacks %q", want)
		}
	}
	html := writeHTML(t, rep)
	for _, want := range []string{"<h2>Capacity</h2>", "<th>suspect</th>", "<caption>slo-req/s</caption>", "<caption>send-lag-p99-sec</caption>"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestCapacityOfAMix: every request line of a cell carries the cell's one
// search result, so capacity is charted by the knobs, not by request;
// latency is charted by request too.
func TestCapacityOfAMix(t *testing.T) {
	data, err := os.ReadFile("testdata/capacity.txt")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if name, rest, ok := strings.Cut(l, "\t"); ok && strings.HasPrefix(l, "Benchmark") {
			lines = append(lines, name+"/req=list\t"+rest, name+"/req=create\t"+rest)
			continue
		}
		lines = append(lines, l)
	}
	path := filepath.Join(t.TempDir(), "mix.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := build(t, path, "")
	var capacity, latency []string
	for _, k := range rep.Capacity {
		capacity = append(capacity, k.Knob)
	}
	for _, k := range rep.Knobs {
		latency = append(latency, k.Knob)
	}
	if !slices.Equal(capacity, []string{"codec"}) || !slices.Equal(latency, []string{"codec", "req"}) {
		t.Errorf("capacity charts by %q, latency by %q; want capacity by codec, latency by codec and req", capacity, latency)
	}
}
