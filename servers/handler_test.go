package servers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newTestServer serves Handler on 127.0.0.1 for the length of the test.
func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler())
	t.Cleanup(srv.Close)
	return srv
}

// do sends one request and returns the response with its whole body.
func do(t *testing.T, method, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, body
}

var serverTimingRE = regexp.MustCompile(`^app;dur=[0-9]+\.[0-9]{3}$`)

func TestRoutes(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantType   string // prefix of Content-Type
		wantLen    int    // exact body length; -1 to skip
		wantBody   string // substring of the body; "" to skip
	}{
		{"healthz", "GET", "/healthz", 200, "text/plain", 2, "ok"},
		{"orders default", "GET", "/orders", 200, "application/json", -1, `"count":20`},
		{"orders zero", "GET", "/orders?items=0", 200, "application/json", -1, `"orders":[],"count":0`},
		{"orders one", "GET", "/orders?items=1", 200, "application/json", -1, `"id":"ord_000000"`},
		{"orders max", "GET", "/orders?items=10000", 200, "application/json", -1, `"id":"ord_009999"`},
		{"orders head", "HEAD", "/orders?items=5", 200, "application/json", 0, ""},
		{"bytes zero", "GET", "/bytes/0", 200, "application/octet-stream", 0, ""},
		{"bytes one", "GET", "/bytes/1", 200, "application/octet-stream", 1, ""},
		{"bytes 1000", "GET", "/bytes/1000", 200, "application/octet-stream", 1000, ""},
		{"bytes head", "HEAD", "/bytes/1000", 200, "application/octet-stream", 0, ""},
		{"unknown path", "GET", "/nope", 404, "text/plain", -1, "not found"},
		{"orders subpath", "GET", "/orders/1", 404, "text/plain", -1, "not found"},
		{"bytes without n", "GET", "/bytes/", 404, "text/plain", -1, "not found"},
		{"post orders without a body", "POST", "/orders", 415, "text/plain", -1, "Content-Type none: send the orders as application/json"},
		{"put orders", "PUT", "/orders", 405, "text/plain", -1, "Method Not Allowed"},
		{"put bytes", "PUT", "/bytes/1", 405, "text/plain", -1, "Method Not Allowed"},
		{"delete healthz", "DELETE", "/healthz", 405, "text/plain", -1, "Method Not Allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, srv.URL+tt.path)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status: got %d; want %d (body %q)", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("Content-Type: got %q; want %q", got, tt.wantType)
			}
			if tt.wantLen >= 0 && len(body) != tt.wantLen {
				t.Errorf("body length: got %d; want %d", len(body), tt.wantLen)
			}
			if !bytes.Contains(body, []byte(tt.wantBody)) {
				t.Errorf("body: got %.200q; want it to contain %q", body, tt.wantBody)
			}
			if got := resp.Header.Get("Server-Timing"); !serverTimingRE.MatchString(got) {
				t.Errorf("Server-Timing: got %q; want app;dur=<ms>.<µs>", got)
			}
			if resp.StatusCode == 200 && tt.method == "GET" && resp.ContentLength != int64(len(body)) {
				t.Errorf("Content-Length: got %d; want %d", resp.ContentLength, len(body))
			}
		})
	}
}

func TestBadInputs(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name     string
		path     string
		wantBody string
	}{
		{"items negative", "/orders?items=-1", `items="-1": not a whole number; use items=N with N from 0 to 10000`},
		{"items word", "/orders?items=abc", `items="abc": not a whole number`},
		{"items too many", "/orders?items=20000", `items="20000": more than 10000`},
		{"items empty", "/orders?items=", `items="": empty`},
		{"items plus", "/orders?items=%2B5", `items="+5": not a whole number`},
		{"items huge", "/orders?items=99999999999999999999999", "more than 10000"},
		{"bytes word", "/bytes/abc", "/bytes/abc: not a whole number; use /bytes/N with N from 0 to 67108864"},
		{"bytes negative", "/bytes/-1", "not a whole number"},
		{"bytes over 64MiB", "/bytes/67108865", "more than 67108864"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", srv.URL+tt.path)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status: got %d; want 400", resp.StatusCode)
			}
			if !bytes.Contains(body, []byte(tt.wantBody)) {
				t.Errorf("body: got %q; want it to contain %q", body, tt.wantBody)
			}
		})
	}
}

func TestOrdersBody(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"default", "", DefaultItems},
		{"zero", "?items=0", 0},
		{"one", "?items=1", 1},
		{"two hundred", "?items=200", 200},
		{"max", "?items=10000", MaxItems},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, first := do(t, "GET", srv.URL+"/orders"+tt.query)
			_, second := do(t, "GET", srv.URL+"/orders"+tt.query)
			if !bytes.Equal(first, second) {
				t.Errorf("two requests gave different bodies (%d and %d bytes)", len(first), len(second))
			}
			fresh, err := encodeOrders(tt.want)
			if err != nil {
				t.Fatalf("encodeOrders(%d): %v", tt.want, err)
			}
			if !bytes.Equal(first, fresh) {
				t.Errorf("served body differs from a fresh encoding of %d orders", tt.want)
			}

			var list OrderList
			dec := json.NewDecoder(bytes.NewReader(first))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&list); err != nil {
				t.Fatalf("decoding into OrderList: %v", err)
			}
			if len(list.Orders) != tt.want || list.Count != tt.want {
				t.Errorf("got %d orders, count %d; want %d", len(list.Orders), list.Count, tt.want)
			}
			if list.Orders == nil {
				t.Errorf(`orders: got null; want []`)
			}
			for i, o := range list.Orders {
				if want := fmt.Sprintf("ord_%06d", i); o.ID != want {
					t.Fatalf("orders[%d].id: got %q; want %q", i, o.ID, want)
				}
			}
		})
	}
}

func TestBytesBody(t *testing.T) {
	srv := newTestServer(t)
	for _, n := range []int{0, 1, 255, bytesChunk - 1, bytesChunk, bytesChunk + 1, 1<<20 + 7, MaxBytes} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			resp, body := do(t, "GET", srv.URL+"/bytes/"+strconv.Itoa(n))
			if resp.StatusCode != 200 {
				t.Fatalf("status: got %d; want 200", resp.StatusCode)
			}
			if resp.ContentLength != int64(n) || len(body) != n {
				t.Fatalf("got Content-Length %d and %d bytes; want %d", resp.ContentLength, len(body), n)
			}
			for i, b := range body {
				if b != byte(i) {
					t.Fatalf("byte %d: got %d; want %d", i, b, byte(i))
				}
			}
		})
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in      string
		limit   int
		want    int
		wantErr string
	}{
		{"0", 10, 0, ""},
		{"10", 10, 10, ""},
		{"007", 10, 7, ""},
		{"11", 10, 0, "more than 10"},
		{"", 10, 0, "empty"},
		{"-1", 10, 0, "not a whole number"},
		{"+1", 10, 0, "not a whole number"},
		{" 1", 10, 0, "not a whole number"},
		{"1.0", 10, 0, "not a whole number"},
		{"1e3", 10000, 0, "not a whole number"},
		{"99999999999999999999999999", 10, 0, "more than 10"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseCount(tt.in, tt.limit)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("parseCount(%q): got %d, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseCount(%q): got %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestServerTiming(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "app;dur=0.000"},
		{999 * time.Nanosecond, "app;dur=0.000"},
		{1 * time.Microsecond, "app;dur=0.001"},
		{1234567 * time.Nanosecond, "app;dur=1.234"},
		{2500 * time.Millisecond, "app;dur=2500.000"},
	}
	for _, tt := range tests {
		if got := serverTiming(tt.d); got != tt.want {
			t.Errorf("serverTiming(%v): got %q; want %q", tt.d, got, tt.want)
		}
	}
}

// TestServerTimingExcludesBody checks that the handler's time stops when the
// header is written: a handler that sleeps after writing it must not show
// the sleep.
func TestServerTimingExcludesBody(t *testing.T) {
	h := timed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		time.Sleep(50 * time.Millisecond)
		_, _ = w.Write([]byte("late"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	got := rec.Header().Get("Server-Timing")
	var ms float64
	if _, err := fmt.Sscanf(got, "app;dur=%f", &ms); err != nil {
		t.Fatalf("Server-Timing: got %q; want app;dur=<ms>", got)
	}
	if ms >= 50 {
		t.Errorf("Server-Timing: got %v ms; want less than the 50 ms spent after the header", ms)
	}
}
