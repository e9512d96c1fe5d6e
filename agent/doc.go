// Package agent is the load agent: the child process `tunebench load` that
// the runner starts inside the client host. It reads one JSON Config on
// stdin, drives the load it describes, and writes one JSON Result on
// stdout; progress and diagnostics go to stderr (see Main).
//
// # Load models
//
// Config picks one of three models (Config.Model):
//
//   - open loop (Rate): requests are due every 1/Rate, the first one 1/Rate
//     after the start, whatever the server does. A request is sent when it
//     is due or, when MaxInFlight requests are already in flight, as soon
//     as one ends; either way its corrected latency (LatencyCO) counts from
//     the time it was due, so a slow server cannot hide the queue it causes
//     (coordinated omission). A request still unsent a whole Timeout after
//     its due time fails without being sent.
//   - closed loop (Connections): that many connections, each sending its
//     next request when the previous one has ended, after Think (wrk's
//     model). The primary figure is throughput.
//   - burst (Burst): every Burst.Every, Burst.Connections requests start at
//     the same instant, each on a new connection; latency counts from the
//     burst's instant.
//
// # Requests
//
// Config.Requests is the mix: each request its method, URL, headers, body
// and weight. Requests are picked in proportion to their weights by a
// generator seeded with Config.Seed, so the same seed sends the same
// sequence. Result.PerRequest carries each request's own figures.
//
// # Pacing and the agent's own error
//
// Go's runtime sleeps in whole milliseconds when it has nothing else to do
// (the netpoller waits with epoll's millisecond timeout), so a pacer built
// on time.Sleep, as vegeta's is, sends up to a millisecond late at any
// rate below about 1000 requests per second, and that lateness shows up as
// latency. The agent's scheduler instead runs on its own OS thread with 1 ns
// timer slack and waits with clock_nanosleep on an absolute deadline
// (pace.go). It measures what remains: every request's send lag, actual
// send minus due time, is in Result.SendLag.
//
// # Bounded memory
//
// Whatever the server does, the agent holds at most MaxInFlight requests
// (and so connections) at once and reads response bodies into a fixed
// buffer, keeping only what the codec needs to decode.
//
// The package imports nothing of tunebench but servers/api.
package agent
