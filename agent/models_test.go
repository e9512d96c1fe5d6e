package agent

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunebench/tunebench/servers"
)

// TestAgentMix sends a mix of three requests with their own methods,
// headers, bodies and weights: the server sees each as configured, in
// about the weights' proportions, and the result has one share per request.
func TestAgentMix(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	var bad atomic.Value
	srv := newAgentServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := r.Method + " " + r.URL.Path
		switch key {
		case "GET /list":
		case "POST /create":
			if string(body) != `{"n":1}` || r.Header.Get("Content-Type") != "application/json" {
				bad.Store("POST /create got " + string(body) + " " + r.Header.Get("Content-Type"))
			}
		case "PUT /raw":
			if r.Header.Get("X-Test") != "yes" {
				bad.Store("PUT /raw without its header")
			}
			http.Error(w, "nope", http.StatusConflict)
			return
		}
		mu.Lock()
		seen[key]++
		mu.Unlock()
		io.WriteString(w, "ok")
	})
	cfg := Config{Rate: 400, Duration: 500 * time.Millisecond, KeepAlive: true, Timeout: 5 * time.Second, Seed: 42,
		Requests: []Request{
			{Name: "list", URL: srv.URL + "/list", Weight: 3},
			{Name: "create", Method: "POST", URL: srv.URL + "/create", Body: []byte(`{"n":1}`), Header: map[string]string{"Content-Type": "application/json"}, Weight: 1},
			{Name: "raw", Method: "PUT", URL: srv.URL + "/raw", Header: map[string]string{"X-Test": "yes"}, Weight: 1},
		}}
	res := runAgent(t, cfg)
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
	if res.Requests != 200 || len(res.PerRequest) != 3 {
		t.Fatalf("got %d requests and %d shares; want 200 and 3", res.Requests, len(res.PerRequest))
	}
	list, create, raw := res.PerRequest[0], res.PerRequest[1], res.PerRequest[2]
	if list.Name != "list" || create.Name != "create" || raw.Name != "raw" {
		t.Errorf("shares named %q %q %q; want list create raw", list.Name, create.Name, raw.Name)
	}
	if list.Requests+create.Requests+raw.Requests != 200 {
		t.Errorf("shares add up to %d; want 200", list.Requests+create.Requests+raw.Requests)
	}
	// 3:1:1 of 200 is 120:40:40; a seeded draw stays well within ±30.
	if list.Requests < 90 || list.Requests > 150 || create.Requests < 15 || raw.Requests < 15 {
		t.Errorf("got %d/%d/%d; want about 120/40/40", list.Requests, create.Requests, raw.Requests)
	}
	if raw.Errors != raw.Requests || list.Errors != 0 || create.Errors != 0 || res.Errors != raw.Requests {
		t.Errorf("errors %d/%d/%d of %d; want only raw's (409), all of them", list.Errors, create.Errors, raw.Errors, res.Errors)
	}
	if create.Achieved <= 0 || list.Achieved <= create.Achieved {
		t.Errorf("rates %v/%v; want list's above create's", list.Achieved, create.Achieved)
	}
	// The same seed picks the same sequence.
	again := runAgent(t, cfg)
	for i := range res.PerRequest {
		if again.PerRequest[i].Requests != res.PerRequest[i].Requests {
			t.Errorf("seed 42 twice: %s got %d then %d requests; want the same", res.PerRequest[i].Name, res.PerRequest[i].Requests, again.PerRequest[i].Requests)
		}
	}
}

// TestAgentPostOrdersBody posts a Protobuf orders body: every one arrives
// whole, with its Content-Type, and decodes.
func TestAgentPostOrdersBody(t *testing.T) {
	body, err := servers.EncodeOrders(servers.CodecProtobuf, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	srv := newAgentServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if n, err := decodeOrders(codecProtobuf, b); err == nil && n == 3 && r.Header.Get("Content-Type") == mediaProtobuf {
			got.Add(1)
		}
		w.WriteHeader(http.StatusCreated)
	})
	res := runAgent(t, Config{Rate: 100, Duration: 200 * time.Millisecond, KeepAlive: true, Timeout: 5 * time.Second,
		Requests: []Request{{Name: "create", Method: "POST", URL: srv.URL + "/orders", Body: body, Header: map[string]string{"Content-Type": mediaProtobuf}}}})
	if res.Errors != 0 || got.Load() != int64(res.Requests) || res.BytesOut != uint64(len(body)*res.Requests) {
		t.Errorf("got %d errors, %d bodies decoded of %d, %d bytes out; want none, all, %d", res.Errors, got.Load(), res.Requests, res.BytesOut, len(body)*res.Requests)
	}
}

// TestAgentClosedLoop: 4 connections against a server that takes 20 ms
// give about 4/20ms = 200 req/s, with at most 4 requests at once.
func TestAgentClosedLoop(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := newAgentServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		io.WriteString(w, "ok")
	})
	res := runAgent(t, Config{URL: srv.URL, Connections: 4, Warmup: 100 * time.Millisecond, Duration: time.Second, KeepAlive: true, Timeout: 5 * time.Second})
	if res.Model != ModelConnections || res.Errors != 0 {
		t.Fatalf("got model %s, %d errors %v; want connections, none", res.Model, res.Errors, res.ErrorSamples)
	}
	// 4 connections / latency, judged against the latency the run saw
	// (a loaded 2-CPU machine stretches the 20 ms); never above 4 / 20 ms.
	lat, _ := histograms(t, res)
	want := 4 / time.Duration(lat.Mean()).Seconds()
	if res.Achieved > 205 || res.Achieved < 0.7*want {
		t.Errorf("got %.1f req/s; want about %.1f (4 connections / mean latency %v), at most 205", res.Achieved, want, time.Duration(lat.Mean()))
	}
	if p := peak.Load(); p > 4 {
		t.Errorf("the server saw %d requests at once; want at most 4", p)
	}
	if srv.conns.Load() > 4 {
		t.Errorf("%d connections; want at most 4", srv.conns.Load())
	}
}

// TestAgentThink: one connection that thinks 30 ms between 10 ms requests
// sends about 25 per second.
func TestAgentThink(t *testing.T) {
	srv := newAgentServer(t, sleepHandler(10*time.Millisecond))
	res := runAgent(t, Config{URL: srv.URL, Connections: 1, Think: 30 * time.Millisecond, Duration: time.Second, KeepAlive: true, Timeout: 5 * time.Second})
	// One request per latency + think: judged against the latency the
	// run saw, since a busy machine stretches the 10 ms.
	lat, _ := histograms(t, res)
	want := 1 / (time.Duration(lat.Mean()) + 30*time.Millisecond).Seconds()
	if res.Achieved > 1/0.030 || res.Achieved < 0.6*want {
		t.Errorf("got %.1f req/s; want about %.1f (1 / (mean latency %v + 30 ms think)), under 33", res.Achieved, want, time.Duration(lat.Mean()))
	}
}

// TestAgentBurst: bursts of 20 every 250 ms, each request on its own
// connection, latency from the burst's instant.
func TestAgentBurst(t *testing.T) {
	srv := newAgentServer(t, sleepHandler(5*time.Millisecond))
	res := runAgent(t, Config{URL: srv.URL, Burst: &Burst{Connections: 20, Every: 250 * time.Millisecond}, Warmup: 250 * time.Millisecond, Duration: time.Second, KeepAlive: true, Timeout: 5 * time.Second})
	if res.Model != ModelBurst || res.Requests != 80 || res.Warmup != 20 || res.Errors != 0 {
		t.Fatalf("got %s, %d requests, %d warmup, %d errors %v; want burst, 80, 20, 0", res.Model, res.Requests, res.Warmup, res.Errors, res.ErrorSamples)
	}
	if n := srv.conns.Load(); n != 100 {
		t.Errorf("%d connections for 100 requests; want one each", n)
	}
	lat, co := histograms(t, res)
	if co.Min() < lat.Min() || co.Max() < 5*int64(time.Millisecond) {
		t.Errorf("latency from the instant %v..%v, from the send %v..%v; want the former never below, at least 5ms", co.Min(), co.Max(), lat.Min(), lat.Max())
	}
}

// TestAgentBoundedInFlight: a server that never answers in time holds at
// most MaxInFlight requests; the rest fail unsent, counted from their due
// time, and goroutines stay bounded.
func TestAgentBoundedInFlight(t *testing.T) {
	release := make(chan struct{})
	var inFlight, peak atomic.Int64
	srv := newAgentServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	before := runtime.NumGoroutine()
	var maxG atomic.Int64
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				if g := int64(runtime.NumGoroutine()); g > maxG.Load() {
					maxG.Store(g)
				}
			}
		}
	}()
	var stderr bytes.Buffer
	res, err := Run(context.Background(), Config{URL: srv.URL, Rate: 500, Duration: 600 * time.Millisecond, KeepAlive: true,
		Timeout: 300 * time.Millisecond, MaxInFlight: 20}, &stderr)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	// The cap is the agent's: a request leaves it when the client gives up
	// (its 300 ms timeout), while the server's handler notices only when
	// the closed connection reaches it, so on a busy machine the server
	// may briefly count a request the agent has let go beside the next
	// one sent in its place: at most one more wave of 20. Without a cap
	// the server would see rate × timeout = 150 at once.
	if p := peak.Load(); p > 40 {
		t.Errorf("the server saw %d requests at once; want at most 40 (the cap of 20, plus a wave the server has not yet seen end)", p)
	}
	if res.Requests != 300 || res.Errors != 300 {
		t.Errorf("got %d requests, %d errors; want 300 and 300 (timeouts and unsent)", res.Requests, res.Errors)
	}
	if !strings.Contains(strings.Join(res.ErrorSamples, "\n"), "not sent: 20 requests in flight") {
		t.Errorf("error samples %q; want unsent requests named", res.ErrorSamples)
	}
	// Workers, their connections' goroutines and the test's own: far
	// below one per request.
	if g := maxG.Load() - int64(before); g > 150 {
		t.Errorf("goroutines grew by %d; want at most 150 for 20 in flight", g)
	}
	_, co := histograms(t, res)
	if co.Max() < int64(300*time.Millisecond) {
		t.Errorf("max corrected latency %v; want at least the 300ms timeout", time.Duration(co.Max()))
	}
}
