package netem

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestLinkValidateRejects(t *testing.T) {
	ms := time.Millisecond
	up := func(d Direction) Link { return Link{Up: d} }
	ge := func(p, r, h, k float64) GilbertElliott {
		return GilbertElliott{P: p, R: r, OneH: h, OneK: k, Enable: true}
	}
	tests := []struct {
		name string
		link Link
		want []string // each must appear in the error
	}{
		{"negative delay", up(Direction{Delay: -ms}), []string{"uplink", "delay", "-1ms", "negative"}},
		{"delay over 10s", up(Direction{Delay: 11 * time.Second}), []string{"delay", "11s"}},
		{"negative jitter", up(Direction{Delay: 10 * ms, Jitter: -ms}), []string{"jitter", "negative"}},
		{"jitter without delay", up(Direction{Jitter: ms}), []string{"jitter", "no delay"}},
		{"uniform jitter over delay", up(Direction{Delay: 10 * ms, Jitter: 11 * ms}), []string{"jitter 11ms", "delay 10ms"}},
		{"default distribution jitter over delay", up(Direction{Delay: 10 * ms, Jitter: 20 * ms, Distribution: ""}), []string{"jitter", "delay"}},
		{"unknown distribution", up(Direction{Delay: 10 * ms, Jitter: ms, Distribution: "pareto"}), []string{"distribution", "pareto"}},
		{"loss over 100%", up(Direction{Loss: 1.5}), []string{"loss", "150%"}},
		{"negative loss", up(Direction{Loss: -0.01}), []string{"loss", "-1%"}},
		{"NaN loss", up(Direction{Loss: math.NaN()}), []string{"loss", "NaN"}},
		{"infinite loss", up(Direction{Loss: math.Inf(1)}), []string{"loss"}},
		{"negative overhead", up(Direction{Rate: 1e6, Overhead: -1}), []string{"overhead", "-1"}},
		{"overhead too big", up(Direction{Rate: 1e6, Overhead: 1001}), []string{"overhead", "1001"}},
		{"negative queue", up(Direction{Rate: 1e6, QueuePackets: -1}), []string{"queue", "negative"}},
		{"negative byte queue", up(Direction{Rate: 1e6, QueueBytes: -1}), []string{"queue", "negative"}},
		{"both queue units", up(Direction{Rate: 1e6, QueuePackets: 10, QueueBytes: 15000}), []string{"queue", "packets", "bytes"}},
		{"queue packets without rate", up(Direction{QueuePackets: 10}), []string{"queue", "rate"}},
		{"queue bytes without rate", up(Direction{QueueBytes: 15000}), []string{"queue", "rate"}},
		{"byte queue under one packet", up(Direction{Rate: 1e6, QueueBytes: 1000}), []string{"uplink", "queue 1000B", "mtu"}},
		{"rate 1bit", up(Direction{Rate: 1}), []string{"rate", "1 bit/s", "8kbit"}},
		{"rate just under 8kbit", up(Direction{Rate: 7999}), []string{"rate", "7999"}},
		{"rate over 400gbit", up(Direction{Rate: 400e9 + 1}), []string{"rate", "400gbit"}},
		{"mtu 100", Link{MTU: 100}, []string{"mtu", "100", "576"}},
		{"mtu 575", Link{MTU: 575}, []string{"mtu", "575"}},
		{"mtu 10000", Link{MTU: 10000}, []string{"mtu", "10000", "9000"}},
		{"negative mtu", Link{MTU: -1}, []string{"mtu", "-1"}},
		{"gemodel p over 1", up(Direction{GE: ge(1.5, 0.3, 1, 0)}), []string{"gemodel", "p", "1.5"}},
		{"gemodel r negative", up(Direction{GE: ge(0.1, -0.3, 1, 0)}), []string{"gemodel r", "-0.3"}},
		{"gemodel r NaN", up(Direction{GE: ge(0.1, math.NaN(), 1, 0)}), []string{"gemodel r", "NaN"}},
		{"gemodel 1-h over 1", up(Direction{GE: ge(0.1, 0.3, 2, 0)}), []string{"gemodel 1-h"}},
		{"gemodel 1-k negative", up(Direction{GE: ge(0.1, 0.3, 1, -0.5)}), []string{"gemodel 1-k"}},
		{"loss and gemodel", up(Direction{Loss: 0.01, GE: ge(0.1, 0.3, 1, 0)}), []string{"loss", "gemodel", "give one"}},
		{"bad downlink", Link{Down: Direction{Delay: -ms}}, []string{"downlink", "delay"}},
		{"bad both: uplink named first", Link{Up: Direction{Loss: 2}, Down: Direction{Delay: -ms}}, []string{"uplink", "loss"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.link.Validate()
			if err == nil {
				t.Fatalf("Validate(%+v) = nil; want an error naming %q", tt.link, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate: got %q; want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLinkValidateAccepts(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		link Link
	}{
		{"zero value: a perfect wire", Link{}},
		{"symmetric 40ms", Symmetric(40*ms, Direction{})},
		{"asymmetric", Link{Up: Direction{Delay: 30 * ms}, Down: Direction{Delay: 10 * ms}}},
		{"delay 10s", Link{Up: Direction{Delay: 10 * time.Second}}},
		{"uniform jitter equal to delay", Symmetric(20*ms, Direction{Jitter: 10 * ms})},
		{"explicit uniform", Symmetric(20*ms, Direction{Jitter: 5 * ms, Distribution: Uniform, Reorder: true})},
		{"normal jitter over delay", Symmetric(2*ms, Direction{Jitter: 5 * ms, Distribution: Normal})},
		{"loss 0% and 100%", Link{Up: Direction{Loss: 0}, Down: Direction{Loss: 1}}},
		{"rate 8kbit", Symmetric(0, Direction{Rate: 8000})},
		{"rate 400gbit", Symmetric(0, Direction{Rate: 400e9})},
		{"queue in packets", Symmetric(0, Direction{Rate: 10e6, QueuePackets: 10})},
		{"queue in bytes", Symmetric(0, Direction{Rate: 10e6, QueueBytes: 30000})},
		{"overhead 0 and 1000", Link{Up: Direction{Rate: 1e6}, Down: Direction{Rate: 1e6, Overhead: 1000}}},
		{"mtu 576", Link{MTU: 576}},
		{"mtu 9000", Link{MTU: 9000}},
		{"gemodel at the bounds", Symmetric(0, Direction{GE: GilbertElliott{P: 0, R: 1, OneH: 1, OneK: 0, Enable: true}})},
		{"gemodel off ignores its fields", Symmetric(0, Direction{Loss: 0.1, GE: GilbertElliott{P: 7, R: math.NaN()}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.link.Validate(); err != nil {
				t.Errorf("Validate(%v) = %v; want nil", tt.link, err)
			}
		})
	}
}

func TestLinkString(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		link Link
		want string
	}{
		{"zero", Link{}, "rtt=0s"},
		{"symmetric", Symmetric(40*ms, Direction{}), "rtt=40ms"},
		{"jitter", Symmetric(40*ms, Direction{Jitter: 5 * ms}), "rtt=40ms jitter=5ms"},
		{"normal jitter with reorder", Symmetric(40*ms, Direction{Jitter: 5 * ms, Distribution: Normal, Reorder: true}), "rtt=40ms jitter=5ms dist=normal reorder"},
		{"reorder without jitter says nothing", Symmetric(40*ms, Direction{Reorder: true}), "rtt=40ms"},
		{"loss", Symmetric(40*ms, Direction{Loss: 0.01}), "rtt=40ms loss=1%"},
		{"fractional loss", Symmetric(0, Direction{Loss: 0.001}), "rtt=0s loss=0.1%"},
		{"loss without float noise", Symmetric(40*ms, Direction{Loss: 0.07}), "rtt=40ms loss=7%"},
		{"gemodel", Symmetric(0, Direction{GE: GilbertElliott{P: 0.01, R: 0.5, OneH: 1, OneK: 0, Enable: true}}), "rtt=0s gemodel=1%,50%,100%,0%"},
		{"rate with default queue", Symmetric(0, Direction{Rate: 100e6}), "rtt=0s rate=100mbit queue=1000"},
		{"rate with packet queue", Symmetric(0, Direction{Rate: 1.5e9, QueuePackets: 64}), "rtt=0s rate=1.5gbit queue=64"},
		{"rate with byte queue and overhead", Symmetric(0, Direction{Rate: 10e6, QueueBytes: 30000, Overhead: 24}), "rtt=0s rate=10mbit queue=30000B overhead=24"},
		{"everything", Symmetric(100*ms, Direction{Jitter: 10 * ms, Loss: 0.02, Rate: 20e6, QueuePackets: 50}),
			"rtt=100ms jitter=10ms loss=2% rate=20mbit queue=50"},
		{"asymmetric", Link{Up: Direction{Delay: 30 * ms}, Down: Direction{Delay: 10 * ms, Loss: 0.5}}, "up{delay=30ms} down{delay=10ms loss=50%}"},
		{"jumbo", Link{MTU: 9000, Up: Direction{Delay: ms}, Down: Direction{Delay: ms}}, "rtt=2ms mtu=9000"},
		{"mtu 1500 is the default", Link{MTU: 1500}, "rtt=0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.link.String(); got != tt.want {
				t.Errorf("String() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestFormatRate(t *testing.T) {
	tests := []struct {
		bps  uint64
		want string
	}{
		{0, "0bit"},
		{1, "1bit"},
		{999, "999bit"},
		{1001, "1001bit"},
		{1_000_000_010, "1000000.01kbit"},
		{8000, "8kbit"},
		{1500, "1.5kbit"},
		{64_000, "64kbit"},
		{1_000_000, "1mbit"},
		{2_500_000, "2.5mbit"},
		{5e6, "5mbit"},
		{20e6, "20mbit"},
		{100e6, "100mbit"},
		{999e6, "999mbit"},
		{1e9, "1gbit"},
		{1.5e9, "1.5gbit"},
		{2.25e9, "2.25gbit"},
		{10e9, "10gbit"},
		{400e9, "400gbit"},
		{1_001_000_000, "1001mbit"},
		{1_000_010, "1000.01kbit"},
	}
	for _, tt := range tests {
		if got := FormatRate(tt.bps); got != tt.want {
			t.Errorf("FormatRate(%d) = %q; want %q", tt.bps, got, tt.want)
		}
	}
}

func TestLinkHelpers(t *testing.T) {
	l := Symmetric(41*time.Millisecond, Direction{Delay: time.Hour, Loss: 0.1})
	if l.Up != l.Down {
		t.Errorf("Symmetric: up %v, down %v; want them alike", l.Up, l.Down)
	}
	if l.Up.Delay != 20500*time.Microsecond {
		t.Errorf("Symmetric(41ms): one-way delay %v; want 20.5ms (half the RTT, the given delay replaced)", l.Up.Delay)
	}
	if l.Up.Loss != 0.1 {
		t.Errorf("Symmetric: loss %v; want 0.1 kept", l.Up.Loss)
	}
	if got := l.RTT(); got != 41*time.Millisecond {
		t.Errorf("RTT() = %v; want 41ms", got)
	}
	if got := (Link{Up: Direction{Delay: 30 * time.Millisecond}, Down: Direction{Delay: 10 * time.Millisecond}}).RTT(); got != 40*time.Millisecond {
		t.Errorf("asymmetric RTT() = %v; want 40ms", got)
	}
	for _, c := range []struct{ mtu, want int }{{0, DefaultMTU}, {1500, 1500}, {9000, 9000}, {576, 576}} {
		if got := (Link{MTU: c.mtu}).PathMTU(); got != c.want {
			t.Errorf("Link{MTU: %d}.PathMTU() = %d; want %d", c.mtu, got, c.want)
		}
	}
}
