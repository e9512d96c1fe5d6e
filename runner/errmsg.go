package runner

import "strings"

// normalizeError (a copy of the load agent's) makes equal failures read
// equal, so that they are counted
// together: it drops net/http's `Get "URL": ` prefix (every request has the
// same URL) and the client's ephemeral address in "tcp A:P->B:Q".
func normalizeError(msg string) string {
	if i := strings.Index(msg, `": `); i > 0 {
		if op, _, ok := strings.Cut(msg[:i], ` "`); ok && op != "" && !strings.Contains(op, " ") {
			msg = msg[i+3:]
		}
	}
	var b strings.Builder
	for {
		arrow := strings.Index(msg, "->")
		if arrow < 0 {
			b.WriteString(msg)
			return b.String()
		}
		start := strings.LastIndex(msg[:arrow], " ") + 1
		b.WriteString(msg[:start])
		msg = msg[arrow+2:]
	}
}
