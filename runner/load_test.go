package runner

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
	"github.com/tunebench/tunebench/servers"
)

func TestTraceMetrics(t *testing.T) {
	got := &agent.TraceReport{TLS: true, Requests: 3, NewConns: 2, Retries: 1, Handshakes: 2, Resumed: 2, HTTP2: 3,
		Connect: agent.Phase{Count: 2, P50: 4 * time.Millisecond}, TTFB: agent.Phase{Count: 3, P50: 5 * time.Millisecond},
		Body: agent.Phase{Count: 3, P50: time.Millisecond}}
	units := map[string]float64{}
	for _, m := range traceMetrics(got) {
		units[m.Unit] = m.Value
		if m.Better != results.BetterLower && m.Better != results.BetterHigher {
			t.Errorf("%s: better %q", m.Unit, m.Better)
		}
	}
	for unit, v := range map[string]float64{"conns/op": 2.0 / 3, "retries/op": 1.0 / 3, "tls-handshakes/op": 2.0 / 3, "tls-resumed/op": 2.0 / 3, "connect-ns": 4e6, "ttfb-ns": 5e6} {
		if got, ok := units[unit]; !ok || got != v {
			t.Errorf("%s: got %v (present %v); want %v", unit, got, ok, v)
		}
	}
	if _, ok := units["h2/op"]; ok {
		t.Errorf("got h2/op for a run that did not ask for HTTP/2; want none")
	}
	if _, ok := units["tls-ns"]; ok {
		t.Errorf("got tls-ns with no handshake phase; want none")
	}
}

func TestCellLoad(t *testing.T) {
	l := scenarios.Load{Rate: 100, Duration: time.Second}
	cell := func(kv ...string) scenarios.Cell {
		var c scenarios.Cell
		for i := 0; i < len(kv); i += 2 {
			c.Knobs = append(c.Knobs, scenarios.Setting{Name: kv[i], Value: kv[i+1]})
		}
		return c
	}
	if got := cellLoad(l, cell("rate", "400")); got.Rate != 400 || got.Model() != scenarios.ModelRate {
		t.Errorf("rate knob: got %+v; want rate 400", got)
	}
	if got := cellLoad(l, cell("connections", "8")); got.Connections != 8 || got.Rate != 0 || got.Model() != scenarios.ModelConnections {
		t.Errorf("connections knob: got %+v; want the closed loop of 8", got)
	}
	s := scenarios.Load{Search: &scenarios.Search{Metric: "p99-ns", Max: time.Second}, Duration: time.Second}
	if got := cellLoad(s, cell("rate", "50")); got.Model() != scenarios.ModelRate || got.Rate != 50 {
		t.Errorf("rate knob over a search: got %+v; want rate 50", got)
	}
	if got := cellLoad(l, cell("codec", "json")); got.Rate != 100 {
		t.Errorf("no load knob: got %+v; want the suite's", got)
	}
}

func TestMixSeed(t *testing.T) {
	a := mixSeed(7, "link=lan", 1)
	if a != mixSeed(7, "link=lan", 1) {
		t.Fatal("mixSeed is not deterministic")
	}
	for _, b := range []uint64{mixSeed(8, "link=lan", 1), mixSeed(7, "link=wan", 1), mixSeed(7, "link=lan", 2)} {
		if a == b {
			t.Errorf("mixSeed gave %d for two different repetitions", a)
		}
	}
}

func TestNextRate(t *testing.T) {
	tests := []struct {
		name               string
		lo, hi, rate, maxR float64
		want               float64
		done               bool
	}{
		{"double while passing", 100, math.Inf(1), 100, 5000, 200, false},
		{"capped at max", 4000, math.Inf(1), 4000, 5000, 5000, false},
		{"max passed", 5000, math.Inf(1), 5000, 5000, 0, true},
		{"halve while failing", 0, 100, 100, 5000, 50, false},
		{"floor failed", 0, 1, 1, 5000, 0, true},
		{"bisect", 100, 200, 200, 5000, 150, false},
		{"close enough", 100, 104, 104, 5000, 0, true},
	}
	for _, tt := range tests {
		got, done := nextRate(tt.lo, tt.hi, tt.rate, tt.maxR)
		if got != tt.want || done != tt.done {
			t.Errorf("%s: nextRate(%v, %v, %v, %v) = %v, %v; want %v, %v", tt.name, tt.lo, tt.hi, tt.rate, tt.maxR, got, done, tt.want, tt.done)
		}
	}
}

// TestSearchFake runs the search against a fake server whose p99 crosses
// 100ms at 730 req/s: it must find a rate within 5% below that.
func TestSearchFake(t *testing.T) {
	s := &scenarios.Search{Metric: "p99-ns", Max: 100 * time.Millisecond, MaxRate: 5000}
	var probes []float64
	var progress strings.Builder
	r := &run{progress: &progress}
	out, err := r.search(t.Context(), s, agent.Config{}, "link=x", 1, func(cfg agent.Config) (*measurement, error) {
		probes = append(probes, cfg.Rate)
		p99 := 10 * time.Millisecond
		if cfg.Rate > 730 {
			p99 = time.Second
		}
		return &measurement{res: &agent.Result{Requests: 100, Sent: 100, Latency: histogramOf(t, int64(p99)), LatencyCO: histogramOf(t, int64(p99))}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.rate > 730 || out.rate < 730/(1+searchPrecision) || out.probes > searchMaxProbes {
		t.Errorf("found %v req/s in %d probes %v; want within 5%% below 730", out.rate, out.probes, probes)
	}
	if n := strings.Count(progress.String(), "search probe"); n != out.probes {
		t.Errorf("progress reported %d probes of %d:\n%s", n, out.probes, progress.String())
	}
}

func TestOwnErrorJudge(t *testing.T) {
	clean := ownError{hasLag: true, sendLagP99: 50 * time.Microsecond, hasEmu: true, emuLateP99: 100 * time.Microsecond, cpuBusy: 0.5}
	if why := clean.judge(40 * time.Millisecond); why != "" {
		t.Errorf("clean repetition judged %q; want clean", why)
	}
	late := clean
	late.sendLagP99 = 3 * time.Millisecond
	if why := late.judge(40 * time.Millisecond); !strings.Contains(why, "send lag p99 3.00ms > 5% of 40.0ms") {
		t.Errorf("late sends judged %q; want the send lag named", why)
	}
	busy := clean
	busy.cpuBusy = 0.99
	if why := busy.judge(40 * time.Millisecond); !strings.Contains(why, "host CPUs 99% busy") {
		t.Errorf("busy host judged %q; want the CPUs named", why)
	}
	m := late.metrics(true)
	if last := m[len(m)-1]; last.Unit != results.UnitSuspect || last.Value != 1 {
		t.Errorf("metrics end with %+v; want suspect 1", last)
	}
	e, err := ownErrorOf(&agent.Result{SendLag: histogramOf(t, 1000, 2000)}, netem.BackendTUN,
		netem.Stats{Up: netem.DirStats{LateP99: 7 * time.Microsecond}, Down: netem.DirStats{LateP99: 9 * time.Microsecond}}, 0.3)
	if err != nil || !e.hasLag || e.emuLateP99 != 9*time.Microsecond || e.sendLagP99 < 1990 || e.sendLagP99 > 2010 {
		t.Errorf("ownErrorOf: %+v, %v; want lag p99 2µs and emulator late 9µs", e, err)
	}
}

func TestReadHostCPU(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) {
		t.Helper()
		if err := writeFile(dir+"/stat", text); err != nil {
			t.Fatal(err)
		}
	}
	write("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n")
	a, err := readHostCPU(dir)
	if err != nil || a.busy != 150 || a.total != 1000 {
		t.Fatalf("got %+v, %v; want busy 150 of 1000", a, err)
	}
	write("cpu  190 0 60 800 50 0 0 0 0 0\n")
	b, _ := readHostCPU(dir)
	if got := busyShare(a, b); got != 1 {
		t.Errorf("busy share: got %v; want 1 (no idle tick passed)", got)
	}
	if _, err := readHostCPU(t.TempDir()); err == nil {
		t.Error("no stat file: got no error")
	}
	real, err := readHostCPU("/proc")
	if err != nil || real.total == 0 {
		t.Errorf("/proc/stat: %+v, %v", real, err)
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

// TestAgentRequests: a mix becomes the agent's requests on the server's
// address, a BodyOrders body encoded with the cell's codec and its
// Content-Type, unnamed requests (a targets file's) named by place; the
// one-request shorthand sends none.
func TestAgentRequests(t *testing.T) {
	s := &scenarios.Suite{Name: "x", Server: scenarios.Server{Endpoint: "/orders?items=20"}, Load: scenarios.Load{Rate: 10, Duration: time.Second},
		Requests: []scenarios.Request{
			{Name: "list", Method: "GET", Path: "/orders?items=2", Weight: 3},
			{Name: "create", Method: "POST", Path: "/orders", BodyOrders: 2, Weight: 1},
			{Method: "PUT", Path: "/raw", Body: []byte("x"), Header: map[string]string{"content-type": "text/plain"}, Weight: 1},
		}}
	r := &run{o: Options{Suite: s, Seed: 3}, port: 8080}
	cell := scenarios.Cell{Link: scenarios.Link{Name: "lan"}, Knobs: []scenarios.Setting{{Name: "codec", Value: "protobuf"}, {Name: "tls", Value: "full"}}}
	cfg := r.agentConfig(cell, 2)
	if len(cfg.Requests) != 3 || cfg.URL != "" {
		t.Fatalf("got %d requests, url %q; want 3 and none", len(cfg.Requests), cfg.URL)
	}
	list, create, raw := cfg.Requests[0], cfg.Requests[1], cfg.Requests[2]
	if list.URL != "https://198.18.0.2:8080/orders?items=2" || list.Weight != 3 || list.Name != "list" {
		t.Errorf("list: %+v", list)
	}
	want, _ := servers.EncodeOrders(servers.CodecProtobuf, 2)
	if !bytes.Equal(create.Body, want) || create.Header["Content-Type"] != servers.MediaProtobuf || create.Method != "POST" {
		t.Errorf("create: body %d bytes, header %v; want the 2 orders in protobuf with its Content-Type", len(create.Body), create.Header)
	}
	if raw.Name != "t3" || raw.Header["content-type"] != "text/plain" || len(raw.Header) != 1 {
		t.Errorf("raw: %+v; want named t3 with its own Content-Type only", raw)
	}
	if got := reqNames(s); strings.Join(got, ",") != "list,create,t3" {
		t.Errorf("reqNames = %v", got)
	}
	if cfg.Seed != mixSeed(3, cell.Name(), 2) {
		t.Errorf("seed %d; want the run's mixed with the cell and repetition", cfg.Seed)
	}
	s.Requests = []scenarios.Request{{Method: "GET", Path: "/orders?items=20", Weight: 1}}
	if cfg := r.agentConfig(cell, 1); cfg.Requests != nil || cfg.URL != "https://198.18.0.2:8080/orders?items=20" {
		t.Errorf("shorthand: got %d requests, url %q; want none and the endpoint", len(cfg.Requests), cfg.URL)
	}
}
