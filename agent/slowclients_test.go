package agent

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSlowClients holds slow clients open beside a light load against a
// server with and without a deadline for the request header: without one
// every slow client is still held at the end; with one, none is, and each
// counts as dropped. The measured requests succeed either way (Go's server
// gives every connection its own goroutine).
func TestSlowClients(t *testing.T) {
	for _, tt := range []struct {
		name          string
		headerTimeout time.Duration
		wantHeld      int
	}{
		{"no header deadline", 0, 6},
		{"header deadline 100ms", 100 * time.Millisecond, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			srv.Config.ReadHeaderTimeout = tt.headerTimeout
			srv.Start()
			defer srv.Close()
			res, err := Run(context.Background(), Config{URL: srv.URL, Rate: 20, Duration: 500 * time.Millisecond, KeepAlive: true, SlowClients: 6}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if res.Slow == nil {
				t.Fatal("no slow-client report")
			}
			if got := *res.Slow; got.Clients != 6 || got.Held != tt.wantHeld || got.Held+got.Dropped+got.Failed != 6 {
				t.Errorf("slow clients %+v; want 6 clients, %d held, the rest dropped", got, tt.wantHeld)
			}
			if res.Errors != 0 {
				t.Errorf("%d measured errors: %v; want none", res.Errors, res.ErrorSamples)
			}
		})
	}
}

// TestDialErrno names a dial's failure by its errno.
func TestDialErrno(t *testing.T) {
	d := &net.Dialer{Timeout: time.Second}
	_, err := d.Dial("tcp", "127.0.0.1:1") // nothing listens on port 1
	if got := dialErrno(err); got != "econnrefused" {
		t.Errorf("dialErrno(%v) = %q; want econnrefused", err, got)
	}
	if got := dialErrno(io.EOF); got != "other" {
		t.Errorf("dialErrno(EOF) = %q; want other", got)
	}
}
