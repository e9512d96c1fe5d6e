package runner

import (
	"bytes"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// parseSuite parses a suite given as text, failing the test on an error.
func parseSuite(t *testing.T, text string) *scenarios.Suite {
	t.Helper()
	s, err := scenarios.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("suite: %v", err)
	}
	return s
}

const headerSuite = `
suite: handshake
description: Connection-phase cost
  at two distances
links:
  - {name: lan, rtt: 1ms}
  - {name: wan40, rtt: 40ms, jitter: 1ms, loss: 0.1%}
  - {name: sat, rtt: 600ms}
matrix:
  keepalive: [on, off]
load: {rate: 50, duration: 5s, warmup: 1s, count: 6}
`

func TestHeader(t *testing.T) {
	s := parseSuite(t, headerSuite)
	cells, err := s.Filter(map[string]string{"keepalive": "on"})
	if err != nil {
		t.Fatal(err)
	}
	cells = cells[:2] // lan and wan40: sat is not measured, so not described
	o := Options{Suite: s, Cells: cells, Version: "v0.0.0-test"}
	got := header(o, 8, 12345, netem.Choice{Backend: "tun", Reason: "asked for"},
		machine{Kernel: "6.18.44-test", CPU: "Test CPU @ 2.00GHz"})
	want := []results.Config{
		{Key: "tunebench", Value: "v0.0.0-test"},
		{Key: "suite", Value: "handshake"},
		{Key: "description", Value: "Connection-phase cost at two distances"},
		{Key: "goos", Value: runtime.GOOS},
		{Key: "goarch", Value: runtime.GOARCH},
		{Key: "kernel", Value: "6.18.44-test"},
		{Key: "cpu", Value: "Test CPU @ 2.00GHz"},
		{Key: "backend", Value: "tun"},
		{Key: "backend-reason", Value: "asked for"},
		{Key: "seed", Value: "12345"},
		{Key: "count", Value: "8"},
		{Key: "load", Value: "rate=50/s duration=5s warmup=1s timeout=10s"},
		{Key: "server", Value: "reference"},
		{Key: "endpoint", Value: "/orders?items=20"},
		{Key: "suspect-rule", Value: "send lag or emulator lateness p99 over 5% of the RTT (of p50 on a link without delay), or host CPUs 95% busy"},
		{Key: "link-lan", Value: "rtt=1ms"},
		{Key: "link-wan40", Value: "rtt=40ms jitter=1ms loss=0.1%"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("header:\ngot  %v\nwant %v", got, want)
	}

	// The results package, which checks keys as benchfmt reads them,
	// accepts every line, and they read back unchanged.
	var buf bytes.Buffer
	w, err := results.NewWriter(&buf, got)
	if err != nil {
		t.Fatalf("results.NewWriter refuses the header: %v", err)
	}
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	h.RecordValue(int64(time.Millisecond))
	if err := w.Write(results.Sample{Suite: "Handshake", Cell: cells[0].Name(), Rep: 1, Requests: 1, Latency: h, Achieved: 1}); err != nil {
		t.Fatal(err)
	}
	f, err := results.Read("results.txt", &buf)
	if err != nil {
		t.Fatalf("reading the header back: %v", err)
	}
	if !reflect.DeepEqual(f.Config, got) {
		t.Errorf("header read back:\ngot  %v\nwant %v", f.Config, got)
	}
}

// TestHeaderLeavesOutUnknowns leaves out what the machine did not tell,
// and names a user's server command.
func TestHeaderLeavesOutUnknowns(t *testing.T) {
	s := parseSuite(t, `
suite: own
links: [{name: lan, rtt: 1ms}]
server: {command: ./myserver -port 9000, port: 9000}
matrix: {keepalive: on}
load: {rate: 10, duration: 1s}
`)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	got := header(Options{Suite: s, Cells: cells}, 6, 1, netem.Choice{Backend: "tun"}, machine{})
	keys := make(map[string]string)
	for _, c := range got {
		keys[c.Key] = c.Value
	}
	for _, k := range []string{"kernel", "cpu", "description", "backend-reason"} {
		if v, ok := keys[k]; ok {
			t.Errorf("got %s: %q; want no %s line when it is unknown", k, v, k)
		}
	}
	if keys["tunebench"] != "dev" {
		t.Errorf("got tunebench: %q; want dev when no version is given", keys["tunebench"])
	}
	if keys["server"] != "./myserver -port 9000" {
		t.Errorf("got server: %q; want the suite's command", keys["server"])
	}
}

func TestCPUModel(t *testing.T) {
	tests := []struct {
		name, cpuinfo, want string
	}{
		{"x86", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n", "Intel(R) Xeon(R) CPU @ 2.20GHz"},
		{"none", "processor\t: 0\nBogoMIPS\t: 50.00\n", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cpuModel(strings.NewReader(tt.cpuinfo)); got != tt.want {
				t.Errorf("cpuModel = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestThisMachine(t *testing.T) {
	m := thisMachine()
	if runtime.GOOS == "linux" && m.Kernel == "" {
		t.Errorf("got no kernel release on Linux; want uname -r")
	}
	t.Logf("kernel %q, cpu %q", m.Kernel, m.CPU)
}
