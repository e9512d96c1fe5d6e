package main

import (
	"flag"
	"strconv"
	"strings"

	"github.com/tunebench/tunebench/runner"
	"github.com/tunebench/tunebench/scenarios"
)

// jobIndexEnv is the variable Kubernetes sets in the pods of an Indexed
// Job: the pod's completion index, from 0.
const jobIndexEnv = "JOB_COMPLETION_INDEX"

// registerShard adds run's flags that split a run over machines.
func (f *runFlags) registerShard(fs *flag.FlagSet) {
	fs.StringVar(&f.shard, "shard", "", "measure only shard `i/n` of the suite's blocks (1 <= i <= n; the same split on every machine), or index/n to take i from $"+jobIndexEnv+" + 1 in a Kubernetes Indexed Job; merge the shards' files with tunebench merge")
	fs.StringVar(&f.shardBy, "shard-by", "", "the `knobs` whose values make a block, which --shard keeps on one machine (default link): the knobs compared within a block, never across machines, are the others")
	fs.StringVar(&f.host, "host", "", "the machine's `name` in a shard's header (default the host name; in Kubernetes the node's, from spec.nodeName)")
}

// shardOf returns the shard the flags ask for; getenv reads the Indexed
// Job's index for --shard index/n.
func (f *runFlags) shardOf(getenv func(string) string) (runner.Shard, error) {
	if f.shard == "" {
		switch {
		case f.shardBy != "":
			return runner.Shard{}, usagef("run: --shard-by %s without --shard: give --shard i/n too", f.shardBy)
		case f.host != "":
			return runner.Shard{}, usagef("run: --host %s without --shard: the host is a shard's provenance; give --shard i/n too", f.host)
		}
		return runner.Shard{}, nil
	}
	if f.gate {
		return runner.Shard{}, usagef("run: --gate with --shard %s: a shard holds only some of the suite's cells, and a gate may select others; merge the shards, then tunebench gate --suite SUITE.yaml --current all.txt", f.shard)
	}
	spec := f.shard
	if i, n, ok := strings.Cut(spec, "/"); ok && i == "index" {
		v := getenv(jobIndexEnv)
		k, err := strconv.Atoi(v)
		if err != nil || k < 0 {
			return runner.Shard{}, usagef("run: --shard %s: $%s is %q, not an index from 0; Kubernetes sets it in an Indexed Job (completionMode: Indexed), elsewhere give --shard i/%s", spec, jobIndexEnv, v, n)
		}
		spec = strconv.Itoa(k+1) + "/" + n
	}
	sh, err := runner.ParseShard(spec)
	if err != nil {
		return runner.Shard{}, usagef("run: --shard: %v", err)
	}
	if f.shardBy != "" {
		if sh.By, err = runner.ParseShardBy(f.shardBy); err != nil {
			return runner.Shard{}, usagef("run: --shard-by: %v", err)
		}
	}
	sh.Host = f.host
	return sh, nil
}

// checkSplit refuses a split the suite's cells cannot make (more shards
// than blocks, a knob the suite lacks) before any file is created.
func checkSplit(s *scenarios.Suite, cells []scenarios.Cell, sh runner.Shard) error {
	if sh.Count == 0 {
		return nil
	}
	if _, err := runner.Split(s, cells, sh); err != nil {
		return usagef("run: %s", strings.TrimPrefix(err.Error(), "runner: "))
	}
	return nil
}
