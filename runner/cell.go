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

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// DefaultPort is the server's port when the suite names none.
const DefaultPort = 8080

// outcome is what one repetition left: its sample, and what to undo.
type outcome struct {
	sample results.Sample
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

	before, err := snapshot(topo)
	if err != nil {
		return fail(fmt.Errorf("kernel evidence: %w", err))
	}
	cpu := cpuMeter{pgid: srv.cmd.Process.Pid, proc: "/proc"}
	cpuBefore, err := cpu.read()
	if err != nil {
		return fail(err)
	}
	acfg := r.agentConfig(cell)
	kp.agent(&acfg)
	watch := kp.watchServer(topo, r.port)
	res, err := driveLoad(cctx, topo.Client.NS, r.o.Exe, acfg)
	server := watch()
	if err != nil {
		return fail(err)
	}
	after, err := snapshot(topo)
	if err != nil {
		return fail(fmt.Errorf("kernel evidence: %w", err))
	}
	evidence, err := kp.evidence(before, after, res, server)
	if err != nil {
		return fail(fmt.Errorf("kernel evidence: %w", err))
	}
	select {
	case <-srv.exited:
		return fail(fmt.Errorf("server exited during the load: %s", srv.exitedWith()))
	default:
	}
	cpuAfter, err := cpu.read()
	if err != nil {
		return fail(err)
	}
	if err := fillSample(&out.sample, res); err != nil {
		return fail(err)
	}
	out.sample.Extra = append(out.sample.Extra, evidence...)
	payload, err := codecMetrics(res, cpuAfter-cpuBefore)
	if err != nil {
		return fail(err)
	}
	out.sample.Extra = append(out.sample.Extra, payload...)
	out.sample.Elapsed = time.Since(started)
	return out
}

// fillSample copies the agent's result into s, or says why the repetition
// measured nothing worth a line.
func fillSample(s *results.Sample, res *AgentResult) error {
	switch {
	case res.Requests <= 0:
		return errors.New("load agent: no measured requests")
	case res.Errors >= res.Requests:
		msg := fmt.Sprintf("no successful requests (%d of %d failed)", res.Errors, res.Requests)
		if len(res.ErrorSamples) > 0 {
			msg += ": " + res.ErrorSamples[0]
		}
		return errors.New(msg)
	}
	lat, err := DecodeHistogram(res.Latency)
	if err != nil {
		return fmt.Errorf("load agent: latency: %w", err)
	}
	co, err := DecodeHistogram(res.LatencyCO)
	if err != nil {
		return fmt.Errorf("load agent: latency_co: %w", err)
	}
	s.Requests, s.Errors, s.Achieved = res.Requests, res.Errors, res.Achieved
	s.Latency, s.LatencyCO = lat, co
	s.Extra = append(s.Extra, traceMetrics(res.Trace)...)
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

// agentConfig is the load of one repetition of cell.
func (r *run) agentConfig(cell scenarios.Cell) AgentConfig {
	l := r.o.Suite.Load
	keepAlive := true // HTTP/1.1's default when the matrix leaves it out
	if v, ok := cell.Get("keepalive"); ok {
		keepAlive = v == "on"
	}
	cfg := AgentConfig{
		URL:       "http://" + r.serverAddr() + r.o.Suite.Server.Endpoint,
		Rate:      l.Rate,
		Warmup:    l.Warmup,
		Duration:  l.Duration,
		KeepAlive: keepAlive,
		Timeout:   l.Timeout,
	}
	transportAgent(cell, &cfg)
	cfg.Codec, _ = cell.Get("codec") // "": the agent decodes nothing
	return cfg
}
