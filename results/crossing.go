package results

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A ShardOrigin is where a shard of a merged (or a shard's) file ran.
type ShardOrigin struct {
	Index  int
	Host   string   // "" when the file does not say
	Blocks []string // block keys, e.g. "link=wan40"
}

// Machine names the shard's machine for messages: "shard 2 (host b)".
func (o ShardOrigin) Machine() string {
	if o.Host == "" {
		return "shard " + strconv.Itoa(o.Index)
	}
	return fmt.Sprintf("shard %d (host %s)", o.Index, o.Host)
}

// Origins returns the shards of a merged file or a shard's file, and the
// knobs that define their blocks; ok is false for a file of an unsplit run.
func Origins(f *File) (by []string, shards []ShardOrigin, ok bool) {
	cfg := make(map[string]string, len(f.Config))
	for _, c := range f.Config {
		cfg[c.Key] = c.Value
	}
	if cfg[KeyShardBy] == "" {
		return nil, nil, false
	}
	by = strings.Split(cfg[KeyShardBy], ",")
	if v, isShard := cfg[KeyShard]; isShard {
		i, _, err := parseShard(v)
		if err != nil {
			return nil, nil, false
		}
		return by, []ShardOrigin{{Index: i, Host: cfg[KeyHost], Blocks: strings.Fields(cfg[KeyShardBlocks])}}, true
	}
	n, err := strconv.Atoi(cfg[KeyShards])
	if err != nil || n < 1 {
		return nil, nil, false
	}
	for i := 1; i <= n; i++ {
		p := fmt.Sprintf("shard-%d-", i)
		host := cfg[p+KeyHost]
		if host == "" {
			host = cfg[KeyHost] // every shard ran on the one host
		}
		shards = append(shards, ShardOrigin{Index: i, Host: host, Blocks: strings.Fields(cfg[p+"blocks"])})
	}
	return by, shards, true
}

// cellKeys splits a cell name "link=wan40/tfo=on" into its keys in order.
func cellKeys(cell string) [][2]string {
	var kv [][2]string
	for _, part := range strings.Split(cell, "/") {
		k, v, _ := strings.Cut(part, "=")
		kv = append(kv, [2]string{k, v})
	}
	return kv
}

// blockOf returns the block key of cell by the knobs by.
func blockOf(cell string, by []string) string {
	kv := cellKeys(cell)
	parts := make([]string, 0, len(by))
	for _, k := range by {
		for _, p := range kv {
			if p[0] == k {
				parts = append(parts, k+"="+p[1])
			}
		}
	}
	return strings.Join(parts, "/")
}

// CrossMachines returns warnings for the comparisons across the knobs
// compared (the cells that differ only in them are put side by side) that
// cross shards of f: cells that ran on different machines, whose
// differences include the machines' own. It returns nil for a file of an
// unsplit run and for comparisons within blocks. name names f in the
// message and how names the comparison ("-col /link").
func CrossMachines(f *File, compared []string, how string) []string {
	by, origins, ok := Origins(f)
	if !ok || len(compared) == 0 {
		return nil
	}
	shardOf := make(map[string]int)
	for _, o := range origins {
		for _, b := range o.Blocks {
			shardOf[b] = o.Index
		}
	}
	// Group the cells by their name less the compared knobs.
	groups := make(map[string]map[int]bool)
	var order []string
	add := func(cell string) {
		var rest []string
		for _, p := range cellKeys(cell) {
			if !slices.Contains(compared, p[0]) {
				rest = append(rest, p[0]+"="+p[1])
			}
		}
		key := strings.Join(rest, "/")
		if groups[key] == nil {
			groups[key] = make(map[int]bool)
			order = append(order, key)
		}
		if i, ok := shardOf[blockOf(cell, by)]; ok {
			groups[key][i] = true
		}
	}
	for _, r := range f.Rows {
		add(r.Cell)
	}
	crossing := 0
	used := make(map[int]bool)
	for _, k := range order {
		if len(groups[k]) > 1 {
			crossing++
			for i := range groups[k] {
				used[i] = true
			}
		}
	}
	if crossing == 0 {
		return nil
	}
	var where []string
	hosts := make(map[string]bool)
	for _, o := range origins {
		if used[o.Index] {
			where = append(where, o.Machine()+": "+strings.Join(o.Blocks, " "))
			hosts[o.Host] = true
		}
	}
	what := "different machines"
	if len(hosts) == 1 {
		what = "different shards (run side by side on one host)"
	}
	return []string{fmt.Sprintf("%s: %s compares cells measured on %s in %d of %d rows (%s); those differences include the machines', not only the knob's: compare within a block (the shards split by %s) or run the blocks you compare in one shard",
		f.Name, how, what, crossing, len(order), strings.Join(where, "; "), strings.Join(by, ","))}
}

// CrossMachinesBetween returns warnings for a comparison of the same cells
// in two files (a baseline and a current run) where a cell ran on
// different hosts in each: its difference includes the machines'.
func CrossMachinesBetween(base, cur *File) []string {
	hostOf := func(f *File) func(cell string) string {
		by, origins, ok := Origins(f)
		if !ok {
			host := ""
			for _, c := range f.Config {
				if c.Key == KeyHost {
					host = c.Value
				}
			}
			return func(string) string { return host }
		}
		m := make(map[string]string)
		for _, o := range origins {
			for _, b := range o.Blocks {
				m[b] = o.Host
			}
		}
		return func(cell string) string { return m[blockOf(cell, by)] }
	}
	hb, hc := hostOf(base), hostOf(cur)
	var cells []string
	seen := make(map[string]bool)
	inCur := make(map[string]bool)
	for _, r := range cur.Rows {
		inCur[r.Cell] = true
	}
	for _, r := range base.Rows {
		if seen[r.Cell] || !inCur[r.Cell] {
			continue
		}
		seen[r.Cell] = true
		if a, b := hb(r.Cell), hc(r.Cell); a != "" && b != "" && a != b {
			cells = append(cells, fmt.Sprintf("%s (%s vs %s)", r.Cell, a, b))
		}
	}
	if len(cells) == 0 {
		return nil
	}
	if len(cells) > 3 {
		cells = append(cells[:3], fmt.Sprintf("and %d more", len(cells)-3))
	}
	return []string{fmt.Sprintf("%s vs %s: %s ran on different machines in the two runs; those changes include the machines' own", base.Name, cur.Name, strings.Join(cells, ", "))}
}
