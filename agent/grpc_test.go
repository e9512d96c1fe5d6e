package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/servers"
)

// TestAgentGRPC runs the agent with api grpc against the reference server
// over loopback, a mix of ListOrders and CreateOrder, for h2c and TLS with
// resumption, one connection reused and one per call, and checks what it
// counted: every measured call answered over gRPC (and HTTP/2) without an
// error, the ListOrders replies decoded as Protobuf, the server's encoding
// time read from its header metadata, new connections and resumed TLS
// handshakes exactly when a call has its own connection, and wire bytes.
func TestAgentGRPC(t *testing.T) {
	body, err := servers.EncodeOrders(servers.CodecProtobuf, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		tls       string
		keepAlive bool
	}{
		{"h2c/keepalive", "off", true},
		{"h2c/new-conn", "off", false},
		{"tls-resume/keepalive", "resume", true},
		{"tls-resume/new-conn", "resume", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveReference(t, servers.Transport{TLS: tc.tls != "off", HTTP2: true, GRPC: true}, 0)
			base := "http://" + addr
			if tc.tls != "off" {
				base = "https://" + addr
			}
			res := runAgent(t, Config{
				Requests: []Request{
					{Name: "list", URL: base + "/orders?items=3", Weight: 3},
					{Name: "create", Method: "POST", URL: base + "/orders", Body: body, Header: map[string]string{"Content-Type": "application/x-protobuf"}},
				},
				Rate: 100, Warmup: 200 * time.Millisecond, Duration: 300 * time.Millisecond,
				Timeout: 5 * time.Second, TLS: tc.tls, HTTP2: true, KeepAlive: tc.keepAlive,
				API: apiGRPC, Codec: codecProtobuf,
			})
			tr := res.Trace
			if res.Requests != 30 || res.Errors != 0 || tr == nil {
				t.Fatalf("got %d measured, %d errors %q, trace %+v; want 30 and none", res.Requests, res.Errors, res.ErrorSamples, tr)
			}
			if !tr.AskedGRPC || tr.GRPC != 30 || tr.HTTP2 != 30 {
				t.Errorf("trace: grpc asked %v, %d over gRPC, %d over HTTP/2; want true, 30, 30", tr.AskedGRPC, tr.GRPC, tr.HTTP2)
			}
			lists := res.PerRequest[0].Requests
			if c := res.Codec; c == nil || c.Decoded != lists || c.Eligible != lists || c.Encoded < lists {
				t.Errorf("codec report %+v; want %d ListOrders replies decoded and their encoding times read", c, lists)
			}
			newConns, resumed := 0, 0
			if !tc.keepAlive {
				newConns = 30
				if tc.tls == "resume" {
					resumed = 30
				}
			}
			if tr.NewConns != newConns || tr.Resumed != resumed {
				t.Errorf("trace: %d new connections, %d resumed; want %d, %d", tr.NewConns, tr.Resumed, newConns, resumed)
			}
			if !tc.keepAlive && (tr.Connect.Count != 30 || tr.TTFB.Count != 30) {
				t.Errorf("trace: connect phase of %d calls, ttfb of %d; want 30 each", tr.Connect.Count, tr.TTFB.Count)
			}
			if tc.keepAlive && (res.Sockets == nil || res.Sockets.Conns != 1) {
				t.Errorf("sockets %+v; want one connection for every call", res.Sockets)
			}
			if res.WireIn == 0 || res.WireOut < uint64(len(body)) {
				t.Errorf("wire bytes in %d, out %d; want both counted", res.WireIn, res.WireOut)
			}
		})
	}
}

// TestAgentGRPCModels runs the closed loop and bursts with api grpc: the
// load models drive gRPC calls as they drive HTTP requests, a burst's
// every call on a connection of its own.
func TestAgentGRPCModels(t *testing.T) {
	addr := serveReference(t, servers.Transport{HTTP2: true, GRPC: true}, 0)
	base := Config{URL: "http://" + addr + "/orders?items=2", Duration: 300 * time.Millisecond, Timeout: 5 * time.Second,
		HTTP2: true, KeepAlive: true, API: apiGRPC}
	closed := base
	closed.Connections = 2
	res := runAgent(t, closed)
	if res.Requests == 0 || res.Errors != 0 || res.Trace.GRPC != res.Requests || res.Sockets.Conns != 1 {
		t.Errorf("closed loop: %d calls, %d errors %q, %d over gRPC, %d connections; want calls, no error, all over gRPC on one connection",
			res.Requests, res.Errors, res.ErrorSamples, res.Trace.GRPC, res.Sockets.Conns)
	}
	burst := base
	burst.Burst = &Burst{Connections: 3, Every: 100 * time.Millisecond}
	res = runAgent(t, burst)
	if res.Requests != 9 || res.Errors != 0 || res.Trace.GRPC != 9 || res.Trace.NewConns != 9 {
		t.Errorf("bursts: %d calls, %d errors %q, %d over gRPC, %d new connections; want 9, 0, 9, 9",
			res.Requests, res.Errors, res.ErrorSamples, res.Trace.GRPC, res.Trace.NewConns)
	}
}

// TestAgentGRPCMaxRequests: a server that sends GOAWAY after every 5th
// call (max_requests 5) makes the kept-alive client open a connection per
// 5 calls, without a failed call (grpcRetry).
func TestAgentGRPCMaxRequests(t *testing.T) {
	addr := serveReference(t, servers.Transport{HTTP2: true, GRPC: true, MaxRequests: 5}, 0)
	res := runAgent(t, Config{URL: "http://" + addr + "/orders?items=2", Rate: 100, Warmup: 200 * time.Millisecond, Duration: 500 * time.Millisecond,
		Timeout: 5 * time.Second, HTTP2: true, KeepAlive: true, API: apiGRPC})
	if res.Requests != 50 || res.Errors != 0 || res.Sockets == nil || res.Sockets.Conns < 12 || res.Sockets.Conns > 15 || res.Trace.NewConns < 8 || res.Trace.NewConns > 11 {
		t.Errorf("got %d calls, %d errors %q, %+v connections, %d new in the measured ones; want 50, 0, about 14 (70 calls / 5; calls in flight at a GOAWAY still end on their connection), about 10",
			res.Requests, res.Errors, res.ErrorSamples, res.Sockets, res.Trace.NewConns)
	}
}

// TestAgentGRPCStatus checks that a call the server refuses counts as an
// error with its status code.
func TestAgentGRPCStatus(t *testing.T) {
	addr := serveReference(t, servers.Transport{HTTP2: true, GRPC: true}, 0)
	res := runAgent(t, Config{
		Requests: []Request{{Name: "bad", Method: "POST", URL: "http://" + addr + "/orders", Body: []byte{0xff}}},
		Rate:     100, Duration: 100 * time.Millisecond, Timeout: 5 * time.Second, HTTP2: true, KeepAlive: true, API: apiGRPC,
	})
	if res.Errors != res.Requests || res.Requests == 0 || len(res.ErrorSamples) == 0 || !strings.Contains(res.ErrorSamples[0], "grpc InvalidArgument") {
		t.Errorf("got %d errors of %d, %q; want every call refused with InvalidArgument", res.Errors, res.Requests, res.ErrorSamples)
	}
	if res.Trace == nil || res.Trace.GRPC != res.Requests {
		t.Errorf("trace %+v; want every refused call counted as answered over gRPC", res.Trace)
	}
}

// TestAgentGRPCConfig checks the api knob's validation.
func TestAgentGRPCConfig(t *testing.T) {
	const u = "http://198.18.0.2:8080"
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{URL: u + "/orders", API: "grpc", HTTP2: true}, ""},
		{Config{URL: u + "/orders", API: "rest"}, ""},
		{Config{URL: u + "/orders", API: "soap"}, `api "soap": give rest or grpc`},
		{Config{URL: u + "/orders", API: "grpc"}, "api grpc needs http2"},
		{Config{URL: u + "/orders", API: "grpc", HTTP2: true, Codec: "json"}, "gRPC carries Protobuf"},
		{Config{URL: u + "/bytes/10", API: "grpc", HTTP2: true}, "GET /bytes/10 has no gRPC call"},
		{Config{URL: u + "/orders?items=x", API: "grpc", HTTP2: true}, `items "x"`},
	}
	for _, tt := range tests {
		tt.cfg.Rate, tt.cfg.Duration = 10, time.Second
		_, err := newPlan(tt.cfg)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: %v; want no error", tt.cfg, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: %v; want an error with %q", tt.cfg, err, tt.want)
		}
	}
}
