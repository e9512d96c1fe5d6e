package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// DefaultPort is the server's port when the suite names none.
const DefaultPort = 8080

// outcome is what one repetition left: its sample, and what to undo.
type outcome struct {
	// sample names the repetition; when it has Failed set, it is the line
	// to write.
	sample results.Sample
	// samples are the lines of a repetition that measured: one, or one
	// per request of a mix.
	samples []results.Sample
	// note says why the samples may show the instrument's own error
	// (see ownError.judge); "" when they are clean.
	note string
	// interrupted: the run's context ended before the measurement did, so
	// the sample is no result and is not written.
	interrupted bool
	// teardown stops the server and removes the hosts, last made first
	// undone. It must be called once, after the sample is written.
	teardown func() error
}

// undoStack holds the undos of what a repetition created.
type undoStack []func() error

func (u *undoStack) push(f func() error) { *u = append(*u, f) }

// run runs the undos last-in first-out and joins their errors.
func (u *undoStack) run() error {
	var errs []error
	for i := len(*u) - 1; i >= 0; i-- {
		if err := (*u)[i](); err != nil {
			errs = append(errs, err)
		}
	}
	*u = nil
	return errors.Join(errs...)
}

// repetition measures one repetition of one cell: it builds the hosts and
// the link, starts the server and drives the load. Every failure becomes a
// sample with Failed set; the run goes on. seq is the repetition's place in
// the run, which names its hosts.
func (r *run) repetition(ctx context.Context, sl slot, seq int) (out outcome) {
	cell := r.o.Cells[sl.Cell]
	started := time.Now()
	out.sample = results.Sample{Suite: r.suite, Cell: cell.Name(), Rep: sl.Rep, Started: started}
	cctx, cancel := context.WithTimeout(ctx, r.cellTimeout)
	var undo undoStack
	undo.push(func() error { cancel(); return nil })
	out.teardown = undo.run

	fail := func(err error) outcome {
		msg := err.Error()
		switch {
		case ctx.Err() != nil:
			out.interrupted = true
		case cctx.Err() != nil:
			msg = fmt.Sprintf("cell timeout: %v passed (%s); raise load.cell_timeout if the cell needs longer", r.cellTimeout, msg)
		}
		out.sample.Failed = msg
		out.sample.Elapsed = time.Since(started)
		return out
	}

	topo, err := netem.Up(cctx, netem.Config{
		Name:    fmt.Sprintf("r%d-%s", seq, r.tag),
		Link:    r.links[sl.Cell],
		Backend: r.backend.Backend,
	})
	if err != nil {
		return fail(fmt.Errorf("link: %w", err))
	}
	undo.push(topo.Close)
	// Kernel knobs go in before the server starts, so that it inherits them.
	kp, err := kernelPlanOf(cell, r.o.Suite)
	if err == nil {
		err = kp.apply(topo)
	}
	if err != nil {
		return fail(fmt.Errorf("kernel: %w", err))
	}

	spec, slog, err := r.serverSpec(cell, sl.Rep)
	if err != nil {
		return fail(err)
	}
	if slog != nil {
		undo.push(slog.close) // after the server has stopped
	}
	spec.cmd.Env = append(spec.cmd.Env, quicGSOEnv(topo)...)
	srv, err := startServer(cctx, topo.Server.NS, spec)
	if srv != nil {
		undo.push(srv.stop)
	}
	if err != nil {
		return fail(withServerOutput(err, nil, slog))
	}
	// From here a failure carries the end of the server's stderr.
	failBare := fail
	fail = func(err error) outcome { return failBare(withServerOutput(err, srv, slog)) }
	if err := kp.claims.checkServer(topo, r.port); err != nil {
		return fail(fmt.Errorf("kernel: %w", err))
	}

	cpu := cpuMeter{pgid: srv.cmd.Process.Pid, proc: "/proc"}
	acfg := r.agentConfig(cell, sl.Rep)
	kp.agent(&acfg)
	r.apiAgent(cell, &acfg)
	var m *measurement
	var search *searchOutcome
	if l := cellLoad(r.o.Suite.Load, cell); l.Model() == scenarios.ModelSearch {
		search, err = r.search(cctx, l.Search, acfg, cell.Name(), sl.Rep, func(cfg agent.Config) (*measurement, error) {
			return r.measure(cctx, topo, srv, kp, cpu, cfg)
		})
		if search != nil {
			m = search.best
		}
	} else {
		m, err = r.measure(cctx, topo, srv, kp, cpu, acfg)
	}
	if err != nil {
		return fail(err)
	}
	select {
	case <-srv.exited:
		return fail(fmt.Errorf("server exited during the load: %s", srv.exitedWith()))
	default:
	}
	res := m.res
	evidence, err := kp.evidence(m.before, m.after, res, m.server)
	if err != nil {
		return fail(fmt.Errorf("kernel evidence: %w", err))
	}
	payload, err := codecMetrics(res, m.serverCPU)
	if err != nil {
		return fail(err)
	}
	own, err := ownErrorOf(res, r.backend.Backend, m.emu, m.cpuBusy)
	if err != nil {
		return fail(err)
	}
	samples, err := r.samplesOf(cell, out.sample, res)
	if err != nil {
		return fail(err)
	}
	scale := r.links[sl.Cell].RTT()
	if scale <= 0 {
		_, p50, _, _, _, _ := results.Summary(samples[0].Latency)
		scale = p50
	}
	out.note = own.judge(scale)
	var extra []results.Metric
	if search != nil {
		extra = append(extra, results.Metric{Value: search.rate, Unit: results.UnitSLORate, Better: results.BetterHigher})
	}
	extra = append(extra, results.Metric{Value: res.Throughput, Unit: results.UnitCompleted, Better: results.BetterHigher})
	extra = append(extra, traceMetrics(res.Trace)...)
	extra = append(extra, apiMetrics(res.Trace)...)
	extra = append(extra, quicMetrics(res)...)
	extra = append(extra, evidence...)
	extra = append(extra, payload...)
	extra = append(extra, own.metrics(out.note != "")...)
	for i := range samples {
		samples[i].Extra = append(samples[i].Extra, extra...)
		samples[i].Elapsed = time.Since(started)
	}
	out.samples = samples
	return out
}

// measurement is one run of the load agent with the evidence around it.
type measurement struct {
	res           *agent.Result
	before, after counters
	server        *serverSockets
	serverCPU     time.Duration
	cpuBusy       float64 // host CPU busy share over the measured window; -1 unknown
	emu           netem.Stats
}

// measure runs the load agent once with cfg and reads the kernel's
// counters, the server's CPU time and the host's CPU around it.
func (r *run) measure(ctx context.Context, topo *netem.Topology, srv *child, kp kernelPlan, cpu cpuMeter, cfg agent.Config) (*measurement, error) {
	m := &measurement{cpuBusy: -1}
	var err error
	if m.before, err = snapshot(topo); err != nil {
		return nil, fmt.Errorf("kernel evidence: %w", err)
	}
	cpuBefore, err := cpu.read()
	if err != nil {
		return nil, err
	}
	// The host's CPU is read at the end of the warmup and at the end of the
	// load: the measured window, give or take the agent's start.
	hostStart := make(chan cpuTimes, 1)
	timer := time.AfterFunc(cfg.Warmup, func() {
		if t, err := readHostCPU("/proc"); err == nil {
			hostStart <- t
		}
	})
	watch := kp.watchServer(topo, r.port)
	m.res, err = driveLoad(ctx, topo.Client.NS, r.o.Exe, cfg, quicGSOEnv(topo)...)
	m.server = watch()
	timer.Stop()
	if err != nil {
		return nil, err
	}
	select {
	case t0 := <-hostStart:
		if t1, err := readHostCPU("/proc"); err == nil {
			m.cpuBusy = busyShare(t0, t1)
		}
	default:
	}
	m.emu = topo.Stats()
	if m.after, err = snapshot(topo); err != nil {
		return nil, fmt.Errorf("kernel evidence: %w", err)
	}
	cpuAfter, err := cpu.read()
	if err != nil {
		return nil, err
	}
	m.serverCPU = cpuAfter - cpuBefore
	return m, nil
}

// samplesOf turns the agent's result into the repetition's lines: one for
// a one-request suite, named as the cell; one per request of a mix, named
// cell/req=name. base carries the suite, cell and repetition. It says why
// the repetition measured nothing worth a line.
func (r *run) samplesOf(cell scenarios.Cell, base results.Sample, res *agent.Result) ([]results.Sample, error) {
	if err := checkResult(res.Requests, res.Errors, res.ErrorSamples); err != nil {
		return nil, err
	}
	s := base
	if err := fillSample(&s, res.Requests, res.Errors, res.Achieved, res.Latency, res.LatencyCO); err != nil {
		return nil, err
	}
	names := reqNames(r.o.Suite)
	if names == nil {
		return []results.Sample{s}, nil
	}
	if len(res.PerRequest) != len(names) {
		return nil, fmt.Errorf("load agent: %d per-request results for %d requests", len(res.PerRequest), len(names))
	}
	var out []results.Sample
	for i, pr := range res.PerRequest {
		s := base
		s.Cell = cell.LineName(names[i])
		if pr.Requests == 0 {
			s.Failed = fmt.Sprintf("request %s: none sent in the measured window (weight too small for the duration)", names[i])
			out = append(out, s)
			continue
		}
		if err := fillSample(&s, pr.Requests, pr.Errors, pr.Achieved, pr.Latency, pr.LatencyCO); err != nil {
			return nil, err
		}
		if pr.Errors >= pr.Requests {
			s.Failed = fmt.Sprintf("request %s: no successful requests (%d of %d failed)", names[i], pr.Errors, pr.Requests)
			if len(pr.ErrorSamples) > 0 {
				s.Failed += ": " + pr.ErrorSamples[0]
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// checkResult says why a result with these counts measured nothing.
func checkResult(requests, errs int, samples []string) error {
	switch {
	case requests <= 0:
		return errors.New("load agent: no measured requests")
	case errs >= requests:
		msg := fmt.Sprintf("no successful requests (%d of %d failed)", errs, requests)
		if len(samples) > 0 {
			msg += ": " + samples[0]
		}
		return errors.New(msg)
	}
	return nil
}

// fillSample decodes one line's histograms into s.
func fillSample(s *results.Sample, requests, errs int, achieved float64, latency, latencyCO []byte) error {
	lat, err := agent.DecodeHistogram(latency)
	if err != nil {
		return fmt.Errorf("load agent: latency: %w", err)
	}
	co, err := agent.DecodeHistogram(latencyCO)
	if err != nil {
		return fmt.Errorf("load agent: latency_co: %w", err)
	}
	s.Requests, s.Errors, s.Achieved = requests, errs, achieved
	s.Latency, s.LatencyCO = lat, co
	return nil
}

// serverAddr is where the server listens in the server host.
func (r *run) serverAddr() string {
	return net.JoinHostPort(netem.ServerAddr.String(), strconv.Itoa(r.port))
}

// serverCommand is the reference server, `tunebench serve`, or the suite's
// own command with {server}, {port}, {addr} and every knob's {name}
// replaced: a command line run by /bin/sh -c, or a list (Server.Argv) run
// without a shell, each argument replaced on its own. Either way the server
// gets the cell's knobs as TUNEBENCH_<NAME> environment variables (see
// ServerEnv), so the reference server and a user's own read one contract.
func (r *run) serverCommand(cell scenarios.Cell) *exec.Cmd {
	var cmd *exec.Cmd
	pairs := []string{"{server}", netem.ServerAddr.String(), "{port}", strconv.Itoa(r.port), "{addr}", r.serverAddr()}
	for _, k := range cell.Knobs {
		pairs = append(pairs, "{"+k.Name+"}", k.Value)
	}
	placeholders := strings.NewReplacer(pairs...)
	if argv := r.o.Suite.Server.Argv; len(argv) > 0 {
		args := make([]string, len(argv))
		for i, a := range argv {
			args[i] = placeholders.Replace(a)
		}
		cmd = exec.Command(args[0], args[1:]...)
	} else if c := r.o.Suite.Server.Command; c != "" {
		cmd = exec.Command("/bin/sh", "-c", placeholders.Replace(c))
	} else {
		cmd = exec.Command(r.o.Exe, "serve", "--addr", r.serverAddr())
	}
	cmd.Env = append(os.Environ(), ServerEnv(cell, r.serverAddr())...)
	return cmd
}

// ServerEnv is the environment a cell's server gets besides the runner's
// own: TUNEBENCH_ADDR (host:port to listen on), TUNEBENCH_CELL (the cell's
// name) and TUNEBENCH_<NAME>=value for every knob, the name upper-cased
// (TUNEBENCH_CODEC=protobuf, TUNEBENCH_TLS=resume).
func ServerEnv(cell scenarios.Cell, addr string) []string {
	env := []string{"TUNEBENCH_ADDR=" + addr, "TUNEBENCH_CELL=" + cell.Name()}
	for _, k := range cell.Knobs {
		env = append(env, "TUNEBENCH_"+EnvName(k.Name)+"="+k.Value)
	}
	return env
}

// EnvName is a knob's name as an environment variable's suffix: upper case,
// anything but letters and digits as '_' ("initcwnd" → "INITCWND").
func EnvName(knob string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, knob)
}
