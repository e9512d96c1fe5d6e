package runner

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// machine is what the results header says about the host.
type machine struct {
	Kernel string // uname -r
	CPU    string // model name
	// CC is the congestion control new namespaces inherit from the host
	// (a knob of its own sets it per cell); BBR paces its first rounds,
	// which shows in the latency of responses over ten segments.
	CC string
}

// thisMachine reads the kernel release and the CPU model; what cannot be
// read is left empty and left out of the header.
func thisMachine() machine {
	var m machine
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_congestion_control"); err == nil {
		m.CC = strings.TrimSpace(string(b))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		m.CPU = cpuModel(f)
		f.Close()
	}
	return m
}

// cpuModel returns the first "model name" of a /proc/cpuinfo, the key go
// test's "cpu:" line comes from too.
func cpuModel(r io.Reader) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// header is the run's file-level configuration: what holds for every line
// of the results file. Keys are as benchfmt wants them (lower case, no
// spaces); values are one line. Empty values are left out.
func header(o Options, count int, seed int64, backend netem.Choice, m machine) []results.Config {
	s := o.Suite
	var cfg []results.Config
	add := func(k, v string) {
		v = strings.Join(strings.Fields(v), " ")
		if v != "" {
			cfg = append(cfg, results.Config{Key: k, Value: v})
		}
	}
	version := o.Version
	if version == "" {
		version = "dev"
	}
	add("tunebench", version)
	add("suite", s.Name)
	add("description", s.Description)
	add("goos", runtime.GOOS)
	add("goarch", runtime.GOARCH)
	add("kernel", m.Kernel)
	add("cpu", m.CPU)
	add("tcp-cc", m.CC)
	add("backend", backend.Backend)
	add("backend-reason", backend.Reason)
	add("seed", strconv.FormatInt(seed, 10))
	add("count", strconv.Itoa(count))
	add("load", loadString(s.Load))
	if s.Server.Command != "" {
		add("server", s.Server.Command)
	} else {
		add("server", "reference")
	}
	add("endpoint", s.Server.Endpoint)
	add("requests", requestsString(s))
	// How a line's suspect=1 was decided (see ownError.judge).
	add("suspect-rule", fmt.Sprintf("send lag or emulator lateness p99 over %.0f%% of the RTT (of p50 on a link without delay), or host CPUs %.0f%% busy", suspectShare*100, cpuSaturated*100))
	seen := make(map[string]bool)
	for _, c := range o.Cells {
		if !seen[c.Link.Name] {
			seen[c.Link.Name] = true
			add("link-"+c.Link.Name, c.Link.String())
		}
	}
	return append(cfg, o.shardHeader...)
}

// loadString describes a load as "rate=20/s duration=2s warmup=500ms
// timeout=10s".
func loadString(l scenarios.Load) string {
	var model string
	switch l.Model() {
	case scenarios.ModelConnections:
		model = "connections=" + strconv.Itoa(l.Connections) + " think=" + l.Think.String()
	case scenarios.ModelSearch:
		model = fmt.Sprintf("search=%s<=%v max_rate=%s/s errors<=%s", l.Search.Metric, l.Search.Max,
			strconv.FormatFloat(searchMax(l.Search), 'f', -1, 64), strconv.FormatFloat(l.Search.Errors, 'f', -1, 64))
	case scenarios.ModelBurst:
		model = fmt.Sprintf("burst=%d every=%v", l.Burst.Connections, l.Burst.Every)
	default:
		model = "rate=" + strconv.FormatFloat(l.Rate, 'f', -1, 64) + "/s"
	}
	return model +
		" duration=" + l.Duration.String() +
		" warmup=" + l.Warmup.String() +
		" timeout=" + l.Timeout.String()
}

// requestsString describes a mix for the header: "list GET /orders ×3,
// create POST /orders body_orders=2 ×1"; "" for the one-request shorthand.
func requestsString(s *scenarios.Suite) string {
	if reqNames(s) == nil {
		return ""
	}
	var parts []string
	for i, q := range s.Requests {
		p := requestName(i, q) + " " + q.Method + " " + q.Path
		switch {
		case q.BodyOrders > 0:
			p += fmt.Sprintf(" body_orders=%d", q.BodyOrders)
		case q.BodyFile != "":
			p += " body=@" + q.BodyFile
		case len(q.Body) > 0:
			p += fmt.Sprintf(" body=%dB", len(q.Body))
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", p, max(q.Weight, 1)))
	}
	return strings.Join(parts, ", ")
}
