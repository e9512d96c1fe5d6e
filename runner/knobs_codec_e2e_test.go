package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// runLogged runs a suite on the real kernel with server logs kept next to
// the results, and returns what it wrote, the log directory and the run's
// summary. It fails the test if the run cannot start.
func runLogged(t *testing.T, text string) (*results.File, string, Summary) {
	t.Helper()
	needRoot(t)
	checkClean(t)
	s, err := scenarios.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("suite: %v", err)
	}
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.txt")
	out := createFile(t, path)
	var progress syncBuffer
	sum, err := Run(context.Background(), Options{
		Suite: s, Cells: cells, Backend: netem.BackendAuto, Exe: tunebench(t),
		Results: out, Progress: &progress, Version: "v0.0.0-test", LogDir: LogDir(path),
	})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := results.Read(path, strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("results: %v\n%s", err, data)
	}
	t.Logf("results:\n%s", data)
	return f, LogDir(path), sum
}

// codecSuite runs the same page of 200 orders as JSON and as Protobuf.
const codecSuite = `
suite: codec
links: [{name: lan, rtt: 2ms}]
server: {endpoint: "/orders?items=200"}
matrix:
  codec: [json, protobuf]
load: {rate: 20, duration: 1s, warmup: 0.2s, count: 2}
`

// TestCodecEndToEnd runs the codec knob on the real kernel: the reference
// server answers each cell in its codec (TUNEBENCH_CODEC and the agent's
// Accept), the agent decodes every measured body and checks its
// Content-Type, and the results carry the evidence: Protobuf bodies are
// several times smaller on the wire, and the server's encode time and CPU
// time and the agent's decode time are there for both.
func TestCodecEndToEnd(t *testing.T) {
	testenv.Short(t, "runs a suite on the real kernel")
	f, _, sum := runLogged(t, codecSuite)
	if sum.Failed != 0 || sum.Reps != 4 {
		t.Fatalf("got %d repetitions, %d failed (%s); want 4, none failed", sum.Reps, sum.Failed, sum.FirstFailure)
	}
	wire := map[string]float64{}
	for _, row := range f.Rows {
		codec := strings.TrimPrefix(row.Cell[strings.LastIndex(row.Cell, "/")+1:], "codec=")
		v := row.Values
		if v[results.UnitErrors] != 0 {
			t.Errorf("%s rep %d: errors %v; want 0", row.Cell, row.Rep, v[results.UnitErrors])
		}
		// decoded/op 1: every measured body had the codec's Content-Type
		// (the server really sent it) and decoded.
		if v[UnitDecoded] != 1 {
			t.Errorf("%s rep %d: decoded/op %v; want 1", row.Cell, row.Rep, v[UnitDecoded])
		}
		for _, unit := range []string{UnitEncode, UnitDecode, UnitServerCPU, UnitWire} {
			if v[unit] <= 0 {
				t.Errorf("%s rep %d: %s is %v; want a positive figure", row.Cell, row.Rep, unit, v[unit])
			}
		}
		wire[codec] += v[UnitWire] / 2
	}
	t.Logf("wire bytes per request: json %.0f, protobuf %.0f", wire["json"], wire["protobuf"])
	// The bodies alone are 147389 and 61614 bytes (ratio 2.4); headers and
	// chunking add the same few hundred bytes to both.
	if wire["protobuf"] <= 0 || wire["json"]/wire["protobuf"] < 2 {
		t.Errorf("wire bytes per request: json %.0f, protobuf %.0f; want Protobuf at least 2× smaller", wire["json"], wire["protobuf"])
	}
}
