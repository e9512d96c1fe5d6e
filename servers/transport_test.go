package servers

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// serveTransport serves the reference handler with tr on a loopback port
// until the test ends, and returns host:port.
func serveTransport(t *testing.T, tr Transport) string {
	t.Helper()
	ln, err := Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, Config{Transport: tr}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// transportClient speaks exactly the protocols given, TLS 1.3 without
// verification, with or without a session cache and keep-alive.
func transportClient(protos func(*http.Protocols), cache bool, keepAlive bool) *http.Client {
	var p http.Protocols
	protos(&p)
	cfg := &tls.Config{InsecureSkipVerify: true}
	if cache {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		Protocols: &p, TLSClientConfig: cfg, DisableKeepAlives: !keepAlive,
	}}
}

// getTraced GETs url and reports whether it used a new connection.
func getTraced(t *testing.T, c *http.Client, url string) (*http.Response, bool) {
	t.Helper()
	fresh := false
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { fresh = !i.Reused },
	}))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return resp, fresh
}

func http1(p *http.Protocols)  { p.SetHTTP1(true) }
func http2(p *http.Protocols)  { p.SetHTTP2(true) }
func h2c(p *http.Protocols)    { p.SetUnencryptedHTTP2(true) }
func either(p *http.Protocols) { p.SetHTTP1(true); p.SetHTTP2(true) }

func TestTransportTLS(t *testing.T) {
	addr := serveTransport(t, Transport{TLS: true, HTTP2: true})
	url := "https://" + addr + "/healthz"

	resp, _ := getTraced(t, transportClient(http2, false, true), url)
	if resp.ProtoMajor != 2 || resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 || resp.TLS.NegotiatedProtocol != "h2" {
		t.Fatalf("got %s over TLS %+v; want HTTP/2 over TLS 1.3 with ALPN h2", resp.Proto, resp.TLS)
	}
	cert := resp.TLS.PeerCertificates[0]
	key, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Errorf("got a %T key; want ECDSA P-256", cert.PublicKey)
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("certificate: %v; want it valid for the server's address", err)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("certificate: %v; want it self-signed", err)
	}

	// TLS 1.2 is refused.
	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}}}
	if resp, err := old.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("TLS 1.2 client: got %s; want the handshake refused", resp.Status)
	}

	// Without a session cache every connection is a full handshake; with
	// one, the second connection resumes with the first one's ticket.
	for _, cache := range []bool{false, true} {
		c := transportClient(http1, cache, false)
		getTraced(t, c, url)
		resp, fresh := getTraced(t, c, url)
		if !fresh || resp.ProtoMajor != 1 {
			t.Fatalf("cache %v: got %s on a fresh connection %v; want HTTP/1.1 on a new one", cache, resp.Proto, fresh)
		}
		if resp.TLS.DidResume != cache {
			t.Errorf("session cache %v: second connection resumed %v; want %v", cache, resp.TLS.DidResume, cache)
		}
	}
}

func TestTransportHTTPVersions(t *testing.T) {
	tests := []struct {
		name   string
		server Transport
		scheme string
		client func(*http.Protocols)
		want   int // ProtoMajor; 0: the request fails
	}{
		{"h2c", Transport{HTTP2: true}, "http", h2c, 2},
		{"h2c server, HTTP/1.1 client", Transport{HTTP2: true}, "http", http1, 1},
		{"HTTP/1.1 server, h2c client", Transport{}, "http", h2c, 0},
		{"TLS HTTP/1.1 server, client offers both", Transport{TLS: true}, "https", either, 1},
		{"TLS HTTP/1.1 server, HTTP/2-only client", Transport{TLS: true}, "https", http2, 0},
		{"TLS HTTP/2 server, client offers both", Transport{TLS: true, HTTP2: true}, "https", either, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveTransport(t, tt.server)
			resp, err := transportClient(tt.client, false, true).Get(tt.scheme + "://" + addr + "/orders?items=2")
			if tt.want == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got %s; want the request to fail", resp.Proto)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.ProtoMajor != tt.want {
				t.Errorf("got %s; want major version %d", resp.Proto, tt.want)
			}
		})
	}
}

func TestTransportMaxRequests(t *testing.T) {
	for _, tt := range []struct {
		name   string
		server Transport
		scheme string
		client func(*http.Protocols)
	}{
		{"HTTP/1.1", Transport{MaxRequests: 3}, "http", http1},
		{"h2c", Transport{MaxRequests: 3, HTTP2: true}, "http", h2c},
		{"HTTP/2 over TLS", Transport{MaxRequests: 3, HTTP2: true, TLS: true}, "https", http2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveTransport(t, tt.server)
			c := transportClient(tt.client, false, true)
			var pattern strings.Builder
			for i := 0; i < 7; i++ {
				_, fresh := getTraced(t, c, tt.scheme+"://"+addr+"/healthz")
				if fresh {
					pattern.WriteByte('N')
				} else {
					pattern.WriteByte('r')
				}
				// A GOAWAY needs a moment to reach the client's pool.
				time.Sleep(20 * time.Millisecond)
			}
			if got, want := pattern.String(), "NrrNrrN"; got != want {
				t.Errorf("got connections %s (N new, r reused); want %s: a new one every 3 requests", got, want)
			}
		})
	}
	// 0 is no limit.
	addr := serveTransport(t, Transport{})
	c := transportClient(http1, false, true)
	for i := 0; i < 5; i++ {
		if _, fresh := getTraced(t, c, "http://"+addr+"/healthz"); fresh != (i == 0) {
			t.Fatalf("request %d: new connection %v; want only the first on a new one", i, fresh)
		}
	}
}

func TestTransportFromEnv(t *testing.T) {
	tests := []struct {
		env      map[string]string
		want     Transport
		wantIdle time.Duration
		err      string
	}{
		{env: nil, want: Transport{}},
		{env: map[string]string{"TUNEBENCH_TLS": "off", "TUNEBENCH_HTTP": "1.1", "TUNEBENCH_MAX_REQUESTS": "0"}, want: Transport{}},
		{env: map[string]string{"TUNEBENCH_TLS": "full", "TUNEBENCH_HTTP": "2"}, want: Transport{TLS: true, HTTP2: true}},
		{env: map[string]string{"TUNEBENCH_TLS": "resume", "TUNEBENCH_MAX_REQUESTS": "100", "TUNEBENCH_SERVER_IDLE": "1m30s"},
			want: Transport{TLS: true, MaxRequests: 100}, wantIdle: 90 * time.Second},
		{env: map[string]string{"TUNEBENCH_TLS": "on"}, err: `servers: TUNEBENCH_TLS="on": give off, full, resume or 0rtt`},
		{env: map[string]string{"TUNEBENCH_HTTP": "3"}, err: `servers: TUNEBENCH_HTTP=3 needs TUNEBENCH_TLS full, resume or 0rtt`},
		{env: map[string]string{"TUNEBENCH_HTTP": "4"}, err: `servers: TUNEBENCH_HTTP="4": give 1.1, 2 or 3`},
		{env: map[string]string{"TUNEBENCH_MAX_REQUESTS": "-1"}, err: "give a whole number of requests, 0 for no limit"},
		{env: map[string]string{"TUNEBENCH_SERVER_IDLE": "5"}, err: `servers: TUNEBENCH_SERVER_IDLE="5": give a positive duration, e.g. 500ms`},
	}
	for _, tt := range tests {
		tr, idle, err := TransportFromEnv(func(k string) string { return tt.env[k] })
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: got %v; want error containing %q", tt.env, err, tt.err)
			}
		case err != nil || tr != tt.want || idle != tt.wantIdle:
			t.Errorf("%v: got %+v, %v, %v; want %+v, %v", tt.env, tr, idle, err, tt.want, tt.wantIdle)
		}
	}
}

func TestSelfSignedDNSName(t *testing.T) {
	c, err := SelfSigned("server.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Leaf.VerifyHostname("server.test"); err != nil {
		t.Error(err)
	}
	if _, ok := c.PrivateKey.(*ecdsa.PrivateKey); !ok {
		t.Errorf("got a %T key; want ECDSA", c.PrivateKey)
	}
}
