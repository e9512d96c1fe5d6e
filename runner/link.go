package runner

import (
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/scenarios"
)

// netemLink translates a suite's link into the link netem builds. The
// leaves do not import each other, so the runner owns this translation.
// A suite's link has no burst-loss model nor per-packet overhead, so those
// stay zero.
func netemLink(l scenarios.Link) netem.Link {
	dir := func(d scenarios.Direction) netem.Direction {
		return netem.Direction{
			Delay:        d.Delay,
			Jitter:       d.Jitter,
			Distribution: netem.Distribution(l.Distribution),
			Reorder:      l.Reorder,
			Loss:         d.Loss,
			Rate:         d.Rate,
			QueuePackets: d.Queue,
			QueueBytes:   d.QueueBytes,
		}
	}
	return netem.Link{
		Up:   dir(l.Uplink()),
		Down: dir(l.Downlink()),
		MTU:  l.MTU,
		Seed: l.Seed,
	}
}
