package runner

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// A run can be one shard of n (Options.Shard): n machines each measure a
// part of the suite's cells and `tunebench merge` joins their files.
//
// Results from two machines do not compare: their noise, CPUs and kernels
// differ. So the unit of a split is a block: the cells that share the
// values of the shard-by knobs (the link, by default). Every cell of a
// block runs on one machine, and a comparison of the other knobs (tfo,
// cc, keep-alive...) stays within it. Comparing two blocks' cells (one
// link against another, by default) crosses machines, and compare, gate
// and report say so on a merged file.
//
// The split depends on the cells and the shard-by knobs alone, never on
// the seed or on the machine, so every node computes the same one: blocks
// go, longest expected load first, to the shard with the least load so
// far (ties to the lower key and the lower shard).

// DefaultShardBy is the knob that defines a block when Shard.By is empty.
const DefaultShardBy = "link"

// Shard is one shard of a split run.
type Shard struct {
	// Index is this shard, 1..Count; Count is the number of shards. A
	// zero Count is an unsplit run.
	Index, Count int
	// By names the knobs whose values define a block; empty means
	// DefaultShardBy.
	By []string
	// Host names this machine in the results header (shard provenance);
	// empty takes os.Hostname.
	Host string
}

// ParseShard parses "i/n", as --shard takes it, into a Shard's Index and
// Count.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("shard %q doesn't match the i/n format (e.g. 1/4: the first of four shards)", s)
	case n < 1 || n > 10000:
		return Shard{}, fmt.Errorf("shard %q: %d shards; give 1 to 10000", s, n)
	case i < 1 || i > n:
		return Shard{}, fmt.Errorf("shard %q: index %d is outside 1..%d (shards count from 1; a Kubernetes JOB_COMPLETION_INDEX counts from 0, so add 1)", s, i, n)
	}
	return Shard{Index: i, Count: n}, nil
}

// ParseShardBy parses a comma-separated list of knob names, as --shard-by
// takes it.
func ParseShardBy(s string) ([]string, error) {
	var by []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case k == "":
			return nil, fmt.Errorf("shard-by %q: an empty knob name; give knobs such as link or link,tfo", s)
		case slices.Contains(by, k):
			return nil, fmt.Errorf("shard-by %q: knob %s given twice", s, k)
		}
		by = append(by, k)
	}
	return by, nil
}

// A Block is the cells that share the values of the shard-by knobs.
type Block struct {
	// Key names the block as a cell name does: "link=wan40" or
	// "link=wan40/tfo=on".
	Key   string
	Cells []int // indexes into the cells given to Split, in their order
	// Load is the expected load time of one repetition of every cell:
	// warmup and duration, times the probes of a capacity search.
	Load time.Duration
}

// Split returns the blocks of cells by the knobs of sh.By, and for each
// shard 1..sh.Count the blocks it measures. It refuses knobs that are not
// the link or a matrix knob of every cell, and more shards than blocks.
func Split(s *scenarios.Suite, cells []scenarios.Cell, sh Shard) ([][]Block, error) {
	by := sh.By
	if len(by) == 0 {
		by = []string{DefaultShardBy}
	}
	if sh.Count < 1 {
		return nil, fmt.Errorf("runner: shard: %d shards; give 1 or more", sh.Count)
	}
	index := make(map[string]int)
	var blocks []Block
	for i, c := range cells {
		parts := make([]string, len(by))
		for j, k := range by {
			v, ok := c.Get(k)
			if !ok {
				return nil, fmt.Errorf("runner: --shard-by %s: cell %s has no knob %s; give link or knobs of the suite's matrix (%s)", strings.Join(by, ","), c.Name(), k, strings.Join(matrixNames(s), ", "))
			}
			parts[j] = k + "=" + v
		}
		key := strings.Join(parts, "/")
		b, ok := index[key]
		if !ok {
			b = len(blocks)
			index[key] = b
			blocks = append(blocks, Block{Key: key})
		}
		blocks[b].Cells = append(blocks[b].Cells, i)
		blocks[b].Load += cellLoadTime(s, c)
	}
	if sh.Count > len(blocks) {
		keys := make([]string, len(blocks))
		for i, b := range blocks {
			keys[i] = b.Key
		}
		return nil, fmt.Errorf("runner: --shard ?/%d: the cells make only %d blocks by %s (%s), and a block never spans machines; give at most %d shards, or split finer with --shard-by %s,KNOB",
			sh.Count, len(blocks), strings.Join(by, ","), strings.Join(keys, " "), len(blocks), strings.Join(by, ","))
	}

	// Longest processing time first onto the least loaded shard: within
	// 4/3 of the best possible makespan, and deterministic.
	sorted := slices.Clone(blocks)
	slices.SortStableFunc(sorted, func(a, b Block) int {
		if c := cmp.Compare(b.Load, a.Load); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	shards := make([][]Block, sh.Count)
	load := make([]time.Duration, sh.Count)
	for _, b := range sorted {
		least := 0
		for i := range load {
			if load[i] < load[least] {
				least = i
			}
		}
		shards[least] = append(shards[least], b)
		load[least] += b.Load
	}
	for _, bs := range shards {
		slices.SortFunc(bs, func(a, b Block) int { return cmp.Compare(a.Key, b.Key) })
	}
	return shards, nil
}

// cellLoadTime is the expected load time of one repetition of c.
func cellLoadTime(s *scenarios.Suite, c scenarios.Cell) time.Duration {
	l := s.CellLoad(c)
	t := l.Warmup + l.Duration
	if l.Model() == scenarios.ModelSearch {
		t = searchTime(l)
	}
	return t
}

func matrixNames(s *scenarios.Suite) []string {
	names := []string{DefaultShardBy}
	for _, k := range s.Matrix {
		names = append(names, k.Name)
	}
	return names
}

// applyShard narrows o.Cells to the shard's and returns its header lines.
// An unsplit run (Count 0) is left as it is. With no seed, the seed is
// derived from the suite and its cells, so that every shard has the same
// one without being told.
func applyShard(o *Options) ([]results.Config, error) {
	sh := o.Shard
	if sh.Count == 0 {
		return nil, nil
	}
	if sh.Index < 1 || sh.Index > sh.Count {
		return nil, fmt.Errorf("runner: shard %d/%d: index outside 1..%d", sh.Index, sh.Count, sh.Count)
	}
	shards, err := Split(o.Suite, o.Cells, sh)
	if err != nil {
		return nil, err
	}
	if o.Seed == 0 {
		o.Seed = shardSeed(o.Suite, o.Cells)
	}
	var mine []scenarios.Cell
	keys := make([]string, 0, len(shards[sh.Index-1]))
	for _, b := range shards[sh.Index-1] {
		keys = append(keys, b.Key)
		for _, i := range b.Cells {
			mine = append(mine, o.Cells[i])
		}
	}
	o.Cells = mine
	host := sh.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	by := sh.By
	if len(by) == 0 {
		by = []string{DefaultShardBy}
	}
	cfg := []results.Config{
		{Key: results.KeyShard, Value: fmt.Sprintf("%d/%d", sh.Index, sh.Count)},
		{Key: results.KeyShardBy, Value: strings.Join(by, ",")},
		{Key: results.KeyShardBlocks, Value: strings.Join(keys, " ")},
	}
	if host != "" {
		cfg = append(cfg, results.Config{Key: results.KeyHost, Value: host})
	}
	return cfg, nil
}

// shardSeed derives a seed from the suite's name and cells: the same on
// every node, other than 0, and positive so that --seed takes it back.
func shardSeed(s *scenarios.Suite, cells []scenarios.Cell) int64 {
	h := fnv.New64a()
	h.Write([]byte(s.Name))
	for _, c := range cells {
		h.Write([]byte{0})
		h.Write([]byte(c.Name()))
	}
	seed := int64(h.Sum64() & (1<<53 - 1))
	if seed == 0 {
		seed = 1
	}
	return seed
}

// configValue returns the value of key in cfg, "" if it is not there.
func configValue(cfg []results.Config, key string) string {
	for _, c := range cfg {
		if c.Key == key {
			return c.Value
		}
	}
	return ""
}
