package scenarios

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGates(t *testing.T) {
	tests := []struct {
		name, gates string
		want        []Gate
	}{
		{
			name:  "latency with where",
			gates: "gates:\n  - {metric: p99, max: 150ms, where: {link: wan, keepalive: on}}",
			want: []Gate{{Metric: "p99-ns", Name: "p99", Max: float64(150 * time.Millisecond), HasMax: true,
				Where: map[string]string{"link": "wan", "keepalive": "on"}, Line: 10}},
		},
		{
			name:  "rate min, errors as a percentage and a fraction",
			gates: "gates:\n  - {metric: rate, min: 9.5}\n  - {metric: errors, max: 1%}\n  - {metric: errors, max: 0.02}",
			want: []Gate{
				{Metric: "req/s", Name: "rate", Min: 9.5, HasMin: true, Line: 10},
				{Metric: "errors", Name: "errors", Max: 0.01, HasMax: true, Line: 11},
				{Metric: "errors", Name: "errors", Max: 0.02, HasMax: true, Line: 12},
			},
		},
		{
			name:  "units as results files write them, and both bounds",
			gates: "gates:\n  - {metric: p99co-ns, min: 1ms, max: 1.5s}\n  - {metric: ns/op, max: 40ms}\n  - {metric: req/s, min: 5}",
			want: []Gate{
				{Metric: "p99co-ns", Name: "p99co-ns", Min: float64(time.Millisecond), HasMin: true, Max: float64(1500 * time.Millisecond), HasMax: true, Line: 10},
				{Metric: "ns/op", Name: "ns/op", Max: float64(40 * time.Millisecond), HasMax: true, Line: 11},
				{Metric: "req/s", Name: "req/s", Min: 5, HasMin: true, Line: 12},
			},
		},
		{
			name:  "a further unit, keep-alive spelt true",
			gates: "gates:\n  - metric: retrans/op\n    max: 0.5\n    where: {keepalive: true}",
			want:  []Gate{{Metric: "retrans/op", Name: "retrans/op", Max: 0.5, HasMax: true, Where: map[string]string{"keepalive": "on"}, Line: 10}},
		},
		{
			name:  "every short form",
			gates: "gates:\n  - {metric: mean, max: 1s}\n  - {metric: p50, max: 1s}\n  - {metric: p90, max: 1s}\n  - {metric: p999, max: 1s}\n  - {metric: max, max: 1s}",
			want: []Gate{
				{Metric: "ns/op", Name: "mean", Max: 1e9, HasMax: true, Line: 10},
				{Metric: "p50-ns", Name: "p50", Max: 1e9, HasMax: true, Line: 11},
				{Metric: "p90-ns", Name: "p90", Max: 1e9, HasMax: true, Line: 12},
				{Metric: "p999-ns", Name: "p999", Max: 1e9, HasMax: true, Line: 13},
				{Metric: "max-ns", Name: "max", Max: 1e9, HasMax: true, Line: 14},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(base+tt.gates+"\n"))
			if err != nil {
				t.Fatalf("got %v; want no error", err)
			}
			if !reflect.DeepEqual(s.Gates, tt.want) {
				t.Errorf("got gates\n%+v\nwant\n%+v", s.Gates, tt.want)
			}
		})
	}
}

func TestGatesErrors(t *testing.T) {
	tests := []struct {
		name, gates string
		want        string // the error contains this
	}{
		{"not a list", "gates: {metric: p99}", "t.yaml:9: gates: got a mapping; give a list of gates"},
		{"unknown metric", "gates: [{metric: p99x, max: 1s}]", "t.yaml:9: gates[0].metric: unknown metric; did you mean p99? \"p99x\" is none of errors, max, mean, p50, p90, p99, p999, p99co, rate"},
		{"missing metric", "gates: [{max: 1s}]", "t.yaml:9: gates[0].metric: missing; name the metric to bound"},
		{"no bound", "gates: [{metric: p99}]", "t.yaml:9: gates[0]: no bound; give max:"},
		{"unknown key", "gates: [{metric: p99, max: 1s, limit: 2s}]", "t.yaml:9: gates[0].limit: unknown key; give the bound as max: or min:"},
		{"link outside where", "gates: [{metric: p99, max: 1s, link: lan}]", "gates[0].link: unknown key; select cells under where:"},
		{"latency without a unit", "gates: [{metric: p99, max: 150}]", "t.yaml:9: gates[0].max: 150 has no unit; write e.g. 150ms"},
		{"latency not a duration", "gates: [{metric: p99, max: fast}]", "t.yaml:9: gates[0].max: \"fast\" is not a duration"},
		{"rate with a unit", "gates: [{metric: rate, min: 10rps}]", "t.yaml:9: gates[0].min: \"10rps\" is not a number"},
		{"negative rate", "gates: [{metric: rate, min: -1}]", "t.yaml:9: gates[0].min: -1 is negative"},
		{"errors over 1", "gates: [{metric: errors, max: 5}]", "t.yaml:9: gates[0].max: 5 is not between 0 and 1"},
		{"errors over 100%", "gates: [{metric: errors, max: 150%}]", "t.yaml:9: gates[0].max: 150% is not between 0 and 1"},
		{"errors garbage", "gates: [{metric: errors, max: few}]", "t.yaml:9: gates[0].max: \"few\" is not a fraction"},
		{"min over max", "gates: [{metric: p99, min: 2s, max: 1s}]", "t.yaml:9: gates[0].min: min is over max"},
		{"where unknown link", "gates: [{metric: p99, max: 1s, where: {link: wan40}}]", "t.yaml:9: gates[0].where.link: no link is named \"wan40\"; links: lan, wan"},
		{"where unknown knob", "gates: [{metric: p99, max: 1s, where: {tfo: on}}]", "t.yaml:9: gates[0].where.tfo: tfo is not in the matrix; keys: link, keepalive"},
		{"where unknown value", "gates: [{metric: p99, max: 1s, where: {keepalive: maybe}}]", "gates[0].where.keepalive: \"maybe\" is not among the matrix's values for keepalive"},
		{"where empty", "gates: [{metric: p99, max: 1s, where: {}}]", "t.yaml:9: gates[0].where: empty; leave where out"},
		{"where pruned away", "skip: [{link: wan}]\ngates:\n  - {metric: p99, max: 1s, where: {link: wan}}", "t.yaml:11: gates[0].where: no cell to check: only: and skip: prune every cell with link=wan"},
		{"metric is a list", "gates: [{metric: [p99], max: 1s}]", "t.yaml:9: gates[0].metric: got a list; give a metric such as p99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(base+tt.gates+"\n"))
			if err == nil {
				t.Fatalf("got no error; want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
		})
	}
}

func TestGateString(t *testing.T) {
	tests := []struct {
		gates string
		want  []string
	}{
		{"gates:\n  - {metric: p99, max: 150ms, where: {link: wan, keepalive: on}}\n  - {metric: rate, min: 9.5}\n  - {metric: errors, max: 0.5%}\n  - {metric: p50-ns, min: 1ms, max: 2s}",
			[]string{"p99 max 150ms where keepalive=on,link=wan", "rate min 9.5", "errors max 0.5%", "p50-ns min 1ms max 2s"}},
	}
	for _, tt := range tests {
		s, err := Parse("t.yaml", []byte(base+tt.gates+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range s.Gates {
			if got := g.String(); got != tt.want[i] {
				t.Errorf("gate %d: got %q; want %q", i, got, tt.want[i])
			}
		}
	}
}

func TestGateMetrics(t *testing.T) {
	got := GateMetrics()
	want := map[string]string{
		"mean": "ns/op", "p50": "p50-ns", "p90": "p90-ns", "p99": "p99-ns", "p999": "p999-ns",
		"p99co": "p99co-ns", "max": "max-ns", "rate": "req/s", "errors": "errors",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}
