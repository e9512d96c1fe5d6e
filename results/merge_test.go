package results

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// shardOf writes the file and sidecar of shard i/n that measured cells,
// two repetitions each, on host; change edits the header first.
func shardOf(t *testing.T, i, n int, host string, blocks string, cells []string, change func([]Config) []Config) MergeInput {
	t.Helper()
	cfg := []Config{
		{Key: "tunebench", Value: "v1.0.0"},
		{Key: "suite", Value: "matrix"},
		{Key: "kernel", Value: "6.18-" + host},
		{Key: "seed", Value: "42"},
		{Key: "count", Value: "2"},
		{Key: "link-" + strings.TrimPrefix(strings.Fields(blocks)[0], "link="), Value: "rtt=1ms"},
		{Key: KeyShard, Value: fmt.Sprintf("%d/%d", i, n)},
		{Key: KeyShardBy, Value: "link"},
		{Key: KeyShardBlocks, Value: blocks},
		{Key: KeyHost, Value: host},
	}
	if change != nil {
		cfg = change(cfg)
	}
	var res, side bytes.Buffer
	w, err := NewWriter(&res, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sc := NewSidecar(&side)
	for rep := 1; rep <= 2; rep++ {
		for _, c := range cells {
			s := Sample{Suite: "Matrix", Cell: c, Rep: rep, Requests: 100, Latency: histOf(t, spread(100, 1_000_000, 1000)...), Achieved: 50}
			if c == "link=sat/tfo=off" && rep == 2 {
				s = Sample{Suite: "Matrix", Cell: c, Rep: rep, Failed: "server exited"}
			}
			if err := w.Write(s); err != nil {
				t.Fatal(err)
			}
			if err := sc.Write(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	name := fmt.Sprintf("shard-%d.txt", i)
	return MergeInput{Name: name, Data: res.Bytes(), SidecarName: SidecarPath(name), Sidecar: side.Bytes()}
}

func twoShards(t *testing.T) []MergeInput {
	return []MergeInput{
		shardOf(t, 2, 2, "b", "link=sat", []string{"link=sat/tfo=on", "link=sat/tfo=off"}, nil),
		shardOf(t, 1, 2, "a", "link=lan link=wan40", []string{"link=lan/tfo=on", "link=lan/tfo=off", "link=wan40/tfo=on", "link=wan40/tfo=off"}, nil),
	}
}

func TestMerge(t *testing.T) {
	var out, side bytes.Buffer
	if err := Merge(&out, &side, twoShards(t)); err != nil {
		t.Fatal(err)
	}
	f, err := Read("all.txt", bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := make(map[string]string)
	for _, c := range f.Config {
		cfg[c.Key] = c.Value
	}
	want := map[string]string{
		"suite": "matrix", "seed": "42", KeyShards: "2", KeyShardBy: "link",
		"shard-1-blocks": "link=lan link=wan40", "shard-2-blocks": "link=sat",
		"shard-1-host": "a", "shard-2-host": "b", "shard-1-kernel": "6.18-a", "shard-2-kernel": "6.18-b",
		"link-lan": "rtt=1ms", "link-sat": "rtt=1ms",
	}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("merged %s: %q; want %q", k, cfg[k], v)
		}
	}
	for _, k := range []string{KeyShard, KeyShardBlocks, KeyHost, "kernel"} {
		if _, ok := cfg[k]; ok {
			t.Errorf("merged header has %s: %q; want it per shard only", k, cfg[k])
		}
	}
	// Every cell once, with both repetitions; shard 1's lines first.
	count := make(map[string]int)
	for _, r := range f.Rows {
		count[r.Cell]++
	}
	for _, fl := range f.Failures {
		count[fl.Cell]++
	}
	if len(count) != 6 {
		t.Errorf("merged cells %v; want 6", count)
	}
	for c, n := range count {
		if n != 2 {
			t.Errorf("%s: %d lines; want 2", c, n)
		}
	}
	if f.Rows[0].Cell != "link=lan/tfo=on" {
		t.Errorf("first row %s; want shard 1's first, link=lan/tfo=on", f.Rows[0].Cell)
	}
	entries, err := ReadSidecar(&side)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 12 {
		t.Errorf("merged sidecar: %d entries; want 12", len(entries))
	}
}

func TestMergeErrors(t *testing.T) {
	tests := []struct {
		name    string
		inputs  func(t *testing.T) []MergeInput
		wantErr string
	}{
		{"missing shard", func(t *testing.T) []MergeInput { return twoShards(t)[:1] }, "shard 1 of 2 missing"},
		{"shard twice", func(t *testing.T) []MergeInput {
			in := twoShards(t)
			in[1] = shardOf(t, 2, 2, "c", "link=lan", []string{"link=lan/tfo=on"}, nil)
			in[1].Name = "other.txt"
			return in
		}, "shard-2.txt and other.txt are both shard 2/2"},
		{"other shard count", func(t *testing.T) []MergeInput {
			in := twoShards(t)
			in[1] = shardOf(t, 1, 3, "a", "link=lan", []string{"link=lan/tfo=on"}, nil)
			return in
		}, "is shard 1/3, but shard-2.txt is of 2 shards"},
		{"cell twice", func(t *testing.T) []MergeInput {
			in := twoShards(t)
			in[1] = shardOf(t, 1, 2, "a", "link=lan", []string{"link=lan/tfo=on", "link=sat/tfo=on"}, nil)
			return in
		}, "Matrix/link=sat/tfo=on is in another shard's file too"},
		{"other seed", func(t *testing.T) []MergeInput {
			in := twoShards(t)
			in[1] = shardOf(t, 1, 2, "a", "link=lan", []string{"link=lan/tfo=on"}, func(c []Config) []Config {
				c[3].Value = "43"
				return c
			})
			return in
		}, `shard-2.txt has seed "42", but shard-1.txt has "43"`},
		{"other version", func(t *testing.T) []MergeInput {
			in := twoShards(t)
			in[1] = shardOf(t, 1, 2, "a", "link=lan", []string{"link=lan/tfo=on"}, func(c []Config) []Config {
				c[0].Value = "v1.0.1"
				return c
			})
			return in
		}, `but shard-1.txt has "v1.0.1"`},
		{"not a shard", func(t *testing.T) []MergeInput {
			in := twoShards(t)
			in[1] = shardOf(t, 1, 2, "a", "link=lan", []string{"link=lan/tfo=on"}, func(c []Config) []Config {
				return slices.DeleteFunc(c, func(c Config) bool { return c.Key == KeyShard })
			})
			return in
		}, `has no "shard" line`},
		{"sidecar missing", func(t *testing.T) []MergeInput {
			in := twoShards(t)
			in[0].Sidecar = nil
			return in
		}, "shard-2.txt has no histogram sidecar (shard-2.hist.jsonl)"},
	}
	for _, tt := range tests {
		var out, side bytes.Buffer
		err := Merge(&out, &side, tt.inputs(t))
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: Merge = %v; want an error with %q", tt.name, err, tt.wantErr)
		}
		if out.Len() > 0 || side.Len() > 0 {
			t.Errorf("%s: %d bytes written on an error; want none", tt.name, out.Len()+side.Len())
		}
	}
	// A merged file is not a shard's.
	var out bytes.Buffer
	if err := Merge(&out, nil, twoShards(t)); err != nil {
		t.Fatal(err)
	}
	err := Merge(&bytes.Buffer{}, nil, []MergeInput{{Name: "all.txt", Data: out.Bytes()}})
	if err == nil || !strings.Contains(err.Error(), "is a merged file already") {
		t.Errorf("merging a merged file: %v; want it refused", err)
	}
}

// TestCrossMachines checks which comparisons of a merged file cross
// shards: those of the block's knob (link), not those within a block.
func TestCrossMachines(t *testing.T) {
	var out bytes.Buffer
	if err := Merge(&out, nil, twoShards(t)); err != nil {
		t.Fatal(err)
	}
	f, err := Read("all.txt", bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if w := CrossMachines(f, []string{"tfo"}, "-col /tfo"); w != nil {
		t.Errorf("-col /tfo: %v; want no warning: tfo is compared within a block", w)
	}
	w := CrossMachines(f, []string{"link"}, "-col /link")
	if len(w) != 1 || !strings.Contains(w[0], "different machines in 2 of 2 rows") || !strings.Contains(w[0], "shard 1 (host a): link=lan link=wan40; shard 2 (host b): link=sat") {
		t.Errorf("-col /link: %q; want one warning naming both shards' hosts", w)
	}
	// A shard's own file compares within itself.
	one, err := Read("shard-1.txt", bytes.NewReader(twoShards(t)[1].Data))
	if err != nil {
		t.Fatal(err)
	}
	if w := CrossMachines(one, []string{"link"}, "-col /link"); w != nil {
		t.Errorf("shard's own file: %v; want none", w)
	}
	// The same cell on another host in a baseline.
	base, err := Read("base.txt", bytes.NewReader(shardOf(t, 1, 1, "c", "link=lan link=wan40 link=sat", []string{"link=sat/tfo=on", "link=lan/tfo=on"}, nil).Data))
	if err != nil {
		t.Fatal(err)
	}
	w = CrossMachinesBetween(base, f)
	if len(w) != 1 || !strings.Contains(w[0], "link=sat/tfo=on (c vs b)") {
		t.Errorf("between: %q; want link=sat/tfo=on named with its hosts", w)
	}
}
