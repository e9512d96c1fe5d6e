package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"
)

// Run drives cfg's load and measures its measured requests. Failed requests
// are counted in the result, not returned as an error; the error is for a
// config that cannot run or a cancelled ctx. On cancellation it stops
// sending at once and returns what was measured so far with an error
// wrapping ctx.Err(); requests still in flight are abandoned (they end
// within the timeout).
func Run(ctx context.Context, cfg Config, stderr io.Writer) (*Result, error) {
	p, err := newPlan(cfg)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load agent: not started: %w", err)
	}
	fmt.Fprintf(stderr, "load agent: %s for %v after %v warmup (keepalive %v, at most %d in flight)\n",
		describe(p), cfg.Duration, cfg.Warmup, cfg.KeepAlive, p.inFlight)

	// Requests are aborted only when Run returns: cancelling ctx stops
	// the schedule, and what is in flight then is abandoned.
	reqCtx, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	client, err := p.client()
	if err != nil {
		return nil, err
	}
	e := &engine{p: p, client: client, reqCtx: reqCtx, results: make(chan outcome, 1024), done: make(chan struct{})}
	e.bodyBufs.New = func() any { return new(bytes.Buffer) }
	progress := time.NewTicker(progressEvery)
	defer progress.Stop()
	start := time.Now()
	rec := newRecorder(p, start)
	// The slow clients stay to the end of the measured window: a request
	// they keep waiting is served late once they leave, and its latency
	// says how long it waited.
	slow := startSlowClients(ctx, p, start.Add(cfg.Warmup+cfg.Duration))
	stop, cancelSchedule := context.WithCancel(ctx)
	defer cancelSchedule()
	var engineErr error
	go func() {
		switch cfg.Model() {
		case ModelConnections:
			e.closedLoop(stop, start)
		case ModelBurst:
			engineErr = e.bursts(stop, start, newPicker(p.reqs, cfg.Seed, 0))
		default:
			engineErr = e.openLoop(stop, start, newPicker(p.reqs, cfg.Seed, 0))
		}
		close(e.results)
	}()
	finish := func() (*Result, error) {
		close(e.done)
		// QUIC connections end first: their bytes are wire bytes too.
		quic := p.h3.close()
		p.rpc.close()
		if quic != nil {
			p.wire.in.Add(quic.BytesReceived)
			p.wire.out.Add(quic.BytesSent)
		}
		res, err := rec.close()
		if res != nil {
			res.QUIC = quic
		}
		slowRep := slow.report()
		if res != nil {
			res.Sockets = p.socks.report()
			res.Slow = slowRep
		}
		return res, err
	}
	for {
		select {
		case o, ok := <-e.results:
			if !ok {
				if engineErr != nil {
					return nil, engineErr
				}
				res, err := finish()
				if err == nil {
					fmt.Fprintf(stderr, "load agent: done: %s\n", rec.summary())
				}
				return res, err
			}
			rec.add(o)
		case <-progress.C:
			fmt.Fprintf(stderr, "load agent: %v: %s\n", time.Since(start).Round(time.Second), rec.summary())
		case <-ctx.Done():
			cancelSchedule()
			res, err := finish()
			return res, errors.Join(fmt.Errorf("load agent: stopped after %d measured requests: %w", rec.all.requests, ctx.Err()), err)
		}
	}
}

// describe says what p will send, for stderr.
func describe(p *plan) string {
	var what []string
	for _, r := range p.reqs {
		s := r.method + " " + r.url
		if len(p.reqs) > 1 {
			s = fmt.Sprintf("%s ×%d", s, r.weight)
		}
		what = append(what, s)
	}
	cfg := p.cfg
	switch cfg.Model() {
	case ModelConnections:
		return fmt.Sprintf("%s on %d connections (think %v)", strings.Join(what, ", "), cfg.Connections, cfg.Think)
	case ModelBurst:
		return fmt.Sprintf("%s in bursts of %d every %v", strings.Join(what, ", "), cfg.Burst.Connections, cfg.Burst.Every)
	}
	return fmt.Sprintf("%s at %v req/s (%d + %d requests)", strings.Join(what, ", "), cfg.Rate, p.warmupHits, p.totalHits-p.warmupHits)
}

// The agent process's garbage collector settings; see Main.
const (
	gcPercent   = 400
	memoryLimit = 192 << 20
)

// Main is the body of `tunebench load`: it reads one JSON Config from
// stdin, runs it, and writes one JSON Result to stdout. A cancelled run
// still writes what it measured before returning the error.
func Main(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg Config
	dec := json.NewDecoder(stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("load agent: reading config from stdin: %w; the runner writes one JSON agent.Config there", err)
	}
	if err := raiseNoFile(cfg, stderr); err != nil {
		return err
	}
	// The agent is its own process: trade memory for fewer collections
	// (each costs the CPU the server shares), within a hard bound so that
	// no load makes it grow past memoryLimit.
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(memoryLimit)
	res, runErr := Run(ctx, cfg, stderr)
	if res == nil {
		return runErr
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		return errors.Join(runErr, fmt.Errorf("load agent: writing result to stdout: %w", err))
	}
	return runErr
}
