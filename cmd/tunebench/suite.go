package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tunebench/tunebench/scenarios"
)

func cmdValidate(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usagef("validate: give one suite file, e.g. tunebench validate scenarios/quick.yaml")
	}
	s, err := scenarios.LoadFile(fs.Arg(0))
	if err != nil {
		return usageError{err.Error()}
	}
	cells, err := s.Expand()
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintf(stdout, "%s: suite %s, %d cells × %d repetitions, about %v of load\n", fs.Arg(0), s.Name, len(cells), s.Load.Count, s.Estimate(len(cells)))
	for _, c := range cells {
		fmt.Fprintf(stdout, "  %s/%s  (%s)\n", s.BenchName(), c.Name(), c.Link)
	}
	return nil
}

func cmdRun(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return usagef("run: not built yet")
}
