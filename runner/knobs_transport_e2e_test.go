package runner

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// runTransportSuite runs the suite in file (under ../scenarios) on the real
// kernel, after edit, and returns what it wrote. A failed repetition fails
// the test with its reason. It checks, when the test ends, that no
// namespace is left.
func runTransportSuite(tb testing.TB, file string, edit func(*scenarios.Suite)) *results.File {
	tb.Helper()
	return runTransportSuiteOf(tb, func() (*scenarios.Suite, error) {
		return scenarios.LoadFile(filepath.Join("..", "scenarios", file))
	}, edit)
}

// runTransportSuiteOf is runTransportSuite for the suite load returns.
func runTransportSuiteOf(tb testing.TB, load func() (*scenarios.Suite, error), edit func(*scenarios.Suite)) *results.File {
	tb.Helper()
	testenv.TUN(tb)
	testenv.Short(tb, "the suite takes about a minute; run without -short")
	tb.Cleanup(func() {
		if left := ourNamespaces(); len(left) > 0 {
			tb.Errorf("namespaces left behind: %v", left)
			netem.SweepOwn()
		}
	})
	exe, err := tunebenchBuild.build("tunebench", "./cmd/tunebench")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := load()
	if err != nil {
		tb.Fatal(err)
	}
	edit(s)
	cells, err := s.Expand()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	path := filepath.Join(dir, "results.txt")
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close()
	side, err := os.Create(results.SidecarPath(path))
	if err != nil {
		tb.Fatal(err)
	}
	defer side.Close()
	var progress syncBuffer
	sum, err := Run(context.Background(), Options{
		Suite: s, Cells: cells, Backend: netem.BackendAuto, Exe: exe,
		Results: out, Sidecar: side, Progress: &progress, Version: "v0.0.0-test",
	})
	if err != nil {
		tb.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
	}
	if sum.Failed > 0 {
		tb.Fatalf("%d of %d repetitions failed; first: %s", sum.Failed, sum.Reps, sum.FirstFailure)
	}
	f, err := results.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, isTest := tb.(*testing.T); isTest { // benchmarks print their own figures
		if data, err := os.ReadFile(path); err == nil {
			tb.Logf("results:\n%s", data)
		}
	}
	return f
}

// onlyValues narrows the suite's matrix: knob name takes only values.
func onlyValues(s *scenarios.Suite, name string, values ...string) {
	for i := range s.Matrix {
		if s.Matrix[i].Name == name {
			s.Matrix[i].Values = values
		}
	}
}

// cellValues returns the values of unit in the rows of cell; present is
// false when a row lacks the unit.
func cellValues(tb testing.TB, f *results.File, cell, unit string) (vals []float64, present bool) {
	tb.Helper()
	present = true
	for _, r := range f.Rows {
		if r.Cell != cell {
			continue
		}
		v, ok := r.Values[unit]
		if !ok {
			present = false
			continue
		}
		vals = append(vals, v)
	}
	return vals, present && len(vals) > 0
}

// medianOf is the median of vals; vals is not empty.
func medianOf(vals []float64) float64 {
	v := slices.Clone(vals)
	slices.Sort(v)
	return v[len(v)/2]
}

// TestTransportKnobsEndToEnd runs scenarios/transport.yaml (one repetition
// a cell) over the 40 ms path and checks the evidence of every cell: with
// keep-alive off one new connection, one TCP handshake of about one round
// trip and, with TLS, one TLS handshake of about one round trip per request,
// full or resumed as the cell says; HTTP/2 when asked, over TLS and h2c;
// with keep-alive on no new connection and no handshake at all.
func TestTransportKnobsEndToEnd(t *testing.T) {
	f := runTransportSuite(t, "transport.yaml", func(s *scenarios.Suite) {
		s.Load.Count, s.Load.Duration, s.Load.Rate = 1, 2*time.Second, 10
	})
	const rtt = 40 * time.Millisecond
	for _, tls := range []string{"off", "full", "resume"} {
		for _, h := range []string{"1.1", "2"} {
			for _, ka := range []string{"off", "on"} {
				cell := "link=wan40/tls=" + tls + "/http=" + h + "/keepalive=" + ka
				get := func(unit string) (float64, bool) {
					v, ok := cellValues(t, f, cell, unit)
					if !ok {
						return 0, false
					}
					return medianOf(v), true
				}
				must := func(unit string) float64 {
					v, ok := get(unit)
					if !ok {
						t.Errorf("%s: no %s; want one", cell, unit)
					}
					return v
				}
				within := func(unit string, v, lo, hi float64) {
					if v < lo || v > hi {
						t.Errorf("%s: %s = %v; want %v..%v", cell, unit, v, lo, hi)
					}
				}
				conns := must("conns/op")
				if v := must("retries/op"); v != 0 {
					t.Errorf("%s: retries/op = %v; want 0", cell, v)
				}
				if h == "2" {
					within("h2/op", must("h2/op"), 1, 1)
				} else if _, ok := get("h2/op"); ok {
					t.Errorf("%s: got h2/op; want none for HTTP/1.1", cell)
				}
				_, hasTLSUnit := get("tls-handshakes/op")
				if tls == "off" && hasTLSUnit {
					t.Errorf("%s: got tls-handshakes/op; want none without TLS", cell)
				}
				if ka == "on" {
					// The warmup opened the connections; the measured
					// requests reuse them.
					within("conns/op", conns, 0, 0.05)
					if tls != "off" {
						within("tls-handshakes/op", must("tls-handshakes/op"), 0, 0.05)
					}
					continue
				}
				within("conns/op", conns, 1, 1)
				connect := must("connect-ns")
				within("connect-ns", connect, float64(rtt)*0.75, float64(rtt)*2)
				within("ttfb-ns", must("ttfb-ns"), float64(rtt)*0.9, float64(rtt)*2.5)
				if tls == "off" {
					continue
				}
				within("tls-handshakes/op", must("tls-handshakes/op"), 1, 1)
				within("tls-ns", must("tls-ns"), float64(rtt)*0.75, float64(rtt)*2.5)
				resumed := must("tls-resumed/op")
				if tls == "full" {
					within("tls-resumed/op", resumed, 0, 0)
				} else {
					within("tls-resumed/op", resumed, 0.95, 1)
				}
			}
		}
	}
	// Resumption saves no round trip: full and resumed handshakes take
	// about the same time (Go has no 0-RTT).
	full, _ := cellValues(t, f, "link=wan40/tls=full/http=1.1/keepalive=off", "tls-ns")
	res, _ := cellValues(t, f, "link=wan40/tls=resume/http=1.1/keepalive=off", "tls-ns")
	if len(full) > 0 && len(res) > 0 {
		t.Logf("tls-ns p50: full %v, resume %v", time.Duration(medianOf(full)), time.Duration(medianOf(res)))
		if d := time.Duration(medianOf(full) - medianOf(res)); d > rtt/2 || d < -rtt/2 {
			t.Errorf("tls-ns: full %v, resume %v; want within half a round trip of each other", time.Duration(medianOf(full)), time.Duration(medianOf(res)))
		}
	}
}

// TestKeepAliveMismatchEndToEnd runs scenarios/keepalive.yaml (one
// repetition a cell): a server idle timeout (500ms) just under the request
// interval (550ms) races the client's reuse of the connection, and the
// results show retries or errors; a longer server timeout, or a client
// timeout under the server's, shows none.
func TestKeepAliveMismatchEndToEnd(t *testing.T) {
	f := runTransportSuite(t, "keepalive.yaml", func(s *scenarios.Suite) { s.Load.Count = 1 })
	for _, c := range []struct {
		cell     string
		mismatch bool
		conns    [2]float64 // range of conns/op
	}{
		{"link=wan100/server_idle=500ms/client_idle=1m30s", true, [2]float64{0.1, 1}},
		{"link=wan100/server_idle=5s/client_idle=1m30s", false, [2]float64{0, 0}},
		{"link=wan100/server_idle=500ms/client_idle=300ms", false, [2]float64{1, 1}},
		{"link=wan100/server_idle=5s/client_idle=300ms", false, [2]float64{1, 1}},
	} {
		retries, ok := cellValues(t, f, c.cell, "retries/op")
		errs, ok2 := cellValues(t, f, c.cell, results.UnitErrors)
		conns, ok3 := cellValues(t, f, c.cell, "conns/op")
		if !ok || !ok2 || !ok3 {
			t.Errorf("%s: no retries/op, %s or conns/op; want all", c.cell, results.UnitErrors)
			continue
		}
		r, e, n := medianOf(retries), medianOf(errs), medianOf(conns)
		t.Logf("%s: retries/op %.2f, errors %.2f, conns/op %.2f", c.cell, r, e, n)
		switch {
		case c.mismatch && r+e == 0:
			t.Errorf("%s: no retries and no errors; want the mismatch to show", c.cell)
		case !c.mismatch && (r != 0 || e != 0):
			t.Errorf("%s: retries/op %v, errors %v; want none", c.cell, r, e)
		}
		if n < c.conns[0] || n > c.conns[1] {
			t.Errorf("%s: conns/op %v; want %v..%v", c.cell, n, c.conns[0], c.conns[1])
		}
	}
}

// TestMaxRequestsEndToEnd: a server that closes each connection after 4
// requests makes the agent open a new connection for every fourth request,
// over HTTP/1.1 (Connection: close) and h2c (GOAWAY); without a limit the
// warmup's connections serve every measured request.
func TestMaxRequestsEndToEnd(t *testing.T) {
	const suite = `
suite: maxreq
links:
  - {name: lan, rtt: 2ms}
server: {endpoint: "/orders?items=5"}
matrix:
  max_requests: [0, 4]
  http: ["1.1", "2"]
  keepalive: on
load: {rate: 50, duration: 2s, warmup: 0.5s, count: 1}
`
	f := runTransportSuiteOf(t, func() (*scenarios.Suite, error) { return scenarios.Parse("maxreq.yaml", []byte(suite)) },
		func(*scenarios.Suite) {})
	for _, h := range []string{"1.1", "2"} {
		for _, c := range []struct {
			max    string
			lo, hi float64
		}{{"0", 0, 0.02}, {"4", 0.2, 0.35}} {
			cell := "link=lan/max_requests=" + c.max + "/http=" + h + "/keepalive=on"
			conns, ok := cellValues(t, f, cell, "conns/op")
			if !ok {
				t.Errorf("%s: no conns/op; want one", cell)
				continue
			}
			t.Logf("%s: conns/op %.3f", cell, medianOf(conns))
			if v := medianOf(conns); v < c.lo || v > c.hi {
				t.Errorf("%s: conns/op %v; want %v..%v", cell, v, c.lo, c.hi)
			}
			if errs, _ := cellValues(t, f, cell, results.UnitErrors); len(errs) > 0 && medianOf(errs) != 0 {
				t.Errorf("%s: errors %v; want none: closing after N requests is orderly", cell, medianOf(errs))
			}
		}
	}
}

// BenchmarkTLSHandshake measures a new-connection GET over the 40 ms path
// without TLS, with a full TLS 1.3 handshake and with a resumed one (3
// repetitions each, keep-alive off, HTTP/1.1), and reports the medians:
// connect-ns and tls-ns are one round trip each, full and resumed alike
// (Go has no 0-RTT), so p50-ns is 2 RTT without TLS and 3 with; resumption
// saves the certificate's bytes (wire-B/op, when the codec's byte count is
// in the results) and the server's CPU, not a round trip.
func BenchmarkTLSHandshake(b *testing.B) {
	for _, tls := range []string{"off", "full", "resume"} {
		b.Run("tls="+tls, func(b *testing.B) {
			var f *results.File
			for range b.N {
				f = runTransportSuite(b, "transport.yaml", func(s *scenarios.Suite) {
					onlyValues(s, "tls", tls)
					onlyValues(s, "http", "1.1")
					onlyValues(s, "keepalive", "off")
					s.Load.Count, s.Load.Rate, s.Load.Duration = 3, 10, 2*time.Second
				})
			}
			reportMedians(b, f, "link=wan40/tls="+tls+"/http=1.1/keepalive=off",
				"p50-ns", "connect-ns", "tls-ns", "ttfb-ns", "tls-handshakes/op", "tls-resumed/op", "wire-B/op", "server-cpu-ns/op")
		})
	}
}

// BenchmarkKeepAliveMismatch runs scenarios/keepalive.yaml's client_idle=90s
// cells: a server idle timeout of 500ms against a request every 550ms
// retries about every other request (retries/op ≈ 0.5, p50-ns 2.5 RTT
// instead of 1); a 5s one retries none.
func BenchmarkKeepAliveMismatch(b *testing.B) {
	for _, idle := range []string{"500ms", "5s"} {
		b.Run("server_idle="+idle, func(b *testing.B) {
			var f *results.File
			for range b.N {
				f = runTransportSuite(b, "keepalive.yaml", func(s *scenarios.Suite) {
					onlyValues(s, "server_idle", idle)
					onlyValues(s, "client_idle", "1m30s")
					s.Load.Count = 1
				})
			}
			reportMedians(b, f, "link=wan100/server_idle="+idle+"/client_idle=1m30s",
				"p50-ns", "retries/op", "errors", "conns/op")
		})
	}
}

// reportMedians reports the median of each unit over the rows of cell,
// where the results have it.
func reportMedians(b *testing.B, f *results.File, cell string, units ...string) {
	b.Helper()
	if f == nil {
		return
	}
	for _, u := range units {
		if v, ok := cellValues(b, f, cell, u); ok {
			b.ReportMetric(medianOf(v), u)
		}
	}
	b.ReportMetric(0, "ns/op") // the suite's wall time says nothing
}
