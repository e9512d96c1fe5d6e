package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// KnobInfo describes one matrix knob: a tuning the runner knows how to
// apply. A knob takes either one of Values or, when Values is empty, an
// integer from Min to Max, or with Duration set a duration from Min to Max
// milliseconds.
type KnobInfo struct {
	Name     string
	Doc      string   // one line for the manual and for error messages
	Values   []string // the allowed values, in the order the manual lists them
	Min, Max int      // the allowed range of an integer knob (Values empty)
	// Duration makes a knob without Values take a duration in Go's syntax
	// (500ms, 2s, 1m30s) from Min to Max milliseconds.
	Duration bool
	// Free marks a sysctl.* knob (see sysctl.go): any value of letters,
	// digits and '.', ',', ':', '-', '_'.
	Free bool
}

// Knobs returns the matrix knobs the runner can apply, in the order the
// manual lists them.
//
// A knob joins this table only in the change that teaches the runner to
// apply it, and with an end-to-end test that the kernel or the server did
// what the value says: a knob that is accepted but not applied would label
// results with a tuning that never happened.
//
// Every knob of a cell also reaches the server, the reference one and a
// user's own alike, as the environment variable TUNEBENCH_<NAME> (upper
// case) and as the placeholder {name} in server.command.
func Knobs() []KnobInfo {
	return []KnobInfo{
		{
			Name:   "keepalive",
			Values: []string{"on", "off"},
			Doc:    "HTTP keep-alive: reuse connections (on) or open one per request (off)",
		},
		{Name: "tfo", Values: []string{"off", "on"}, Doc: "TCP Fast Open on client and server"},
		{Name: "cc", Values: []string{"cubic", "bbr", "reno"}, Doc: "congestion control of both hosts"},
		{Name: "initcwnd", Min: 1, Max: 1000, Doc: "initial congestion window (segments) of both hosts' routes"},
		{Name: "initrwnd", Min: 1, Max: 1000, Doc: "initial receive window (segments) advertised by both hosts' routes"},
		{Name: "codec", Values: []string{"json", "protobuf"}, Doc: "encoding of the /orders bodies: the responses, and the requests that body_orders sends"},
		{Name: "tls", Values: []string{"off", "full", "resume", "0rtt"}, Doc: "TLS 1.3: none, a full handshake per connection, resumption with session tickets, or 0rtt (http 3 only): resumption with requests sent as early data"},
		{Name: "http", Values: []string{"1.1", "2", "3"}, Doc: "HTTP version: 1.1, 2 (over TLS, or h2c without it), or 3 (over QUIC on UDP; needs tls)"},
		{Name: "api", Values: []string{"rest", "grpc"}, Doc: "the API the load agent calls: rest (HTTP requests), or grpc (the Orders service of servers/api/orders.proto, unary calls with grpc-go; needs http 2, carries Protobuf)"},
		{Name: "nodelay", Values: []string{"on", "off"}, Doc: "TCP_NODELAY on both ends (off: Nagle's algorithm)"},
		{Name: "max_requests", Min: 0, Max: 1000000, Doc: "requests the server answers on one connection before it closes it (Connection: close, or GOAWAY in HTTP/2); 0: no limit"},
		{Name: "server_idle", Duration: true, Min: 1, Max: 3600000, Doc: "how long the server keeps an idle kept-alive connection open (its idle timeout)"},
		{Name: "client_idle", Duration: true, Min: 1, Max: 3600000, Doc: "how long the load agent keeps an idle connection in its pool (its IdleConnTimeout)"},
		{Name: KnobRate, Min: 1, Max: MaxRate, Doc: "open-loop load in requests per second, in place of load:'s model (the report draws latency against it)"},
		{Name: KnobConnections, Min: 1, Max: MaxConnections, Doc: "closed-loop load over this many connections, in place of load:'s model"},
		{Name: "backlog", Min: 1, Max: 65535, Doc: "the server's listen(2) backlog (its accept queue), read back through sock_diag; the kernel clamps it to net.core.somaxconn"},
		{Name: "rcvbuf", Min: 4096, Max: 1 << 30, Doc: "SO_RCVBUF (bytes) on the load agent's sockets; the kernel keeps twice the value and stops autotuning the receive window"},
		{Name: "sndbuf", Min: 4096, Max: 1 << 30, Doc: "SO_SNDBUF (bytes) on the server's listener and its accepted connections; the kernel keeps twice the value and stops autotuning"},
		{Name: "header_timeout", Duration: true, Min: 1, Max: 3600000, Doc: "how long the server lets a client take to send a request's header (slow clients are cut off after it)"},
		{Name: "max_conns", Min: 1, Max: 1000000, Doc: "connections the server serves at once; more wait in its listen queue"},
	}
}

// The knobs that set a cell's load model (see Suite.CellLoad). They are
// spelt as the load: keys and models they stand for.
const (
	KnobRate        = ModelRate
	KnobConnections = ModelConnections
)

// Allowed describes the values the knob takes, for messages and the manual:
// "on, off" or "an integer from 1 to 1000".
func (k KnobInfo) Allowed() string {
	switch {
	case k.Free:
		return "a sysctl value, with commas for spaces (e.g. 4096,131072,6291456)"
	case len(k.Values) == 0 && k.Duration:
		return fmt.Sprintf("a duration from %v to %v", msDuration(k.Min), msDuration(k.Max))
	case len(k.Values) == 0:
		return fmt.Sprintf("an integer from %d to %d", k.Min, k.Max)
	}
	return strings.Join(k.Values, ", ")
}

// Canonical returns v as the knob spells it, or an error naming the allowed
// values. A knob that takes on and off also takes true and false, the way
// YAML 1.1 and most people write a switch; integers lose leading zeros and
// signs, so that 010 and 10 are one value; durations are written as Go
// prints them, so that 1000ms and 1s are one value ("1s").
func (k KnobInfo) Canonical(v string) (string, error) {
	if k.Free {
		return freeValue(k.Name, v)
	}
	if len(k.Values) == 0 && k.Duration {
		d, err := time.ParseDuration(v)
		if err != nil || d < msDuration(k.Min) || d > msDuration(k.Max) {
			return "", fmt.Errorf("%q is not a value of %s; give %s", v, k.Name, k.Allowed())
		}
		return d.String(), nil
	}
	if len(k.Values) == 0 {
		n, err := strconv.Atoi(v)
		if err != nil || n < k.Min || n > k.Max {
			return "", fmt.Errorf("%q is not a value of %s; give %s", v, k.Name, k.Allowed())
		}
		return strconv.Itoa(n), nil
	}
	for _, a := range k.Values {
		if v == a {
			return v, nil
		}
	}
	if k.takes("on") && k.takes("off") {
		switch strings.ToLower(v) {
		case "true", "on":
			return "on", nil
		case "false", "off":
			return "off", nil
		}
	}
	return "", fmt.Errorf("%q is not a value of %s; give one of %s", v, k.Name, k.Allowed())
}

// msDuration is n milliseconds.
func msDuration(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func (k KnobInfo) takes(v string) bool {
	for _, a := range k.Values {
		if a == v {
			return true
		}
	}
	return false
}

// knobIndex finds knobs by name.
type knobIndex struct {
	list   []KnobInfo
	byName map[string]KnobInfo
}

func newKnobIndex(list []KnobInfo) knobIndex {
	ix := knobIndex{list: list, byName: make(map[string]KnobInfo, len(list))}
	for _, k := range list {
		ix.byName[k.Name] = k
	}
	return ix
}

// unknown explains that name is not a knob, listing the known ones.
func (ix knobIndex) unknown(name string) string {
	names := make([]string, len(ix.list))
	for i, k := range ix.list {
		names[i] = k.Name
	}
	msg := "unknown knob; "
	if s := suggest(name, names); s != "" {
		msg += "did you mean " + s + "? "
	}
	return msg + "known knobs: " + strings.Join(names, ", ")
}
