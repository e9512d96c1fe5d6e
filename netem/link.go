package netem

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Distribution is the shape of a direction's jitter.
type Distribution string

// The jitter distributions. The zero value means uniform.
const (
	Uniform Distribution = "uniform"
	Normal  Distribution = "normal"
)

// GilbertElliott is netem's four-parameter burst-loss model: a Markov chain
// with a good and a bad state. All four are probabilities in [0, 1].
type GilbertElliott struct {
	P      float64 // good → bad, per packet
	R      float64 // bad → good, per packet
	OneH   float64 // loss probability in the bad state (netem's 1-h)
	OneK   float64 // loss probability in the good state (netem's 1-k)
	Enable bool    // the model is used only when set
}

// Direction is the impairment of one direction of a link. The zero value is
// a perfect wire: no delay, no loss, unlimited rate.
type Direction struct {
	Delay        time.Duration // one-way propagation delay
	Jitter       time.Duration // uniform: ±Jitter; normal: standard deviation
	Distribution Distribution
	// Reorder lets jitter reorder packets. Without it a packet is never
	// released before the one that arrived ahead of it, as on a real wire.
	Reorder bool
	Loss    float64 // random loss probability in [0, 1]
	GE      GilbertElliott
	// Rate is the bottleneck in bit/s (0: unlimited). A packet of len bytes
	// occupies the link for (len+Overhead)*8/Rate.
	Rate     uint64
	Overhead int // bytes added to each packet's length for serialization
	// QueuePackets and QueueBytes bound the drop-tail queue in front of the
	// rate limit (at most one is set). Both zero with a rate: 1000 packets.
	QueuePackets int
	QueueBytes   int
}

// Link is the wanted state of the path between the client host and the
// server host. Up is client→server, Down is server→client.
type Link struct {
	Up, Down Direction
	MTU      int    // of the path; 0 means 1500
	Seed     uint64 // seeds loss and jitter, so a run can be repeated exactly
}

// DefaultMTU is the path MTU when a Link leaves it zero.
const DefaultMTU = 1500

// DefaultQueue is the queue, in packets, behind a rate limit that names none.
const DefaultQueue = 1000

// Symmetric returns a link whose two directions are d, with d.Delay taken
// from half of rtt.
func Symmetric(rtt time.Duration, d Direction) Link {
	d.Delay = rtt / 2
	return Link{Up: d, Down: d}
}

// RTT is the configured round-trip time without jitter.
func (l Link) RTT() time.Duration { return l.Up.Delay + l.Down.Delay }

// PathMTU is the MTU the link uses.
func (l Link) PathMTU() int {
	if l.MTU == 0 {
		return DefaultMTU
	}
	return l.MTU
}

// Validate reports the first impossible setting, naming it and its fix.
func (l Link) Validate() error {
	if l.MTU != 0 && (l.MTU < 576 || l.MTU > 9000) {
		return fmt.Errorf("mtu %d: out of range; give 576 to 9000 (1500 is Ethernet, 9000 jumbo)", l.MTU)
	}
	if err := l.Up.validate(); err != nil {
		return fmt.Errorf("uplink %w", err)
	}
	if err := l.Down.validate(); err != nil {
		return fmt.Errorf("downlink %w", err)
	}
	for _, x := range []struct {
		name string
		d    Direction
	}{{"uplink", l.Up}, {"downlink", l.Down}} {
		if x.d.QueueBytes > 0 && x.d.QueueBytes < l.PathMTU() {
			return fmt.Errorf("%s queue %dB: smaller than one %d-byte packet; give at least the mtu", x.name, x.d.QueueBytes, l.PathMTU())
		}
	}
	return nil
}

// pct writes a fraction as a percentage without float noise: 0.07 → 7.
func pct(f float64) string {
	return strconv.FormatFloat(math.Round(f*100*1e9)/1e9, 'f', -1, 64)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (d Direction) validate() error {
	switch {
	case d.Delay < 0:
		return fmt.Errorf("delay %v: negative; give 0 or more", d.Delay)
	case d.Delay > 10*time.Second:
		return fmt.Errorf("delay %v: over 10s; no real path is that long", d.Delay)
	case d.Jitter < 0:
		return fmt.Errorf("jitter %v: negative; give 0 or more", d.Jitter)
	case d.Jitter > 0 && d.Delay == 0:
		return fmt.Errorf("jitter %v with no delay: jitter varies a delay; give a delay (rtt) too", d.Jitter)
	case d.Distribution != "" && d.Distribution != Uniform && d.Distribution != Normal:
		return fmt.Errorf("distribution %q: unknown; give uniform or normal", d.Distribution)
	case d.Distribution != Normal && d.Jitter > d.Delay:
		return fmt.Errorf("jitter %v over delay %v: a packet would arrive before it left; give jitter ≤ one-way delay", d.Jitter, d.Delay)
	case math.IsNaN(d.Loss) || d.Loss < 0 || d.Loss > 1:
		return fmt.Errorf("loss %s%%: give a loss between 0%% and 100%%", pct(d.Loss))
	case d.Overhead < 0 || d.Overhead > 1000:
		return fmt.Errorf("overhead %d bytes: give 0 to 1000", d.Overhead)
	case d.QueuePackets < 0 || d.QueueBytes < 0:
		return errors.New("queue: negative; give a positive size")
	case d.QueuePackets > 0 && d.QueueBytes > 0:
		return errors.New("queue: given in packets and in bytes; give one")
	case (d.QueuePackets > 0 || d.QueueBytes > 0) && d.Rate == 0:
		return errors.New("queue without rate: a queue only fills behind a rate limit; give a rate too")
	case d.Rate > 0 && d.Rate < 8000:
		return fmt.Errorf("rate %d bit/s: below 8kbit; give at least 8kbit", d.Rate)
	case d.Rate > 400e9:
		return fmt.Errorf("rate %d bit/s: over 400gbit; leave it out for an unlimited link", d.Rate)
	}
	if d.GE.Enable {
		for _, p := range []struct {
			name string
			v    float64
		}{{"p", d.GE.P}, {"r", d.GE.R}, {"1-h", d.GE.OneH}, {"1-k", d.GE.OneK}} {
			if math.IsNaN(p.v) || p.v < 0 || p.v > 1 {
				return fmt.Errorf("gemodel %s %v: give a probability between 0%% and 100%%", p.name, p.v)
			}
		}
		if d.Loss > 0 {
			return errors.New("loss: random loss and gemodel both given; give one")
		}
	}
	return nil
}

// queueLimit returns the queue bound in packets and bytes (0 = no bound).
func (d Direction) queueLimit() (packets, bytes int) {
	if d.Rate == 0 {
		return 0, 0
	}
	if d.QueuePackets == 0 && d.QueueBytes == 0 {
		return DefaultQueue, 0
	}
	return d.QueuePackets, d.QueueBytes
}

// String describes the direction compactly, as "delay=20ms loss=1%".
func (d Direction) String() string {
	var b strings.Builder
	add := func(format string, args ...any) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, format, args...)
	}
	add("delay=%v", d.Delay)
	if d.Jitter > 0 {
		add("jitter=%v", d.Jitter)
		if d.Distribution == Normal {
			add("dist=normal")
		}
		if d.Reorder {
			add("reorder")
		}
	}
	if d.Loss > 0 {
		add("loss=%s%%", pct(d.Loss))
	}
	if d.GE.Enable {
		add("gemodel=%s%%,%s%%,%s%%,%s%%", pct(d.GE.P), pct(d.GE.R), pct(d.GE.OneH), pct(d.GE.OneK))
	}
	if d.Rate > 0 {
		add("rate=%s", FormatRate(d.Rate))
		p, by := d.queueLimit()
		if by > 0 {
			add("queue=%dB", by)
		} else {
			add("queue=%d", p)
		}
		if d.Overhead > 0 {
			add("overhead=%d", d.Overhead)
		}
	}
	return b.String()
}

// String describes the link: one direction when both are alike, else both.
func (l Link) String() string {
	s := ""
	if l.Up == l.Down {
		s = "rtt=" + l.RTT().String() + strings.TrimPrefix(l.Up.String(), "delay="+l.Up.Delay.String())
	} else {
		s = "up{" + l.Up.String() + "} down{" + l.Down.String() + "}"
	}
	if l.MTU != 0 && l.MTU != DefaultMTU {
		s += fmt.Sprintf(" mtu=%d", l.MTU)
	}
	return s
}

// FormatRate writes a rate in bit/s the way tc does: 100mbit, 1.5gbit.
func FormatRate(bps uint64) string {
	switch {
	case bps >= 1e9 && bps%1e7 == 0:
		return num(float64(bps)/1e9) + "gbit"
	case bps >= 1e6 && bps%1e4 == 0:
		return num(float64(bps)/1e6) + "mbit"
	case bps >= 1e3 && bps%10 == 0:
		return num(float64(bps)/1e3) + "kbit"
	}
	return fmt.Sprintf("%dbit", bps)
}
