package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/results"
)

// Units of the payload evidence in a results line; see codecMetrics.
const (
	// UnitWire is the bytes the agent's connections read per request.
	UnitWire = "wire-B/op"
	// UnitServerCPU is the server's CPU time per request.
	UnitServerCPU = "server-cpu-ns/op"
	// UnitEncode is the median of the server's encoding time.
	UnitEncode = "encode-ns"
	// UnitDecode is the median of the agent's decoding time.
	UnitDecode = "decode-ns"
	// UnitDecoded is the fraction of measured requests whose body decoded.
	UnitDecoded = "decoded/op"
)

// codecMetrics is the payload evidence of one repetition:
//
//   - wire-B/op: bytes read from the agent's TCP connections (response
//     status line, headers, body and framing; TLS records with TLS) per
//     completed request, warmup included in both.
//   - server-cpu-ns/op: CPU time of the server's processes (see cpuMeter)
//     over the attack, per completed request, warmup included in both.
//   - with a codec: decoded/op (measured requests whose body had the
//     codec's Content-Type and decoded, of those the codec decodes: GETs), decode-ns (median decoding time in
//     the agent) and encode-ns (median of the server's "Server-Timing:
//     encode;dur=", when it sends one).
func codecMetrics(res *agent.Result, serverCPU time.Duration) ([]results.Metric, error) {
	done := res.Requests + res.Warmup
	if done <= 0 {
		return nil, nil
	}
	m := []results.Metric{
		{Value: float64(res.WireIn) / float64(done), Unit: UnitWire, Better: results.BetterLower},
		{Value: float64(serverCPU.Nanoseconds()) / float64(done), Unit: UnitServerCPU, Better: results.BetterLower},
	}
	c := res.Codec
	if c == nil {
		return m, nil
	}
	// Of the requests whose bodies the codec decodes: a mix's POSTs are
	// not among them.
	eligible := c.Eligible
	if eligible == 0 {
		eligible = res.Requests
	}
	m = append(m, results.Metric{Value: float64(c.Decoded) / float64(eligible), Unit: UnitDecoded, Better: results.BetterHigher})
	if c.Decoded > 0 {
		h, err := agent.DecodeHistogram(c.Decode)
		if err != nil {
			return nil, fmt.Errorf("load agent: decode times: %w", err)
		}
		m = append(m, results.Metric{Value: float64(h.ValueAtPercentile(50)), Unit: UnitDecode, Better: results.BetterLower})
	}
	if c.Encoded > 0 {
		h, err := agent.DecodeHistogram(c.Encode)
		if err != nil {
			return nil, fmt.Errorf("load agent: encode times: %w", err)
		}
		m = append(m, results.Metric{Value: float64(h.ValueAtPercentile(50)), Unit: UnitEncode, Better: results.BetterLower})
	}
	return m, nil
}

// cpuMeter reads the CPU time of a process group: the server and anything
// it started (a shell's child, worker processes). It sums the first field
// of /proc/<pid>/task/<tid>/schedstat, the time each thread ran on a CPU in
// nanoseconds, over every thread of every process in the group. The
// resolution is the scheduler's clock, well under a microsecond; what it
// misses is threads and processes that end between two readings (their
// time leaves with them), which a server keeping its threads, as Go's
// runtime does, does not have. Kernel work done in softirq context for the
// server's packets is counted to whichever thread was interrupted, as the
// kernel does.
type cpuMeter struct {
	pgid int
	proc string // /proc, or a fake tree in tests
}

// read returns the group's CPU time so far.
func (m cpuMeter) read() (time.Duration, error) {
	entries, err := os.ReadDir(m.proc)
	if err != nil {
		return 0, fmt.Errorf("server cpu: %w", err)
	}
	var total int64
	found := false
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		dir := filepath.Join(m.proc, e.Name())
		pgrp, err := processGroup(filepath.Join(dir, "stat"))
		if err != nil || pgrp != m.pgid {
			continue // gone, or another group
		}
		ns, err := threadsCPU(filepath.Join(dir, "task"))
		if err != nil {
			continue // ended while we read it
		}
		found = true
		total += ns
	}
	if !found {
		return 0, fmt.Errorf("server cpu: no process of group %d is left in %s", m.pgid, m.proc)
	}
	return time.Duration(total), nil
}

// processGroup reads the process group from a /proc/<pid>/stat file.
func processGroup(stat string) (int, error) {
	b, err := os.ReadFile(stat)
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may hold spaces; fields after it
	// are: state, ppid, pgrp.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("no command name")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return 0, errors.New("short stat line")
	}
	return strconv.Atoi(f[2])
}

// threadsCPU sums the on-CPU time of every thread under a /proc/<pid>/task
// directory.
func threadsCPU(taskDir string) (int64, error) {
	tasks, err := os.ReadDir(taskDir)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(taskDir, t.Name(), "schedstat"))
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q is not a schedstat line", taskDir, b)
		}
		total += ns
	}
	return total, nil
}
