package agent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// h3Server is a test HTTP/3 server on 127.0.0.1 that accepts 0-RTT and
// notes the most requests it had in flight at once.
type h3Server struct {
	URL               string
	inFlight, maxSeen atomic.Int64
	mu                sync.Mutex
	conns             map[string]bool // remote addresses seen
}

// newH3Server serves over HTTP/3 until the test ends, each request after
// delay.
func newH3Server(t *testing.T, delay time.Duration) *h3Server {
	t.Helper()
	return newH3ServerClosing(t, delay, 0)
}

// newH3ServerClosing is newH3Server that closes the connection of its
// closeNth request (from 1) instead of answering it; 0 closes none.
func newH3ServerClosing(t *testing.T, delay time.Duration, closeNth int64) *h3Server {
	t.Helper()
	var served atomic.Int64
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &h3Server{URL: "https://" + pc.LocalAddr().String(), conns: map[string]bool{}}
	srv := &http3.Server{
		TLSConfig:  &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		QUICConfig: &quic.Config{Allow0RTT: true},
		ConnContext: func(ctx context.Context, c *quic.Conn) context.Context {
			return context.WithValue(ctx, quicConnKey{}, c)
		},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if served.Add(1) == closeNth {
				r.Context().Value(quicConnKey{}).(*quic.Conn).CloseWithError(0, "closing, as an idle timeout would")
				return
			}
			n := s.inFlight.Add(1)
			defer s.inFlight.Add(-1)
			for m := s.maxSeen.Load(); n > m && !s.maxSeen.CompareAndSwap(m, n); m = s.maxSeen.Load() {
			}
			s.mu.Lock()
			s.conns[r.RemoteAddr] = true
			s.mu.Unlock()
			time.Sleep(delay)
			w.Write([]byte("ok"))
		}),
	}
	done := make(chan struct{})
	go func() { srv.Serve(pc); close(done) }()
	t.Cleanup(func() { srv.Close(); pc.Close(); <-done })
	return s
}

// quicConnKey is the context key of a test server request's connection.
type quicConnKey struct{}

// TestAgentHTTP3Retry checks that a GET whose reused connection dies is
// sent again on a new one and counted as a retry, not an error.
func TestAgentHTTP3Retry(t *testing.T) {
	s := newH3ServerClosing(t, 0, 3)
	res := runAgent(t, Config{URL: s.URL + "/", TLS: "full", HTTP3: true, Connections: 1, KeepAlive: true, Duration: 300 * time.Millisecond})
	if res.Errors != 0 || res.Trace == nil || res.Trace.Retries != 1 || res.Trace.NewConns != 2 {
		t.Errorf("errors %d %v, trace %+v; want no error, 1 retry and 2 new connections", res.Errors, res.ErrorSamples, res.Trace)
	}
}

func TestAgentHTTP3ZeroRTT(t *testing.T) {
	s := newH3Server(t, 0)
	for _, tc := range []struct {
		tls       string
		wantEarly bool
	}{{"full", false}, {"resume", false}, {"0rtt", true}} {
		t.Run(tc.tls, func(t *testing.T) {
			res := runAgent(t, Config{URL: s.URL + "/", TLS: tc.tls, HTTP3: true, Rate: 40,
				Warmup: 200 * time.Millisecond, Duration: time.Second, KeepAlive: false})
			tr := res.Trace
			if res.Errors > 0 || tr == nil || tr.Requests == 0 {
				t.Fatalf("errors %d (%v), trace %+v; want none", res.Errors, res.ErrorSamples, tr)
			}
			if tr.HTTP3 != tr.Requests || tr.NewConns != tr.Requests || tr.Handshakes != tr.Requests {
				t.Errorf("http3 %d, new conns %d, handshakes %d of %d requests; want all (HTTP/3, one new QUIC connection each)", tr.HTTP3, tr.NewConns, tr.Handshakes, tr.Requests)
			}
			wantResumed := tc.tls != "full"
			if got := tr.Resumed >= tr.Requests*8/10; got != wantResumed {
				t.Errorf("resumed %d of %d; want most resumed: %v", tr.Resumed, tr.Requests, wantResumed)
			}
			if got := tr.EarlyData >= tr.Requests*8/10; got != tc.wantEarly || !tc.wantEarly && tr.EarlyData > 0 {
				t.Errorf("early data accepted %d of %d; want most: %v", tr.EarlyData, tr.Requests, tc.wantEarly)
			}
			q := res.QUIC
			if q == nil || q.Conns < tr.Requests || q.PacketsSent == 0 || q.BytesReceived == 0 {
				t.Fatalf("QUIC report %+v; want a connection per request and packets", q)
			}
			if res.WireIn < q.BytesReceived || res.WireOut < q.BytesSent {
				t.Errorf("wire %d in, %d out; want at least QUIC's %d, %d", res.WireIn, res.WireOut, q.BytesReceived, q.BytesSent)
			}
			if tc.wantEarly && q.ZeroRTT < tr.EarlyData {
				t.Errorf("0-RTT connections %d < early requests %d", q.ZeroRTT, tr.EarlyData)
			}
		})
	}
}

func TestAgentHTTP3Streams(t *testing.T) {
	s := newH3Server(t, 50*time.Millisecond)
	res := runAgent(t, Config{URL: s.URL + "/", TLS: "full", HTTP3: true, Connections: 1, Streams: 8,
		Warmup: 100 * time.Millisecond, Duration: 500 * time.Millisecond, KeepAlive: true})
	if res.Errors > 0 {
		t.Fatalf("errors %d: %v", res.Errors, res.ErrorSamples)
	}
	if res.QUIC == nil || res.QUIC.Conns != 1 {
		t.Errorf("QUIC report %+v; want one connection", res.QUIC)
	}
	if got := s.maxSeen.Load(); got < 6 || got > 8 {
		t.Errorf("server saw at most %d requests in flight; want 8 streams on the one connection (6 to 8)", got)
	}
	if len(s.conns) != 1 {
		t.Errorf("server saw %d client addresses; want 1", len(s.conns))
	}
}

func TestAgentHTTP3Config(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"0rtt over TCP", Config{URL: "https://127.0.0.1:1/", TLS: "0rtt", HTTP2: true, Rate: 1, Duration: time.Second}, "tls 0rtt needs http3"},
		{"http3 without TLS", Config{URL: "http://127.0.0.1:1/", TLS: "off", HTTP3: true, Rate: 1, Duration: time.Second}, "QUIC is always encrypted"},
		{"both versions", Config{URL: "https://127.0.0.1:1/", HTTP2: true, HTTP3: true, Rate: 1, Duration: time.Second}, "give one HTTP version"},
		{"streams over HTTP/1.1", Config{URL: "http://127.0.0.1:1/", Connections: 1, Streams: 4, KeepAlive: true, Duration: time.Second}, "needs http2 or http3"},
		{"streams in open loop", Config{URL: "https://127.0.0.1:1/", HTTP3: true, Rate: 1, Streams: 4, KeepAlive: true, Duration: time.Second}, "needs the closed loop"},
		{"streams without keepalive", Config{URL: "https://127.0.0.1:1/", HTTP3: true, Connections: 1, Streams: 4, Duration: time.Second}, "needs keepalive"},
		{"streams over 2 h2 conns", Config{URL: "https://127.0.0.1:1/", HTTP2: true, Connections: 2, Streams: 4, KeepAlive: true, Duration: time.Second}, "give connections 1"},
		{"negative streams", Config{URL: "https://127.0.0.1:1/", HTTP3: true, Connections: 1, Streams: -1, Duration: time.Second}, "negative"},
		{"streams ok", Config{URL: "https://127.0.0.1:1/", HTTP2: true, Connections: 1, Streams: 8, KeepAlive: true, Duration: time.Second}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := newPlan(tc.cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v; want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v; want an error with %q", err, tc.wantErr)
			case err == nil && tc.cfg.Streams > 1 && p.inFlight != tc.cfg.Connections*tc.cfg.Streams:
				t.Errorf("in flight %d; want connections × streams", p.inFlight)
			}
		})
	}
}

// TestAgentHTTP3Cancel checks that a cancelled run closes its QUIC
// connections and socket and returns.
func TestAgentHTTP3Cancel(t *testing.T) {
	s := newH3Server(t, 20*time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, Config{URL: s.URL + "/", TLS: "full", HTTP3: true, Connections: 2, KeepAlive: true, Duration: 10 * time.Second}, &strings.Builder{})
	if err == nil || res == nil || res.QUIC == nil || res.QUIC.Conns != 2 {
		t.Errorf("cancelled run: err %v, result %+v; want an error and the report of 2 connections", err, res)
	}
}
