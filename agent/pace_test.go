package agent

import (
	"context"
	"fmt"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestWaiter: the waiter returns at or after each deadline, and at once
// for one in the past; a cancelled context stops it.
func TestWaiter(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		w := newWaiter()
		start := time.Now()
		for k := 1; k <= 20; k++ {
			due := start.Add(time.Duration(k) * time.Millisecond)
			if err := w.until(context.Background(), due); err != nil {
				done <- err
				return
			}
			if now := time.Now(); now.Before(due) {
				done <- fmt.Errorf("woke %v before the deadline", due.Sub(now))
				return
			}
		}
		if err := w.until(context.Background(), start); err != nil {
			done <- err
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := w.until(ctx, time.Now().Add(time.Hour)); err == nil {
			done <- fmt.Errorf("cancelled wait returned no error")
			return
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestPicker: weights 3:1 pick about 3:1, and a seed repeats its sequence.
func TestPicker(t *testing.T) {
	reqs := []request{{weight: 3}, {weight: 1}}
	a, b := newPicker(reqs, 9, 0), newPicker(reqs, 9, 0)
	n := [2]int{}
	for range 4000 {
		i := a.next()
		if j := b.next(); i != j {
			t.Fatal("two pickers of one seed differ")
		}
		n[i]++
	}
	if n[0] < 2800 || n[0] > 3200 {
		t.Errorf("picked %v; want about 3000:1000", n)
	}
}

// BenchmarkPacing measures how late a pacer wakes for a schedule of
// deadlines at 1000 and 5000 per second: time.Sleep (as vegeta's pacer
// waits) against the agent's waiter. Units: wake-late-p50-ns and
// wake-late-p99-ns.
func BenchmarkPacing(b *testing.B) {
	for _, rate := range []int{1000, 5000} {
		for _, how := range []string{"sleep", "waiter"} {
			b.Run(fmt.Sprintf("pacer=%s/rate=%d", how, rate), func(b *testing.B) {
				h := hdrhistogram.New(1, int64(time.Second), 3)
				interval := time.Second / time.Duration(rate)
				done := make(chan struct{})
				go func() {
					defer close(done)
					var w *waiter
					if how == "waiter" {
						w = newWaiter()
					}
					start := time.Now()
					for k := 1; k <= b.N*rate/10; k++ {
						due := start.Add(time.Duration(k) * interval)
						if w != nil {
							_ = w.until(context.Background(), due)
						} else if d := time.Until(due); d > 0 {
							time.Sleep(d)
						}
						_ = h.RecordValue(max(int64(time.Since(due)), 1))
					}
				}()
				<-done
				b.ReportMetric(float64(h.ValueAtPercentile(50)), "wake-late-p50-ns")
				b.ReportMetric(float64(h.ValueAtPercentile(99)), "wake-late-p99-ns")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
