package netem

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

// The shaper is a pure model, so these tests drive it with a fake clock:
// arrival times in ns chosen by the test, never read from a real clock.

// fate is what the shaper decided for one packet.
type fate struct {
	arrive, due int64 // due is 0 for a dropped packet
	v           verdict
}

// feed admits n packets of size bytes to s, the first at start and then
// one every gap ns, and returns their fates in arrival order.
func feed(s *shaper, start int64, n int, gap time.Duration, size int) []fate {
	out := make([]fate, n)
	for i := range out {
		now := start + int64(i)*int64(gap)
		due, v := s.admit(now, size)
		out[i] = fate{now, due, v}
	}
	return out
}

// delays returns due−arrival of the packets that passed.
func delays(fs []fate) []float64 {
	var d []float64
	for _, f := range fs {
		if f.v == pass {
			d = append(d, float64(f.due-f.arrive))
		}
	}
	return d
}

func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

// inversions counts packets due before the one that arrived ahead of them.
func inversions(fs []fate) int {
	n := 0
	var last int64 = math.MinInt64
	for _, f := range fs {
		if f.v != pass {
			continue
		}
		if f.due < last {
			n++
		}
		last = f.due
	}
	return n
}

func count(fs []fate, v verdict) int {
	n := 0
	for _, f := range fs {
		if f.v == v {
			n++
		}
	}
	return n
}

func TestShaperFixedDelay(t *testing.T) {
	tests := []struct {
		name  string
		d     Direction
		delay time.Duration
	}{
		{"perfect wire", Direction{}, 0},
		{"delay", Direction{Delay: 20 * time.Millisecond}, 20 * time.Millisecond},
		{"delay with reorder and no jitter", Direction{Delay: 7 * time.Millisecond, Reorder: true}, 7 * time.Millisecond},
		{"long delay", Direction{Delay: 10 * time.Second}, 10 * time.Second},
		{"loss 0", Direction{Delay: time.Millisecond, Loss: 0}, time.Millisecond},
		{"gemodel that never loses", Direction{Delay: time.Millisecond, GE: GilbertElliott{Enable: true, P: 0.5, R: 0.5}}, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShaper(tt.d, 1, 1)
			// Irregular arrivals, some at the same instant, some far apart.
			for _, now := range []int64{0, 0, 1, 999, 1_000_000, 1_000_000, 5e9, 5e9 + 3} {
				due, v := s.admit(now, 1500)
				if v != pass {
					t.Fatalf("packet at %d: verdict %d; want pass", now, v)
				}
				if want := now + int64(tt.delay); due != want {
					t.Errorf("packet at %d: due %d; want %d (arrival + %v)", now, due, want, tt.delay)
				}
			}
		})
	}
}

func TestShaperUniformJitter(t *testing.T) {
	const (
		delay  = 20 * time.Millisecond
		jitter = 5 * time.Millisecond
		n      = 20000
	)
	tests := []struct {
		name    string
		reorder bool
		gap     time.Duration
	}{
		// 100 µs apart and ±5 ms of jitter: most neighbours would swap.
		{"dense in order", false, 100 * time.Microsecond},
		{"dense reorder", true, 100 * time.Microsecond},
		// Further apart than the jitter's span: keeping order costs nothing,
		// so the delay is unbiased with or without Reorder.
		{"sparse in order", false, 2*jitter + time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := feed(newShaper(Direction{Delay: delay, Jitter: jitter, Reorder: tt.reorder}, 7, 1), 0, n, tt.gap, 1500)
			if got := count(fs, pass); got != n {
				t.Fatalf("%d of %d passed; want all", got, n)
			}
			d := delays(fs)
			lo, hi := float64(delay-jitter), float64(delay+jitter)
			for i, v := range d {
				if v < lo || v > hi {
					t.Fatalf("packet %d: delay %v; want within %v ± %v", i, time.Duration(v), delay, jitter)
				}
			}
			inv := inversions(fs)
			if !tt.reorder && inv != 0 {
				t.Errorf("%d packets due before the one ahead of them; want 0 without Reorder", inv)
			}
			if tt.reorder && inv < n/10 {
				t.Errorf("%d of %d packets reordered; want many with Reorder and jitter ≫ gap", inv, n)
			}
			if tt.reorder || tt.gap > 2*jitter {
				// Uniform on ±j has std j/√3; allow 5 standard errors.
				mean, std := meanStd(d)
				tol := 5 * float64(jitter) / math.Sqrt(3) / math.Sqrt(n)
				if math.Abs(mean-float64(delay)) > tol {
					t.Errorf("mean delay %v; want %v ± %v", time.Duration(mean), delay, time.Duration(tol))
				}
				if want := float64(jitter) / math.Sqrt(3); math.Abs(std-want) > 0.05*want {
					t.Errorf("delay std %v; want %v (uniform ±%v) within 5%%", time.Duration(std), time.Duration(want), jitter)
				}
			}
		})
	}
}

func TestShaperNormalJitter(t *testing.T) {
	const (
		delay  = 50 * time.Millisecond
		jitter = 5 * time.Millisecond
		n      = 20000
	)
	tests := []struct {
		name    string
		reorder bool
		gap     time.Duration
	}{
		{"dense reorder", true, time.Millisecond},
		{"sparse in order", false, 100 * time.Millisecond}, // 20σ apart: order never binds
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := feed(newShaper(Direction{Delay: delay, Jitter: jitter, Distribution: Normal, Reorder: tt.reorder}, 3, 1), 0, n, tt.gap, 100)
			mean, std := meanStd(delays(fs))
			if math.Abs(std-float64(jitter)) > 0.1*float64(jitter) {
				t.Errorf("delay std %v; want %v within 10%%", time.Duration(std), jitter)
			}
			if tol := 5 * float64(jitter) / math.Sqrt(n); math.Abs(mean-float64(delay)) > tol {
				t.Errorf("mean delay %v; want %v ± %v", time.Duration(mean), delay, time.Duration(tol))
			}
			if !tt.reorder {
				if inv := inversions(fs); inv != 0 {
					t.Errorf("%d packets reordered; want 0 without Reorder", inv)
				}
			}
		})
	}
}

// Normal jitter may exceed the delay; a packet is then due when it leaves,
// never before.
func TestShaperJitterNeverEarly(t *testing.T) {
	d := Direction{Delay: time.Millisecond, Jitter: 10 * time.Millisecond, Distribution: Normal, Reorder: true}
	fs := feed(newShaper(d, 1, 1), 1e9, 10000, 100*time.Microsecond, 100)
	clamped := 0
	for i, f := range fs {
		if f.due < f.arrive {
			t.Fatalf("packet %d due %d before it arrived at %d", i, f.due, f.arrive)
		}
		if f.due == f.arrive {
			clamped++
		}
	}
	if clamped == 0 {
		t.Errorf("no packet clamped to its arrival; want about half with jitter 10× the delay")
	}
}

// binomialBound returns the 5σ half-width of the count of successes in n
// trials of probability p.
func binomialBound(n int, p float64) float64 {
	return 5 * math.Sqrt(float64(n)*p*(1-p))
}

func TestShaperLoss(t *testing.T) {
	const n = 100000
	for _, p := range []float64{0, 0.01, 0.1, 0.5, 1} {
		t.Run(fmt.Sprintf("loss=%g", p), func(t *testing.T) {
			fs := feed(newShaper(Direction{Loss: p}, 11, 1), 0, n, time.Microsecond, 1500)
			lost := count(fs, dropLoss)
			if got := count(fs, dropQueue); got != 0 {
				t.Errorf("%d queue drops; want 0 with no rate", got)
			}
			want := p * n
			if tol := binomialBound(n, p); math.Abs(float64(lost)-want) > tol {
				t.Errorf("lost %d of %d; want %.0f ± %.0f (loss %g, 5σ)", lost, n, want, tol, p)
			}
			for _, f := range fs {
				if f.v == pass && f.due != f.arrive {
					t.Fatalf("passed packet due %d; want its arrival %d", f.due, f.arrive)
				}
			}
		})
	}
}

func TestShaperGilbertElliottRate(t *testing.T) {
	const n = 2_000_000
	tests := []struct {
		name string
		ge   GilbertElliott
	}{
		{"simple gilbert", GilbertElliott{P: 0.01, R: 0.3, OneH: 1}},
		{"lossy good state", GilbertElliott{P: 0.01, R: 0.3, OneH: 0.8, OneK: 0.01}},
		{"half loss in bad", GilbertElliott{P: 0.05, R: 0.5, OneH: 0.5}},
		{"never bad", GilbertElliott{P: 0, R: 0.5, OneH: 1, OneK: 0.02}},
		{"always bad", GilbertElliott{P: 1, R: 0, OneH: 0.3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.ge
			g.Enable = true
			fs := feed(newShaper(Direction{GE: g}, 5, 1), 0, n, time.Microsecond, 100)
			got := float64(count(fs, dropLoss)) / n
			piBad := g.P / (g.P + g.R)
			want := piBad*g.OneH + (1-piBad)*g.OneK
			// Losses are correlated, so a binomial bound is too tight; with
			// 2M packets and thousands of bad spells, the standard error of
			// these chains is under 1%, and 5% is over 5σ.
			if math.Abs(got-want) > 0.05*want {
				t.Errorf("loss rate %.4f%%; want %.4f%% (π_bad %.4f) within 5%%", got*100, want*100, piBad)
			}
		})
	}
}

func TestShaperGilbertElliottBursts(t *testing.T) {
	const n = 2_000_000
	g := GilbertElliott{P: 0.02, R: 0.25, OneH: 1, OneK: 0, Enable: true}
	fs := feed(newShaper(Direction{GE: g}, 9, 1), 0, n, time.Microsecond, 100)
	var bursts []int
	run := 0
	for _, f := range fs {
		if f.v == dropLoss {
			run++
			continue
		}
		if run > 0 {
			bursts = append(bursts, run)
			run = 0
		}
	}
	if len(bursts) < 1000 {
		t.Fatalf("%d loss bursts; want thousands", len(bursts))
	}
	sum := 0
	for _, b := range bursts {
		sum += b
	}
	mean := float64(sum) / float64(len(bursts))
	// A bad spell lasts a geometric number of packets: mean 1/r, variance
	// (1−r)/r².
	want := 1 / g.R
	tol := 5 * math.Sqrt((1-g.R)/(g.R*g.R)/float64(len(bursts)))
	if math.Abs(mean-want) > tol {
		t.Errorf("mean loss burst %.3f packets over %d bursts; want %.3f ± %.3f (1/r)", mean, len(bursts), want, tol)
	}
	// Random loss at the same rate would give bursts of about 1/(1−loss).
	rate := float64(sum) / n
	if random := 1 / (1 - rate); mean < 2*random {
		t.Errorf("mean loss burst %.3f; want well over %.3f, the burst of random loss at the same rate", mean, random)
	}
}

func TestShaperSeeded(t *testing.T) {
	d := Direction{Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, Reorder: true, Loss: 0.2}
	ge := Direction{Delay: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, Distribution: Normal,
		GE: GilbertElliott{P: 0.05, R: 0.3, OneH: 0.9, OneK: 0.01, Enable: true}}
	const n = 5000
	for name, d := range map[string]Direction{"uniform+loss": d, "normal+gemodel": ge} {
		t.Run(name, func(t *testing.T) {
			a := feed(newShaper(d, 42, 1), 0, n, 500*time.Microsecond, 1500)
			b := feed(newShaper(d, 42, 1), 0, n, 500*time.Microsecond, 1500)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("packet %d: seed 42 gave %+v then %+v; want the same", i, a[i], b[i])
				}
			}
			for _, other := range []struct {
				name         string
				seed, stream uint64
			}{{"seed 43", 43, 1}, {"stream 2", 42, 2}} {
				c := feed(newShaper(d, other.seed, other.stream), 0, n, 500*time.Microsecond, 1500)
				if slices.Equal(a, c) {
					t.Errorf("%s gave the same %d fates as seed 42 stream 1; want a different sequence", other.name, n)
				}
			}
		})
	}
}

func TestShaperRate(t *testing.T) {
	tests := []struct {
		name    string
		d       Direction
		size    int
		gap     time.Duration
		spacing int64 // ns between consecutive dues
	}{
		{"100mbit 1500B back to back", Direction{Rate: 100e6}, 1500, 0, 120_000},
		{"100mbit 1500B with 24B overhead", Direction{Rate: 100e6, Overhead: 24}, 1500, 0, 121_920},
		{"1gbit 1500B", Direction{Rate: 1e9}, 1500, 0, 12_000},
		{"7mbit rounds up to the ns", Direction{Rate: 7e6}, 1500, 0, 1_714_286},
		{"100mbit with delay", Direction{Rate: 100e6, Delay: 10 * time.Millisecond}, 1500, 0, 120_000},
		// Arrivals slower than the rate: each waits only for itself.
		{"100mbit arrivals spaced out", Direction{Rate: 100e6}, 1500, time.Millisecond, int64(time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const start = 1e9
			fs := feed(newShaper(tt.d, 1, 1), start, 50, tt.gap, tt.size)
			ser := int64(math.Ceil(float64(tt.size+tt.d.Overhead) * 8e9 / float64(tt.d.Rate)))
			if want := start + ser + int64(tt.d.Delay); fs[0].due != want {
				t.Errorf("first packet due %d; want %d (arrival + serialization %dns + delay)", fs[0].due, want, ser)
			}
			for i := 1; i < len(fs); i++ {
				if fs[i].v != pass {
					t.Fatalf("packet %d: verdict %d; want pass", i, fs[i].v)
				}
				if got := fs[i].due - fs[i-1].due; got != tt.spacing {
					t.Fatalf("packets %d and %d due %dns apart; want %dns", i-1, i, got, tt.spacing)
				}
			}
		})
	}
}

func TestShaperQueueDropTail(t *testing.T) {
	const ser = 120_000 // 1500 B at 100 mbit/s
	tests := []struct {
		name  string
		d     Direction
		burst int
		pass  int // the first pass packets pass, the rest are dropped
	}{
		{"10 packets", Direction{Rate: 100e6, QueuePackets: 10}, 25, 10},
		{"1 packet", Direction{Rate: 100e6, QueuePackets: 1}, 5, 1},
		{"15000 bytes", Direction{Rate: 100e6, QueueBytes: 15000}, 25, 10},
		{"16499 bytes", Direction{Rate: 100e6, QueueBytes: 16499}, 25, 10},
		{"default queue", Direction{Rate: 100e6}, DefaultQueue + 200, DefaultQueue},
		{"queue fits the burst", Direction{Rate: 100e6, QueuePackets: 30}, 25, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShaper(tt.d, 1, 1)
			fs := feed(s, 0, tt.burst, 0, 1500)
			for i, f := range fs {
				want := pass
				if i >= tt.pass {
					want = dropQueue
				}
				if f.v != want {
					t.Fatalf("packet %d of a burst of %d: verdict %d; want %d (%d fit)", i, tt.burst, f.v, want, tt.pass)
				}
			}
			// Once the first packet has left the link, exactly one more fits.
			now := int64(ser)
			if _, v := s.admit(now, 1500); v != pass && tt.pass < tt.burst {
				t.Errorf("after one packet left: verdict %d; want pass", v)
			}
			if _, v := s.admit(now, 1500); v != dropQueue && tt.pass < tt.burst {
				t.Errorf("second packet after one left: verdict %d; want dropQueue", v)
			}
			// After the queue drains, packets pass again, unqueued.
			now = int64(tt.pass+2) * ser
			due, v := s.admit(now, 1500)
			if v != pass {
				t.Fatalf("after the queue drained: verdict %d; want pass", v)
			}
			if due != now+ser {
				t.Errorf("after the queue drained: due %d; want %d (arrival + serialization only)", due, now+ser)
			}
		})
	}
}

// A byte-bounded queue takes a small packet that fits where a big one did
// not.
func TestShaperQueueBytesBySize(t *testing.T) {
	s := newShaper(Direction{Rate: 10e6, QueueBytes: 4000}, 1, 1)
	for i, c := range []struct {
		size int
		want verdict
	}{{1500, pass}, {1500, pass}, {1500, dropQueue}, {500, pass}, {501, dropQueue}, {500, pass}, {1, dropQueue}} {
		if _, v := s.admit(0, c.size); v != c.want {
			t.Errorf("packet %d (%d B): verdict %d; want %d", i, c.size, v, c.want)
		}
	}
}

// Loss happens on the wire: a lost packet has still used its share of the
// rate, so the next one waits for it.
func TestShaperLossAfterRate(t *testing.T) {
	s := newShaper(Direction{Rate: 100e6, Loss: 1}, 1, 1)
	for i := range 3 {
		if _, v := s.admit(0, 1500); v != dropLoss {
			t.Fatalf("packet %d: verdict %d; want dropLoss", i, v)
		}
	}
	s.d.Loss = 0
	if due, _ := s.admit(0, 1500); due != 4*120_000 {
		t.Errorf("packet behind 3 lost ones due %d; want %d", due, 4*120_000)
	}
}
