package results

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The header keys of a shard's file (tunebench run --shard i/n) and of the
// file tunebench merge writes from the shards' files.
const (
	// KeyShard is "i/n" in a shard's file.
	KeyShard = "shard"
	// KeyShardBy names the knobs that define a block, comma-separated.
	KeyShardBy = "shard-by"
	// KeyShardBlocks lists the blocks a shard measured, space-separated
	// ("link=lan link=wan40").
	KeyShardBlocks = "shard-blocks"
	// KeyHost names the machine a shard ran on.
	KeyHost = "host"
	// KeyShards is the number of shards a merged file joins. Its
	// provenance per shard i is in the keys "shard-i-blocks",
	// "shard-i-host" and "shard-i-KEY" for each machine key that differs
	// between the shards.
	KeyShards = "shards"
)

// machineKeys may differ between shards: they describe the machine a
// shard ran on, and the merged file keeps them per shard.
var machineKeys = map[string]bool{
	KeyHost: true, "kernel": true, "cpu": true, "tcp-cc": true,
	"goos": true, "goarch": true, "backend": true, "backend-reason": true,
}

// A MergeInput is one shard's results file and its histogram sidecar.
type MergeInput struct {
	Name string // the results file's name, for messages
	Data []byte // the results file
	// SidecarName and Sidecar are its sidecar; a nil Sidecar is none.
	SidecarName string
	Sidecar     []byte
}

// shardFile is one input, read and checked.
type shardFile struct {
	in    MergeInput
	f     *File
	cfg   map[string]string
	index int
}

// Merge joins the files of the shards of one run (tunebench run --shard
// i/n) into one results file written to w, and their sidecars into one
// written to side. It checks that the files come from the same suite,
// version, seed, repetition count, shard count and shard-by knobs, that
// every shard 1..n is there once, and that no cell is in two files. The
// merged header keeps what every shard shares, the union of the links, and
// each shard's provenance (its blocks and host, and every machine key that
// differs) as "shard-i-KEY" lines. The lines of each shard are copied as
// they are, shard after shard. Either every input has a sidecar or none
// does; side may be nil for none. Nothing is written on an error.
func Merge(w, side io.Writer, inputs []MergeInput) error {
	if len(inputs) == 0 {
		return fmt.Errorf("results: merge: no files; give every shard's results file")
	}
	shards, n, err := readShards(inputs)
	if err != nil {
		return err
	}
	header, err := mergeHeader(shards, n)
	if err != nil {
		return err
	}
	units, err := mergeUnits(shards)
	if err != nil {
		return err
	}
	if err := checkCells(shards); err != nil {
		return err
	}
	var sideOut bytes.Buffer
	if err := mergeSidecars(&sideOut, shards); err != nil {
		return err
	}

	var b bytes.Buffer
	for _, c := range header {
		if err := checkConfig(c); err != nil {
			return fmt.Errorf("results: merge: %w", err)
		}
		fmt.Fprintf(&b, "%s: %s\n", c.Key, c.Value)
	}
	b.WriteByte('\n')
	for _, u := range units {
		fmt.Fprintf(&b, "Unit %s better=%s\n", u[0], u[1])
	}
	b.WriteByte('\n')
	for _, s := range shards {
		sc := bufio.NewScanner(bytes.NewReader(s.in.Data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, failPrefix) {
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("results: merge: %s: %w", s.in.Name, err)
		}
	}
	// What is written must read back: the same check as every reader's.
	if _, err := Read("merged", bytes.NewReader(b.Bytes())); err != nil {
		return fmt.Errorf("results: merge: the merged file does not read back: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("results: merge: writing: %w", err)
	}
	if side != nil && sideOut.Len() > 0 {
		if _, err := side.Write(sideOut.Bytes()); err != nil {
			return fmt.Errorf("results: merge: writing the sidecar: %w", err)
		}
	}
	return nil
}

// readShards reads the inputs and orders them by shard index; n is the
// shard count.
func readShards(inputs []MergeInput) ([]shardFile, int, error) {
	var shards []shardFile
	n := 0
	byIndex := make(map[int]string)
	for _, in := range inputs {
		f, err := Read(in.Name, bytes.NewReader(in.Data))
		if err != nil {
			return nil, 0, err
		}
		cfg := make(map[string]string, len(f.Config))
		for _, c := range f.Config {
			cfg[c.Key] = c.Value
		}
		v, ok := cfg[KeyShard]
		if !ok {
			if _, merged := cfg[KeyShards]; merged {
				return nil, 0, fmt.Errorf("results: merge: %s is a merged file already; give the shards' own files", in.Name)
			}
			return nil, 0, fmt.Errorf("results: merge: %s has no %q line: it is not a shard's file; merge joins the files of tunebench run --shard i/n", in.Name, KeyShard)
		}
		i, count, err := parseShard(v)
		if err != nil {
			return nil, 0, fmt.Errorf("results: merge: %s: %w", in.Name, err)
		}
		switch {
		case n == 0:
			n = count
		case count != n:
			return nil, 0, fmt.Errorf("results: merge: %s is shard %s, but %s is of %d shards; give the files of one split run", in.Name, v, shards[0].in.Name, n)
		}
		if other, dup := byIndex[i]; dup {
			return nil, 0, fmt.Errorf("results: merge: %s and %s are both shard %d/%d; give each shard's file once", other, in.Name, i, n)
		}
		byIndex[i] = in.Name
		shards = append(shards, shardFile{in: in, f: f, cfg: cfg, index: i})
	}
	var missing []string
	for i := 1; i <= n; i++ {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		return nil, 0, fmt.Errorf("results: merge: shard %s of %d missing: their cells would be lost; give every shard's file (run the missing ones with --shard i/%d)", strings.Join(missing, ", "), n, n)
	}
	slices.SortFunc(shards, func(a, b shardFile) int { return a.index - b.index })
	return shards, n, nil
}

// parseShard parses "i/n".
func parseShard(v string) (i, n int, err error) {
	a, b, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("%s %q is not i/n with 1 <= i <= n", KeyShard, v)
	}
	return i, n, nil
}

// mergeHeader builds the merged header: the keys every shard shares, the
// union of the links, the shard count and each shard's provenance.
func mergeHeader(shards []shardFile, n int) ([]Config, error) {
	first := shards[0]
	var common []Config
	var perShard []string // machine keys that differ, in first-seen order
	links := make(map[string]string)
	var linkOrder []string
	keys := make(map[string]bool)
	var order []string
	for _, s := range shards {
		for _, c := range s.f.Config {
			if !keys[c.Key] {
				keys[c.Key] = true
				order = append(order, c.Key)
			}
		}
	}
	for _, k := range order {
		switch {
		case k == KeyShard || k == KeyShardBlocks:
			continue
		case strings.HasPrefix(k, "link-"):
			for _, s := range shards {
				v, ok := s.cfg[k]
				if !ok {
					continue
				}
				if have, seen := links[k]; seen && have != v {
					return nil, fmt.Errorf("results: merge: %s: %s %q, but another shard has %q; the shards ran different suites", s.in.Name, k, v, have)
				}
				if _, seen := links[k]; !seen {
					linkOrder = append(linkOrder, k)
				}
				links[k] = v
			}
			continue
		}
		same := true
		for _, s := range shards {
			if v, ok := s.cfg[k]; !ok || v != first.cfg[k] {
				same = false
				if !machineKeys[k] {
					return nil, fmt.Errorf("results: merge: %s has %s %q, but %s has %q; merge joins the shards of one run (same suite, tunebench version, seed, count and --shard-by)", s.in.Name, k, v, first.in.Name, first.cfg[k])
				}
			}
		}
		if same && k != KeyHost {
			common = append(common, Config{Key: k, Value: first.cfg[k]})
		} else {
			perShard = append(perShard, k)
		}
	}
	for _, k := range linkOrder {
		common = append(common, Config{Key: k, Value: links[k]})
	}
	common = append(common, Config{Key: KeyShards, Value: strconv.Itoa(n)})
	for _, s := range shards {
		prefix := fmt.Sprintf("shard-%d-", s.index)
		common = append(common, Config{Key: prefix + "blocks", Value: s.cfg[KeyShardBlocks]})
		for _, k := range perShard {
			if v := s.cfg[k]; v != "" {
				common = append(common, Config{Key: prefix + k, Value: v})
			}
		}
	}
	return common, nil
}

// mergeUnits returns the union of the shards' unit declarations as
// [unit, better] pairs, refusing a unit whose direction differs.
func mergeUnits(shards []shardFile) ([][2]string, error) {
	var out [][2]string
	seen := make(map[string]string)
	for _, s := range shards {
		units := make([]string, 0, len(s.f.Units))
		for u := range s.f.Units {
			units = append(units, u)
		}
		slices.Sort(units)
		for _, u := range units {
			better := s.f.Units[u]
			if have, ok := seen[u]; ok {
				if have != better {
					return nil, fmt.Errorf("results: merge: %s: unit %s is better=%s, but another shard declares better=%s", s.in.Name, u, better, have)
				}
				continue
			}
			seen[u] = better
			out = append(out, [2]string{u, better})
		}
	}
	return out, nil
}

// checkCells refuses a cell that two shards measured.
func checkCells(shards []shardFile) error {
	where := make(map[string]string)
	check := func(s shardFile, name string, line int) error {
		at := fmt.Sprintf("%s:%d", s.in.Name, line)
		if other, ok := where[name]; ok && !strings.HasPrefix(other, s.in.Name+":") {
			return fmt.Errorf("results: merge: %s: %s is in another shard's file too (%s); a cell belongs to one shard: were the shards run with the same suite, --only and --shard-by?", at, name, other)
		}
		where[name] = at
		return nil
	}
	for _, s := range shards {
		for _, r := range s.f.Rows {
			if err := check(s, r.Name, r.Line); err != nil {
				return err
			}
		}
		for _, fl := range s.f.Failures {
			if err := check(s, fl.Name, fl.Line); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeSidecars checks the shards' sidecars and appends their lines to w.
func mergeSidecars(w *bytes.Buffer, shards []shardFile) error {
	with := 0
	for _, s := range shards {
		if s.in.Sidecar != nil {
			with++
		}
	}
	if with == 0 {
		return nil
	}
	seen := make(map[string]string)
	for _, s := range shards {
		if s.in.Sidecar == nil {
			return fmt.Errorf("results: merge: %s has no histogram sidecar (%s), but other shards do; copy it beside its results file", s.in.Name, SidecarPath(s.in.Name))
		}
		entries, err := ReadSidecar(bytes.NewReader(s.in.Sidecar))
		if err != nil {
			return fmt.Errorf("results: merge: %s: %w", s.in.SidecarName, err)
		}
		for _, e := range entries {
			key := fmt.Sprintf("%s/%s#%d", e.Suite, e.Cell, e.Rep)
			at := fmt.Sprintf("%s:%d", s.in.SidecarName, e.Line)
			if other, dup := seen[key]; dup {
				return fmt.Errorf("results: merge: %s: %s/%s repetition %d is in %s too", at, e.Suite, e.Cell, e.Rep, other)
			}
			seen[key] = at
		}
		for _, line := range bytes.Split(s.in.Sidecar, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 {
				w.Write(line)
				w.WriteByte('\n')
			}
		}
	}
	return nil
}
