package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// The load models end to end: the real agent in a client namespace, the
// reference server in a server namespace, the TUN emulator between them.
// Each suite is a few seconds of load.

// loadSuite is a one-cell suite of load l on link, one repetition.
func loadSuite(name string, link scenarios.Link, endpoint string, l scenarios.Load) *scenarios.Suite {
	if l.Timeout == 0 {
		l.Timeout = 5 * time.Second
	}
	l.Count = 1
	l.CellTimeout = l.Warmup + l.Duration + scenarios.CellTimeoutSlack
	keepalive := "on"
	if l.Burst != nil {
		keepalive = "off"
	}
	return &scenarios.Suite{Name: name, Links: []scenarios.Link{link}, Server: scenarios.Server{Endpoint: endpoint}, Load: l,
		Matrix:   []scenarios.Knob{{Name: "keepalive", Values: []string{keepalive}}},
		Requests: []scenarios.Request{{Method: "GET", Path: endpoint, Weight: 1}}}
}

// runLoadSuite runs s and returns its results file.
func runLoadSuite(t *testing.T, s *scenarios.Suite) *results.File {
	t.Helper()
	return runTransportSuiteOf(t, func() (*scenarios.Suite, error) { return s, nil }, func(*scenarios.Suite) {})
}

// oneRow returns the only row of f for cell.
func oneRow(t *testing.T, f *results.File, cell string) map[string]float64 {
	t.Helper()
	var rows []map[string]float64
	var names []string
	for _, r := range f.Rows {
		names = append(names, r.Cell)
		if r.Cell == cell {
			rows = append(rows, r.Values)
		}
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows of %s in %v; want 1", len(rows), cell, names)
	}
	return rows[0]
}

// TestClosedLoopE2E: 8 connections on a 10 ms path, each waiting for its
// answer, send about 8 / 10 ms = 800 requests per second, never more.
func TestClosedLoopE2E(t *testing.T) {
	s := loadSuite("closed", scenarios.Link{Name: "rtt10", RTT: 10 * time.Millisecond}, "/healthz",
		scenarios.Load{Connections: 8, Warmup: 500 * time.Millisecond, Duration: 2 * time.Second})
	row := oneRow(t, runLoadSuite(t, s), "link=rtt10/keepalive=on")
	got := row[results.UnitAchieved]
	// 8/RTT is the ceiling; the server's and the machine's time per
	// request lower it, on a busy 2-CPU machine by up to half.
	if got > 8/0.010*1.02 || got < 8/0.010*0.5 {
		t.Errorf("closed loop of 8 on 10 ms: %.0f req/s; want about 800 (400..816)", got)
	}
	if p50 := time.Duration(row[results.UnitP50]); p50 < 10*time.Millisecond {
		t.Errorf("p50 %v; want at least the 10 ms RTT", p50)
	}
	for _, unit := range []string{results.UnitCompleted, results.UnitEmuLateP99, results.UnitCPUBusy, results.UnitSuspect} {
		if _, ok := row[unit]; !ok {
			t.Errorf("no %s on the line; want one", unit)
		}
	}
	if _, ok := row[results.UnitSendLagP99]; ok {
		t.Errorf("%s on a closed loop's line; want none (it has no schedule)", results.UnitSendLagP99)
	}
}

// TestSearchE2E: on a 10 Mbit/s link, 12 KB responses saturate the link at
// about 10e6 / (8 × 12.5 KB) ≈ 100 responses per second. Above that the
// bottleneck queue grows and p99 passes 50 ms; below it p99 is the RTT and
// the transmission time. The capacity search must find the link's rate,
// not the agent's (which is thousands per second).
func TestSearchE2E(t *testing.T) {
	s := loadSuite("search", scenarios.Link{Name: "mbit10", RTT: 2 * time.Millisecond, Rate: 10_000_000}, "/bytes/12000",
		scenarios.Load{Search: &scenarios.Search{Metric: results.UnitP99, Max: 50 * time.Millisecond, MaxRate: 400},
			Warmup: 500 * time.Millisecond, Duration: time.Second})
	row := oneRow(t, runLoadSuite(t, s), "link=mbit10/keepalive=on")
	got, ok := row[results.UnitSLORate]
	if !ok {
		t.Fatalf("no %s on the line", results.UnitSLORate)
	}
	if got < 60 || got > 130 {
		t.Errorf("search on 10 Mbit/s with 12 KB responses found %v req/s; want about 100 (60..130)", got)
	}
}

// TestMixE2E: a mix of GET /orders and POST /orders with a Protobuf body
// encoded for the cell's codec writes one line per request, each with its
// own count and rate, in the weights' proportions.
func TestMixE2E(t *testing.T) {
	s := loadSuite("mix", scenarios.Link{Name: "rtt2", RTT: 2 * time.Millisecond}, "/orders?items=5",
		scenarios.Load{Rate: 200, Warmup: 300 * time.Millisecond, Duration: 1500 * time.Millisecond})
	s.Requests = []scenarios.Request{
		{Name: "list", Method: "GET", Path: "/orders?items=5", Weight: 3},
		{Name: "create", Method: "POST", Path: "/orders", BodyOrders: 2, Weight: 1},
	}
	s.Matrix = append(s.Matrix, scenarios.Knob{Name: "codec", Values: []string{"protobuf"}})
	f := runLoadSuite(t, s)
	list := oneRow(t, f, "link=rtt2/keepalive=on/codec=protobuf/req=list")
	create := oneRow(t, f, "link=rtt2/keepalive=on/codec=protobuf/req=create")
	if list[results.UnitErrors] != 0 || create[results.UnitErrors] != 0 {
		t.Errorf("errors list %v, create %v; want none (the server decodes the Protobuf body and answers 201)", list[results.UnitErrors], create[results.UnitErrors])
	}
	// Every line carries the instrument's own error.
	for _, unit := range []string{results.UnitSendLagP50, results.UnitSendLagP99, results.UnitEmuLateP99, results.UnitCPUBusy, results.UnitSuspect} {
		if _, ok := create[unit]; !ok {
			t.Errorf("no %s on the line; want one", unit)
		}
	}
	// 300 requests, 3:1: about 225 and 75 (a seeded draw; ±40 is wide).
	l, c := list[results.UnitAchieved], create[results.UnitAchieved]
	if l+c < 190 || l+c > 210 || l < 110 || c < 25 || l < 2*c {
		t.Errorf("rates list %.1f, create %.1f req/s; want about 150 and 50, adding up to 200", l, c)
	}
}

// TestBurstE2E: bursts of 40 requests each on a new connection, on a 10 ms
// path: every request pays the handshake and the request, two RTTs, from
// the burst's instant.
func TestBurstE2E(t *testing.T) {
	s := loadSuite("burst", scenarios.Link{Name: "rtt10", RTT: 10 * time.Millisecond}, "/healthz",
		scenarios.Load{Burst: &scenarios.Burst{Connections: 40, Every: 500 * time.Millisecond}, Warmup: 500 * time.Millisecond, Duration: 1500 * time.Millisecond})
	f := runLoadSuite(t, s)
	row := oneRow(t, f, "link=rtt10/keepalive=off")
	if n := f.Rows[0].N; n != 120 {
		t.Errorf("got %d measured requests; want 3 bursts of 40", n)
	}
	if conns := row["conns/op"]; conns < 0.99 {
		t.Errorf("conns/op %v; want a new connection per request", conns)
	}
	if p50 := time.Duration(row[results.UnitP99CO]); p50 < 20*time.Millisecond {
		t.Errorf("p99 from the burst's instant %v; want at least two RTTs (20ms)", p50)
	}
	if !strings.Contains(f.Rows[0].Cell, "rtt10") {
		t.Errorf("cell %q", f.Rows[0].Cell)
	}
}
