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

// Load is the open-loop load of one repetition of a cell.
type Load struct {
	Rate     float64       // requests per second, over 0, at most 100000
	Duration time.Duration // measured time per repetition, over 0, at most 1h
	Warmup   time.Duration // unmeasured time before it, 0 or more
	Count    int           // repetitions of every cell, 1..1000
	Timeout  time.Duration // per request
	// CellTimeout bounds one repetition, setup and teardown included.
	CellTimeout time.Duration
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
// warmup and duration, without setup and teardown.
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
