package scenarios

import (
	"testing"
	"time"
)

func TestLinkString(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		link Link
		want string
	}{
		{"zero", Link{}, "rtt=0s"},
		{"rtt", Link{Name: "lan", RTT: 2 * ms}, "rtt=2ms"},
		{"example", Link{RTT: 40 * ms, Jitter: ms, Loss: 0.001, Distribution: "uniform"}, "rtt=40ms jitter=1ms loss=0.1%"},
		{"normal", Link{RTT: 40 * ms, Jitter: 5 * ms, Distribution: "normal", Reorder: true}, "rtt=40ms jitter=5ms dist=normal reorder"},
		{"rate", Link{RTT: 30 * ms, Rate: 20_000_000, Queue: 50}, "rtt=30ms rate=20mbit queue=50"},
		{"queue bytes", Link{RTT: 30 * ms, Rate: 1_500_000_000, QueueBytes: 64 << 10}, "rtt=30ms rate=1.5gbit queue=64kb"},
		{"mtu", Link{MTU: 9000, Seed: 7}, "rtt=0s mtu=9000 seed=7"},
		{"default mtu", Link{MTU: 1500}, "rtt=0s"},
		{"directions", Link{RTT: 30 * ms, Rate: 20_000_000, Up: &Direction{Rate: 1_000_000}, Down: &Direction{Delay: 20 * ms, Loss: 0.005}},
			"rtt=30ms rate=20mbit up{rate=1mbit} down{delay=20ms loss=0.5%}"},
	}
	for _, tt := range tests {
		if got := tt.link.String(); got != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestLinkDirections(t *testing.T) {
	ms := time.Millisecond
	l := Link{
		RTT: 40 * ms, Jitter: 2 * ms, Loss: 0.01, Rate: 10_000_000, QueueBytes: 64 << 10,
		Up:   &Direction{Delay: 30 * ms, Queue: 20},
		Down: &Direction{Loss: 0.02, Rate: 50_000_000},
	}
	tests := []struct {
		name      string
		got, want Direction
	}{
		{"uplink", l.Uplink(), Direction{Delay: 30 * ms, Jitter: 2 * ms, Loss: 0.01, Rate: 10_000_000, Queue: 20}},
		{"downlink", l.Downlink(), Direction{Delay: 20 * ms, Jitter: 2 * ms, Loss: 0.02, Rate: 50_000_000, QueueBytes: 64 << 10}},
		{"symmetric", Link{RTT: 10 * ms, Loss: 0.001}.Uplink(), Direction{Delay: 5 * ms, Loss: 0.001}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %+v; want %+v", tt.name, tt.got, tt.want)
		}
	}
}

// TestLinkRoundTrip checks that a link parsed from YAML prints as the
// header the results show.
func TestLinkRoundTrip(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"{name: a, rtt: 40ms, jitter: 1ms, loss: 0.1%}", "rtt=40ms jitter=1ms loss=0.1%"},
		{"{name: a, rtt: 30ms, rate: 20mbit, up: {rate: 1mbit}, down: {loss: 0.5%}}", "rtt=30ms rate=20mbit up{rate=1mbit} down{loss=0.5%}"},
		{"{name: a, rtt: 10ms, jitter: 2ms, distribution: normal, reorder: on, mtu: 9000}", "rtt=10ms jitter=2ms dist=normal reorder mtu=9000"},
		{"{name: a, rtt: 0, up: {delay: 5ms, jitter: 1ms}}", "rtt=0s up{delay=5ms jitter=1ms}"},
	}
	for _, tt := range tests {
		data := "suite: t\nlinks: [" + tt.yaml + "]\nmatrix: {keepalive: on}\nload: {rate: 1, duration: 1s}\n"
		s, err := Parse("t.yaml", []byte(data))
		if err != nil {
			t.Errorf("%s: %v", tt.yaml, err)
			continue
		}
		if got := s.Links[0].String(); got != tt.want {
			t.Errorf("%s: got %q; want %q", tt.yaml, got, tt.want)
		}
	}
}
