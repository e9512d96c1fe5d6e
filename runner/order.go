package runner

import (
	"math/rand/v2"
)

// A slot is one repetition of one cell: a place in the run's order.
type slot struct {
	Cell int // index into Options.Cells
	Rep  int // 1-based repetition
}

// order returns the count repetitions of cells cells, interleaved:
// repetition 1 of every cell, then repetition 2, and so on, the cells
// shuffled afresh within each repetition. A drift of the machine over the
// run (a warming CPU, a neighbour's load) then spreads over every cell
// instead of masquerading as one knob's effect, and an interrupted run has
// measured every cell about equally often. The same seed gives the same
// order.
func order(cells, count int, seed int64) []slot {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x74756e6562656e63)) // "tunebenc"
	out := make([]slot, 0, cells*count)
	perm := make([]int, cells)
	for rep := 1; rep <= count; rep++ {
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for _, c := range perm {
			out = append(out, slot{Cell: c, Rep: rep})
		}
	}
	return out
}

// newSeed returns a random seed other than 0, which means "choose one".
func newSeed() int64 {
	for {
		// Positive, so that it reads back through --seed unchanged.
		if s := rand.Int64N(1 << 53); s != 0 {
			return s
		}
	}
}
