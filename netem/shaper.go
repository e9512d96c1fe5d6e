package netem

import (
	"math"
	"math/rand/v2"
)

// verdict is what a shaper decides for one packet.
type verdict int

const (
	pass      verdict = iota
	dropLoss          // random or burst loss
	dropQueue         // the drop-tail queue was full
)

// shaper applies one Direction to a stream of packets. It is a pure model:
// given arrival times and sizes it decides each packet's fate and release
// time, so the emulator and its tests share it. It is not safe for
// concurrent use; each direction's reader owns one.
type shaper struct {
	d        Direction
	rng      *rand.Rand
	qPackets int
	qBytes   int

	bad        bool  // Gilbert-Elliott state
	freeAt     int64 // when the rate limit has finished the last packet
	lastDue    int64
	backlog    []queued // packets accepted and not yet serialized, oldest first
	head       int
	backlogLen int // bytes in backlog[head:]
}

type queued struct {
	depart int64
	size   int
}

// newShaper returns the model of d with its own random stream. stream tells
// the two directions of one link apart, so both derive from one seed.
func newShaper(d Direction, seed, stream uint64) *shaper {
	p, b := d.queueLimit()
	return &shaper{d: d, rng: rand.New(rand.NewPCG(seed, stream)), qPackets: p, qBytes: b}
}

// admit decides the fate of a packet of size bytes arriving at now (ns on
// any monotonic clock) and, when it passes, when it is due at the far end.
func (s *shaper) admit(now int64, size int) (due int64, v verdict) {
	depart := now
	if s.d.Rate > 0 {
		s.expire(now)
		if s.qPackets > 0 && len(s.backlog)-s.head >= s.qPackets ||
			s.qBytes > 0 && s.backlogLen+size > s.qBytes {
			return 0, dropQueue
		}
		start := max(now, s.freeAt)
		ser := int64(math.Ceil(float64(size+s.d.Overhead) * 8e9 / float64(s.d.Rate)))
		depart = start + ser
		s.freeAt = depart
		s.backlog = append(s.backlog, queued{depart, size})
		s.backlogLen += size
	}
	// Loss happens on the wire, after the packet has used its share of the
	// rate, as on a real lossy hop.
	if s.lost() {
		return 0, dropLoss
	}
	due = depart + int64(s.d.Delay) + s.jitter()
	if due < depart {
		due = depart
	}
	if !s.d.Reorder && due < s.lastDue {
		due = s.lastDue
	}
	s.lastDue = due
	return due, pass
}

// expire forgets the packets fully serialized by now.
func (s *shaper) expire(now int64) {
	for s.head < len(s.backlog) && s.backlog[s.head].depart <= now {
		s.backlogLen -= s.backlog[s.head].size
		s.head++
	}
	if s.head == len(s.backlog) {
		s.backlog, s.head = s.backlog[:0], 0
	} else if s.head > 4096 && s.head > len(s.backlog)/2 {
		n := copy(s.backlog, s.backlog[s.head:])
		s.backlog, s.head = s.backlog[:n], 0
	}
}

func (s *shaper) lost() bool {
	if g := s.d.GE; g.Enable {
		// netem's order: the state transition first, then loss in the new state.
		if s.bad {
			if s.rng.Float64() < g.R {
				s.bad = false
			}
		} else if s.rng.Float64() < g.P {
			s.bad = true
		}
		if s.bad {
			return s.rng.Float64() < g.OneH
		}
		return s.rng.Float64() < g.OneK
	}
	return s.d.Loss > 0 && s.rng.Float64() < s.d.Loss
}

func (s *shaper) jitter() int64 {
	j := float64(s.d.Jitter)
	if j == 0 {
		return 0
	}
	if s.d.Distribution == Normal {
		return int64(s.rng.NormFloat64() * j)
	}
	return int64((s.rng.Float64()*2 - 1) * j)
}
