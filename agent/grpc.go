package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	apipb "github.com/tunebench/tunebench/servers/api"
)

// gRPC (api=grpc): the agent calls the reference API's Orders service
// (servers/api/orders.proto) with grpc-go instead of sending REST requests.
// A request of the mix maps to a unary call: GET /orders?items=N is
// ListOrders{items: N} (no items: the server's default), POST /orders is
// CreateOrder with the request's body, which must be an encoded OrderList
// (the runner encodes body_orders as Protobuf for api grpc).
//
// grpcTransport is an http.RoundTripper, so the engine, the load models,
// the recorder and the codec check see a gRPC call as they see an HTTP
// request: its reply comes back as a 200 response over HTTP/2 whose body
// is the reply message's bytes, with Content-Type application/x-protobuf
// and the server's "server-timing" header metadata as Server-Timing. A
// call that ends with a status other than OK is an error
// ("grpc InvalidArgument: ..."), as a status other than 2xx is for REST.
//
// Connections: with keepalive on, every call goes over one grpc.ClientConn
// (one TCP connection, its calls multiplexed as HTTP/2 streams, as REST
// over HTTP/2 does); with keepalive off and in bursts, every call gets a
// ClientConn of its own — a TCP connection, the TLS handshake when tls is
// on, the HTTP/2 preface and SETTINGS — closed after its reply. grpc-go
// sends a new connection's first call only once the server's SETTINGS
// have come, so a new connection costs one round trip more than one of
// net/http's HTTP/2 client, which sends the request with its preface.
//
// Every connection is dialed by the agent's dialer (socket options of tfo,
// cc and nodelay; TCP_INFO read back; wire bytes counted beneath TLS). The
// request's trace gets the connect and TLS handshake of its connection,
// the call written (the request message handed to the HTTP/2 stream) and
// the first response byte (the reply's headers): ttfb-ns is one round trip
// plus the server's time, as for REST. A shared connection's dial is
// given to the first call that ends after it. A call is retried when it
// failed UNAVAILABLE before the server answered (see grpcRetry).

// APIs, as Config.API names them.
const (
	apiREST = "rest"
	apiGRPC = "grpc"
)

// grpcCall is the call a request of the mix makes.
type grpcCall struct {
	method string // full method name, e.g. /tunebench.api.v1.Orders/ListOrders
	list   []byte // ListOrders: the encoded ListOrdersRequest
}

// checkAPI checks cfg.API against the rest of cfg and maps each request of
// p to its call.
func checkAPI(p *plan) error {
	cfg := p.cfg
	switch cfg.API {
	case "", apiREST:
		return nil
	case apiGRPC:
	default:
		return fmt.Errorf("load agent: api %q: give rest or grpc", cfg.API)
	}
	switch {
	case !cfg.HTTP2:
		return errors.New("load agent: api grpc needs http2: gRPC runs over HTTP/2; set http2 (http=2)")
	case cfg.Codec != "" && cfg.Codec != codecProtobuf:
		return fmt.Errorf("load agent: api grpc with codec %s: gRPC carries Protobuf; give codec protobuf or none", cfg.Codec)
	}
	p.calls = make([]grpcCall, len(p.reqs))
	for i, r := range p.reqs {
		u, err := url.Parse(r.url)
		if err != nil {
			return fmt.Errorf("load agent: request %d: url %q: %v", i+1, r.url, err)
		}
		switch {
		case u.Path == "/orders" && r.method == http.MethodGet:
			var in apipb.ListOrdersRequest
			if q := u.Query(); q.Has("items") {
				n, err := strconv.ParseInt(q.Get("items"), 10, 32)
				if err != nil || n < 0 {
					return fmt.Errorf("load agent: request %d: %s: items %q: give a whole number for ListOrders", i+1, r.url, q.Get("items"))
				}
				in.Items = proto.Int32(int32(n))
			}
			b, err := proto.Marshal(&in)
			if err != nil {
				return fmt.Errorf("load agent: request %d: encoding ListOrdersRequest: %w", i+1, err)
			}
			p.calls[i] = grpcCall{method: apipb.Orders_ListOrders_FullMethodName, list: b}
		case u.Path == "/orders" && r.method == http.MethodPost:
			p.calls[i] = grpcCall{method: apipb.Orders_CreateOrder_FullMethodName}
		default:
			return fmt.Errorf("load agent: api grpc: request %d: %s %s has no gRPC call; the Orders service has ListOrders (GET /orders) and CreateOrder (POST /orders)", i+1, r.method, u.Path)
		}
	}
	return nil
}

// rawMessage is a message already encoded as Protobuf.
type rawMessage struct{ b []byte }

// rawCodec sends rawMessage as its bytes and keeps the reply's bytes, so
// that the engine decodes (and times) a ListOrders reply as it does a
// REST body. Named "proto": the wire is application/grpc+proto.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	if m, ok := v.(*rawMessage); ok {
		return m.b, nil
	}
	return nil, fmt.Errorf("load agent: gRPC codec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	if m, ok := v.(*rawMessage); ok {
		m.b = append(m.b[:0], data...) // data's buffer goes back to grpc-go
		return nil
	}
	return fmt.Errorf("load agent: gRPC codec: cannot unmarshal into %T", v)
}

func (rawCodec) Name() string { return "proto" }

// grpcTransport is the agent's gRPC client as an http.RoundTripper.
type grpcTransport struct {
	p         *plan
	byURL     map[string]grpcCall // by method and URL
	target    string              // host:port
	creds     credentials.TransportCredentials
	dial      dialFunc
	keepAlive bool

	mu     sync.Mutex
	shared *grpcConn // keepalive on: made on first use; guarded by mu
	closed bool      // guarded by mu
}

// newGRPCTransport returns p's gRPC client, dialing with dial.
func newGRPCTransport(p *plan, dial dialFunc) (*grpcTransport, error) {
	cfg := p.cfg
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("load agent: url %q: %w", cfg.URL, err)
	}
	g := &grpcTransport{
		p: p, byURL: map[string]grpcCall{}, target: hostPort(u), dial: dial,
		keepAlive: cfg.KeepAlive && cfg.Model() != ModelBurst,
		creds:     insecure.NewCredentials(),
	}
	if usesTLS(cfg) {
		// ALPN h2 is added by grpc-go; the session cache (tls=resume) is
		// shared by every connection.
		g.creds = credentials.NewTLS(agentTLSConfig(cfg))
	}
	for i, r := range p.reqs {
		g.byURL[r.method+" "+r.url] = p.calls[i]
	}
	return g, nil
}

// hostPort is u's host:port, with the scheme's port when u has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// grpcConn is one grpc.ClientConn and the dials it made that no call has
// been given yet.
type grpcConn struct {
	cc *grpc.ClientConn

	mu      sync.Mutex
	pending []dialEvent // guarded by mu
}

// dialEvent is one connection a grpcConn made: its TCP connect and TLS
// handshake (zero without TLS).
type dialEvent struct {
	connect, handshake time.Duration
	tls, resumed       bool
}

// grpcRetry retries a call that failed UNAVAILABLE before the server
// answered it (grpc-go retries only calls without a response), as Go's
// HTTP/2 client sends a request again when a GOAWAY refused it: a call
// started while a connection drains after max_requests may otherwise be
// put on the draining connection twice and fail. Each attempt after the
// first counts in retries/op.
const grpcRetry = `{"methodConfig": [{"name": [{"service": "tunebench.api.v1.Orders"}], "retryPolicy": {
	"maxAttempts": 3, "initialBackoff": "0.001s", "maxBackoff": "0.01s", "backoffMultiplier": 2,
	"retryableStatusCodes": ["UNAVAILABLE"]}}]}`

// newConn makes a ClientConn whose connections go through g's dialer. It
// connects on its first call.
func (g *grpcTransport) newConn() (*grpcConn, error) {
	c := &grpcConn{}
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		start := time.Now()
		conn, err := g.dial(ctx, "tcp", addr)
		if err == nil {
			c.add(dialEvent{connect: time.Since(start)})
		}
		return conn, err
	}
	cc, err := grpc.NewClient("passthrough:///"+g.target,
		grpc.WithContextDialer(dial),
		grpc.WithTransportCredentials(&timedCreds{TransportCredentials: g.creds, c: c}),
		grpc.WithStatsHandler(callStats{}),
		grpc.WithNoProxy(), // a proxy from the environment would measure the proxy
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(maxDecodeBody)),
		grpc.WithIdleTimeout(g.p.cfg.IdleTimeout), // client_idle; 0: never
		grpc.WithDefaultServiceConfig(grpcRetry),
	)
	if err != nil {
		return nil, fmt.Errorf("load agent: gRPC client for %s: %w", g.target, err)
	}
	c.cc = cc
	return c, nil
}

// add notes a connection made, or completes the last one with its TLS
// handshake.
func (c *grpcConn) add(ev dialEvent) {
	c.mu.Lock()
	c.pending = append(c.pending, ev)
	c.mu.Unlock()
}

// handshook adds a TLS handshake to the last connection made.
func (c *grpcConn) handshook(d time.Duration, resumed bool) {
	c.mu.Lock()
	if n := len(c.pending); n > 0 {
		c.pending[n-1].tls, c.pending[n-1].handshake, c.pending[n-1].resumed = true, d, resumed
	}
	c.mu.Unlock()
}

// take returns the dials not yet given to a call, and forgets them.
func (c *grpcConn) take() []dialEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	evs := c.pending
	c.pending = nil
	return evs
}

// conn is the ClientConn for one call, and whether it is the call's own.
func (g *grpcTransport) conn() (*grpcConn, bool, error) {
	if !g.keepAlive {
		c, err := g.newConn()
		return c, true, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, false, errors.New("load agent: gRPC client closed")
	}
	if g.shared == nil {
		c, err := g.newConn()
		if err != nil {
			return nil, false, err
		}
		g.shared = c
	}
	return g.shared, false, nil
}

// RoundTrip makes req's call and answers it as an HTTP/2 response.
func (g *grpcTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	call, ok := g.byURL[req.Method+" "+req.URL.String()]
	if !ok {
		return nil, fmt.Errorf("load agent: api grpc: %s %s is not a request of the mix", req.Method, req.URL)
	}
	in := &rawMessage{b: call.list}
	if call.list == nil && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		in.b = b
	}
	if req.Body != nil {
		req.Body.Close()
	}
	c, own, err := g.conn()
	if err != nil {
		return nil, err
	}
	if own {
		defer c.cc.Close()
	}
	ctx := req.Context()
	var md metadata.MD
	out := &rawMessage{}
	err = c.cc.Invoke(ctx, call.method, in, out, grpc.Header(&md))
	giveDials(ctx, c.take())
	if err != nil {
		st := status.Convert(err)
		return nil, fmt.Errorf("grpc %v: %s", st.Code(), st.Message())
	}
	h := http.Header{"Content-Type": {mediaProtobuf}}
	for _, v := range md.Get("server-timing") {
		h.Add("Server-Timing", v)
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "HTTP/2.0", ProtoMajor: 2,
		Header: h, Body: io.NopCloser(bytes.NewReader(out.b)), ContentLength: int64(len(out.b)),
		Request: req,
	}, nil
}

// giveDials puts the connections a call's ClientConn made on the call's
// trace; none: the call reused a connection.
func giveDials(ctx context.Context, evs []dialEvent) {
	t := requestTraceFrom(ctx)
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ev := range evs {
		t.newConns++
		t.connect = ev.connect
		if ev.tls {
			t.handshake = ev.handshake
			t.handshakes++
			if ev.resumed {
				t.resumed++
			}
		}
	}
}

// close closes the shared connection; calls after it fail.
func (g *grpcTransport) close() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.shared != nil {
		g.shared.cc.Close()
	}
}

// timedCreds times the TLS handshake of each connection and notes whether
// it resumed a session.
type timedCreds struct {
	credentials.TransportCredentials
	c *grpcConn
}

func (t *timedCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	start := time.Now()
	conn, info, err := t.TransportCredentials.ClientHandshake(ctx, authority, raw)
	if err == nil {
		if ti, ok := info.(credentials.TLSInfo); ok {
			t.c.handshook(time.Since(start), ti.State.DidResume)
		}
	}
	return conn, info, err
}

func (t *timedCreds) Clone() credentials.TransportCredentials {
	return &timedCreds{TransportCredentials: t.TransportCredentials.Clone(), c: t.c}
}

// callStats passes a call's events to its request's httptrace hooks: the
// request message written, and the first response byte (the reply's
// headers).
type callStats struct{}

func (callStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (callStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (callStats) HandleConn(context.Context, stats.ConnStats) {}

func (callStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	ct := httptrace.ContextClientTrace(ctx)
	if ct == nil || !s.IsClient() {
		return
	}
	switch s.(type) {
	case *stats.Begin: // one per attempt: gotConns-1 are the retries
		if t := requestTraceFrom(ctx); t != nil {
			t.mu.Lock()
			t.gotConns++
			t.mu.Unlock()
		}
	case *stats.OutPayload:
		if ct.WroteRequest != nil {
			ct.WroteRequest(httptrace.WroteRequestInfo{})
		}
	case *stats.InHeader:
		if ct.GotFirstResponseByte != nil {
			ct.GotFirstResponseByte()
		}
		answered(ctx)
	case *stats.InTrailer: // a trailers-only reply (an error status) has no InHeader
		answered(ctx)
	}
}

// answered notes on the call's trace that the server answered it as gRPC.
func answered(ctx context.Context) {
	if t := requestTraceFrom(ctx); t != nil {
		t.mu.Lock()
		t.rpc = true
		t.mu.Unlock()
	}
}
