package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// agentServer is a test HTTP server on 127.0.0.1 that counts the TCP
// connections it accepts.
type agentServer struct {
	URL   string
	conns atomic.Int64
}

// newAgentServer starts h on 127.0.0.1 and closes it when the test ends.
func newAgentServer(t *testing.T, h http.HandlerFunc) *agentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening on 127.0.0.1: %v", err)
	}
	s := &agentServer{}
	ts := httptest.NewUnstartedServer(h)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// sleepHandler answers 200 after d.
func sleepHandler(d time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		io.WriteString(w, "ok")
	}
}

// runAgent runs cfg and fails the test on an error.
func runAgent(t *testing.T, cfg Config) *Result {
	t.Helper()
	var stderr bytes.Buffer
	res, err := Run(context.Background(), cfg, &stderr)
	if err != nil {
		t.Fatalf("RunAgent: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Logf("stderr:\n%s", stderr.String())
	return res
}

// histograms decodes both histograms of res.
func histograms(t *testing.T, res *Result) (lat, co *hdrhistogram.Histogram) {
	t.Helper()
	lat, err := DecodeHistogram(res.Latency)
	if err != nil {
		t.Fatalf("Latency: %v", err)
	}
	co, err = DecodeHistogram(res.LatencyCO)
	if err != nil {
		t.Fatalf("LatencyCO: %v", err)
	}
	return lat, co
}

func TestAgentPlan(t *testing.T) {
	tests := []struct {
		name                string
		cfg                 Config
		interval            time.Duration
		warmupHits, allHits uint64
		wantErr             string
	}{
		{name: "brief", cfg: Config{URL: "http://198.18.0.2:8080/orders?items=20", Rate: 50, Warmup: 500 * time.Millisecond, Duration: time.Second},
			interval: 20 * time.Millisecond, warmupHits: 25, allHits: 75},
		{name: "no warmup", cfg: Config{URL: "http://h/", Rate: 100, Duration: time.Second},
			interval: 10 * time.Millisecond, warmupHits: 0, allHits: 100},
		{name: "fractional rate", cfg: Config{URL: "https://h/", Rate: 0.5, Warmup: 3 * time.Second, Duration: 10 * time.Second},
			interval: 2 * time.Second, warmupHits: 1, allHits: 6},
		{name: "rate not dividing 1s", cfg: Config{URL: "http://h/", Rate: 3, Duration: time.Second},
			interval: 333333333, warmupHits: 0, allHits: 3},
		{name: "bad scheme", cfg: Config{URL: "ftp://h/", Rate: 1, Duration: time.Second}, wantErr: "scheme must be http or https"},
		{name: "no host", cfg: Config{URL: "http:///orders", Rate: 1, Duration: time.Second}, wantErr: "no host"},
		{name: "zero rate", cfg: Config{URL: "http://h/", Duration: time.Second}, wantErr: "rate 0"},
		{name: "zero duration", cfg: Config{URL: "http://h/", Rate: 1}, wantErr: "duration 0s"},
		{name: "negative warmup", cfg: Config{URL: "http://h/", Rate: 1, Duration: time.Second, Warmup: -1}, wantErr: "warmup -1ns: negative"},
		{name: "no measured hit", cfg: Config{URL: "http://h/", Rate: 1, Duration: 500 * time.Millisecond}, wantErr: "no request falls in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPlan(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			if p.interval != tt.interval || p.warmupHits != tt.warmupHits || p.totalHits != tt.allHits {
				t.Errorf("got interval %v, hits %d+%d; want %v, %d+%d", p.interval, p.warmupHits, p.totalHits-p.warmupHits,
					tt.interval, tt.warmupHits, tt.allHits-tt.warmupHits)
			}
		})
	}
}

func TestAgentLatency(t *testing.T) {
	srv := newAgentServer(t, sleepHandler(20*time.Millisecond))
	res := runAgent(t, Config{URL: srv.URL + "/orders", Rate: 50, Warmup: 500 * time.Millisecond,
		Duration: time.Second, KeepAlive: true, Timeout: 5 * time.Second})
	// The counts are exact: the pacer sends exactly the planned hits.
	if res.Requests != 50 || res.Warmup != 25 || res.Errors != 0 {
		t.Fatalf("got %d requests, %d warmup, %d errors %q; want 50, 25, 0", res.Requests, res.Warmup, res.Errors, res.ErrorSamples)
	}
	lat, co := histograms(t, res)
	if lat.TotalCount() != 50 || co.TotalCount() != 50 {
		t.Errorf("got histogram counts %d, %d; want 50, 50", lat.TotalCount(), co.TotalCount())
	}
	if p50 := time.Duration(lat.ValueAtPercentile(50)); p50 < 20*time.Millisecond || p50 > 60*time.Millisecond {
		t.Errorf("got p50 %v; want 20ms..60ms", p50)
	}
	for _, q := range []float64{0, 50, 90, 99, 100} {
		if l, c := lat.ValueAtPercentile(q), co.ValueAtPercentile(q); c < l {
			t.Errorf("got p%v corrected %v < uncorrected %v; want corrected ≥ uncorrected", q, time.Duration(c), time.Duration(l))
		}
	}
	if res.Achieved < 40 || res.Achieved > 55 {
		t.Errorf("got achieved %.1f req/s over %v; want about 50", res.Achieved, res.Elapsed)
	}
	if res.Elapsed < time.Second || res.Elapsed > 1500*time.Millisecond {
		t.Errorf("got elapsed %v; want about 1s", res.Elapsed)
	}
	if res.BytesIn != 50*2 {
		t.Errorf("got %d bytes in; want 100", res.BytesIn)
	}
}

// TestAgentCoordinatedOmission stalls the server once with a single worker:
// the latency from the send shows one slow request, the corrected latency shows the
// requests queued behind it.
func TestAgentCoordinatedOmission(t *testing.T) {
	var n atomic.Int64
	srv := newAgentServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 20 {
			time.Sleep(500 * time.Millisecond)
		}
		io.WriteString(w, "ok")
	})
	res := runAgent(t, Config{URL: srv.URL, Rate: 100, Duration: time.Second, KeepAlive: true,
		Timeout: 5 * time.Second, MaxInFlight: 1})
	if res.Requests != 100 || res.Errors != 0 {
		t.Fatalf("got %d requests, %d errors %q; want 100, 0", res.Requests, res.Errors, res.ErrorSamples)
	}
	lat, co := histograms(t, res)
	l99, c99 := time.Duration(lat.ValueAtPercentile(99)), time.Duration(co.ValueAtPercentile(99))
	t.Logf("p99 %v, corrected %v; max %v, corrected %v", l99, c99, time.Duration(lat.Max()), time.Duration(co.Max()))
	if c99 < 200*time.Millisecond || c99 < 2*l99 {
		t.Errorf("got corrected p99 %v, uncorrected %v; want corrected ≥ 200ms and ≥ 2× uncorrected", c99, l99)
	}
	if m := time.Duration(lat.Max()); m < 500*time.Millisecond {
		t.Errorf("got max latency %v; want the 500ms stall", m)
	}
}

func TestAgentKeepAlive(t *testing.T) {
	tests := []struct {
		name               string
		keepAlive          bool
		minConns, maxConns int64
	}{
		{name: "off dials per request", keepAlive: false, minConns: 50, maxConns: 50},
		{name: "on reuses", keepAlive: true, minConns: 1, maxConns: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newAgentServer(t, sleepHandler(time.Millisecond))
			res := runAgent(t, Config{URL: srv.URL, Rate: 100, Warmup: 100 * time.Millisecond,
				Duration: 400 * time.Millisecond, KeepAlive: tt.keepAlive, Timeout: 5 * time.Second})
			if total := res.Requests + res.Warmup; total != 50 || res.Errors != 0 {
				t.Fatalf("got %d requests, %d errors %q; want 50, 0", total, res.Errors, res.ErrorSamples)
			}
			if got := srv.conns.Load(); got < tt.minConns || got > tt.maxConns {
				t.Errorf("got %d connections for 50 requests; want %d..%d", got, tt.minConns, tt.maxConns)
			}
		})
	}
}

func TestAgentErrors(t *testing.T) {
	// A port that refuses: listen, note it, close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()

	tests := []struct {
		name       string
		url        func(t *testing.T) string
		wantSample string
	}{
		{name: "500", url: func(t *testing.T) string {
			return newAgentServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "boom", http.StatusInternalServerError)
			}).URL
		}, wantSample: "10× HTTP 500 Internal Server Error"},
		{name: "redirect", url: func(t *testing.T) string {
			return newAgentServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			}).URL
		}, wantSample: "10× HTTP 302 Found"},
		{name: "refused", url: func(*testing.T) string { return closed },
			wantSample: "10× dial tcp " + strings.TrimPrefix(strings.TrimSuffix(closed, "/"), "http://") + ": connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runAgent(t, Config{URL: tt.url(t), Rate: 20, Duration: 500 * time.Millisecond, Timeout: 5 * time.Second})
			if res.Requests != 10 || res.Errors != 10 {
				t.Errorf("got %d requests, %d errors; want 10, 10", res.Requests, res.Errors)
			}
			if len(res.ErrorSamples) != 1 || res.ErrorSamples[0] != tt.wantSample {
				t.Errorf("got samples %q; want [%q]", res.ErrorSamples, tt.wantSample)
			}
			if lat, _ := histograms(t, res); lat.TotalCount() != 10 {
				t.Errorf("got %d latencies; want 10, failures included", lat.TotalCount())
			}
		})
	}
}

func TestAgentErrorTally(t *testing.T) {
	tests := []struct {
		name string
		msgs []string
		want []string
	}{
		{name: "none", want: nil},
		{name: "ranked, ties first seen", msgs: []string{"a", "b", "b", "c", "a", "b", "d"},
			want: []string{"3× b", "2× a", "1× c", "1× d"}},
		{name: "at most five", msgs: []string{"a", "b", "c", "d", "e", "f", "f"},
			want: []string{"2× f", "1× a", "1× b", "1× c", "1× d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tally errorTally
			for _, m := range tt.msgs {
				tally.add(m)
			}
			if got := tally.samples(agentErrorSamples); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestAgentNormalizeError(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Get "http://127.0.0.1:1/x?a=1": dial tcp 127.0.0.1:1: connect: connection refused`,
			"dial tcp 127.0.0.1:1: connect: connection refused"},
		{`Get "http://h/": read tcp 127.0.0.1:40312->127.0.0.1:8080: read: connection reset by peer`,
			"read tcp 127.0.0.1:8080: read: connection reset by peer"},
		{`Get "http://h/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
			"context deadline exceeded (Client.Timeout exceeded while awaiting headers)"},
		{"plain failure", "plain failure"},
	}
	for _, tt := range tests {
		if got := NormalizeError(tt.in); got != tt.want {
			t.Errorf("NormalizeError(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestMain(t *testing.T) {
	srv := newAgentServer(t, sleepHandler(time.Millisecond))
	tests := []struct {
		name    string
		stdin   string
		wantErr string
	}{
		{name: "round trip", stdin: mustJSON(t, Config{URL: srv.URL, Rate: 40, Warmup: 100 * time.Millisecond,
			Duration: 250 * time.Millisecond, KeepAlive: true, Timeout: time.Second})},
		{name: "not json", stdin: "rate=5", wantErr: "reading config from stdin"},
		{name: "unknown field", stdin: `{"url":"http://h/","rate":1,"duration":1000000000,"rtt":5}`, wantErr: `unknown field "rtt"`},
		{name: "invalid config", stdin: `{"url":"http://h/","rate":1}`, wantErr: "duration 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Main(context.Background(), strings.NewReader(tt.stdin), &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v; want none\nstderr:\n%s", err, stderr.String())
			}
			var res Result
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("decoding stdout %q: %v", stdout.String(), err)
			}
			if res.Requests != 10 || res.Warmup != 4 {
				t.Errorf("got %d requests, %d warmup; want 10, 4", res.Requests, res.Warmup)
			}
			if lat, co := histograms(t, &res); lat.TotalCount() != 10 || co.TotalCount() != 10 {
				t.Errorf("got histogram counts %d, %d; want 10, 10", lat.TotalCount(), co.TotalCount())
			}
			if !strings.Contains(stderr.String(), "load agent: done:") {
				t.Errorf("got stderr %q; want a done line", stderr.String())
			}
		})
	}
}

func TestAgentCancel(t *testing.T) {
	tests := []struct {
		name    string
		handler func(release <-chan struct{}) http.HandlerFunc
		minReqs int
	}{
		{name: "fast server", minReqs: 1, handler: func(<-chan struct{}) http.HandlerFunc { return sleepHandler(time.Millisecond) }},
		{name: "hung server", handler: func(release <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := newAgentServer(t, tt.handler(release))
			t.Cleanup(func() { close(release) }) // runs before the server closes
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(400*time.Millisecond, cancel)
			var stderr bytes.Buffer
			start := time.Now()
			res, err := Run(ctx, Config{URL: srv.URL, Rate: 50, Duration: time.Minute, KeepAlive: true}, &stderr)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %v to stop; want under 2s", took)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got error %v; want one wrapping context.Canceled", err)
			}
			if res == nil || res.Requests < tt.minReqs {
				t.Fatalf("got result %+v; want the partial result with at least %d requests", res, tt.minReqs)
			}
			if _, err := DecodeHistogram(res.Latency); err != nil {
				t.Errorf("partial Latency: %v", err)
			}
		})
	}
}

func TestAgentDecodeHistogram(t *testing.T) {
	h := newLatencyHistogram()
	for _, d := range []time.Duration{0, 500, 3 * time.Millisecond, time.Hour} {
		recordLatency(h, d)
	}
	enc, err := encodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{name: "round trip", in: enc},
		{name: "empty", in: nil, wantErr: "empty"},
		{name: "garbage", in: []byte("not a histogram"), wantErr: "decoding histogram"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeHistogram(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Below 1µs is clamped to 1µs, above 5min to 5min: nothing dropped.
			if got.TotalCount() != 4 || !got.ValuesAreEquivalent(got.Min(), int64(time.Microsecond)) ||
				!got.ValuesAreEquivalent(got.Max(), int64(5*time.Minute)) {
				t.Errorf("got count %d, min %d, max %d; want 4, 1µs, 5min", got.TotalCount(), got.Min(), got.Max())
			}
		})
	}
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
