package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/scenarios"
	"github.com/tunebench/tunebench/servers"
)

// The load of a cell: the suite's request mix and load model, with the
// matrix knobs "rate" and "connections" overriding the model in the cells
// that have them, translated into the agent's Config.

// cellLoad is the suite's load with cell's rate or connections knob in
// effect: a knob replaces the suite's model (a rate knob in a closed-loop
// suite makes that cell open loop, and the reverse).
func cellLoad(l scenarios.Load, cell scenarios.Cell) scenarios.Load {
	if v, ok := cell.Get(scenarios.KnobRate); ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			l.Rate, l.Connections, l.Search, l.Burst = f, 0, nil, nil
		}
	}
	if v, ok := cell.Get(scenarios.KnobConnections); ok {
		if n, err := strconv.Atoi(v); err == nil {
			l.Connections, l.Rate, l.Search, l.Burst = n, 0, nil, nil
		}
	}
	return l
}

// agentConfig is the load of one repetition of cell, the rep-th; a capacity
// search's probes change only its Rate.
func (r *run) agentConfig(cell scenarios.Cell, rep int) agent.Config {
	l := cellLoad(r.o.Suite.Load, cell)
	keepAlive := true // HTTP/1.1's default when the matrix leaves it out
	if v, ok := cell.Get("keepalive"); ok {
		keepAlive = v == "on"
	}
	cfg := agent.Config{
		URL:       "http://" + r.serverAddr() + firstPath(r.o.Suite),
		Warmup:    l.Warmup,
		Duration:  l.Duration,
		KeepAlive: keepAlive,
		Timeout:   l.Timeout,
		Seed:      mixSeed(r.o.Seed, cell.Name(), rep),
	}
	switch l.Model() {
	case scenarios.ModelConnections:
		cfg.Connections, cfg.Think, cfg.Streams = l.Connections, l.Think, l.Streams
	case scenarios.ModelBurst:
		cfg.Burst = &agent.Burst{Connections: l.Burst.Connections, Every: l.Burst.Every}
	case scenarios.ModelSearch:
		cfg.Rate = searchStart(l.Search)
	default:
		cfg.Rate = l.Rate
	}
	transportAgent(cell, &cfg)
	cfg.Codec, _ = cell.Get("codec") // "": the agent decodes nothing
	cfg.Requests = r.agentRequests(cell, cfg.URL)
	if len(cfg.Requests) > 0 {
		cfg.URL = ""
	}
	return cfg
}

// firstPath is the path of the suite's first request, or its endpoint.
func firstPath(s *scenarios.Suite) string {
	if len(s.Requests) > 0 && s.Requests[0].Path != "" {
		return s.Requests[0].Path
	}
	return s.Server.Endpoint
}

// agentRequests is the suite's request mix for cell, on the scheme and
// address of url (which transportAgent has made https:// where TLS is on);
// nil for the one-request shorthand, a GET of url. A body of BodyOrders
// orders is encoded with the cell's codec (JSON without one), with its
// Content-Type unless the request gives one.
func (r *run) agentRequests(cell scenarios.Cell, url string) []agent.Request {
	reqs := r.o.Suite.Requests
	if len(reqs) == 0 || len(reqs) == 1 && isShorthand(reqs[0]) {
		return nil
	}
	base := url
	if i := strings.Index(base, "://"); i >= 0 {
		if j := strings.Index(base[i+3:], "/"); j >= 0 {
			base = base[:i+3+j]
		}
	}
	codecName, _ := cell.Get("codec")
	codec, err := servers.ParseCodec(codecName)
	if err != nil {
		codec = servers.CodecJSON
	}
	var out []agent.Request
	for i, q := range reqs {
		a := agent.Request{Name: requestName(i, q), Method: q.Method, URL: base + q.Path, Body: q.Body, Weight: q.Weight}
		if len(q.Header) > 0 {
			a.Header = make(map[string]string, len(q.Header))
			for k, v := range q.Header {
				a.Header[k] = v
			}
		}
		if q.BodyOrders > 0 {
			// The scenarios parser has bounded BodyOrders; encoding the
			// reference orders cannot fail for a known codec.
			a.Body, _ = servers.EncodeOrders(codec, q.BodyOrders)
			if !hasHeader(a.Header, "Content-Type") {
				if a.Header == nil {
					a.Header = map[string]string{}
				}
				a.Header["Content-Type"] = codec.MediaType()
			}
		}
		out = append(out, a)
	}
	return out
}

// isShorthand reports whether q is the one-request shorthand: one GET with
// no name, headers or body.
func isShorthand(q scenarios.Request) bool {
	return q.Name == "" && (q.Method == "" || q.Method == "GET") && len(q.Header) == 0 && len(q.Body) == 0 && q.BodyOrders == 0
}

// hasHeader reports whether h has key, in any case.
func hasHeader(h map[string]string, key string) bool {
	for k := range h {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// mixSeed is the agent's seed for one repetition: the run's seed mixed
// with the cell and the repetition, so that every repetition picks its own
// sequence of requests and a rerun with the same seed picks the same ones.
func mixSeed(seed int64, cell string, rep int) uint64 {
	// FNV-1a over the cell's name, then splitmix64 over the three.
	h := uint64(14695981039346656037)
	for i := 0; i < len(cell); i++ {
		h ^= uint64(cell[i])
		h *= 1099511628211
	}
	x := uint64(seed) ^ h ^ uint64(rep)*0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// reqNames is the names of the suite's requests when each gets its own
// result line (a mix of more than one); nil otherwise.
func reqNames(s *scenarios.Suite) []string {
	if len(s.Requests) < 2 {
		return nil
	}
	names := make([]string, len(s.Requests))
	for i, q := range s.Requests {
		names[i] = requestName(i, q)
	}
	return names
}

// requestName is the i-th request's result key: its name, or "t" and its
// 1-based place for a request without one (a line of a targets file).
func requestName(i int, q scenarios.Request) string {
	if q.Name != "" {
		return q.Name
	}
	return fmt.Sprintf("t%d", i+1)
}
