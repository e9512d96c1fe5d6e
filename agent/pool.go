package agent

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// pool is the workers that send the scheduled requests (open loop and
// bursts), at most max of them. The scheduler submits a request when it is
// due: it queues it and rings a doorbell, a byte written to a pipe with a
// plain write(2). An idle worker waits on the pipe's read end through the
// runtime's network poller, so the kernel wakes it directly.
//
// Why not a channel: a goroutine woken by a channel send, or started by a
// go statement, is queued on the waker's own P, to run next. The scheduler
// then goes back to sleep in clock_nanosleep holding that P, and the woken
// worker waits until another P steals it or the runtime's monitor retakes
// the P — tens of microseconds to milliseconds of send lag. A doorbell
// leaves the scheduler's P alone.
type pool struct {
	e       *engine
	queue   chan outcome
	bell    *os.File // read end, pollable
	ring    int      // write end, raw
	idle    atomic.Int64
	stopped atomic.Bool
	workers int // started so far; the scheduler's
	max     int
	limit   time.Duration // a request not sent within this of its due time fails unsent
	wg      sync.WaitGroup
}

// poolPrestart is how many workers a pool starts before the first request:
// growing the pool later goes through a go statement, with the delay
// described above.
const poolPrestart = 32

// maxQueue bounds the requests waiting for a worker: about 8 MiB of them.
const maxQueue = 1 << 16

// newPool returns a pool of at most limit workers for e, with room for
// waiting requests to fill the timeout at the given rate (bounded by
// maxQueue, at least limit).
func newPool(e *engine, limit int, rate float64) (*pool, error) {
	queued := int(min(max(rate*timeout(e.p.cfg).Seconds()+1, float64(limit)), maxQueue))
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("load agent: doorbell pipe: %w", err)
	}
	// Room for a byte per queued request, so that ringing never blocks.
	_, _ = unix.FcntlInt(uintptr(fds[1]), unix.F_SETPIPE_SZ, min(max(2*queued, 4096), 1<<20))
	p := &pool{e: e, queue: make(chan outcome, queued), bell: os.NewFile(uintptr(fds[0]), "doorbell"), ring: fds[1], max: limit, limit: timeout(e.p.cfg)}
	for range min(poolPrestart, limit) {
		p.start()
	}
	return p, nil
}

func (p *pool) start() {
	p.workers++
	p.wg.Add(1)
	go p.worker()
}

// submit hands o to a worker: an idle one, a new one while there are fewer
// than max, or else the first to become free. A full queue fails o unsent.
func (p *pool) submit(o outcome) {
	if p.idle.Load() == 0 && p.workers < p.max {
		p.start()
	}
	select {
	case p.queue <- o:
	default:
		o.end = o.due.Add(p.limit)
		o.err = fmt.Sprintf("not sent: %d requests in flight (the cap) and %d waiting", p.max, cap(p.queue))
		p.e.deliver(o)
		return
	}
	// EAGAIN (a full pipe) only means enough bells are already pending.
	_, _ = unix.Write(p.ring, []byte{1})
}

// close lets the workers finish what is queued (or drop it, after stop)
// and waits for them.
func (p *pool) close() {
	close(p.queue)
	unix.Close(p.ring) // the readers see EOF
	p.wg.Wait()
	p.bell.Close()
}

// stop makes the workers drop what they have not sent yet.
func (p *pool) stop() { p.stopped.Store(true) }

func (p *pool) worker() {
	defer p.wg.Done()
	var buf [1]byte
	for {
		select {
		case o, ok := <-p.queue:
			if !ok {
				return
			}
			p.run(o)
			continue
		default:
		}
		p.idle.Add(1)
		_, err := p.bell.Read(buf[:])
		p.idle.Add(-1)
		if err != nil { // closed: drain the queue
			for o := range p.queue {
				p.run(o)
			}
			return
		}
	}
}

// run sends o, or fails it unsent when it waited past the timeout.
func (p *pool) run(o outcome) {
	if p.stopped.Load() {
		return
	}
	if time.Since(o.due) > p.limit {
		o.end = o.due.Add(p.limit)
		o.err = fmt.Sprintf("not sent: %d requests in flight (the cap) for the whole timeout", p.max)
		p.e.deliver(o)
		return
	}
	p.e.send(o)
}
