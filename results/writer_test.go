package results

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testConfig is the configuration of the files the tests write.
func testConfig() []Config {
	return []Config{
		{Key: "tunebench", Value: "v0.0.0-test"},
		{Key: "goos", Value: "linux"},
		{Key: "goarch", Value: "amd64"},
		{Key: "kernel", Value: "6.8.0-45-generic"},
		{Key: "backend", Value: "kernel"},
		{Key: "cpu", Value: "Test CPU @ 2.00GHz"},
		{Key: "link-wan40", Value: "rtt=40ms jitter=1ms loss=0.1%"},
		{Key: "link-lan", Value: "rtt=0s"},
	}
}

// testSamples returns samples that cover every kind of line: with and
// without the corrected latency, with extra metrics, failed, and without a
// successful request.
func testSamples(t *testing.T) []Sample {
	t0 := time.Date(2025, 11, 23, 11, 0, 0, 0, time.UTC)
	return []Sample{{
		Suite: "Handshake", Cell: "link=wan40/keepalive=off", Rep: 1,
		Requests:  1000,
		Latency:   histOf(t, spread(1000, 40_000_000, 10_000)...),
		LatencyCO: histOf(t, spread(1000, 40_000_000, 20_000)...),
		Achieved:  99.97, Errors: 2,
		Started: t0, Elapsed: 10 * time.Second,
	}, {
		Suite: "Handshake", Cell: "link=wan40/keepalive=on", Rep: 1,
		Requests: 1000,
		Latency:  histOf(t, spread(1000, 20_000_000, 5_000)...),
		Achieved: 100, Errors: 0,
		Started: t0.Add(10 * time.Second), Elapsed: 10 * time.Second,
	}, {
		Suite: "Handshake", Cell: "link=wan40/keepalive=off", Rep: 2,
		Requests:  1200,
		Latency:   histOf(t, spread(1200, 41_000_000, 9_000)...),
		LatencyCO: histOf(t, spread(1200, 41_000_000, 18_000)...),
		Achieved:  119.875, Errors: 0,
		Extra: []Metric{
			{Value: 3, Unit: "retrans/op", Better: BetterLower},
			{Value: 0.75, Unit: "tfo-accepted", Better: BetterHigher},
		},
		Started: t0.Add(20 * time.Second), Elapsed: 10 * time.Second,
	}, {
		Suite: "Handshake", Cell: "link=wan40/keepalive=on", Rep: 2,
		Failed:  "server exited: exit status 2\npanic: boom\n\tgoroutine 1",
		Started: t0.Add(30 * time.Second), Elapsed: 2 * time.Second,
	}, {
		Suite: "Handshake", Cell: "link=wan40/keepalive=off", Rep: 3,
		Requests: 10, Errors: 10,
		Latency: histOf(t, spread(10, 1_000_000, 1)...),
		Started: t0.Add(40 * time.Second), Elapsed: 10 * time.Second,
	}, {
		Suite: "Throughput", Cell: "link=lan", Rep: 1,
		Requests:  5000,
		Latency:   histOf(t, spread(5000, 50_000, 7)...),
		LatencyCO: histOf(t, spread(5000, 50_000, 9)...),
		Achieved:  500.5, Errors: 1,
		Extra: []Metric{
			{Value: 4, Unit: "retrans/op", Better: BetterLower},
			{Value: 1234567, Unit: "server-cpu-ns/op", Better: BetterLower},
		},
		Started: t0.Add(50 * time.Second), Elapsed: 10 * time.Second,
	}}
}

// writeTestFile writes samples under testConfig and returns the file.
func writeTestFile(t *testing.T, samples []Sample) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testConfig())
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	for _, s := range samples {
		if err := w.Write(s); err != nil {
			t.Fatalf("Write(%s rep %d): %v", s.Name(), s.Rep, err)
		}
	}
	return buf.Bytes()
}

func TestWriterGolden(t *testing.T) {
	golden(t, "results.golden", writeTestFile(t, testSamples(t)))
}

func TestNewWriterRejects(t *testing.T) {
	tests := []struct {
		name    string
		config  []Config
		wantErr string
	}{
		{"empty key", []Config{{"", "x"}}, "config key is empty"},
		{"upper-case start", []Config{{"Kernel", "6.8"}}, "must start with a lower-case letter"},
		{"upper-case inside", []Config{{"linkRTT", "40ms"}}, "must not contain white space, upper-case letters or ':'"},
		{"space in key", []Config{{"link rtt", "40ms"}}, "must not contain white space"},
		{"colon in key", []Config{{"a:b", "c"}}, "must not contain white space, upper-case letters or ':'"},
		{"empty value", []Config{{"kernel", ""}}, "value is empty"},
		{"two lines", []Config{{"kernel", "6.8\n6.9"}}, "more than one line"},
		{"leading space", []Config{{"kernel", " 6.8"}}, "starts with white space"},
		{"duplicate", []Config{{"kernel", "6.8"}, {"kernel", "6.9"}}, `config key "kernel" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := NewWriter(&buf, tt.config)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "results: ") {
				t.Fatalf("got error %v; want one starting \"results: \" containing %q", err, tt.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("got %q written; want nothing", buf.String())
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	ok := func() Sample {
		return Sample{Suite: "S", Cell: "k=v", Rep: 1, Requests: 1, Latency: histOf(t, 1000), Achieved: 1}
	}
	with := func(edit func(*Sample)) Sample {
		s := ok()
		edit(&s)
		return s
	}
	tests := []struct {
		name    string
		sample  Sample
		wantErr string
	}{
		{"no suite", with(func(s *Sample) { s.Suite = "" }), "sample has no suite name"},
		{"slash in suite", with(func(s *Sample) { s.Suite = "A/B" }), `suite name "A/B" contains '/'`},
		{"space in suite", with(func(s *Sample) { s.Suite = "A B" }), "contains white space"},
		{"space in cell", with(func(s *Sample) { s.Cell = "k=a b" }), `cell "k=a b" contains white space`},
		{"rep zero", with(func(s *Sample) { s.Rep = 0 }), "repetitions count from 1"},
		{"gomaxprocs suffix", with(func(s *Sample) { s.Cell = "codec=json-2" }), "benchstat reads as GOMAXPROCS"},
		{"no latency", with(func(s *Sample) { s.Latency = nil }), "sample has no latency histogram"},
		{"negative errors", with(func(s *Sample) { s.Errors = -1 }), "error count -1 is negative"},
		{"NaN rate", with(func(s *Sample) { s.Achieved = math.NaN() }), "achieved rate NaN"},
		{"negative rate", with(func(s *Sample) { s.Achieved = -1 }), "achieved rate -1"},
		{"extra without unit", with(func(s *Sample) { s.Extra = []Metric{{Value: 1, Better: BetterLower}} }), "metric has no unit"},
		{"extra unit with space", with(func(s *Sample) { s.Extra = []Metric{{1, "a b", BetterLower}} }), `unit "a b" contains white space`},
		{"extra unit with =", with(func(s *Sample) { s.Extra = []Metric{{1, "a=b", BetterLower}} }), `unit "a=b" contains '='`},
		{"extra without direction", with(func(s *Sample) { s.Extra = []Metric{{1, "x/op", ""}} }), `better is ""; want "lower" or "higher"`},
		{"extra repeats built-in", with(func(s *Sample) { s.Extra = []Metric{{1, "p50-ns", BetterLower}} }), "unit p50-ns repeats a built-in or earlier unit"},
		{"extra repeats built-in tidied", with(func(s *Sample) { s.Extra = []Metric{{1, "p50-sec", BetterLower}} }), "unit p50-sec repeats"},
		{"extra repeats p99co without CO", with(func(s *Sample) { s.Extra = []Metric{{1, "p99co-ns", BetterLower}} }), "unit p99co-ns repeats"},
		{"extra twice", with(func(s *Sample) { s.Extra = []Metric{{1, "x/op", BetterLower}, {2, "x/op", BetterLower}} }), "unit x/op repeats"},
		{"extra infinite", with(func(s *Sample) { s.Extra = []Metric{{math.Inf(1), "x/op", BetterLower}} }), "value +Inf is not a finite number"},
		{"extra changes direction", with(func(s *Sample) { s.Extra = []Metric{{1, "y/op", BetterHigher}} }), `unit y/op: better is "higher", but the file declared "lower"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, nil)
			if err != nil {
				t.Fatal(err)
			}
			declare := ok()
			declare.Extra = []Metric{{1, "y/op", BetterLower}}
			if err := w.Write(declare); err != nil {
				t.Fatal(err)
			}
			before := buf.String()
			err = w.Write(tt.sample)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "results: ") {
				t.Fatalf("got error %v; want one starting \"results: \" containing %q", err, tt.wantErr)
			}
			if got := strings.TrimPrefix(buf.String(), before); got != "" {
				t.Errorf("got %q written; want nothing", got)
			}
			// A rejected sample must not stop the next one.
			if err := w.Write(ok()); err != nil {
				t.Errorf("Write after a rejected sample: got %v; want nil", err)
			}
		})
	}
}

func TestFailureLines(t *testing.T) {
	tests := []struct {
		name   string
		sample Sample
		want   string
	}{
		{"failed", Sample{Suite: "S", Cell: "k=v", Rep: 3, Failed: "server crashed"},
			"--- FAIL: BenchmarkS/k=v rep=3: server crashed\n"},
		{"failed with measurements", Sample{Suite: "S", Cell: "k=v", Rep: 1, Requests: 5, Latency: histOf(t, 1), Failed: "timeout"},
			"--- FAIL: BenchmarkS/k=v rep=1: timeout\n"},
		{"message on several lines", Sample{Suite: "S", Rep: 2, Failed: "exit status 2\n\tpanic:  boom\r\n"},
			"--- FAIL: BenchmarkS rep=2: exit status 2 panic: boom\n"},
		{"blank message", Sample{Suite: "S", Rep: 2, Failed: " \n "},
			"--- FAIL: BenchmarkS rep=2: failed\n"},
		{"no requests", Sample{Suite: "S", Cell: "k=v", Rep: 1, Latency: histOf(t)},
			"--- FAIL: BenchmarkS/k=v rep=1: no measured requests\n"},
		{"all failed", Sample{Suite: "S", Cell: "k=v", Rep: 1, Requests: 7, Errors: 7, Latency: histOf(t, 1)},
			"--- FAIL: BenchmarkS/k=v rep=1: no successful requests (7 of 7 failed)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, nil)
			if err != nil {
				t.Fatal(err)
			}
			header := buf.Len()
			if err := w.Write(tt.sample); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got := buf.String()[header:]; got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

// recorder records the calls a Writer makes.
type recorder struct {
	buf   bytes.Buffer
	calls []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.calls = append(r.calls, "write")
	return r.buf.Write(p)
}
func (r *recorder) Flush() error { r.calls = append(r.calls, "flush"); return nil }
func (r *recorder) Sync() error  { r.calls = append(r.calls, "sync"); return nil }

func TestWriterFlushesAndSyncsEachLine(t *testing.T) {
	var r recorder
	w, err := NewWriter(&r, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	samples := testSamples(t)
	for _, s := range samples[:2] {
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(r.calls, ",")
	want := "write,flush,sync,write,flush,sync,write,flush,sync"
	if got != want {
		t.Errorf("got calls %s; want %s", got, want)
	}
}

func TestWriterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.txt")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if flusherOf(f) == nil {
		t.Fatal("got no sync for a regular *os.File; want fsync after every line")
	}
	w, err := NewWriter(f, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	wantW, _ := NewWriter(&want, testConfig())
	for _, s := range testSamples(t) {
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
		wantW.Write(s)
		// The line is in the file before the file is closed.
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want.String() {
			t.Fatalf("after %s rep %d the file differs (-want +got):\n%s", s.Name(), s.Rep, lineDiff(want.String(), string(got)))
		}
	}
}

func TestWriterPipeIsNotSynced(t *testing.T) {
	r, wp, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer wp.Close()
	if flusherOf(wp) != nil {
		t.Error("got a sync for a pipe; want none, since fsync on a pipe fails")
	}
}

// failAfter accepts n writes and returns err from then on.
type failAfter struct {
	n   int
	err error
	buf bytes.Buffer
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	f.n--
	return f.buf.Write(p)
}

func TestWriterStopsAfterWriteError(t *testing.T) {
	errDiskFull := errors.New("no space left on device")
	out := &failAfter{n: 1, err: errDiskFull}
	w, err := NewWriter(out, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	s := testSamples(t)[0]
	for i, want := range []string{"results: writing: no space left on device", "results: an earlier write failed: no space left on device"} {
		err := w.Write(s)
		if err == nil || err.Error() != want || !errors.Is(err, errDiskFull) {
			t.Errorf("Write #%d: got %v; want %q wrapping the cause", i+1, err, want)
		}
	}
	if _, err := NewWriter(&failAfter{err: errDiskFull}, nil); !errors.Is(err, errDiskFull) {
		t.Errorf("NewWriter on a full disk: got %v; want %v", err, errDiskFull)
	}
}

func TestWriterConcurrent(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	samples := testSamples(t)
	done := make(chan error)
	for g := range 8 {
		go func() {
			for rep := 1; rep <= 5; rep++ {
				s := samples[(g+rep)%len(samples)]
				s.Rep = rep
				if err := w.Write(s); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	f, err := Read("concurrent.txt", &buf)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got := len(f.Rows) + len(f.Failures); got != 40 {
		t.Errorf("got %d lines of results; want 40", got)
	}
}
