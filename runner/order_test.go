package runner

import (
	"reflect"
	"testing"
)

func TestOrder(t *testing.T) {
	tests := []struct {
		name         string
		cells, count int
		seed         int64
	}{
		{"one cell", 1, 6, 1},
		{"one repetition", 5, 1, 2},
		{"suite", 4, 6, 12345},
		{"many cells", 50, 3, -7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := order(tt.cells, tt.count, tt.seed)
			if len(got) != tt.cells*tt.count {
				t.Fatalf("got %d slots; want %d", len(got), tt.cells*tt.count)
			}
			seen := make(map[slot]bool)
			for i, s := range got {
				// Interleaved: repetition r of every cell before r+1 of any.
				if want := i/tt.cells + 1; s.Rep != want {
					t.Errorf("slot %d is repetition %d; want %d (interleaved)", i, s.Rep, want)
				}
				if s.Cell < 0 || s.Cell >= tt.cells {
					t.Errorf("slot %d names cell %d; want 0..%d", i, s.Cell, tt.cells-1)
				}
				if seen[s] {
					t.Errorf("slot %d: cell %d repetition %d given twice; want each once", i, s.Cell, s.Rep)
				}
				seen[s] = true
			}
			if again := order(tt.cells, tt.count, tt.seed); !reflect.DeepEqual(again, got) {
				t.Errorf("order(%d, %d, %d) differs between calls; want the same order for a seed", tt.cells, tt.count, tt.seed)
			}
		})
	}
}

// TestOrderShuffles checks that the order is not the suite's, that each
// repetition is shuffled afresh, and that seeds matter.
func TestOrderShuffles(t *testing.T) {
	const cells, count = 8, 6
	got := order(cells, count, 42)
	perms := make(map[string]bool)
	identity := 0
	for rep := 0; rep < count; rep++ {
		var key []byte
		sorted := true
		for i := 0; i < cells; i++ {
			c := got[rep*cells+i].Cell
			key = append(key, byte(c))
			sorted = sorted && c == i
		}
		perms[string(key)] = true
		if sorted {
			identity++
		}
	}
	if identity == count {
		t.Errorf("every repetition runs the cells in the suite's order; want them shuffled")
	}
	if len(perms) < 2 {
		t.Errorf("got the same order in all %d repetitions; want each shuffled afresh", count)
	}
	if reflect.DeepEqual(order(cells, count, 43), got) {
		t.Errorf("seeds 42 and 43 give the same order; want the seed to choose it")
	}
}

func TestNewSeed(t *testing.T) {
	for range 100 {
		if s := newSeed(); s <= 0 {
			t.Fatalf("newSeed() = %d; want a positive seed (0 means choose one)", s)
		}
	}
}
