package results

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

func TestRoundTrip(t *testing.T) {
	samples := testSamples(t)
	f, err := Read("results.txt", bytes.NewReader(writeTestFile(t, samples)))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !slices.Equal(f.Config, testConfig()) {
		t.Errorf("got config %q; want %q", f.Config, testConfig())
	}

	var rows []Row
	var fails []Failure
	for _, s := range samples {
		if s.failure() != "" {
			fails = append(fails, Failure{Name: s.Name(), Suite: s.Suite, Cell: s.Cell, Rep: s.Rep, Message: oneLine(s.failure())})
			continue
		}
		mean, p50, p90, p99, p999, max := Summary(s.Latency)
		ns := func(d time.Duration) float64 { return float64(d) }
		values := map[string]float64{
			UnitMean: ns(mean), UnitP50: ns(p50), UnitP90: ns(p90), UnitP99: ns(p99), UnitP999: ns(p999), UnitMax: ns(max),
			UnitAchieved: s.Achieved, UnitErrors: float64(s.Errors) / float64(s.Requests),
		}
		if s.LatencyCO != nil {
			_, _, _, p99co, _, _ := Summary(s.LatencyCO)
			values[UnitP99CO] = ns(p99co)
		}
		for _, m := range s.Extra {
			values[m.Unit] = m.Value
		}
		rows = append(rows, Row{Name: s.Name(), Suite: s.Suite, Cell: s.Cell, Rep: s.Rep, N: s.Requests, Values: values})
	}

	if len(f.Rows) != len(rows) {
		t.Fatalf("got %d rows; want %d", len(f.Rows), len(rows))
	}
	for i, got := range f.Rows {
		want := rows[i]
		if got.Name != want.Name || got.Suite != want.Suite || got.Cell != want.Cell || got.Rep != want.Rep || got.N != want.N {
			t.Errorf("row %d: got %s (suite %q, cell %q) rep %d N %d; want %s (suite %q, cell %q) rep %d N %d",
				i, got.Name, got.Suite, got.Cell, got.Rep, got.N, want.Name, want.Suite, want.Cell, want.Rep, want.N)
		}
		for unit, v := range want.Values {
			if got.Values[unit] != v {
				t.Errorf("row %d (%s): got %v %s; want %v", i, got.Name, got.Values[unit], unit, v)
			}
		}
		if len(got.Values) != len(want.Values) {
			t.Errorf("row %d (%s): got units %v; want %v", i, got.Name, got.Values, want.Values)
		}
		if got.Line == 0 {
			t.Errorf("row %d (%s): got line 0; want its line number", i, got.Name)
		}
	}

	if len(f.Failures) != len(fails) {
		t.Fatalf("got %d failures; want %d", len(f.Failures), len(fails))
	}
	for i, got := range f.Failures {
		got.Line = 0
		if got != fails[i] {
			t.Errorf("failure %d: got %+v; want %+v", i, got, fails[i])
		}
	}

	wantUnits := map[string]string{"retrans/op": "lower", "tfo-accepted": "higher", "server-cpu-ns/op": "lower"}
	for _, m := range builtinUnits() {
		wantUnits[m.Unit] = m.Better
	}
	for unit, better := range wantUnits {
		if f.Units[unit] != better {
			t.Errorf("unit %s: got better=%q; want %q", unit, f.Units[unit], better)
		}
	}
}

// TestBenchfmtReads checks the file against benchfmt itself, the parser
// benchstat uses: no syntax errors, every line of a successful repetition is
// a result with the file's configuration, and the units carry their
// direction.
func TestBenchfmtReads(t *testing.T) {
	samples := testSamples(t)
	data := writeTestFile(t, samples)
	rd := benchfmt.NewReader(bytes.NewReader(data), "results.txt")
	var names []string
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("got syntax error %v; want none", rec)
		case *benchfmt.Result:
			names = append(names, string(rec.Name))
			for _, c := range testConfig() {
				if got := rec.GetConfig(c.Key); got != c.Value {
					t.Errorf("%s: got config %s=%q; want %q", rec.Name, c.Key, got, c.Value)
				}
			}
			if v, ok := rec.Value("p50-sec"); !ok || v <= 0 {
				t.Errorf("%s: got p50-sec %v (present %v); want a positive number of seconds", rec.Name, v, ok)
			}
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range samples {
		if s.failure() == "" {
			want = append(want, s.Name())
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("got results %q; want %q (failure lines skipped)", names, want)
	}

	units := rd.Units()
	tests := []struct {
		unit string
		want int
	}{
		{"ns/op", -1}, {"sec/op", -1}, {"p50-ns", -1}, {"p50-sec", -1}, {"p90-ns", -1}, {"p99-ns", -1},
		{"p999-ns", -1}, {"max-ns", -1}, {"p99co-ns", -1}, {"req/s", +1}, {"errors", -1},
		{"retrans/op", -1}, {"tfo-accepted", +1}, {"server-cpu-sec/op", -1},
	}
	for _, tt := range tests {
		if got := units.GetBetter(tt.unit); got != tt.want {
			t.Errorf("GetBetter(%q): got %d; want %d", tt.unit, got, tt.want)
		}
	}
}

func TestReadErrors(t *testing.T) {
	header := "tunebench: dev\n\nUnit p50-ns better=lower\n\n"
	line := "BenchmarkS/k=v\t10\t100 ns/op\t90 p50-ns\n"
	tests := []struct {
		name    string
		input   string
		wantErr []string // each must appear, in this order
	}{
		{"empty", "", []string{"results: f.txt: no benchmark results; run `tunebench run` first"}},
		{"header only", header, []string{"results: f.txt: no benchmark results; run `tunebench run` first"}},
		{"garbage line", header + line + "%%% not a result\n" + line,
			[]string{`results: f.txt:6: unrecognised line "%%% not a result"`}},
		{"indented result", header + "  " + line, []string{`results: f.txt:5: unrecognised line "  BenchmarkS/k=v`}},
		{"bad measurement", header + line + "BenchmarkS/k=v\t10\tabc ns/op\n",
			[]string{"results: f.txt:6: parsing measurement: invalid syntax"}},
		{"missing units", header + "BenchmarkS/k=v\t10\t100\n", []string{"results: f.txt:5: missing units"}},
		{"truncated name", header + line + "BenchmarkS/k\n", []string{`results: f.txt:6: benchmark line without measurements: "BenchmarkS/k"`}},
		{"bad iteration count", header + "BenchmarkS/k=v\tten\t100 ns/op\n", []string{"results: f.txt:5: parsing iteration count: invalid syntax"}},
		{"conflicting unit", header + "Unit p50-ns better=higher\n" + line,
			[]string{"results: f.txt:5: metadata better of unit p50-ns already set to lower"}},
		{"bad unit line", header + "Unit p90-ns lower\n" + line, []string{"results: f.txt:5: expected key=value"}},
		{"config changes", header + line + "tunebench: other\n" + line,
			[]string{`results: f.txt:6: config tunebench changes from "dev" to "other"`}},
		{"config added late", header + line + "kernel: 6.8\n" + line,
			[]string{"results: f.txt:6: config kernel first appears after results"}},
		{"config deleted", header + line + "tunebench:\n" + line, []string{`results: f.txt:6: config key "tunebench" has no value`}},
		{"foreign failure", header + line + "--- FAIL: TestSomething (0.00s)\n", []string{"results: f.txt:6: failure line does not name a benchmark"}},
		{"failure without rep", header + line + "--- FAIL: BenchmarkS/k=v: boom\n", []string{`results: f.txt:6: failure line without a benchmark name and "rep="`}},
		{"failure with bad rep", header + line + "--- FAIL: BenchmarkS/k=v rep=x: boom\n", []string{`results: f.txt:6: failure line: repetition "x" is not a positive integer`}},
		{"failure without message", header + line + "--- FAIL: BenchmarkS/k=v rep=2\n", []string{`results: f.txt:6: failure line without ": " after the repetition`}},
		{"several errors in line order", header + "junk\n" + line + "BenchmarkS/k=v\t1\n" + "more junk\n",
			[]string{"f.txt:5: unrecognised", "f.txt:7: missing measurements", "f.txt:8: unrecognised"}},
		{"many errors", strings.Repeat("junk\n", 25), []string{"f.txt:10: unrecognised", "results: f.txt: 15 more errors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read("f.txt", strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("got %d rows, no error; want an error containing %q", len(f.Rows), tt.wantErr)
			}
			msg := err.Error()
			rest := msg
			for _, want := range tt.wantErr {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("got error:\n%s\nwant it to contain, in order, %q", msg, tt.wantErr)
				}
				rest = rest[i+len(want):]
			}
		})
	}
}

func TestReadAccepts(t *testing.T) {
	line := "BenchmarkS/k=v\t10\t100 ns/op\t90 p50-ns\n"
	tests := []struct {
		name      string
		input     string
		wantRows  int
		wantFails int
	}{
		{"no config", line, 1, 0},
		{"only failures", "--- FAIL: BenchmarkS/k=v rep=1: boom\n", 0, 1},
		{"repeated config", "a: 1\n" + line + "a: 1\n" + line, 2, 0},
		{"repeated unit line", "Unit x better=lower\nUnit x better=lower\n" + line, 1, 0},
		{"CRLF and no final newline", "a: 1\r\n\r\n" + strings.TrimSuffix(line, "\n"), 1, 0},
		{"blank lines with spaces", " \n\t\n" + line, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read("f.txt", strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("got %v; want no error", err)
			}
			if len(f.Rows) != tt.wantRows || len(f.Failures) != tt.wantFails {
				t.Errorf("got %d rows, %d failures; want %d, %d", len(f.Rows), len(f.Failures), tt.wantRows, tt.wantFails)
			}
		})
	}
}

func TestReadRepOrdinal(t *testing.T) {
	input := "" +
		"BenchmarkS/k=a\t1\t1 ns/op\n" +
		"BenchmarkS/k=b\t1\t1 ns/op\n" +
		"--- FAIL: BenchmarkS/k=a rep=2: boom\n" +
		"BenchmarkS/k=a\t1\t1 ns/op\n" +
		"BenchmarkS/k=b\t1\t1 ns/op\n"
	f, err := Read("f.txt", strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.Rows {
		got = append(got, r.Cell+"#"+string(rune('0'+r.Rep)))
	}
	want := []string{"k=a#1", "k=b#1", "k=a#3", "k=b#2"}
	if !slices.Equal(got, want) {
		t.Errorf("got reps %q; want %q", got, want)
	}
	if fl := f.Failures[0]; fl.Rep != 2 || fl.Line != 3 || fl.Message != "boom" || fl.Suite != "S" || fl.Cell != "k=a" {
		t.Errorf("got failure %+v; want rep 2 on line 3 of S/k=a with message boom", fl)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.txt")
	if err := os.WriteFile(path, writeTestFile(t, testSamples(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if f.Name != path || len(f.Rows) != 4 || len(f.Failures) != 2 {
		t.Errorf("got name %q, %d rows, %d failures; want %q, 4, 2", f.Name, len(f.Rows), len(f.Failures), path)
	}

	garbage := filepath.Join(dir, "garbage.txt")
	if err := os.WriteFile(garbage, []byte("BenchmarkS/k=v\t1\t1 ns/op\nhello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(garbage); err == nil || !strings.Contains(err.Error(), garbage+":2: unrecognised line") {
		t.Errorf("got %v; want an error naming %s:2", err, garbage)
	}

	missing := filepath.Join(dir, "missing.txt")
	_, err = ReadFile(missing)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.HasSuffix(err.Error(), "run `tunebench run` first") {
		t.Errorf("got %v; want an error naming %s and telling to run tunebench run", err, missing)
	}
}
