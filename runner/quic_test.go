package runner

import (
	"slices"
	"testing"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
)

func TestQUICGSOEnv(t *testing.T) {
	lossy := netem.Link{Down: netem.Direction{Loss: 0.01}}
	slow := netem.Link{Up: netem.Direction{Rate: 10e6}}
	for _, tc := range []struct {
		name    string
		backend string
		link    netem.Link
		want    []string
	}{
		{"tun, lossy", netem.BackendTUN, lossy, nil},
		{"netem, clean", netem.BackendNetem, netem.Link{}, nil},
		{"netem, lossy", netem.BackendNetem, lossy, []string{"QUIC_GO_DISABLE_GSO=true"}},
		{"netem, rate", netem.BackendNetem, slow, []string{"QUIC_GO_DISABLE_GSO=true"}},
	} {
		got := quicGSOEnv(&netem.Topology{Link: tc.link, Backend: netem.Choice{Backend: tc.backend}})
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
	}
}

func TestQUICMetrics(t *testing.T) {
	if ms := quicMetrics(&agent.Result{Trace: &agent.TraceReport{Requests: 10, HTTP2: 10, AskedHTTP2: true}}); ms != nil {
		t.Errorf("HTTP/2 result: got %v; want no HTTP/3 metrics", ms)
	}
	res := &agent.Result{
		Requests: 10, Warmup: 10,
		Trace: &agent.TraceReport{Requests: 10, AskedHTTP3: true, HTTP3: 10, EarlyData: 9},
		QUIC:  &agent.QUICReport{Conns: 20, GSO: 20, PacketsSent: 200, PacketsLost: 4},
	}
	got := map[string]float64{}
	for _, m := range quicMetrics(res) {
		got[m.Unit] = m.Value
	}
	want := map[string]float64{unitHTTP3: 1, unitZeroRTT: 0.9, unitQUICLost: 0.2, unitQUICSent: 10, unitQUICConns: 1, unitQUICGSO: 1}
	for u, v := range want {
		if got[u] != v {
			t.Errorf("%s: got %v; want %v", u, got[u], v)
		}
	}
}
