package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// outcome is one request as the recorder takes it.
type outcome struct {
	req      int       // index in plan.reqs
	due      time.Time // when it was meant to start
	start    time.Time // when it was sent; zero: never sent
	end      time.Time // when its body ended or it failed
	measured bool
	code     int
	err      string
	bytesIn  uint64
	bytesOut uint64
	trace    *requestTrace
	body     bodyCheck
}

// engine runs a plan's requests and hands their outcomes to the recorder.
type engine struct {
	p      *plan
	client *http.Client
	// reqCtx is every request's context: it ends when Run returns, not
	// when the schedule is stopped, so that a cancelled run abandons what
	// is in flight rather than count it as failed.
	reqCtx  context.Context
	results chan outcome
	done    chan struct{} // closed when the recorder stops taking outcomes
	// bodyBufs holds buffers for bodies the codec decodes.
	bodyBufs sync.Pool
}

// maxDecodeBody is the largest body the agent keeps to decode; a larger one
// is read and counted but fails the codec check.
const maxDecodeBody = 16 << 20

// send sends one request and reports its outcome.
func (e *engine) send(o outcome) {
	e.deliver(e.do(e.reqCtx, o))
}

// deliver hands o to the recorder, or drops it once the recorder has
// stopped (the run was cancelled).
func (e *engine) deliver(o outcome) {
	select {
	case e.results <- o:
	case <-e.done:
	}
}

// do sends the request of o and fills in what happened.
func (e *engine) do(ctx context.Context, o outcome) outcome {
	r := &e.p.reqs[o.req]
	var body io.Reader
	if len(r.body) > 0 {
		body = bytes.NewReader(r.body)
	}
	t := &requestTrace{}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(withRequestTrace(ctx, t), t.hooks()), r.method, r.url, body)
	if err != nil {
		o.start, o.end, o.err = time.Now(), time.Now(), err.Error()
		return o
	}
	// Shared, not cloned: net/http reads a client request's Header and
	// writes what it adds (Host, Content-Length) to the wire only.
	req.Header = r.header
	o.start = time.Now()
	t.start = o.start
	o.trace = t
	o.bytesOut = uint64(len(r.body))
	resp, err := e.client.Do(req)
	if err != nil {
		o.end, o.err = time.Now(), err.Error()
		return o
	}
	t.setProto(resp.ProtoMajor)
	o.code = resp.StatusCode
	var kept *bytes.Buffer
	var n int64
	if r.decode && o.code >= 200 && o.code <= 299 {
		kept = e.bodyBufs.Get().(*bytes.Buffer)
		kept.Reset()
		n, err = kept.ReadFrom(io.LimitReader(resp.Body, maxDecodeBody+1))
		if err == nil && n > maxDecodeBody {
			var more int64
			more, err = io.Copy(io.Discard, resp.Body)
			n += more
		}
	} else {
		n, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	o.end = time.Now()
	t.endBody(o.end)
	o.bytesIn = uint64(n)
	if err != nil {
		o.err = err.Error()
	}
	if kept != nil {
		if err == nil && o.measured {
			if n > maxDecodeBody {
				o.body = bodyCheck{failed: true, msg: fmt.Sprintf("codec %s: body over %d MiB; the agent decodes smaller ones", e.p.cfg.Codec, maxDecodeBody>>20)}
			} else {
				o.body = inspectBody(e.p.cfg.Codec, resp.Header, kept.Bytes())
			}
		}
		if kept.Cap() <= 1<<20 {
			e.bodyBufs.Put(kept)
		}
	}
	return o
}

// openLoop sends the open-loop schedule: hit k due at start + due(k). The
// scheduler runs on its own thread (see waiter) and submits each request
// to the pool when it is due (see pool): with max requests in flight it
// waits in the queue and goes late, counted from its due time; one not
// sent within a timeout of its due time fails unsent.
func (e *engine) openLoop(ctx context.Context, start time.Time, pick *picker) error {
	pl, err := newPool(e, e.p.inFlight, e.p.cfg.Rate)
	if err != nil {
		return err
	}
	w := newWaiter()
	for k := uint64(0); k < e.p.totalHits; k++ {
		due := start.Add(e.p.due(k))
		if w.until(ctx, due) != nil {
			pl.stop()
			break
		}
		pl.submit(outcome{req: pick.next(), due: due, measured: k >= e.p.warmupHits})
	}
	pl.close()
	return nil
}

// closedLoop runs Connections loops until the window ends: each sends a
// request, waits for it to end, thinks, and sends the next. Requests that
// start in the measured window are measured.
func (e *engine) closedLoop(ctx context.Context, start time.Time) {
	cfg := e.p.cfg
	window := start.Add(cfg.Warmup)
	end := window.Add(cfg.Duration)
	var wg sync.WaitGroup
	for c := range cfg.Connections * streamsOf(cfg) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pick := newPicker(e.p.reqs, cfg.Seed, uint64(c)+1)
			for {
				now := time.Now()
				if !now.Before(end) || ctx.Err() != nil {
					return
				}
				e.send(outcome{req: pick.next(), due: now, measured: !now.Before(window)})
				if cfg.Think > 0 {
					select {
					case <-time.After(cfg.Think):
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// bursts starts Burst.Connections requests at every burst instant, from
// start on, while the instant is before the end of the window, through the
// pool: a request that waits for a worker still counts from its burst's
// instant.
func (e *engine) bursts(ctx context.Context, start time.Time, pick *picker) error {
	cfg := e.p.cfg
	window := start.Add(cfg.Warmup)
	end := window.Add(cfg.Duration)
	pl, err := newPool(e, e.p.inFlight, float64(cfg.Burst.Connections)/cfg.Burst.Every.Seconds())
	if err != nil {
		return err
	}
	w := newWaiter()
	for instant := start; instant.Before(end); instant = instant.Add(cfg.Burst.Every) {
		if w.until(ctx, instant) != nil {
			pl.stop()
			break
		}
		measured := !instant.Before(window)
		for range cfg.Burst.Connections {
			pl.submit(outcome{req: pick.next(), due: instant, measured: measured})
		}
	}
	pl.close()
	return nil
}
