package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Slow clients (Slowloris): connections from the client host that start a
// request's header and send one more byte of it every slowEvery, never
// finishing it, beside the measured load. A server that gives each
// connection a slot (a worker, a thread, a place under max_conns) and no
// deadline for the header keeps the slot for as long as the client
// trickles. They stay to the end of the measured window, and are counted
// then. Each slow client connects once (a refused or failed dial is
// tried again after slowRedial), so that the count still held at the end
// says how many the server never cut off. They are bounded in count
// (maxSlowClients) and in time: every one stops at the end of the run's
// load.

// Bounds and pace of the slow clients.
const (
	maxSlowClients = 10000
	// slowEvery is the time between two bytes of a slow client's header.
	slowEvery = 2 * time.Second
	// slowRedial is the pause before a closed slow client connects again.
	slowRedial = 50 * time.Millisecond
	slowDial   = 5 * time.Second
)

// SlowReport is what became of the slow clients.
type SlowReport struct {
	// Clients is the number of slow clients.
	Clients int `json:"clients"`
	// Held is how many had a connection open, their header unfinished,
	// at the end of the measured window: connections the server (or its
	// listen queue) still held for them.
	Held int `json:"held"`
	// Dropped counts slow clients the server closed (or answered, e.g.
	// 408) before the end; Failed counts dials that failed.
	Dropped int `json:"dropped"`
	Failed  int `json:"failed"`
}

// slowClients runs the slow clients of one run.
type slowClients struct {
	n                 int
	held              atomic.Int64
	dropped, failed   atomic.Int64
	wg                sync.WaitGroup
	cancel            context.CancelFunc
	stopped, reported sync.Once
	rep               *SlowReport
}

// startSlowClients starts p's slow clients until the time until (or ctx's
// end); nil when p has none.
func startSlowClients(ctx context.Context, p *plan, until time.Time) *slowClients {
	n := p.cfg.SlowClients
	if n <= 0 {
		return nil
	}
	u, err := url.Parse(p.cfg.URL)
	if err != nil {
		return nil // newPlan has checked the URL
	}
	s := &slowClients{n: n}
	ctx, s.cancel = context.WithDeadline(ctx, until)
	var tlsCfg *tls.Config
	if u.Scheme == "https" {
		tlsCfg = agentTLSConfig(p.cfg)
	}
	for i := range n {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.client(ctx, i, u, tlsCfg)
		}()
	}
	return s
}

// client is one slow client: connect (again after a failed dial) and
// trickle until ctx ends or the server closes.
func (s *slowClients) client(ctx context.Context, i int, u *url.URL, tlsCfg *tls.Config) {
	d := net.Dialer{Timeout: slowDial}
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", u.Host)
		if err == nil && tlsCfg != nil {
			tc := tls.Client(c, tlsCfg)
			if err = tc.HandshakeContext(ctx); err != nil {
				c.Close()
			}
			c = tc
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.failed.Add(1)
			if !sleepCtx(ctx, slowRedial) {
				return
			}
			continue
		}
		if !s.trickle(ctx, c, i, u) {
			s.dropped.Add(1)
		}
		return
	}
}

// trickle sends an unfinished header on c, a byte every slowEvery, until
// ctx ends (it reports true: held to the end) or the server closes c or
// answers (false).
func (s *slowClients) trickle(ctx context.Context, c net.Conn, i int, u *url.URL) (held bool) {
	defer c.Close()
	closed := make(chan struct{})
	go func() {
		// Any byte or EOF from the server ends the slot: an answer such
		// as 408, or the close of its header deadline.
		io.Copy(io.Discard, c)
		close(closed)
	}()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nX-Slow-%d: ", u.RequestURI(), u.Host, i); err != nil {
		return false
	}
	s.held.Add(1)
	defer s.held.Add(-1)
	t := time.NewTicker(slowEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			select {
			case <-closed:
				return false
			default:
			}
			s.stop() // counts the held ones before any closes
			return true
		case <-closed:
			return false
		case <-t.C:
			if _, err := c.Write([]byte{'a'}); err != nil {
				return false
			}
		}
	}
}

// stop takes the count of the slow clients held at this moment, once.
func (s *slowClients) stop() {
	s.stopped.Do(func() {
		s.rep = &SlowReport{Clients: s.n, Held: int(s.held.Load())}
	})
}

// report ends the slow clients and returns what became of them; nil for
// none.
func (s *slowClients) report() *SlowReport {
	if s == nil {
		return nil
	}
	s.stop()
	s.cancel()
	s.wg.Wait()
	s.rep.Dropped, s.rep.Failed = int(s.dropped.Load()), int(s.failed.Load())
	return s.rep
}

// sleepCtx sleeps d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
