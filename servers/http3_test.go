package servers

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// h3Get GETs path over a new QUIC connection to addr, as 0-RTT early data
// when early is set and the cache holds a ticket, and returns the body and
// whether the server accepted early data.
func h3Get(t *testing.T, addr, path string, cache tls.ClientSessionCache, early bool) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	tlsConf := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{http3.NextProtoH3}, ClientSessionCache: cache}
	conn, err := quic.DialAddrEarly(ctx, addr, tlsConf, &quic.Config{})
	if err != nil {
		t.Fatalf("dialing QUIC %s: %v", addr, err)
	}
	defer conn.CloseWithError(0, "")
	cc := (&http3.Transport{}).NewClientConn(conn)
	method := http.MethodGet
	if early {
		method = http3.MethodGet0RTT
	}
	req, err := http.NewRequestWithContext(ctx, method, "https://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cc.RoundTrip(req)
	if err != nil {
		t.Fatalf("HTTP/3 GET %s: %v", path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 3 {
		t.Fatalf("GET %s: %s %s; want 200 over HTTP/3", path, resp.Proto, resp.Status)
	}
	<-conn.HandshakeComplete()
	return string(body), conn.ConnectionState().Used0RTT
}

func TestHTTP3ServesOnTheTCPPort(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Addr: "127.0.0.1:0", Transport: Transport{TLS: true, HTTP2: true, HTTP3: true}}, pw)
		pw.Close()
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	line := make([]byte, 64)
	n, err := pr.Read(line)
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	addr := strings.TrimSpace(strings.TrimPrefix(string(line[:n]), "listening "))

	body, early := h3Get(t, addr, "/orders?items=2", nil, false)
	if !strings.Contains(body, "orders") || early {
		t.Errorf("first GET: body %q, early data %v; want orders without early data", body, early)
	}
	// TCP still serves beside UDP, on the same port.
	c := transportClient(func(p *http.Protocols) { p.SetHTTP2(true) }, false, false)
	resp, err := c.Get("https://" + addr + "/orders?items=1")
	if err != nil {
		t.Fatalf("HTTP/2 over TCP beside HTTP/3: %v", err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("TCP side spoke %s; want HTTP/2", resp.Proto)
	}

	// 0-RTT: a ticket from a first connection lets a second send its GET
	// in the first flight, and the server accepts it.
	cache := tls.NewLRUClientSessionCache(4)
	h3Get(t, addr, "/orders?items=1", cache, true) // gets the ticket
	var accepted bool
	for range 3 { // the ticket may come just after the response
		if _, accepted = h3Get(t, addr, "/orders?items=1", cache, true); accepted {
			break
		}
	}
	if !accepted {
		t.Errorf("resumed connection: Used0RTT false; want the server to accept early data")
	}
}

func TestHTTP3NeedsTLS(t *testing.T) {
	ln, err := Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = Serve(t.Context(), ln, Config{Transport: Transport{HTTP3: true}})
	if err == nil || !strings.Contains(err.Error(), "turn TLS on") {
		t.Errorf("Serve with HTTP/3 and no TLS: %v; want an error that says to turn TLS on", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Errorf("listener still open after the error; want it closed")
	}
}

func TestTransportFromEnvHTTP3(t *testing.T) {
	for _, tc := range []struct {
		name, tls, http string
		want            Transport
		wantErr         string
	}{
		{name: "3 with 0rtt", tls: "0rtt", http: "3", want: Transport{TLS: true, HTTP2: true, HTTP3: true}},
		{name: "3 with full", tls: "full", http: "3", want: Transport{TLS: true, HTTP2: true, HTTP3: true}},
		{name: "3 without TLS", tls: "off", http: "3", wantErr: "always encrypted"},
		{name: "bad", tls: "0rtt", http: "4", wantErr: "give 1.1, 2 or 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"TUNEBENCH_TLS": tc.tls, "TUNEBENCH_HTTP": tc.http}
			got, _, err := TransportFromEnv(func(k string) string { return env[k] })
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got %v; want an error with %q", err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("got %v; want no error", err)
			case got != tc.want:
				t.Errorf("got %+v; want %+v", got, tc.want)
			}
		})
	}
}
