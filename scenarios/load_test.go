package scenarios

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// loadSuite is a suite whose matrix and load the tests give.
func loadSuite(matrix, load string) string {
	return "suite: t\nlinks: [{name: lan}]\nmatrix: " + matrix + "\nload: " + load + "\n"
}

func TestLoadModels(t *testing.T) {
	tests := []struct {
		name, matrix, load string
		model              string
		want               Load
	}{
		{"open loop", "{keepalive: [on]}", "{rate: 50, duration: 2s}", ModelRate,
			Load{Rate: 50}},
		{"closed loop", "{keepalive: [on]}", "{connections: 8, think: 10ms, duration: 2s}", ModelConnections,
			Load{Connections: 8, Think: 10 * time.Millisecond}},
		{"search", "{keepalive: [on]}", "{search: {p99: 100ms, max_rate: 5000}, duration: 2s}", ModelSearch,
			Load{Search: &Search{Metric: "p99-ns", Max: 100 * time.Millisecond, MaxRate: 5000}}},
		{"search with errors and p99co", "{keepalive: [on]}", "{search: {p99co: 1.5s, max_rate: 20, errors: 1%}, duration: 2s}", ModelSearch,
			Load{Search: &Search{Metric: "p99co-ns", Max: 1500 * time.Millisecond, MaxRate: 20, Errors: 0.01}}},
		{"burst", "{keepalive: [off]}", "{burst: {connections: 200, every: 2s}, duration: 2s}", ModelBurst,
			Load{Burst: &Burst{Connections: 200, Every: 2 * time.Second}}},
		{"rate from the matrix", "{rate: [100, 400, 1600]}", "{duration: 2s}", ModelRate, Load{}},
		{"connections from the matrix, with think", "{connections: [1, 8]}", "{think: 5ms, duration: 2s}", ModelRate,
			Load{Think: 5 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(loadSuite(tt.matrix, tt.load)))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Duration, want.Count, want.Timeout, want.CellTimeout = 2*time.Second, DefaultCount, DefaultTimeout, 2*time.Second+CellTimeoutSlack
			if !reflect.DeepEqual(s.Load, want) {
				t.Errorf("got %+v; want %+v", s.Load, want)
			}
			if got := s.Load.Model(); got != tt.model {
				t.Errorf("Model: got %q; want %q", got, tt.model)
			}
			if _, err := s.Expand(); err != nil {
				t.Errorf("Expand: %v", err)
			}
		})
	}
}

func TestLoadModelErrors(t *testing.T) {
	tests := []struct{ name, matrix, load, want string }{
		{"two models", "{keepalive: [on]}", "{rate: 5, connections: 2, duration: 1s}", "t.yaml:4: load.connections: rate and connections are both load models; a suite has one"},
		{"no model", "{keepalive: [on]}", "{duration: 1s}", "t.yaml:4: load: no load model; give one of rate: 50 (open loop)"},
		{"think without closed loop", "{keepalive: [on]}", "{rate: 5, think: 1ms, duration: 1s}", "t.yaml:4: load.think: think is the closed loop's pause"},
		{"think with the rate knob", "{rate: [5]}", "{think: 1ms, duration: 1s}", "t.yaml:4: load.think: think is the closed loop's pause"},
		{"connections zero", "{keepalive: [on]}", "{connections: 0, duration: 1s}", "t.yaml:4: load.connections: 0 is out of range; give the closed loop's connections, from 1 to 10000"},
		{"think too long", "{keepalive: [on]}", "{connections: 1, think: 2m, duration: 1s}", "t.yaml:4: load.think: 2m is over 1m"},
		{"search without objective", "{keepalive: [on]}", "{search: {max_rate: 10}, duration: 1s}", "t.yaml:4: load.search: no objective; give one latency bound"},
		{"search with two objectives", "{keepalive: [on]}", "{search: {p99: 1s, p50: 1ms, max_rate: 10}, duration: 1s}", "t.yaml:4: load.search.p99: a search has one objective and p50 is already given"},
		{"search without max_rate", "{keepalive: [on]}", "{search: {p99: 1s}, duration: 1s}", "t.yaml:4: load.search.max_rate: missing; give the highest rate to try"},
		{"search max_rate huge", "{keepalive: [on]}", "{search: {p99: 1s, max_rate: 200000}, duration: 1s}", "load.search.max_rate: 200000 is over 100000 requests per second"},
		{"search on throughput", "{keepalive: [on]}", "{search: {rate: 1s, max_rate: 10}, duration: 1s}", "load.search.rate: unknown key; the search finds the rate; cap it with max_rate"},
		{"search errors over 100%", "{keepalive: [on]}", "{search: {p99: 1s, max_rate: 10, errors: 120%}, duration: 1s}", "load.search.errors: 120% is not between 0 and 1"},
		{"search latency without unit", "{keepalive: [on]}", "{search: {p99: 100, max_rate: 10}, duration: 1s}", "load.search.p99: 100 has no unit"},
		{"burst without every", "{keepalive: [on]}", "{burst: {connections: 5}, duration: 1s}", "t.yaml:4: load.burst.every: missing; give the time between bursts"},
		{"burst every over duration", "{keepalive: [on]}", "{burst: {connections: 5, every: 2s}, duration: 1s}", "t.yaml:4: load.burst.every: 2s is longer than load.duration (1s)"},
		{"burst too big", "{keepalive: [on]}", "{burst: {connections: 20000, every: 1s}, duration: 1s}", "load.burst.connections: 20000 is out of range"},
		{"rate knob and load.rate", "{rate: [5, 10]}", "{rate: 5, duration: 1s}", "t.yaml:4: load.rate: the matrix knob rate gives every cell its load, so this would never run; remove load.rate, or the knob"},
		{"rate knob and search", "{rate: [5, 10]}", "{search: {p99: 1s, max_rate: 10}, duration: 1s}", "t.yaml:4: load.search: the matrix knob rate gives every cell its load"},
		{"both load knobs", "{rate: [5], connections: [2]}", "{duration: 1s}", "t.yaml:3: matrix.connections: rate and connections are both load models, and a cell has one"},
		{"rate knob zero", "{rate: [0]}", "{duration: 1s}", `t.yaml:3: matrix.rate[0]: "0" is not a value of rate; give an integer from 1 to 100000`},
		{"concurrency", "{keepalive: [on]}", "{concurrency: 8, duration: 1s}", "load.concurrency: unknown key; connections gives the closed loop's connections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(loadSuite(tt.matrix, tt.load)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCellLoad(t *testing.T) {
	s, err := Parse("t.yaml", []byte(loadSuite("{rate: [100, 1600], keepalive: [on]}", "{duration: 2s, warmup: 1s}")))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if got := names(cells); got != "link=lan/rate=100/keepalive=on link=lan/rate=1600/keepalive=on" {
		t.Errorf("cells: %s", got)
	}
	l := s.CellLoad(cells[1])
	if l.Rate != 1600 || l.Model() != ModelRate || l.Duration != 2*time.Second || l.Warmup != time.Second {
		t.Errorf("CellLoad: got %+v; want rate 1600 with the suite's duration and warmup", l)
	}

	s, err = Parse("t.yaml", []byte(loadSuite("{connections: [4]}", "{think: 10ms, duration: 2s}")))
	if err != nil {
		t.Fatal(err)
	}
	cells, _ = s.Expand()
	if l := s.CellLoad(cells[0]); l.Connections != 4 || l.Think != 10*time.Millisecond || l.Model() != ModelConnections {
		t.Errorf("CellLoad: got %+v; want 4 connections with think 10ms", l)
	}
}

func TestLoadString(t *testing.T) {
	for _, tt := range []struct {
		l    Load
		want string
	}{
		{Load{Rate: 12.5}, "rate=12.5/s"},
		{Load{Connections: 8, Think: 10 * time.Millisecond}, "connections=8 think=10ms"},
		{Load{Search: &Search{Metric: "p99-ns", Max: 100 * time.Millisecond, MaxRate: 5000, Errors: 0.01}}, "search p99<=100ms max_rate=5000/s errors<=1%"},
		{Load{Burst: &Burst{Connections: 200, Every: 2 * time.Second}}, "burst connections=200 every=2s"},
		{Load{}, ""},
	} {
		if got := tt.l.String(); got != tt.want {
			t.Errorf("got %q; want %q", got, tt.want)
		}
	}
}

// TestExpandLoadKnobs checks a suite built in code: a cell has one load
// model.
func TestExpandLoadKnobs(t *testing.T) {
	lan := Link{Name: "lan"}
	for _, tt := range []struct {
		name string
		s    Suite
		want string
	}{
		{"both knobs", Suite{Links: []Link{lan}, Matrix: []Knob{{Name: "rate", Values: []string{"1"}}, {Name: "connections", Values: []string{"1"}}}}, "load: the matrix has both rate and connections"},
		{"knob and search", Suite{Links: []Link{lan}, Matrix: []Knob{{Name: "rate", Values: []string{"1"}}}, Load: Load{Search: &Search{}}}, "load: the matrix knob rate or connections gives every cell its load, so load's search would never run"},
	} {
		if _, err := tt.s.Expand(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestLineName(t *testing.T) {
	c := Cell{Link: Link{Name: "wan40"}, Knobs: []Setting{{"codec", "json"}}}
	if got := c.LineName("create"); got != "link=wan40/codec=json/req=create" {
		t.Errorf("LineName(create) = %q", got)
	}
	if got := c.LineName(""); got != c.Name() {
		t.Errorf("LineName(\"\") = %q; want the cell's name", got)
	}
}
