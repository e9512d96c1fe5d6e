package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tunebench/tunebench/results"
)

const mergeUsage = `Usage: tunebench merge -o all.txt SHARD.txt...

merge joins the results files of a run split over machines (tunebench run
--shard i/n on each) into one results file, and their histogram sidecars
(SHARD.hist.jsonl beside each) into one beside it (all.hist.jsonl).

It checks that the files come from one split run (the same suite,
tunebench version, seed, repetition count, shard count and --shard-by),
that every shard 1..n is there (or names those missing) and that no cell
is in two files. The merged header keeps each shard's blocks and host as
shard-i-blocks and shard-i-host lines (and every machine key that differs,
as shard-i-kernel...). compare, gate and report warn on a merged file when
a comparison they print crosses machines.

Example:
  tunebench merge -o out/all.txt out/shard-*.txt
  tunebench compare -col /tfo out/all.txt

Exit status: 0 merged; 1 could not write; 2 bad flags or files (missing
shards, a cell twice, files of different runs), nothing written.
`

func cmdMerge(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("merge")
	out := fs.String("o", "", "merged results `file` to write (its sidecar goes beside it, in .hist.jsonl); it must not exist")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(fs, err)
	}
	switch {
	case len(pos) == 0:
		return usagef("merge: give the shards' results files, e.g. tunebench merge -o all.txt shard-*.txt")
	case *out == "":
		return usagef("merge: -o is missing; give the merged file to write, e.g. -o all.txt")
	case *out == "-":
		return usagef("merge: -o -: the merged sidecar needs a file name; give -o all.txt")
	case slices.Contains(pos, "-"):
		return usagef("merge: -: give the shards' files by name, so that their sidecars are found beside them")
	}
	sideOut := results.SidecarPath(*out)
	for _, p := range pos {
		if same(p, *out) || same(results.SidecarPath(p), sideOut) {
			return usagef("merge: -o %s is a shard's file (or shares its sidecar); write the merged file elsewhere", *out)
		}
	}
	for _, p := range []string{*out, sideOut} {
		if _, err := os.Stat(p); err == nil {
			return usagef("merge: %s exists; give another -o, or move it away", p)
		}
	}

	inputs := make([]results.MergeInput, 0, len(pos))
	for _, p := range pos {
		data, err := os.ReadFile(p)
		if err != nil {
			return usagef("merge: %v; give the shards' results files", err)
		}
		in := results.MergeInput{Name: p, Data: data, SidecarName: results.SidecarPath(p)}
		side, err := os.ReadFile(in.SidecarName)
		switch {
		case err == nil:
			in.Sidecar = side
		case !errors.Is(err, iofs.ErrNotExist):
			return usagef("merge: %v", err)
		}
		inputs = append(inputs, in)
	}
	var merged, side bytes.Buffer
	if err := results.Merge(&merged, &side, inputs); err != nil {
		return inputError("merge", err)
	}
	if err := writeNew(*out, merged.Bytes()); err != nil {
		return err
	}
	where := *out
	if side.Len() > 0 {
		if err := writeNew(sideOut, side.Bytes()); err != nil {
			os.Remove(*out)
			return err
		}
		where += " (histograms in " + sideOut + ")"
	}
	f, err := results.Read(*out, bytes.NewReader(merged.Bytes()))
	if err != nil {
		return inputError("merge", err)
	}
	_, origins, _ := results.Origins(f)
	hosts := make(map[string]bool)
	for _, o := range origins {
		hosts[o.Host] = true
	}
	fmt.Fprintf(stdout, "tunebench: merged %d shards, %d result and %d failure lines, into %s\n", len(inputs), len(f.Rows), len(f.Failures), where)
	if len(hosts) > 1 {
		var machines []string
		for _, o := range origins {
			machines = append(machines, o.Machine())
		}
		fmt.Fprintf(stderr, "tunebench: merge: the shards ran on %d machines (%s): compare cells within a shard's blocks; compare, gate and report warn when a comparison crosses them\n", len(hosts), strings.Join(machines, ", "))
	}
	return nil
}

// same reports whether paths a and b name one file.
func same(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// writeNew writes data to path, which must not exist, through a temporary
// file renamed into place: a reader never sees half a file.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("merge: %w; give -o a file in a folder you can write", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path) // fails if path appeared meanwhile
	}
	os.Remove(tmp.Name())
	if err != nil {
		return fmt.Errorf("merge: writing %s: %w", path, err)
	}
	return nil
}

// warnCross prints, for command cmd, the warnings of a comparison that
// crosses the machines of a merged (or a shard's) file.
func warnCross(stderr io.Writer, cmd string, warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(stderr, "tunebench: %s: warning: %s\n", cmd, w)
	}
}

// colKnobs returns the knobs a benchstat projection such as "/tfo" or
// "/link,/cc@(bbr cubic)" puts side by side; ".file" and other keys that
// are not knobs give none.
func colKnobs(col string) []string {
	var knobs []string
	for _, p := range strings.Split(col, ",") {
		p = strings.TrimSpace(p)
		if k, ok := strings.CutPrefix(p, "/"); ok {
			if i := strings.IndexByte(k, '@'); i >= 0 {
				k = k[:i]
			}
			knobs = append(knobs, k)
		}
	}
	return knobs
}

// compareCross returns the warnings of compare: -col KNOB within each
// merged file given.
func compareCross(paths []string, col string) []string {
	knobs := colKnobs(col)
	if len(knobs) == 0 {
		return nil
	}
	var out []string
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if f, err := results.ReadFile(p); err == nil {
			out = append(out, results.CrossMachines(f, knobs, "-col "+col)...)
		}
	}
	return out
}

// reportCross returns the warnings of report: its per-knob charts put
// every knob's values side by side, and --baseline compares each cell
// with its own in another run.
func reportCross(current, baseline string) []string {
	if current == "-" {
		return nil
	}
	cur, err := results.ReadFile(current)
	if err != nil {
		return nil
	}
	var knobs []string
	for _, r := range cur.Rows {
		for _, part := range strings.Split(r.Cell, "/") {
			if k, _, _ := strings.Cut(part, "="); !slices.Contains(knobs, k) {
				knobs = append(knobs, k)
			}
		}
	}
	var out []string
	for _, k := range knobs {
		out = append(out, results.CrossMachines(cur, []string{k}, "the "+k+" comparison")...)
	}
	if baseline != "" && baseline != "-" {
		if base, err := results.ReadFile(baseline); err == nil {
			out = append(out, results.CrossMachinesBetween(base, cur)...)
		}
	}
	return out
}
