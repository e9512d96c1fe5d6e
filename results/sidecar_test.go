package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestSidecarPath(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"out/results.txt", "out/results.hist.jsonl"},
		{"results.txt", "results.hist.jsonl"},
		{"results", "results.hist.jsonl"},
		{"out.d/results", "out.d/results.hist.jsonl"},
		{"/tmp/run.1.txt", "/tmp/run.1.hist.jsonl"},
		{"x.1", "x.1.hist.jsonl"},
		{"x.2", "x.2.hist.jsonl"},
		{"out/run.bench", "out/run.bench.hist.jsonl"},
		{"out.txt/results", "out.txt/results.hist.jsonl"},
		{".txt", ".txt.hist.jsonl"},
	}
	for _, tt := range tests {
		if got := SidecarPath(tt.in); got != tt.want {
			t.Errorf("SidecarPath(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestSidecarPathsDiffer: results files whose names differ only in their
// extension, as numbered runs are, never share a sidecar (which made the
// second run refuse to start), and a sidecar is never its results file.
func TestSidecarPathsDiffer(t *testing.T) {
	names := []string{"x.1", "x.2", "x.10", "run.a", "run.b", "out/r.txt", "out/r.csv", "out/r.json", "out/r.1.txt", "out/r.2.txt"}
	seen := make(map[string]string)
	for _, n := range names {
		p := SidecarPath(n)
		if p == n {
			t.Errorf("SidecarPath(%q) is the results file itself", n)
		}
		if other, ok := seen[p]; ok {
			t.Errorf("SidecarPath(%q) = SidecarPath(%q) = %q", n, other, p)
		}
		seen[p] = n
	}
}

// sameHistogram reports whether a and b hold the same counts.
func sameHistogram(a, b *hdrhistogram.Histogram) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equals(b)
}

func TestSidecarRoundTrip(t *testing.T) {
	path := SidecarPath(filepath.Join(t.TempDir(), "results.txt"))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := NewSidecar(f)
	if sc.flush == nil {
		t.Fatal("got no sync for a regular *os.File; want fsync after every line")
	}
	samples := testSamples(t)
	for i, s := range samples {
		if err := sc.Write(s); err != nil {
			t.Fatalf("Write(%s rep %d): %v", s.Name(), s.Rep, err)
		}
		// Each line is in the file before the file is closed.
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Count(data, []byte("\n")); got != i+1 {
			t.Fatalf("after %d writes: got %d lines in the file; want %d", i+1, got, i+1)
		}
	}

	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	entries, err := ReadSidecar(r)
	if err != nil {
		t.Fatalf("ReadSidecar: %v", err)
	}
	if len(entries) != len(samples) {
		t.Fatalf("got %d entries; want %d", len(entries), len(samples))
	}
	for i, e := range entries {
		s := samples[i]
		if e.Suite != s.Suite || e.Cell != s.Cell || e.Rep != s.Rep || e.Requests != s.Requests || e.Errors != s.Errors || e.Line != i+1 {
			t.Errorf("entry %d: got %s/%s rep %d requests %d errors %d line %d; want %s rep %d requests %d errors %d line %d",
				i, e.Suite, e.Cell, e.Rep, e.Requests, e.Errors, e.Line, s.Name(), s.Rep, s.Requests, s.Errors, i+1)
		}
		if e.Failed != s.failure() {
			t.Errorf("entry %d: got failed %q; want %q", i, e.Failed, s.failure())
		}
		if !e.Started.Equal(s.Started) || e.Elapsed != s.Elapsed {
			t.Errorf("entry %d: got started %v elapsed %v; want %v, %v", i, e.Started, e.Elapsed, s.Started, s.Elapsed)
		}
		if !sameHistogram(e.Latency, s.Latency) {
			t.Errorf("entry %d: got latency histogram %v; want the written one", i, e.Latency)
		}
		if !sameHistogram(e.LatencyCO, s.LatencyCO) {
			t.Errorf("entry %d: got latency_co histogram %v; want the written one", i, e.LatencyCO)
		}
		if e.Latency != nil {
			_, gotP50, _, _, _, _ := Summary(e.Latency)
			_, wantP50, _, _, _, _ := Summary(s.Latency)
			if gotP50 != wantP50 {
				t.Errorf("entry %d: got p50 %v; want %v", i, gotP50, wantP50)
			}
		}
	}
}

func TestSidecarLineFields(t *testing.T) {
	var buf bytes.Buffer
	s := testSamples(t)[0]
	if err := NewSidecar(&buf).Write(s); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(buf.Bytes(), &obj); err != nil {
		t.Fatalf("got a line that is not JSON: %v", err)
	}
	for _, key := range []string{"suite", "cell", "rep", "requests", "errors", "latency", "latency_co", "started", "elapsed_ns"} {
		if _, ok := obj[key]; !ok {
			t.Errorf("got keys %v; want %q among them", obj, key)
		}
	}
	if _, ok := obj["failed"]; ok {
		t.Errorf("got \"failed\" on a successful repetition; want it left out")
	}
	if enc, _ := obj["latency"].(string); !strings.HasPrefix(enc, "HISTF") {
		t.Errorf("got latency %.20q...; want base64 HdrHistogram V2 compressed (\"HISTF...\")", enc)
	}
}

func TestReadSidecarErrors(t *testing.T) {
	var good bytes.Buffer
	if err := NewSidecar(&good).Write(testSamples(t)[1]); err != nil {
		t.Fatal(err)
	}
	line := good.String()
	tests := []struct {
		name    string
		input   string
		wantErr string
	}{
		{"garbage", line + "not json\n", "results: sidecar line 2: invalid character"},
		{"truncated last line", line + line[:len(line)/2], "results: sidecar line 2: unexpected end of JSON input"},
		{"bad histogram", line + `{"suite":"S","rep":1,"latency":"bm90IGEgaGlzdG9ncmFt"}` + "\n", "results: sidecar line 2: decoding latency: "},
		{"bad co histogram", `{"suite":"S","rep":1,"latency_co":"%%%"}` + "\n", "results: sidecar line 1: decoding latency_co: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSidecar(strings.NewReader(tt.input))
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("got %v; want an error starting %q", err, tt.wantErr)
			}
		})
	}

	entries, err := ReadSidecar(strings.NewReader("\n" + line + "\n" + line))
	if err != nil || len(entries) != 2 || entries[0].Line != 2 || entries[1].Line != 4 {
		t.Errorf("with blank lines: got %d entries, err %v; want 2 on lines 2 and 4", len(entries), err)
	}
}
