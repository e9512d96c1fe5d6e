package servers

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
)

// requestCountKey is the context key of a connection's request counter.
type requestCountKey struct{}

// withRequestCount is an http.Server ConnContext: it gives each connection a
// counter of the requests answered on it. HTTP/2 streams of one connection
// share the connection's context, so they share its counter.
func withRequestCount(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, requestCountKey{}, new(atomic.Int64))
}

// limitRequests wraps h so that the max-th request on a connection, and any
// after it, is answered with Connection: close. Go's HTTP/1.1 server then
// closes the connection after that response; its HTTP/2 server sends GOAWAY
// and closes once the streams in flight are done. Either way the client must
// open a new connection for its next request, as behind a server with
// nginx's keepalive_requests.
func limitRequests(h http.Handler, max int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, ok := r.Context().Value(requestCountKey{}).(*atomic.Int64); ok && n.Add(1) >= int64(max) {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}
