package servers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Limits of the reference server's routes.
const (
	// MaxBytes is the largest N that GET /bytes/N serves: 64 MiB.
	MaxBytes = 64 << 20
	// maxRequestBody caps what a request body may send to a route that
	// reads none; POST /orders reads up to MaxOrdersBody.
	maxRequestBody = 64 << 10
	// bytesChunk is the size of the pattern that /bytes/N writes repeatedly.
	bytesChunk = 32 << 10
)

// Handler returns the reference API's routes:
//
//	GET /orders?items=N  N generated orders as JSON or Protobuf (N from 0 to MaxItems, default DefaultItems; see CodecHandler)
//	POST /orders         decodes an OrderList body (JSON or Protobuf, by Content-Type) and answers 201 (see serveCreate)
//	GET /bytes/N         exactly N bytes of application/octet-stream (N up to MaxBytes)
//	GET /split/N         N bytes (up to MaxSplit) sent as two writes: header, then body
//	GET /healthz         200 "ok"
//
// HEAD is answered like GET without a body. Other methods on these paths get
// 405, other paths 404, and a bad N or body 400 with a message. Each response carries
// "Server-Timing: app;dur=<ms>", the time the handler spent before the first
// byte of the response, so that a load agent can show how little of a
// latency is the server's own. Each call returns a handler with its own cache
// of encoded bodies.
func Handler() http.Handler { return CodecHandler(CodecJSON) }

// CodecHandler is Handler with def as the codec of GET /orders for requests
// that name none (see Codec): ?codec=json|protobuf, then Accept, then def.
func CodecHandler(def Codec) http.Handler {
	a := &api{codec: def, chunk: pattern(bytesChunk)}
	// The default page is what most requests ask for; generate it before
	// the first one arrives so that no measured request pays for it.
	a.models.first(DefaultItems)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders", a.serveOrders)
	mux.HandleFunc("POST /orders", a.serveCreate)
	mux.HandleFunc("GET /bytes/{n}", a.serveBytes)
	mux.HandleFunc("GET /split/{n}", a.serveSplit)
	mux.HandleFunc("GET /healthz", serveHealth)
	return timed(capBody(mux))
}

// api holds the state that the routes share.
type api struct {
	codec  Codec       // of /orders when the request names none
	models orderModels // the orders, encoded for every request
	chunk  []byte      // read-only after Handler
}

func (a *api) serveBytes(w http.ResponseWriter, r *http.Request) {
	if n, ok := a.octetHeader(w, r, "bytes", MaxBytes); ok {
		a.writeBytes(w, n)
	}
}

// octetHeader parses N of /route/N, at most max, and writes the header of an
// N-byte octet stream; false when nothing more is to be written (a bad N,
// answered 400, or a HEAD request).
func (a *api) octetHeader(w http.ResponseWriter, r *http.Request, route string, max int) (int, bool) {
	n, err := parseCount(r.PathValue("n"), max)
	if err != nil {
		http.Error(w, fmt.Sprintf("servers: /%s/%s: %v; use /%s/N with N from 0 to %d", route, r.PathValue("n"), err, route, max), http.StatusBadRequest)
		return 0, false
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	return n, r.Method != http.MethodHead
}

// writeBytes writes n bytes of the shared chunk.
func (a *api) writeBytes(w http.ResponseWriter, n int) {
	for n > 0 {
		k := min(n, len(a.chunk))
		if _, err := w.Write(a.chunk[:k]); err != nil {
			return // the client left
		}
		n -= k
	}
}

func serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok"))
}

// parseCount parses a decimal count from 0 to limit. Unlike strconv.Atoi it
// takes digits only, so "+5", "-0" and " 5" are refused rather than read.
func parseCount(s string, limit int) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a whole number")
		}
		n = n*10 + int(c-'0')
		if n > limit {
			return 0, fmt.Errorf("more than %d", limit)
		}
	}
	return n, nil
}

// pattern returns n bytes that repeat every 256, so that a capture of a
// /bytes response shows where a byte was lost.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// capBody limits request bodies to maxRequestBody, and POST /orders's to
// MaxOrdersBody; without it the server would read up to its own larger
// limit from a client that sends a body with a GET.
func capBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxRequestBody)
		if r.Method == http.MethodPost && r.URL.Path == "/orders" {
			limit = MaxOrdersBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// timed adds the Server-Timing header to every response.
func timed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &timingWriter{ResponseWriter: w, start: time.Now()}
		next.ServeHTTP(tw, r)
		tw.stamp() // for a handler that wrote nothing
	})
}

// timingWriter sets "Server-Timing: app;dur=<ms>" just before the response
// header leaves. The time stops there: what follows is sending the body,
// which is the network's time, not the server's.
type timingWriter struct {
	http.ResponseWriter
	start   time.Time
	stamped bool
}

func (w *timingWriter) stamp() {
	if w.stamped {
		return
	}
	w.stamped = true
	// app comes first, so that Header.Get("Server-Timing") is the total;
	// a handler's own entries (encode;dur=) follow it.
	h := w.Header()
	h["Server-Timing"] = append([]string{serverTiming(time.Since(w.start))}, h["Server-Timing"]...)
}

func (w *timingWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		// 1xx interim responses may come several times before the final one.
		w.stamp()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *timingWriter) Write(p []byte) (int, error) {
	w.stamp()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *timingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serverTiming formats d as a Server-Timing value in milliseconds with
// microsecond precision.
func serverTiming(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("app;dur=%d.%03d", us/1000, us%1000)
}
