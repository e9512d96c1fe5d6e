package servers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestListenErrors(t *testing.T) {
	held, err := Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer held.Close()
	inUse := held.Addr().String()

	errControl := errors.New("setting TCP_FASTOPEN: protocol not available")
	tests := []struct {
		name    string
		addr    string
		opts    []ListenOption
		wantErr string // the whole message
		wantIs  error  // nil to skip
	}{
		{
			name:    "port in use",
			addr:    inUse,
			wantErr: "servers: listening on " + inUse + ": address already in use; choose another port or stop the program that holds it",
			wantIs:  syscall.EADDRINUSE,
		},
		{
			name:    "no address",
			addr:    "",
			wantErr: "servers: no address to listen on; give host:port, e.g. 198.18.0.2:8080",
		},
		{
			name:    "no port",
			addr:    "127.0.0.1",
			wantErr: `servers: listen address "127.0.0.1": address 127.0.0.1: missing port in address; give host:port, e.g. 198.18.0.2:8080`,
		},
		{
			name: "control fails",
			addr: "127.0.0.1:0",
			opts: []ListenOption{
				WithControl(func(string, string, syscall.RawConn) error { return nil }),
				WithControl(func(string, string, syscall.RawConn) error { return errControl }),
			},
			wantErr: "servers: listening on 127.0.0.1:0: setting TCP_FASTOPEN: protocol not available",
			wantIs:  errControl,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := Listen(t.Context(), tt.addr, tt.opts...)
			if err == nil {
				ln.Close()
				t.Fatalf("Listen(%q): got no error; want %q", tt.addr, tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("Listen(%q):\ngot  %q\nwant %q", tt.addr, err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v): got false; want true", err, tt.wantIs)
			}
		})
	}
}

func TestListenControl(t *testing.T) {
	var calls []string
	ln, err := Listen(t.Context(), "127.0.0.1:0",
		WithControl(func(network, address string, c syscall.RawConn) error {
			calls = append(calls, "first "+network)
			return nil
		}),
		WithControl(func(network, address string, c syscall.RawConn) error {
			var fd uintptr
			if err := c.Control(func(f uintptr) { fd = f }); err != nil {
				return err
			}
			calls = append(calls, fmt.Sprintf("second has fd %v", fd > 0))
			return nil
		}))
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ln.Close()
	if got, want := strings.Join(calls, ", "), "first tcp4, second has fd true"; got != want {
		t.Errorf("control calls: got %q; want %q", got, want)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"negative idle", Config{Addr: "127.0.0.1:0", IdleTimeout: -time.Second},
			"servers: idle timeout -1s is negative; use 0 for the default 1m30s or a positive duration"},
		{"negative header", Config{Addr: "127.0.0.1:0", ReadHeaderTimeout: -1},
			"servers: read header timeout -1ns is negative; use 0 for the default 5s or a positive duration"},
		{"negative write", Config{Addr: "127.0.0.1:0", WriteTimeout: -time.Minute},
			"servers: write timeout -1m0s is negative; use 0 for the default 1m0s or a positive duration"},
		{"no address", Config{}, "servers: no address to listen on; give host:port, e.g. 198.18.0.2:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ready strings.Builder
			err := Run(t.Context(), tt.cfg, &ready)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Run: got %v; want %q", err, tt.wantErr)
			}
			if ready.Len() != 0 {
				t.Errorf("ready: got %q; want nothing written on error", ready.String())
			}
		})
	}
}

// lineWriter hands each Write to a channel, so that a test can wait for the
// ready line while Run blocks.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// startRun runs Run with cfg on 127.0.0.1 in the background and returns the
// address from its ready line and the channel that Run's result arrives on.
func startRun(t *testing.T, ctx context.Context, cfg Config) (string, <-chan error) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	ready := make(lineWriter, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, ready) }()
	select {
	case line := <-ready:
		addr, ok := strings.CutPrefix(line, "listening ")
		if !ok || !strings.HasSuffix(addr, "\n") {
			t.Fatalf("ready line: got %q; want \"listening <addr>\\n\"", line)
		}
		return strings.TrimSuffix(addr, "\n"), done
	case err := <-done:
		t.Fatalf("Run returned before the ready line: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no ready line within 5s")
	}
	panic("unreachable")
}

// waitRun waits for Run's result.
func waitRun(t *testing.T, done <-chan error, within time.Duration) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: got %v; want nil after cancel", err)
		}
	case <-time.After(within):
		t.Fatalf("Run did not return within %v of cancel", within)
	}
}

// checkGoroutines fails the test if the number of goroutines does not come
// back to at most before within a second.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: got %d; want at most %d as before Run:\n%s",
				runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunServesAndStops(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr, done := startRun(t, ctx, Config{})

	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for _, path := range []string{"/healthz", "/orders?items=3", "/bytes/10"} {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: got %d; want 200", path, resp.StatusCode)
		}
	}

	cancel() // the client's kept-alive connection is still open here
	waitRun(t, done, 2*time.Second)
	if _, err := client.Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("GET after cancel: got a response; want the connection refused")
	}
	tr.CloseIdleConnections()
	checkGoroutines(t, before)
}

// TestRunGraceful checks that cancelling lets a response in flight finish.
func TestRunGraceful(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr, done := startRun(t, ctx, Config{})

	const n = 32 << 20 // more than the loopback socket buffers hold
	resp, err := http.Get(fmt.Sprintf("http://%s/bytes/%d", addr, n))
	if err != nil {
		t.Fatalf("GET /bytes: %v", err)
	}
	defer resp.Body.Close()
	cancel()
	time.Sleep(50 * time.Millisecond) // let Shutdown start while the handler still writes
	got, err := io.Copy(io.Discard, resp.Body)
	if err != nil || got != n {
		t.Fatalf("body after cancel: got %d bytes, %v; want %d", got, err, n)
	}
	waitRun(t, done, ShutdownTimeout+time.Second)
}

// TestTimeoutsDisconnect checks that slow and idle clients are cut off.
func TestTimeoutsDisconnect(t *testing.T) {
	const short = 200 * time.Millisecond
	tests := []struct {
		name string
		cfg  Config
		send string
	}{
		{"half a header", Config{ReadHeaderTimeout: short}, "GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Ag"},
		{"nothing sent", Config{ReadHeaderTimeout: short}, ""},
		{"idle after a request", Config{IdleTimeout: short}, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			addr, done := startRun(t, ctx, tt.cfg)
			defer waitRun(t, done, 2*time.Second)
			defer cancel()

			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			start := time.Now()
			if _, err := io.WriteString(conn, tt.send); err != nil {
				t.Fatalf("write: %v", err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			// A complete request gets its response first; the server then
			// closes the connection, which reads as EOF.
			r := bufio.NewReader(conn)
			if strings.HasSuffix(tt.send, "\r\n\r\n") {
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					t.Fatalf("reading the response: %v", err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			_, err = io.Copy(io.Discard, r)
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("got %v after %v; want the server to close the connection after %v", err, elapsed, short)
			}
			if elapsed < short*3/4 {
				t.Errorf("closed after %v; want no earlier than the %v timeout", elapsed, short)
			}
		})
	}
}

func TestServeListenerFails(t *testing.T) {
	ln, err := Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ln = failingListener{ln}
	err = Serve(t.Context(), ln, Config{})
	if err == nil || !strings.HasPrefix(err.Error(), "servers: serving on 127.0.0.1:") {
		t.Fatalf("Serve: got %v; want \"servers: serving on 127.0.0.1:...\"", err)
	}
}

// failingListener fails its first Accept with an error that is not
// temporary, as a listener whose socket was closed under it does.
type failingListener struct{ net.Listener }

func (l failingListener) Accept() (net.Conn, error) {
	l.Listener.Close()
	return nil, errors.New("accept: socket gone")
}
