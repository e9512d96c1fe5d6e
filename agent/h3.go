package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// HTTP/3 (http=3): the agent speaks HTTP/3 over QUIC with quic-go, to the
// URL's host and port on UDP. It does its own connection handling on top of
// http3.ClientConn, rather than through http3.Transport's pool, for three
// things the measurement needs:
//
//   - keepalive off opens a new QUIC connection for every request, as it
//     opens a new TCP connection over HTTP/1.1 and 2;
//   - tls=0rtt sends idempotent requests (GET, HEAD) as 0-RTT early data
//     on a resumed connection, and counts those that the server accepted
//     (sent before the handshake completed, on a connection whose
//     ConnectionState says Used0RTT);
//   - every connection's own counters (packets sent and declared lost,
//     bytes) are read when it ends, for the QUIC report.
//
// Every connection shares one UDP socket (a quic.Transport), as a browser's
// do. quic-go uses UDP GSO (UDP_SEGMENT) where the kernel has it; the QUIC
// report says whether it did.
//
// The request's trace gets what httptrace can carry: GotConn (new or
// reused) and the TLS handshake, which in QUIC is the connection's whole
// handshake (there is no separate connect: connect-ns is left out).

// h3Client is the agent's HTTP/3 RoundTripper.
type h3Client struct {
	tr        *http3.Transport // settings of the ClientConns; never dials
	udp       *net.UDPConn
	qt        *quic.Transport
	tlsConf   *tls.Config
	quicConf  *quic.Config
	early     bool // tls=0rtt
	keepAlive bool
	size      int // connections kept with keep-alive

	mu     sync.Mutex
	pool   []*h3Conn
	next   int
	closed bool
	rep    QUICReport // of the connections that ended
}

// h3Conn is one QUIC connection and the HTTP/3 client on it.
type h3Conn struct {
	ready  chan struct{} // closed when the dial has ended
	qc     *quic.Conn
	cc     *http3.ClientConn
	err    error
	hsDone chan struct{} // closed once the handshake is complete and traced
	once   sync.Once
}

// QUICReport is what the agent's QUIC connections counted, over the whole
// run (warmup included), as quic-go's ConnectionStats give them.
type QUICReport struct {
	// Conns counts the QUIC connections that completed a handshake;
	// ZeroRTT those on which the server accepted early data.
	Conns   int `json:"conns"`
	ZeroRTT int `json:"zero_rtt_conns"`
	// GSO counts the connections whose socket sends with UDP GSO
	// (UDP_SEGMENT; quic-go's ConnectionState.GSO).
	GSO int `json:"gso_conns"`
	// PacketsSent includes the packets later declared lost; PacketsLost
	// counts the agent's packets that QUIC's loss detection declared lost
	// (their frames are retransmitted in new packets).
	PacketsSent     uint64 `json:"packets_sent"`
	PacketsLost     uint64 `json:"packets_lost"`
	PacketsReceived uint64 `json:"packets_received"`
	// BytesSent and BytesReceived are QUIC packet bytes, without UDP and
	// IP headers.
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
}

// newH3Client makes the HTTP/3 client of cfg, with its UDP socket.
func newH3Client(cfg Config) (*h3Client, error) {
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, fmt.Errorf("load agent: HTTP/3: opening a UDP socket: %w", err)
	}
	tlsConf := agentTLSConfig(cfg)
	tlsConf.NextProtos = []string{http3.NextProtoH3}
	if cfg.TLS == "0rtt" {
		tlsConf.ClientSessionCache = tls.NewLRUClientSessionCache(agentSessionCache)
	}
	return &h3Client{
		tr:        &http3.Transport{}, // gzip asked for as net/http asks, for the same requests
		udp:       udp,
		qt:        &quic.Transport{Conn: udp},
		tlsConf:   tlsConf,
		quicConf:  &quic.Config{MaxIdleTimeout: cfg.IdleTimeout},
		early:     cfg.TLS == "0rtt",
		keepAlive: cfg.KeepAlive && cfg.Model() != ModelBurst,
		size:      h3PoolSize(cfg),
	}, nil
}

// h3PoolSize is how many connections keep-alive holds open: MaxConnections
// if set, else Connections in the closed loop (each carrying Streams
// requests), else one, as net/http keeps one HTTP/2 connection per host.
func h3PoolSize(cfg Config) int {
	switch {
	case cfg.MaxConnections > 0:
		return cfg.MaxConnections
	case cfg.Model() == ModelConnections:
		return cfg.Connections
	}
	return 1
}

// RoundTrip sends req over a new connection (keep-alive off) or one of the
// pool's. A request without a body that fails because its reused connection
// died (the server's idle timeout raced it) is sent once more on a new
// connection, as net/http retries one: retries/op counts it.
func (h *h3Client) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, retry, err := h.roundTrip(req)
	if retry {
		resp, _, err = h.roundTrip(req)
	}
	return resp, err
}

// roundTrip is one try of RoundTrip; retry says the request may go again.
func (h *h3Client) roundTrip(req *http.Request) (_ *http.Response, retry bool, _ error) {
	ctx := req.Context()
	trace := httptrace.ContextClientTrace(ctx)
	c, fresh, err := h.conn(ctx, req.URL.Host, trace)
	if err != nil {
		return nil, false, err
	}
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Reused: !fresh})
	}
	out, sentEarly := req, false
	if h.early && (req.Method == http.MethodGet || req.Method == http.MethodHead) {
		select {
		case <-c.qc.HandshakeComplete():
		default:
			sentEarly = true
		}
		r := *req
		r.Method = http3.MethodGet0RTT
		if req.Method == http.MethodHead {
			r.Method = http3.MethodHead0RTT
		}
		out = &r
	}
	resp, err := c.cc.RoundTrip(out)
	if fresh {
		// The handshake's trace (and whether early data was accepted) is
		// complete before the response is handed on.
		select {
		case <-c.hsDone:
		case <-ctx.Done():
		}
	}
	if err != nil {
		if !h.keepAlive {
			h.end(c)
		}
		if h.keepAlive && !fresh && ctx.Err() == nil && c.qc.Context().Err() != nil {
			h.drop(c)
			return nil, req.Body == nil || req.Body == http.NoBody, err
		}
		if errors.Is(err, quic.Err0RTTRejected) {
			err = fmt.Errorf("%w: the server rejected early data (it did not keep the session, or its settings changed)", err)
		}
		return nil, false, err
	}
	if sentEarly && c.qc.ConnectionState().Used0RTT {
		if t := requestTraceFrom(ctx); t != nil {
			t.setEarly()
		}
	}
	if out != req {
		resp.Request = req
	}
	if !h.keepAlive {
		resp.Body = &h3Body{ReadCloser: resp.Body, end: func() { h.end(c) }}
	}
	return resp, false, nil
}

// conn is the connection for the next request and whether this request
// opened it.
func (h *h3Client) conn(ctx context.Context, host string, trace *httptrace.ClientTrace) (*h3Conn, bool, error) {
	if !h.keepAlive {
		c := h.dial(ctx, host, trace)
		<-c.ready
		return c, true, c.err
	}
	for range 3 {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, false, errors.New("load agent: HTTP/3 client closed")
		}
		if len(h.pool) < h.size {
			c := h.dial(ctx, host, trace)
			h.pool = append(h.pool, c)
			h.mu.Unlock()
			<-c.ready
			if c.err != nil {
				h.drop(c)
			}
			return c, true, c.err
		}
		c := h.pool[h.next%len(h.pool)]
		h.next++
		h.mu.Unlock()
		select {
		case <-c.ready:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		if c.err == nil && c.qc.Context().Err() == nil {
			return c, false, nil
		}
		h.drop(c) // dead (idle timeout, GOAWAY, a failed dial): dial anew
	}
	return nil, false, errors.New("load agent: HTTP/3: no live connection after 3 tries")
}

// dial starts a new connection to host; ready closes when it can carry
// requests: at once with tls=0rtt and a ticket (DialEarly), after the
// handshake otherwise. The dial outlives a cancelled first request, since
// the pool shares it.
func (h *h3Client) dial(ctx context.Context, host string, trace *httptrace.ClientTrace) *h3Conn {
	c := &h3Conn{ready: make(chan struct{}), hsDone: make(chan struct{})}
	go func() {
		defer close(c.ready)
		addr, err := net.ResolveUDPAddr("udp", host)
		if err != nil {
			c.err = fmt.Errorf("load agent: HTTP/3: address %q: %w", host, err)
			close(c.hsDone)
			return
		}
		if trace != nil && trace.TLSHandshakeStart != nil {
			trace.TLSHandshakeStart()
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), agentDialTimeout)
		defer cancel()
		dial := h.qt.Dial
		if h.early {
			dial = h.qt.DialEarly
		}
		qc, err := dial(dctx, addr, h.tlsConf, h.quicConf)
		if err != nil {
			c.err = fmt.Errorf("load agent: HTTP/3: dialing %s: %w", host, err)
			if trace != nil && trace.TLSHandshakeDone != nil {
				trace.TLSHandshakeDone(tls.ConnectionState{}, err)
			}
			close(c.hsDone)
			return
		}
		c.qc, c.cc = qc, h.tr.NewClientConn(qc)
		go func() {
			defer close(c.hsDone)
			select {
			case <-qc.HandshakeComplete():
			case <-qc.Context().Done():
				return
			}
			if trace != nil && trace.TLSHandshakeDone != nil {
				trace.TLSHandshakeDone(qc.ConnectionState().TLS, nil)
			}
		}()
	}()
	return c
}

// drop removes c from the pool and ends it.
func (h *h3Client) drop(c *h3Conn) {
	h.mu.Lock()
	for i, p := range h.pool {
		if p == c {
			h.pool = append(h.pool[:i], h.pool[i+1:]...)
			break
		}
	}
	h.mu.Unlock()
	h.end(c)
}

// end closes c once and adds its counters to the report.
func (h *h3Client) end(c *h3Conn) {
	c.once.Do(func() {
		if c.qc == nil {
			return
		}
		c.qc.CloseWithError(0, "")
		st, s := c.qc.ConnectionState(), c.qc.ConnectionStats()
		h.mu.Lock()
		defer h.mu.Unlock()
		select {
		case <-c.qc.HandshakeComplete():
			h.rep.Conns++
		default:
		}
		if st.Used0RTT {
			h.rep.ZeroRTT++
		}
		if st.GSO {
			h.rep.GSO++
		}
		h.rep.PacketsSent += s.PacketsSent
		h.rep.PacketsLost += s.PacketsLost
		h.rep.PacketsReceived += s.PacketsReceived
		h.rep.BytesSent += s.BytesSent
		h.rep.BytesReceived += s.BytesReceived
	})
}

// close ends every connection and the UDP socket, and returns the report;
// nil-safe, so that a run without HTTP/3 reports nothing.
func (h *h3Client) close() *QUICReport {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	h.closed = true
	pool := h.pool
	h.pool = nil
	h.mu.Unlock()
	for _, c := range pool {
		<-c.ready
		h.end(c)
	}
	h.qt.Close()
	h.udp.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	rep := h.rep
	return &rep
}

// h3Body closes its connection when the body is closed (keep-alive off).
type h3Body struct {
	io.ReadCloser
	end func()
}

func (b *h3Body) Close() error {
	err := b.ReadCloser.Close()
	b.end()
	return err
}

// checkH3 checks the knobs that HTTP/3 changes: it needs https://, and
// tls=0rtt needs it.
func checkH3(cfg Config, scheme string) error {
	switch {
	case cfg.HTTP3 && scheme != "https":
		return fmt.Errorf("load agent: http3 needs an https:// URL, not %q: QUIC is always encrypted; give tls full, resume or 0rtt", cfg.URL)
	case cfg.HTTP3 && cfg.HTTP2:
		return errors.New("load agent: http2 and http3 both set; give one HTTP version")
	case cfg.TLS == "0rtt" && !cfg.HTTP3:
		return errors.New("load agent: tls 0rtt needs http3: Go's TLS over TCP has no early data; give tls resume, or http3")
	}
	return nil
}

// requestTraceKey is the context key of a request's requestTrace, for what
// httptrace has no hook for (early data).
type requestTraceKey struct{}

// withRequestTrace returns ctx carrying t.
func withRequestTrace(ctx context.Context, t *requestTrace) context.Context {
	return context.WithValue(ctx, requestTraceKey{}, t)
}

// requestTraceFrom is the requestTrace that ctx carries, or nil.
func requestTraceFrom(ctx context.Context) *requestTrace {
	t, _ := ctx.Value(requestTraceKey{}).(*requestTrace)
	return t
}
