package agent

import (
	"context"
	"math/rand/v2"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// waiter waits until absolute times precisely. It must be used from one
// goroutine, which newWaiter locks to its OS thread for good: the thread's
// timer slack is set to 1 ns, and clock_nanosleep then wakes within tens
// of microseconds of the deadline (a few on bare metal), where time.Sleep
// can oversleep by up to a millisecond (see the package doc); the waiter
// wakes that much early and spins the rest. The thread is never unlocked, so it
// exits with the goroutine rather than carry its timer slack back into the
// scheduler.
type waiter struct {
	wall  time.Time // a moment on the wall clock ...
	mono  int64     // ... and the same moment on CLOCK_MONOTONIC, in ns
	early oversleep
	spin  spinBudget
}

// maxSleep bounds one sleep, so that a cancelled context is seen soon.
const maxSleep = 50 * time.Millisecond

// newWaiter locks the calling goroutine to its thread and sets the
// thread's timer slack.
func newWaiter() *waiter {
	runtime.LockOSThread()
	// 1 ns: the smallest slack the kernel takes (0 means the default).
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	// No real-time priority: the agent shares the CPUs with the server it
	// measures, and a real-time spinner would take the server's CPU.

	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	w := &waiter{wall: time.Now(), mono: ts.Nano()}
	return w
}

// until waits until t, or until ctx is done (then it returns ctx's error).
// A t already past returns at once. It sleeps until the machine's usual
// oversleep before t, then spins the rest, within a spin budget.
func (w *waiter) until(ctx context.Context, t time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := time.Until(t)
		if left <= 0 {
			return nil
		}
		margin := time.Duration(w.early.margin())
		wake := t.Add(-margin)
		if left <= margin {
			if w.spin.allow(time.Now().UnixNano(), int64(left)) {
				for time.Now().Before(t) {
				}
				return nil
			}
			wake = t // over the budget: sleep to the deadline itself
		}
		if left > maxSleep {
			wake = time.Now().Add(maxSleep)
		}
		ts := unix.NsecToTimespec(w.mono + int64(wake.Sub(w.wall)))
		err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil)
		switch {
		case err == nil:
			w.early.observe(int64(time.Since(wake)))
		case err != unix.EINTR:
			// No clock_nanosleep: fall back to the runtime's timer.
			time.Sleep(min(left, maxSleep))
		}
	}
}

// oversleep estimates how late this machine wakes a thread from a timed
// sleep (tens of µs in a VM, a few on bare metal) the way TCP estimates its
// RTO, a smoothed mean plus twice the mean deviation, as the link
// emulator's release loop does. The waiter wakes that much early and spins
// the rest.
type oversleep struct {
	mean, dev int64
}

const (
	minMargin = 2_000   // ns
	maxMargin = 100_000 // ns: the agent's goal for its send lag
)

func (o *oversleep) margin() int64 {
	if o.mean == 0 && o.dev == 0 {
		return 50_000
	}
	return min(max(o.mean+2*o.dev, minMargin), maxMargin)
}

func (o *oversleep) observe(late int64) {
	late = max(late, 0)
	d := late - o.mean
	o.mean += d / 8
	o.dev += (max(d, -d) - o.dev) / 4
}

// spinBudget caps the spinning at a tenth of each 10 ms window: at high
// rates every deadline is within the margin, and spinning for all of them
// would hold a CPU that the server may need. Past the budget the
// waiter sleeps and wakes as late as the machine makes it; the send lag
// shows it.
type spinBudget struct {
	window, spent int64
}

const (
	spinWindow = 10_000_000 // ns
	spinShare  = spinWindow / 10
)

func (b *spinBudget) allow(now, d int64) bool {
	if now-b.window >= spinWindow {
		b.window, b.spent = now, 0
	}
	if b.spent+d > spinShare {
		return false
	}
	b.spent += d
	return true
}

// picker picks requests of the mix in proportion to their weights, from a
// generator seeded once: the same seed gives the same sequence.
type picker struct {
	cum []int // cumulative weights
	rng *rand.Rand
}

// newPicker returns a picker over reqs seeded with seed and stream, which
// tells apart the pickers of one run (the closed loop's connections).
func newPicker(reqs []request, seed, stream uint64) *picker {
	p := &picker{rng: rand.New(rand.NewPCG(seed, stream))}
	total := 0
	for _, r := range reqs {
		total += r.weight
		p.cum = append(p.cum, total)
	}
	return p
}

// next returns the index of the next request.
func (p *picker) next() int {
	if len(p.cum) == 1 {
		return 0
	}
	n := p.rng.IntN(p.cum[len(p.cum)-1])
	for i, c := range p.cum {
		if n < c {
			return i
		}
	}
	return len(p.cum) - 1
}
