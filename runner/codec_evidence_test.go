package runner

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/results"
)

// histogramOf is vs as the agent's histogram bytes (1ns..1min).
func histogramOf(t *testing.T, vs ...int64) []byte {
	t.Helper()
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	for _, v := range vs {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	text, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestCodecMetrics(t *testing.T) {
	rep := &agent.CodecReport{Codec: "protobuf", Decoded: 3, Encoded: 3, DecodeErrors: 1,
		Decode: histogramOf(t, 1000, 2000, 3000), Encode: histogramOf(t, 10000, 20000, 30000)}
	res := &agent.Result{Requests: 4, Warmup: 1, WireIn: 5000, Codec: rep}
	got, err := codecMetrics(res, 50*time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{UnitWire: 1000, UnitServerCPU: 10000, UnitDecoded: 0.75, UnitDecode: 2000, UnitEncode: 20000}
	if len(got) != len(want) {
		t.Fatalf("got %v; want %d metrics", got, len(want))
	}
	for _, m := range got {
		w, ok := want[m.Unit]
		// HDR histograms keep 3 significant digits.
		if !ok || m.Value < w*0.999 || m.Value > w*1.001 {
			t.Errorf("%s: got %v; want %v", m.Unit, m.Value, w)
		}
		if wantBetter := results.BetterLower; m.Unit == UnitDecoded && m.Better != results.BetterHigher || m.Unit != UnitDecoded && m.Better != wantBetter {
			t.Errorf("%s: better=%s", m.Unit, m.Better)
		}
	}
	plain, _ := codecMetrics(&agent.Result{Requests: 2, WireIn: 10}, 0)
	if len(plain) != 2 || plain[0].Unit != UnitWire || plain[1].Unit != UnitServerCPU {
		t.Errorf("without a codec: got %v; want wire and server cpu only", plain)
	}
}

// TestCPUMeterFake reads a fake /proc: two processes of group 100 (one of
// two threads), one of another group, one whose stat has a ") " in its
// name, and a directory that is not a process.
func TestCPUMeterFake(t *testing.T) {
	root := t.TempDir()
	write := func(path, text string) {
		t.Helper()
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("100/stat", "100 (server) S 1 100 100 0")
	write("100/task/100/schedstat", "1000 5 2\n")
	write("100/task/101/schedstat", "2000 5 2\n")
	write("102/stat", "102 (odd) name) S 100 100 100 0")
	write("102/task/102/schedstat", "300 1 1\n")
	write("200/stat", "200 (other) S 1 200 200 0")
	write("200/task/200/schedstat", "99999 1 1\n")
	write("self/stat", "not a pid")
	got, err := cpuMeter{pgid: 100, proc: root}.read()
	if err != nil || got != 3300 {
		t.Errorf("group 100: got %v, %v; want 3.3µs", got, err)
	}
	if _, err := (cpuMeter{pgid: 7, proc: root}).read(); err == nil || !strings.Contains(err.Error(), "no process of group 7") {
		t.Errorf("group 7: got %v; want no process", err)
	}
}

// TestCPUMeterReal reads this test's own process group, which must grow
// by at least most of a busy loop's CPU time.
func TestCPUMeterReal(t *testing.T) {
	m := cpuMeter{pgid: syscall.Getpgrp(), proc: "/proc"}
	before, err := m.read()
	if err != nil {
		testenv.Missing(t, "schedstat in /proc (CONFIG_SCHED_INFO): %v", err)
	}
	spin := 50 * time.Millisecond
	for start := time.Now(); time.Since(start) < spin; {
	}
	after, err := m.read()
	if err != nil {
		t.Fatal(err)
	}
	// At least half: the loop may be descheduled on a busy machine, but it
	// is on a CPU for much of its wall time.
	if used := after - before; used < spin/2 {
		t.Errorf("CPU time of a %v busy loop: got %v; want at least %v", spin, used, spin/2)
	}
}
