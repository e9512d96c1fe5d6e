package agent

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The agent traces every request with net/http/httptrace: the phases of its
// connection (TCP connect, TLS handshake), the wait for the first response
// byte, the body read, and what the connection was (new or reused, resumed
// TLS or not, HTTP/1.1 or 2).
//
// The trace travels with its request's outcome to the recorder, which
// tallies the measured ones only.

// requestTrace is what httptrace saw of one request. Its hooks may run on
// the transport's goroutines (a dial goes on in the background), hence mu.
type requestTrace struct {
	mu         sync.Mutex
	start      time.Time // RoundTrip called
	connStart  time.Time
	connect    time.Duration // last successful TCP connect
	tlsStart   time.Time
	handshake  time.Duration // last successful TLS handshake
	handshakes int           // successful TLS handshakes
	resumed    int           // ... of which resumed a session
	gotConns   int           // connections the request was given: 1 + retries
	newConns   int           // ... of which were new (not reused)
	wrote      time.Time     // request written
	firstByte  time.Time     // first response byte read
	bodyEnd    time.Time     // body read to EOF or closed
	protoMajor int           // the response's HTTP major version; 0: none
	early      bool          // sent as 0-RTT early data, and the server accepted it
	rpc        bool          // a gRPC call (api grpc); see grpc.go
}

// hooks are the httptrace hooks that fill t.
func (t *requestTrace) hooks() *httptrace.ClientTrace {
	lock := func(f func()) { t.mu.Lock(); f(); t.mu.Unlock() }
	return &httptrace.ClientTrace{
		ConnectStart: func(string, string) { lock(func() { t.connStart = time.Now() }) },
		ConnectDone: func(_, _ string, err error) {
			lock(func() {
				if err == nil && !t.connStart.IsZero() {
					t.connect = time.Since(t.connStart)
				}
			})
		},
		TLSHandshakeStart: func() { lock(func() { t.tlsStart = time.Now() }) },
		TLSHandshakeDone: func(st tls.ConnectionState, err error) {
			lock(func() {
				if err != nil || t.tlsStart.IsZero() {
					return
				}
				t.handshake = time.Since(t.tlsStart)
				t.handshakes++
				if st.DidResume {
					t.resumed++
				}
			})
		},
		GotConn: func(info httptrace.GotConnInfo) {
			lock(func() {
				t.gotConns++
				if !info.Reused {
					t.newConns++
				}
			})
		},
		WroteRequest:         func(httptrace.WroteRequestInfo) { lock(func() { t.wrote = time.Now() }) },
		GotFirstResponseByte: func() { lock(func() { t.firstByte = time.Now() }) },
	}
}

// endBody notes that the body ended at t.
func (t *requestTrace) endBody(at time.Time) {
	t.mu.Lock()
	t.bodyEnd = at
	t.mu.Unlock()
}

// setEarly notes that the request went as early data that the server
// accepted (see h3.go).
func (t *requestTrace) setEarly() {
	t.mu.Lock()
	t.early = true
	t.mu.Unlock()
}

// setProto notes the response's HTTP major version.
func (t *requestTrace) setProto(major int) {
	t.mu.Lock()
	t.protoMajor = major
	t.mu.Unlock()
}

// traceTally adds up the traces of the measured requests. The zero value
// is ready to use.
type traceTally struct {
	requests                           int
	newConns, retries                  int
	handshakes, resumed, http2         int
	http3, early                       int
	grpc                               int
	connect, handshake, ttfb, bodyRead *hdrhistogram.Histogram
}

// add counts one measured request's trace; nil (never sent) counts only as
// a request.
func (tt *traceTally) add(t *requestTrace) {
	tt.requests++
	if t == nil {
		return
	}
	if tt.connect == nil {
		tt.connect, tt.handshake = newLatencyHistogram(), newLatencyHistogram()
		tt.ttfb, tt.bodyRead = newLatencyHistogram(), newLatencyHistogram()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tt.newConns += t.newConns
	tt.retries += max(t.gotConns-1, 0)
	tt.handshakes += t.handshakes
	tt.resumed += t.resumed
	switch t.protoMajor {
	case 2:
		tt.http2++
	case 3:
		tt.http3++
	}
	if t.early {
		tt.early++
	}
	if t.rpc {
		tt.grpc++
	}
	if t.connect > 0 {
		recordLatency(tt.connect, t.connect)
	}
	if t.handshake > 0 {
		recordLatency(tt.handshake, t.handshake)
	}
	if !t.firstByte.IsZero() {
		from := t.wrote
		if from.IsZero() || from.After(t.firstByte) {
			from = t.start
		}
		recordLatency(tt.ttfb, t.firstByte.Sub(from))
		if !t.bodyEnd.IsZero() {
			recordLatency(tt.bodyRead, t.bodyEnd.Sub(t.firstByte))
		}
	}
}

// report is the tally as the agent's result carries it, for a run of cfg.
func (tt *traceTally) report(cfg Config) *TraceReport {
	if tt.requests == 0 {
		return nil
	}
	r := &TraceReport{
		TLS: usesTLS(cfg), AskedHTTP2: cfg.HTTP2, AskedHTTP3: cfg.HTTP3, EarlyData: tt.early, HTTP3: tt.http3,
		Requests: tt.requests, NewConns: tt.newConns, Retries: tt.retries,
		Handshakes: tt.handshakes, Resumed: tt.resumed, HTTP2: tt.http2,
		AskedGRPC: cfg.API == apiGRPC, GRPC: tt.grpc,
	}
	if tt.connect != nil {
		r.Connect, r.Handshake = phaseOf(tt.connect), phaseOf(tt.handshake)
		r.TTFB, r.Body = phaseOf(tt.ttfb), phaseOf(tt.bodyRead)
	}
	return r
}

func phaseOf(h *hdrhistogram.Histogram) Phase {
	if h.TotalCount() == 0 {
		return Phase{}
	}
	return Phase{Count: int(h.TotalCount()), P50: time.Duration(h.ValueAtPercentile(50))}
}

// TraceReport is what httptrace saw of the measured requests (warmup left
// out). Counts are totals; divide by Requests for per-request
// figures.
type TraceReport struct {
	// TLS and AskedHTTP2 say what the agent was asked to speak.
	TLS        bool `json:"tls_on"`
	AskedHTTP2 bool `json:"http2_asked"`
	// Requests is the number of measured requests, as Result's.
	Requests int `json:"requests"`
	// NewConns counts the new connections the requests were given (GotConn
	// with Reused false), retries' included.
	NewConns int `json:"new_conns"`
	// Retries counts the times net/http sent a request again on another
	// connection: it retries an idempotent request whose reused connection
	// died before any response byte came (a keep-alive race with the
	// server's idle timeout). Each retry is one more GotConn.
	Retries int `json:"retries"`
	// Handshakes counts successful TLS handshakes, Resumed those that
	// resumed a session (tls.ConnectionState.DidResume).
	Handshakes int `json:"tls_handshakes"`
	Resumed    int `json:"tls_resumed"`
	// HTTP2 counts responses that came over HTTP/2 (ProtoMajor 2).
	HTTP2 int `json:"http2"`
	// AskedHTTP3 says the agent was asked to speak HTTP/3; HTTP3 counts
	// responses that came over it (ProtoMajor 3), EarlyData the requests
	// sent as 0-RTT early data that the server accepted (tls=0rtt).
	AskedHTTP3 bool `json:"http3_asked,omitempty"`
	HTTP3      int  `json:"http3,omitempty"`
	EarlyData  int  `json:"early_data,omitempty"`
	// AskedGRPC says the agent was asked to call gRPC (api grpc); GRPC
	// counts the calls that went to the server as gRPC, whatever their
	// status.
	AskedGRPC bool `json:"grpc_asked,omitempty"`
	GRPC      int  `json:"grpc,omitempty"`
	// Connect and Handshake are the TCP connect and TLS handshake of the requests
	// that opened a connection (the others have no such phase); TTFB is
	// from the request written to its first response byte (one round trip
	// plus the server's time); Body from the first byte to the body's end.
	Connect   Phase `json:"connect"`
	Handshake Phase `json:"tls"`
	TTFB      Phase `json:"ttfb"`
	Body      Phase `json:"body"`
}

// Phase is one phase's median over the requests that had it.
type Phase struct {
	Count int           `json:"count"` // requests that had the phase
	P50   time.Duration `json:"p50"`   // their median
}
