package main

import (
	"io"
	"os"

	"github.com/tunebench/tunebench/runner"
)

// progressFor picks how tunebench run reports progress:
//
//   - --quiet: nothing but the summary;
//   - stderr a terminal: the live display (runner.TermProgress) on stderr,
//     with the plain lines scrolling above it;
//   - otherwise: the plain lines, on stdout, or on stderr with --json;
//   - --json, in every case: one JSON event per repetition on stdout.
//
// It returns the runner's Progress and Events and a function that ends the
// display, to call before the summary is printed; calling it again does
// nothing.
func progressFor(quiet, jsonEvents bool, stdout, stderr io.Writer) (io.Writer, func(runner.Event), func()) {
	var sinks []func(runner.Event)
	if jsonEvents {
		sinks = append(sinks, runner.JSONEvents(stdout))
	}
	progress := stdout
	if jsonEvents {
		progress = stderr
	}
	done := func() {}
	switch f, ok := stderr.(*os.File); {
	case quiet:
		progress = io.Discard
	case ok && runner.IsTerminal(f):
		tp := runner.NewTermProgress(f)
		progress, done = tp, func() { tp.Close() }
		sinks = append(sinks, tp.Event)
	}
	if len(sinks) == 0 {
		return progress, nil, done
	}
	return progress, func(e runner.Event) {
		for _, s := range sinks {
			s(e)
		}
	}, done
}
