package runner

import (
	"testing"
	"time"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/scenarios"
)

func TestNetemLink(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		in   scenarios.Link
		want netem.Link
	}{
		{
			name: "zero",
			in:   scenarios.Link{Name: "lo"},
			want: netem.Link{},
		},
		{
			name: "symmetric",
			in:   scenarios.Link{Name: "wan40", RTT: 40 * ms, Jitter: ms, Distribution: "uniform", Loss: 0.001, Seed: 7},
			want: netem.Link{
				Up:   netem.Direction{Delay: 20 * ms, Jitter: ms, Distribution: netem.Uniform, Loss: 0.001},
				Down: netem.Direction{Delay: 20 * ms, Jitter: ms, Distribution: netem.Uniform, Loss: 0.001},
				Seed: 7,
			},
		},
		{
			name: "normal jitter that reorders",
			in:   scenarios.Link{Name: "j", RTT: 20 * ms, Jitter: 2 * ms, Distribution: "normal", Reorder: true},
			want: netem.Link{
				Up:   netem.Direction{Delay: 10 * ms, Jitter: 2 * ms, Distribution: netem.Normal, Reorder: true},
				Down: netem.Direction{Delay: 10 * ms, Jitter: 2 * ms, Distribution: netem.Normal, Reorder: true},
			},
		},
		{
			name: "rate and queue in packets, mtu",
			in:   scenarios.Link{Name: "dsl", RTT: 30 * ms, Rate: 20e6, Queue: 100, MTU: 1400},
			want: netem.Link{
				Up:   netem.Direction{Delay: 15 * ms, Rate: 20e6, QueuePackets: 100},
				Down: netem.Direction{Delay: 15 * ms, Rate: 20e6, QueuePackets: 100},
				MTU:  1400,
			},
		},
		{
			name: "asymmetric: up and down override",
			in: scenarios.Link{
				Name: "adsl", RTT: 30 * ms, Rate: 20e6, QueueBytes: 65536,
				Up:   &scenarios.Direction{Rate: 1e6, Queue: 50},
				Down: &scenarios.Direction{Delay: 25 * ms, Loss: 0.005},
			},
			want: netem.Link{
				Up:   netem.Direction{Delay: 15 * ms, Rate: 1e6, QueuePackets: 50},
				Down: netem.Direction{Delay: 25 * ms, Loss: 0.005, Rate: 20e6, QueueBytes: 65536},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := netemLink(tt.in)
			if got != tt.want {
				t.Errorf("netemLink(%s):\ngot  %+v\nwant %+v", tt.in, got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("netemLink(%s) does not validate: %v", tt.in, err)
			}
			if got.PathMTU() != tt.in.PathMTU() {
				t.Errorf("got path MTU %d; want the suite's %d", got.PathMTU(), tt.in.PathMTU())
			}
		})
	}
}

// TestNetemLinkSuite translates every link of the suites in scenarios/,
// which must all be links netem accepts.
func TestNetemLinkSuite(t *testing.T) {
	for _, f := range []string{"../scenarios/quick.yaml", "../scenarios/handshake.yaml"} {
		s, err := scenarios.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range s.Links {
			n := netemLink(l)
			if err := n.Validate(); err != nil {
				t.Errorf("%s: link %s: %v", f, l.Name, err)
			}
			if n.RTT() != l.RTT {
				t.Errorf("%s: link %s: got rtt %v; want %v", f, l.Name, n.RTT(), l.RTT)
			}
		}
	}
}
