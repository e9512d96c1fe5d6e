package runner

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

const shardSuite = `
suite: matrix
links:
  - {name: lan, rtt: 1ms}
  - {name: wan40, rtt: 40ms}
  - {name: wan80, rtt: 80ms}
  - {name: sat, rtt: 600ms}
  - {name: lossy, rtt: 20ms, loss: 1%}
matrix:
  tfo: [on, off]
  cc: [cubic, bbr, reno]
load: {rate: 50, duration: 5s, warmup: 1s, count: 6}
`

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    Shard
		wantErr string
	}{
		{in: "1/4", want: Shard{Index: 1, Count: 4}},
		{in: "4/4", want: Shard{Index: 4, Count: 4}},
		{in: "0/4", wantErr: "JOB_COMPLETION_INDEX counts from 0"},
		{in: "5/4", wantErr: "outside 1..4"},
		{in: "1", wantErr: "i/n format"},
		{in: "a/b", wantErr: "i/n format"},
		{in: "1/0", wantErr: "give 1 to 10000"},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseShard(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseShardBy("link,,tfo"); err == nil {
		t.Error("ParseShardBy(link,,tfo): no error; want one for the empty name")
	}
	if by, err := ParseShardBy("link, tfo"); err != nil || !reflect.DeepEqual(by, []string{"link", "tfo"}) {
		t.Errorf("ParseShardBy(link, tfo) = %v, %v; want [link tfo]", by, err)
	}
}

// TestSplit checks, for every shard count and two shard-by lists, that the
// shards hold every cell once, that a block never spans two shards, that
// the split is the same when computed again, and that it is balanced
// within one block's load.
func TestSplit(t *testing.T) {
	s := parseSuite(t, shardSuite)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range [][]string{nil, {"link", "tfo"}, {"cc"}} {
		key := func(c scenarios.Cell) string {
			b := by
			if b == nil {
				b = []string{"link"}
			}
			var parts []string
			for _, k := range b {
				v, _ := c.Get(k)
				parts = append(parts, k+"="+v)
			}
			return strings.Join(parts, "/")
		}
		blocks := make(map[string]bool)
		for _, c := range cells {
			blocks[key(c)] = true
		}
		for n := 1; n <= len(blocks); n++ {
			shards, err := Split(s, cells, Shard{Count: n, By: by})
			if err != nil {
				t.Fatalf("by %v, %d shards: %v", by, n, err)
			}
			again, _ := Split(s, cells, Shard{Count: n, By: by})
			if !reflect.DeepEqual(shards, again) {
				t.Errorf("by %v, %d shards: two splits differ", by, n)
			}
			seen := make(map[int]bool)
			blockShard := make(map[string]int)
			var loads []time.Duration
			var largest time.Duration
			for i, bs := range shards {
				var load time.Duration
				if len(bs) == 0 {
					t.Errorf("by %v, %d shards: shard %d is empty", by, n, i+1)
				}
				for _, b := range bs {
					load += b.Load
					largest = max(largest, b.Load)
					for _, c := range b.Cells {
						if seen[c] {
							t.Errorf("by %v, %d shards: cell %s twice", by, n, cells[c].Name())
						}
						seen[c] = true
						k := key(cells[c])
						if k != b.Key {
							t.Errorf("cell %s in block %s; want %s", cells[c].Name(), b.Key, k)
						}
						if j, ok := blockShard[k]; ok && j != i {
							t.Errorf("by %v, %d shards: block %s spans shards %d and %d", by, n, k, j+1, i+1)
						}
						blockShard[k] = i
					}
				}
				loads = append(loads, load)
			}
			if len(seen) != len(cells) {
				t.Errorf("by %v, %d shards: %d cells in the shards; want %d", by, n, len(seen), len(cells))
			}
			if d := slices.Max(loads) - slices.Min(loads); d > largest {
				t.Errorf("by %v, %d shards: loads %v differ by %v, more than the largest block %v", by, n, loads, d, largest)
			}
		}
	}
}

// TestSplitBalance gives blocks of unequal load: the largest goes alone.
func TestSplitBalance(t *testing.T) {
	s := parseSuite(t, shardSuite)
	all, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	// lan keeps its 6 cells, wan40 and sat keep 3 each (tfo=on): loads 6:3:3.
	var cells []scenarios.Cell
	for _, c := range all {
		tfo, _ := c.Get("tfo")
		switch c.Link.Name {
		case "lan":
			cells = append(cells, c)
		case "wan40", "sat":
			if tfo == "on" {
				cells = append(cells, c)
			}
		}
	}
	shards, err := Split(s, cells, Shard{Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, bs := range shards {
		var keys []string
		for _, b := range bs {
			keys = append(keys, b.Key)
		}
		got = append(got, keys)
	}
	want := [][]string{{"link=lan"}, {"link=sat", "link=wan40"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("shards %v; want %v", got, want)
	}
	if l := shards[0][0].Load; l != 6*6*time.Second {
		t.Errorf("lan's load %v; want 6 cells × 6s = 36s", l)
	}
}

func TestSplitErrors(t *testing.T) {
	s := parseSuite(t, shardSuite)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sh      Shard
		wantErr string
	}{
		{Shard{Count: 6}, "only 5 blocks by link"},
		{Shard{Count: 2, By: []string{"codec"}}, "has no knob codec; give link or knobs of the suite's matrix (link, tfo, cc)"},
		{Shard{Count: 0}, "0 shards"},
	}
	for _, tt := range tests {
		if _, err := Split(s, cells, tt.sh); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Split(%+v) = %v; want an error with %q", tt.sh, err, tt.wantErr)
		}
	}
}

// TestApplyShard checks the cells and header lines a shard's run gets,
// and that every shard derives the same seed.
func TestApplyShard(t *testing.T) {
	s := parseSuite(t, shardSuite)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var seeds []int64
	total := 0
	for i := 1; i <= 2; i++ {
		o := Options{Suite: s, Cells: cells, Shard: Shard{Index: i, Count: 2, Host: "node-a"}}
		cfg, err := applyShard(&o)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, o.Seed)
		total += len(o.Cells)
		want := map[string]string{results.KeyShard: []string{"", "1/2", "2/2"}[i], results.KeyShardBy: "link", results.KeyHost: "node-a"}
		for k, v := range want {
			if got := configValue(cfg, k); got != v {
				t.Errorf("shard %d: %s %q; want %q", i, k, got, v)
			}
		}
		blocks := strings.Fields(configValue(cfg, results.KeyShardBlocks))
		for _, c := range o.Cells {
			if !slices.Contains(blocks, "link="+c.Link.Name) {
				t.Errorf("shard %d measures %s, outside its blocks %v", i, c.Name(), blocks)
			}
		}
	}
	if total != len(cells) {
		t.Errorf("the shards measure %d cells; want %d", total, len(cells))
	}
	if seeds[0] != seeds[1] || seeds[0] <= 0 {
		t.Errorf("seeds %v; want one positive seed for every shard", seeds)
	}
	// A seed given is kept; an unsplit run is left alone.
	o := Options{Suite: s, Cells: cells, Seed: 7, Shard: Shard{Index: 1, Count: 2}}
	if _, err := applyShard(&o); err != nil || o.Seed != 7 {
		t.Errorf("seed %d, %v; want 7 kept", o.Seed, err)
	}
	o = Options{Suite: s, Cells: cells}
	if cfg, err := applyShard(&o); err != nil || cfg != nil || len(o.Cells) != len(cells) || o.Seed != 0 {
		t.Errorf("unsplit: %v, %v, %d cells, seed %d; want it left alone", cfg, err, len(o.Cells), o.Seed)
	}
}
