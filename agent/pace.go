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
// timer slack is set to 1 ns, and clock_nanosleep then wakes within a few
// microseconds of the deadline, where time.Sleep can oversleep by up to a
// millisecond (see the package doc). The thread is never unlocked, so it
// exits with the goroutine rather than carry its timer slack back into the
// scheduler.
type waiter struct {
	wall time.Time // a moment on the wall clock ...
	mono int64     // ... and the same moment on CLOCK_MONOTONIC, in ns
}

// maxSleep bounds one sleep, so that a cancelled context is seen soon.
const maxSleep = 50 * time.Millisecond

// newWaiter locks the calling goroutine to its thread and sets the
// thread's timer slack.
func newWaiter() *waiter {
	runtime.LockOSThread()
	// 1 ns: the smallest slack the kernel takes (0 means the default).
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	w := &waiter{wall: time.Now(), mono: ts.Nano()}
	return w
}

// until waits until t, or until ctx is done (then it returns ctx's error).
// A t already past returns at once.
func (w *waiter) until(ctx context.Context, t time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := time.Until(t)
		if left <= 0 {
			return nil
		}
		deadline := w.mono + int64(t.Sub(w.wall))
		if left > maxSleep {
			deadline = w.mono + int64(time.Now().Add(maxSleep).Sub(w.wall))
		}
		ts := unix.NsecToTimespec(deadline)
		err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil)
		if err != nil && err != unix.EINTR {
			// No clock_nanosleep: fall back to the runtime's timer.
			time.Sleep(min(left, maxSleep))
		}
	}
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
