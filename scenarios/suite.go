package scenarios

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Suite is one suite file: the links and knobs to permute, the server to
// measure and the load to drive. Parse fills in every default, so a parsed
// Suite needs no further interpretation.
type Suite struct {
	Name        string // letters and digits; see BenchName
	Description string
	File        string // path it was loaded from, for messages
	Links       []Link
	Server      Server
	Matrix      []Knob // in file order
	// Only keeps the cells that match at least one entry; Skip drops the
	// cells that match any entry. An entry maps "link" or a knob name to
	// one value, and matches a cell that has all of its values.
	Only, Skip []map[string]string
	Load       Load
	// Gates are the suite's absolute objectives, in file order; see Gate.
	Gates []Gate
	// Sysctl holds namespace-scoped sysctls set in both hosts of every
	// cell, e.g. {"net.core.somaxconn": "4096"}; see sysctl.go.
	Sysctl map[string]string
	// Requests is the request mix every cell sends. Parse always fills it:
	// from requests:, from targets: (vegeta's HTTP targets format), or
	// else one GET of Server.Endpoint with an empty Name (the one-request
	// shorthand, whose result lines keep their names without req=).
	Requests []Request
}

// Request is one request of a suite's mix.
type Request struct {
	// Name is the request's result key (req=Name): a-z, 0-9, '_' and
	// '-'. Empty only for the one-request shorthand.
	Name string
	// Method is the HTTP method in upper case; GET by default.
	Method string
	// Path is the request path with its query; it starts with "/". The
	// runner puts the server's scheme and address before it.
	Path string
	// Header holds the request's own headers, sent as given. A
	// Content-Type here wins over BodyOrders' own.
	Header map[string]string
	// Weight is the request's share of the schedule (at least 1): requests
	// are picked in these proportions, deterministically from the run's
	// seed.
	Weight int
	// Body is the request body, inline or read from the file that
	// "@file" names (relative to the suite). At most one of Body and
	// BodyOrders is set; neither is allowed on GET or HEAD.
	Body []byte
	// BodyFile is the path Body was read from, for messages; "" inline.
	BodyFile string
	// BodyOrders is the number of reference orders to encode as the body
	// with the cell's codec (json by default), with that codec's
	// Content-Type; 0 sends none.
	BodyOrders int
	// Line is the request's line in the suite (or in the targets file);
	// 0 for one built in code.
	Line int
}

// Direction overrides a link's impairment in one direction. The uplink
// carries client→server packets, the downlink server→client. A field left
// zero takes the link's value; setting Queue or QueueBytes replaces both.
type Direction struct {
	Delay, Jitter time.Duration // one-way
	Loss          float64       // fraction 0..1
	Rate          uint64        // bit/s
	Queue         int           // packets
	QueueBytes    int
}

// Server is the server each cell measures.
type Server struct {
	// Endpoint is the request path with its query; it starts with "/".
	Endpoint string
	// Command, when set, starts the user's own server instead of the
	// reference one; the runner runs it in the server host under /bin/sh -c.
	Command string
	// Argv is command's list form, the program and its arguments, which
	// the runner starts without a shell. At most one of Command and Argv
	// is set.
	Argv []string
	// Ready is an HTTP path of the user's own server that answers 2xx once
	// it can take load (e.g. /healthz); the runner polls it in the server
	// host. Empty: the runner waits until a TCP socket listens.
	Ready string
	// Port is the server's TCP port; 0 lets the runner choose.
	Port int
}

// DefaultEndpoint is the reference server's endpoint that a suite measures
// when it names none.
const DefaultEndpoint = "/orders?items=20"

// Load is the load of one repetition of a cell. Exactly one model is
// chosen: Rate (open loop), Connections (closed loop), Search (capacity
// search) or Burst; Model names it. A matrix knob "rate" or "connections"
// overrides the suite's load in the cells that have it (the runner reads it
// with Cell.Get).
type Load struct {
	Rate float64 // open loop: requests per second, over 0, at most 100000
	// Connections is the closed loop: this many connections, each sending
	// its next request when the previous one ends, after Think.
	Connections int
	Think       time.Duration
	// Search, when set, finds the highest constant rate whose measured
	// window meets its objective; see Search.
	Search *Search
	// Burst, when set, starts Burst.Connections requests at once, each on
	// a new connection, every Burst.Every.
	Burst    *Burst
	Duration time.Duration // measured time per repetition, over 0, at most 1h
	Warmup   time.Duration // unmeasured time before it, 0 or more
	Count    int           // repetitions of every cell, 1..1000
	Timeout  time.Duration // per request
	// CellTimeout bounds one repetition, setup and teardown included.
	CellTimeout time.Duration
	// Streams is the closed loop's requests in flight on each connection
	// (HTTP/2 and 3 multiplex them as streams); 0 or 1 is one at a time.
	Streams int
	// SlowClients is how many slow clients (Slowloris) the load agent
	// holds open beside the measured load: connections from the client
	// host that send a request's header one byte every few seconds and
	// never finish it; 0 for none.
	SlowClients int
}

// Load models, as Load.Model names them.
const (
	ModelRate        = "rate"
	ModelConnections = "connections"
	ModelSearch      = "search"
	ModelBurst       = "burst"
)

// Model names the load model: ModelRate, ModelConnections, ModelSearch or
// ModelBurst.
func (l Load) Model() string {
	switch {
	case l.Search != nil:
		return ModelSearch
	case l.Burst != nil:
		return ModelBurst
	case l.Connections > 0:
		return ModelConnections
	}
	return ModelRate
}

// Search is a capacity search: for each cell, bracket then bisect the
// constant open-loop rate, each probe a full warmup + duration, and report
// the highest rate whose measured window met the objective (unit
// slo-req/s).
type Search struct {
	// Metric is the latency figure the objective bounds, as its result
	// unit: "p99-ns", "p50-ns", "p90-ns", "p999-ns", "p99co-ns".
	Metric string
	// Max is the objective: the metric must stay at or below it.
	Max time.Duration
	// MaxRate caps the search (requests per second).
	MaxRate float64
	// Errors is the largest fraction of failed requests a passing probe
	// may have (0..1); 0 allows none.
	Errors float64
}

// Burst is the burst load model: every Every, Connections requests start
// at the same instant, each on a new connection; their latency counts from
// the burst's instant.
type Burst struct {
	Connections int
	Every       time.Duration
}

// The defaults Parse fills in.
const (
	// DefaultCount is the repetitions per cell: benchstat needs at least 6
	// samples for a confidence interval.
	DefaultCount = 6
	// DefaultTimeout is the per-request timeout.
	DefaultTimeout = 10 * time.Second
	// CellTimeoutSlack is added to warmup+duration for the default
	// CellTimeout: time to build the hosts, start the server and tear down.
	CellTimeoutSlack = 30 * time.Second
)

// Knob is one matrix axis: a tuning and the values the suite compares.
type Knob struct {
	Name   string
	Values []string // canonical, as KnobInfo.Canonical spells them
	Line   int      // line in the file; 0 for a Suite built in code
}

// Setting is one knob's value in a cell.
type Setting struct {
	Name, Value string
}

// Cell is one combination of link and knob values: what one benchmark line
// measures.
type Cell struct {
	Link  Link
	Knobs []Setting // matrix knobs in matrix order, not including link
}

// Name names the cell the way benchstat reads sub-benchmark keys:
// "link=wan40/keepalive=off", the link first, then the knobs in matrix order.
func (c Cell) Name() string {
	var b strings.Builder
	b.WriteString("link=")
	b.WriteString(c.Link.Name)
	for _, k := range c.Knobs {
		b.WriteString("/")
		b.WriteString(k.Name)
		b.WriteString("=")
		b.WriteString(k.Value)
	}
	return b.String()
}

// RequestKey is the key that names a request of a mix in its result lines,
// after the cell's own keys: "link=wan40/codec=json/req=create".
const RequestKey = "req"

// LineName is the name of the result lines of request req in this cell:
// the cell's name, then RequestKey=req; the cell's name alone for the
// one-request shorthand (req == "").
func (c Cell) LineName(req string) string {
	if req == "" {
		return c.Name()
	}
	return c.Name() + "/" + RequestKey + "=" + req
}

// Get returns the value of the knob name in this cell, and whether the cell
// has that knob. "link" returns the link's name.
func (c Cell) Get(name string) (string, bool) {
	if name == "link" {
		return c.Link.Name, true
	}
	for _, k := range c.Knobs {
		if k.Name == name {
			return k.Value, true
		}
	}
	return "", false
}

// BenchName is the benchmark name of the suite's lines: "Benchmark" and
// the suite name with its first letter capitalised, as go test requires
// ("handshake" → "BenchmarkHandshake"). Cell names follow it after a "/".
func (s *Suite) BenchName() string {
	r, size := utf8.DecodeRuneInString(s.Name)
	if size == 0 {
		return "Benchmark"
	}
	return "Benchmark" + string(unicode.ToUpper(r)) + s.Name[size:]
}

// Estimate is how long the suite's cells take to measure: every repetition's
// warmup and duration, without setup and teardown. A capacity search
// (load.search) makes several probes of warmup + duration per repetition;
// Estimate counts one, so it is the least such a suite takes.
func (s *Suite) Estimate(cells int) time.Duration {
	return time.Duration(cells*s.Load.Count) * (s.Load.Warmup + s.Load.Duration)
}

// MaxFileSize is the largest suite file accepted. A suite is a few dozen
// lines; anything near this is the wrong file.
const MaxFileSize = 1 << 20

// LoadFile reads and parses the suite file at path.
func LoadFile(path string) (*Suite, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w; give the path of a suite file such as scenarios/quick.yaml", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scenarios: reading %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		size := int64(len(data))
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		return nil, ErrorList{tooBig(path, size)}
	}
	return Parse(path, data)
}

// Parse parses and validates a suite. filename is used in messages only.
// The error, if any, is an ErrorList naming every problem by file, line and
// key path.
func Parse(filename string, data []byte) (*Suite, error) {
	return parse(filename, data, Knobs())
}

// tooBig refuses a file over MaxFileSize.
func tooBig(file string, size int64) *Error {
	return &Error{File: file, Line: 1, Msg: fmt.Sprintf("file is %d bytes, over the %d-byte limit; a suite is a few dozen lines, so check that this is the right file", size, MaxFileSize)}
}
