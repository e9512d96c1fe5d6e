package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The load agent is the child process `tunebench load` that the runner starts
// inside the client namespace. It reads one JSON AgentConfig on stdin, drives
// open-loop load with vegeta, and writes one JSON AgentResult on stdout;
// progress and diagnostics go to stderr.
//
// vegeta is used only to send requests at a fixed rate. Its own figures are
// not: its percentiles come from a t-digest (approximate), and its latency
// starts when a worker picks up a tick, not when the request was due, so a
// stalled server that holds every worker hides the queue that builds behind
// it (coordinated omission). The agent records every measured request
// exactly in two HDR histograms instead: Latency (vegeta's definition) and
// LatencyCO (from the intended send time).

// AgentConfig is what the runner asks of the load agent. It travels as JSON;
// durations are integer nanoseconds.
type AgentConfig struct {
	// URL is fetched with GET, e.g. http://198.18.0.2:8080/orders?items=20.
	// Redirects are not followed: a 3xx counts as an error, since following
	// it would time two requests as one.
	URL string `json:"url"`
	// Rate is the constant, open-loop request rate in requests per second.
	// Requests are due every 1/Rate (rounded to the nanosecond), the first
	// one 1/Rate after the attack begins.
	Rate float64 `json:"rate"`
	// Warmup requests are sent first, at the same rate and without a pause
	// after them, and are left out of every figure.
	Warmup time.Duration `json:"warmup"`
	// Duration is the measured part of the schedule; Rate×Duration requests
	// (rounded down) are measured.
	Duration time.Duration `json:"duration"`
	// KeepAlive reuses connections; false opens a new TCP connection for
	// every request.
	KeepAlive bool `json:"keepalive"`
	// Timeout bounds each request, reading the body included; 0 is vegeta's
	// default (30s).
	Timeout time.Duration `json:"timeout"`
	// MaxConnections caps connections to the server; 0 is vegeta's default
	// (no cap).
	MaxConnections int `json:"max_connections,omitempty"`
	// Workers is the number of sending goroutines to start with; 0 is
	// vegeta's default (10). vegeta adds workers when all are busy.
	Workers uint64 `json:"workers,omitempty"`
	// MaxWorkers caps the workers; 0 is vegeta's default (no cap). With a
	// cap, a slow server delays later requests past their due time, which
	// LatencyCO shows and Latency does not.
	MaxWorkers uint64 `json:"max_workers,omitempty"`
	// FastOpen sets TCP_FASTOPEN_CONNECT on every socket (tfo=on).
	FastOpen bool `json:"tfo,omitempty"`
	// Congestion sets TCP_CONGESTION on every socket (cc), e.g. "cubic".
	Congestion string `json:"cc,omitempty"`
	// Nagle clears TCP_NODELAY on every connection (nodelay=off).
	Nagle bool `json:"nagle,omitempty"`
	// TLS is the tls knob: "off" (URL http://), "full" (a full TLS 1.3
	// handshake on every new connection) or "resume" (a session cache, so
	// new connections resume with a ticket); the last two need https://.
	// "" goes by the URL: https:// is then as full.
	TLS string `json:"tls,omitempty"`
	// HTTP2 speaks HTTP/2 only: over TLS by ALPN, or h2c with prior
	// knowledge on http:// (http=2).
	HTTP2 bool `json:"http2,omitempty"`
	// IdleTimeout closes a pooled connection idle this long (client_idle);
	// 0: never.
	IdleTimeout time.Duration `json:"client_idle,omitempty"`
	// Codec is the codec knob: "json" or "protobuf" asks for that codec
	// (Accept) and decodes every measured body with it, a body of another
	// Content-Type or one that does not decode counting as an error; ""
	// decodes nothing. See agent_decode.go.
	Codec string `json:"codec,omitempty"`
}

// AgentResult is what the load agent measured. Only requests due after the
// warmup count; every one of them is in both histograms, failed ones too (a
// timeout is latency a user waits through), so percentiles of a run with
// Errors > 0 include the failures and should be read with Errors in view.
type AgentResult struct {
	// Requests is the number of measured requests that completed, with or
	// without an error.
	Requests int `json:"requests"`
	// Errors counts measured requests that failed in transport or got a
	// status other than 2xx.
	Errors int `json:"errors"`
	// ErrorSamples holds up to 5 distinct error messages with their counts,
	// most frequent first, e.g. "12× dial tcp 198.18.0.2:8080: connect:
	// connection refused".
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Latency is every measured request's latency in nanoseconds, from the
	// moment a worker started it to the end of the body, as an HDR histogram
	// (1µs..5min, 3 significant digits) in V2 compressed form without the
	// base64 layer; read it with DecodeHistogram.
	Latency []byte `json:"latency"`
	// LatencyCO is the same requests' latency from their intended send time,
	// corrected for coordinated omission; it is never below Latency.
	LatencyCO []byte `json:"latency_co"`
	// Achieved is Requests per second of Elapsed.
	Achieved float64 `json:"achieved"`
	// BytesIn and BytesOut are the measured requests' body bytes.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// Elapsed is the measured window: from the end of the warmup schedule
	// to the last measured completion.
	Elapsed time.Duration `json:"elapsed"`
	// Warmup is the number of warmup requests that completed.
	Warmup int `json:"warmup"`
	// Sockets is what the agent read back from its connections (warmup
	// included): algorithm, TCP_NODELAY, Fast Open, retransmissions.
	Sockets *SocketReport `json:"sockets,omitempty"`
	// Trace is what httptrace saw of the measured requests: connection
	// phases, new connections, retries, TLS handshakes, HTTP/2.
	Trace *TraceReport `json:"trace,omitempty"`
	// WireIn and WireOut are the bytes the agent's connections read and
	// wrote beneath TLS (HTTP headers, bodies, framing, TLS records), over
	// the whole attack: warmup and measured requests together.
	WireIn  uint64 `json:"wire_in"`
	WireOut uint64 `json:"wire_out"`
	// Codec is what decoding the measured bodies found; nil without a
	// codec.
	Codec *CodecReport `json:"codec,omitempty"`
}

// agentProgressEvery is how often a long run reports progress on stderr.
const agentProgressEvery = 10 * time.Second

// agentPlan is a validated AgentConfig turned into a hit schedule. Hit k
// (vegeta's Seq, from 0) is due at began + (k+1)·interval: vegeta's
// ConstantPacer waits one interval before the first hit.
type agentPlan struct {
	cfg        AgentConfig
	interval   time.Duration
	warmupHits uint64         // hits 0 .. warmupHits-1 are warmup
	totalHits  uint64         // hits warmupHits .. totalHits-1 are measured
	socks      *socketTracker // set by client; read back at the end
	trace      *agentTracer   // set by client; the recorder takes from it
	wire       wireCounter    // bytes of every connection dialed
}

// newAgentPlan validates cfg once; every error names the field and the fix.
func newAgentPlan(cfg AgentConfig) (*agentPlan, error) {
	u, err := url.Parse(cfg.URL)
	switch {
	case err != nil:
		return nil, fmt.Errorf("load agent: url %q: %v; give an absolute http:// or https:// URL", cfg.URL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("load agent: url %q: scheme must be http or https", cfg.URL)
	case u.Host == "":
		return nil, fmt.Errorf("load agent: url %q: no host; give e.g. http://198.18.0.2:8080/", cfg.URL)
	}
	if math.IsNaN(cfg.Rate) || cfg.Rate <= 0 || cfg.Rate > 1e9 {
		return nil, fmt.Errorf("load agent: rate %v: give requests per second above 0 (e.g. 100)", cfg.Rate)
	}
	switch {
	case cfg.Warmup < 0:
		return nil, fmt.Errorf("load agent: warmup %v: negative; give 0 or more", cfg.Warmup)
	case cfg.Duration <= 0:
		return nil, fmt.Errorf("load agent: duration %v: give a positive duration (e.g. 10s)", cfg.Duration)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("load agent: timeout %v: negative; give 0 for the default (30s) or more", cfg.Timeout)
	case cfg.MaxConnections < 0:
		return nil, fmt.Errorf("load agent: max connections %d: negative; give 0 for no cap or more", cfg.MaxConnections)
	}
	if err := checkTransport(cfg, u.Scheme); err != nil {
		return nil, err
	}
	if err := checkCodec(cfg); err != nil {
		return nil, err
	}
	p := &agentPlan{cfg: cfg, interval: time.Duration(math.Round(1e9 / cfg.Rate))}
	if p.interval < 1 {
		p.interval = 1
	}
	p.warmupHits = uint64(cfg.Warmup / p.interval)
	p.totalHits = uint64((cfg.Warmup + cfg.Duration) / p.interval)
	if p.totalHits == p.warmupHits {
		return nil, fmt.Errorf("load agent: duration %v at %v req/s: no request falls in it; lengthen the duration or raise the rate", cfg.Duration, cfg.Rate)
	}
	return p, nil
}

// due returns when hit seq was meant to be sent, as an offset from the
// attack's start.
func (p *agentPlan) due(seq uint64) time.Duration {
	return time.Duration(seq+1) * p.interval
}

// agentPacer is vegeta's ConstantPacer stopped after a fixed number of hits.
// Counting hits instead of passing vegeta a duration makes the number sent
// exact: vegeta checks its duration before sleeping towards the next hit, so
// it sends one hit past the end.
type agentPacer struct {
	vegeta.ConstantPacer
	hits uint64
}

var _ vegeta.Pacer = agentPacer{}

// Pace implements vegeta.Pacer.
func (p agentPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.hits {
		return 0, true
	}
	return p.ConstantPacer.Pace(elapsed, hits)
}

// pacer paces the whole schedule, warmup and measurement, as one attack.
// Two attacks would restart the schedule: vegeta's Attack returns only after
// the slowest warmup request, leaving a gap in which the server drains and
// idles, and an Attacker cannot be reused after an attack (Attack ends by
// calling Stop, which closes its stop channel for good), so a second one
// would also open new connections. One attack keeps the rate unbroken and
// lets a queue built during warmup carry into the measurement, as it would
// in production.
func (p *agentPlan) pacer() vegeta.Pacer {
	// Freq 1 per interval: the pacer's interval is then exactly p.interval
	// for any float rate, so due() matches the sends.
	return agentPacer{ConstantPacer: vegeta.ConstantPacer{Freq: 1, Per: p.interval}, hits: p.totalHits}
}

// attacker builds the vegeta attacker for the plan.
func (p *agentPlan) attacker() *vegeta.Attacker {
	// The client carries keep-alive, the timeout, the connection cap and
	// every knob of the client side; see client.
	opts := []func(*vegeta.Attacker){vegeta.Client(p.client())}
	if p.cfg.Workers > 0 {
		opts = append(opts, vegeta.Workers(p.cfg.Workers))
	}
	if p.cfg.MaxWorkers > 0 {
		opts = append(opts, vegeta.MaxWorkers(p.cfg.MaxWorkers))
	}
	return vegeta.NewAttacker(opts...)
}

// RunAgent sends GET cfg.URL at cfg.Rate for cfg.Warmup+cfg.Duration and
// measures the requests due after the warmup. Failed requests are counted in
// the result, not returned as an error; the error is for a config that cannot
// run or a cancelled ctx. On cancellation it stops sending at once and
// returns what was measured so far with an error wrapping ctx.Err();
// requests still in flight are abandoned (they end within cfg.Timeout).
func RunAgent(ctx context.Context, cfg AgentConfig, stderr io.Writer) (*AgentResult, error) {
	p, err := newAgentPlan(cfg)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load agent: not started: %w", err)
	}
	atk := p.attacker()
	target := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: cfg.URL, Header: agentHeader(cfg)})
	fmt.Fprintf(stderr, "load agent: GET %s at %v req/s for %v after %v warmup (%d + %d requests, keepalive %v)\n",
		cfg.URL, cfg.Rate, cfg.Duration, cfg.Warmup, p.warmupHits, p.totalHits-p.warmupHits, cfg.KeepAlive)

	progress := time.NewTicker(agentProgressEvery)
	defer progress.Stop()
	// began is taken just before Attack takes its own start time, so due
	// times computed from it are at most a few microseconds early: LatencyCO
	// errs high by that much, never low.
	began := time.Now()
	rec := newAgentRecorder(p, began)
	results := atk.Attack(target, p.pacer(), 0, "")
	for {
		select {
		case r, ok := <-results:
			if !ok {
				res, err := rec.close()
				if res != nil {
					res.Sockets = p.socks.report()
				}
				if err == nil {
					fmt.Fprintf(stderr, "load agent: done: %s\n", rec.summary())
				}
				return res, err
			}
			rec.add(r)
		case <-progress.C:
			fmt.Fprintf(stderr, "load agent: %v: %s\n", time.Since(began).Round(time.Second), rec.summary())
		case <-ctx.Done():
			atk.Stop()
			// Workers block sending results until someone reads them; let
			// them finish their requests and exit.
			go func() {
				for range results {
				}
			}()
			res, err := rec.close()
			if res != nil {
				res.Sockets = p.socks.report()
			}
			return res, errors.Join(fmt.Errorf("load agent: stopped after %d of %d measured requests: %w",
				rec.requests, p.totalHits-p.warmupHits, ctx.Err()), err)
		}
	}
}

// AgentMain is the body of `tunebench load`: it reads one JSON AgentConfig
// from stdin, runs it, and writes one JSON AgentResult to stdout. A cancelled
// run still writes what it measured before returning the error.
func AgentMain(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg AgentConfig
	dec := json.NewDecoder(stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("load agent: reading config from stdin: %w; the runner writes one JSON AgentConfig there", err)
	}
	if err := raiseNoFile(cfg, stderr); err != nil {
		return err
	}
	res, runErr := RunAgent(ctx, cfg, stderr)
	if res == nil {
		return runErr
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		return errors.Join(runErr, fmt.Errorf("load agent: writing result to stdout: %w", err))
	}
	return runErr
}
