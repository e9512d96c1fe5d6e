package runner

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The agent traces every request with net/http/httptrace: the phases of its
// connection (TCP connect, TLS handshake), the wait for the first response
// byte, the body read, and what the connection was (new or reused, resumed
// TLS or not, HTTP/1.1 or 2).
//
// The recorder must tell measured requests from warmup, and only the hit's
// sequence number (vegeta's Seq) says which. vegeta puts that number in
// every request it sends, as the header X-Vegeta-Seq, set in the same hit
// that stamps Result.Seq; the tracing transport reads it and files the trace
// under it, and the recorder takes the trace by Result.Seq. So a trace is
// attributed exactly, never by guessing from start times.

// seqHeader is the request header in which vegeta sends the hit's Seq.
const seqHeader = "X-Vegeta-Seq"

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

// endBody notes that the body was read to its end or closed, once.
func (t *requestTrace) endBody() {
	t.mu.Lock()
	if t.bodyEnd.IsZero() {
		t.bodyEnd = time.Now()
	}
	t.mu.Unlock()
}

// agentTracer holds the traces of requests the recorder has not taken yet,
// by Seq.
type agentTracer struct {
	mu   sync.Mutex
	open map[uint64]*requestTrace
}

func newAgentTracer() *agentTracer {
	return &agentTracer{open: make(map[uint64]*requestTrace)}
}

// take removes and returns the trace of hit seq; nil if there is none (the
// hit failed before its request was sent) or the tracer is nil.
func (a *agentTracer) take(seq uint64) *requestTrace {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.open[seq]
	delete(a.open, seq)
	return t
}

// wrap returns a RoundTripper that traces every request of base that
// carries vegeta's Seq header.
func (a *agentTracer) wrap(base http.RoundTripper) http.RoundTripper {
	return tracingTransport{base: base, tracer: a}
}

// tracingTransport is the agent's http.Transport with httptrace hooks on
// every request.
type tracingTransport struct {
	base   http.RoundTripper
	tracer *agentTracer
}

// RoundTrip implements http.RoundTripper.
func (tt tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	seq, err := strconv.ParseUint(req.Header.Get(seqHeader), 10, 64)
	if err != nil {
		return tt.base.RoundTrip(req) // not one of vegeta's hits
	}
	t := &requestTrace{start: time.Now()}
	tt.tracer.mu.Lock()
	tt.tracer.open[seq] = t
	tt.tracer.mu.Unlock()
	resp, err := tt.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), t.hooks())))
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.protoMajor = resp.ProtoMajor
	t.mu.Unlock()
	resp.Body = &tracedBody{ReadCloser: resp.Body, trace: t}
	return resp, nil
}

// CloseIdleConnections passes the call on, so that http.Client's
// CloseIdleConnections still reaches the transport.
func (tt tracingTransport) CloseIdleConnections() {
	if c, ok := tt.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// tracedBody notes when the body ends.
type tracedBody struct {
	io.ReadCloser
	trace *requestTrace
}

func (b *tracedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.trace.endBody()
	}
	return n, err
}

func (b *tracedBody) Close() error {
	b.trace.endBody()
	return b.ReadCloser.Close()
}

// traceTally adds up the traces of the measured requests. The zero value
// is ready to use.
type traceTally struct {
	requests                           int
	newConns, retries                  int
	handshakes, resumed, http2         int
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
	if t.protoMajor == 2 {
		tt.http2++
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
func (tt *traceTally) report(cfg AgentConfig) *TraceReport {
	if tt.requests == 0 {
		return nil
	}
	r := &TraceReport{
		TLS: usesTLS(cfg), AskedHTTP2: cfg.HTTP2,
		Requests: tt.requests, NewConns: tt.newConns, Retries: tt.retries,
		Handshakes: tt.handshakes, Resumed: tt.resumed, HTTP2: tt.http2,
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
// out, by Seq). Counts are totals; divide by Requests for per-request
// figures.
type TraceReport struct {
	// TLS and AskedHTTP2 say what the agent was asked to speak.
	TLS        bool `json:"tls_on"`
	AskedHTTP2 bool `json:"http2_asked"`
	// Requests is the number of measured requests, as AgentResult's.
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
