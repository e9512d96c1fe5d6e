package servers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOversizedRequests: a header over maxHeaderBytes (a long URL, or many
// fields) is answered 431 and the connection closed, so that no client
// makes the server buffer without bound; a GET with a body over
// maxRequestBody is answered and the body never read past the cap.
func TestOversizedRequests(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr, done := startRun(t, ctx, Config{})
	defer waitRun(t, done, 2*time.Second)
	defer cancel()

	big := strings.Repeat("a", maxHeaderBytes+8192)
	for _, tt := range []struct{ name, req string }{
		{"long URL", "GET /healthz?x=" + big + " HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"long field", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"},
		{"many fields", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-F: 0123456789012345678901234567890123456789\r\n", 2*maxHeaderBytes/48) + "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			go io.WriteString(conn, tt.req) // the server may stop reading
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("reading the response: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("got %s; want 431 Request Header Fields Too Large", resp.Status)
			}
		})
	}

	t.Run("body over the cap", func(t *testing.T) {
		// 8 MiB of body on a GET: the server answers and closes rather
		// than reading it all.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		const n = 8 << 20
		go func() {
			io.WriteString(conn, fmt.Sprintf("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", n))
			io.CopyN(conn, zeroReader{}, n) // fails once the server closes
		}()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("reading the response: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !resp.Close {
			t.Errorf("got %s, close %v; want 200 and the connection closed (the body is left unread)", resp.Status, resp.Close)
		}
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestSlowClients: a client that drips its header a byte at a time is cut
// off at the header timeout however steadily it drips, and a hundred slow
// clients holding connections open do not keep a normal client waiting.
func TestSlowClients(t *testing.T) {
	const short = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr, done := startRun(t, ctx, Config{ReadHeaderTimeout: short})
	defer waitRun(t, done, 3*time.Second)
	defer cancel()

	t.Run("drip", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		closed := make(chan time.Duration, 1)
		go func() {
			_, _ = io.Copy(io.Discard, conn) // returns when the server closes
			closed <- time.Since(start)
		}()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case d := <-closed:
				t.Logf("dripping client cut off after %v", d.Round(time.Millisecond))
				if d < short*3/4 {
					t.Errorf("cut off after %v; want no earlier than the %v header timeout", d, short)
				}
				return
			case <-tick.C:
				if time.Since(start) > 10*time.Second {
					t.Fatalf("a client dripping a byte every 20ms still connected after 10s; the header timeout is %v", short)
				}
				conn.Write([]byte("a")) // errors once closed; closed says so
			}
		}
	})

	t.Run("many slow clients", func(t *testing.T) {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range 100 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Ag")
			conns = append(conns, c)
		}
		client := &http.Client{Timeout: 5 * time.Second}
		start := time.Now()
		resp, err := client.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("a normal client beside 100 slow ones: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("got %s; want 200", resp.Status)
		}
		t.Logf("answered in %v beside 100 slow clients", time.Since(start).Round(time.Microsecond))
	})
}
