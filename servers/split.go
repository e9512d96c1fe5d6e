package servers

import (
	"net/http"
)

// MaxSplit is the largest N that GET /split/N serves: a small body, so that
// the second write is a small segment that Nagle's algorithm holds back.
const MaxSplit = 64 << 10

// serveSplit answers GET /split/N with N bytes written in two parts: the
// header is flushed on its own, then the body follows in a second write.
// With TCP_NODELAY cleared on the server's socket (nodelay=off), the second
// small segment waits for the ACK of the first, and the client, which has
// nothing to send back, delays that ACK (up to 40 ms on Linux): the classic
// Nagle/delayed-ACK stall. With TCP_NODELAY set, both segments leave at once.
func (a *api) serveSplit(w http.ResponseWriter, r *http.Request) {
	n, ok := a.octetHeader(w, r, "split", MaxSplit)
	if !ok {
		return
	}
	if err := http.NewResponseController(w).Flush(); err != nil {
		return // the client left
	}
	a.writeBytes(w, n)
}
