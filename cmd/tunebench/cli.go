package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/tunebench/tunebench/netem"
)

const usage = `tunebench measures what a TCP/API tuning buys on an emulated network path.

Usage:
  tunebench run SUITE.yaml [-o results.txt | --resume results.txt] [--count N] [--backend auto|tun|netem] [--only k=v,...]
                [--seed N] [--quiet] [--json] [--gate] [--max-failures N]
                [--shard i/n [--shard-by KNOB,...] [--host NAME]]
  tunebench validate SUITE.yaml         check a suite and list its cells
  tunebench compare [-col /knob] [-filter Q] [-format text|csv|json|markdown] [label=]FILE...
  tunebench gate --baseline base.txt --current new.txt --metric p99-ns [--max-regression 10%]
  tunebench gate --suite SUITE.yaml --current new.txt   check the suite's gates:
  tunebench report RESULTS.txt [--baseline OTHER.txt] [--format html|markdown] -o report.html
  tunebench findings -o FINDINGS.md RESULTS.txt...   the claims' verdicts (make findings)
  tunebench merge -o all.txt SHARD.txt...   join the files of run --shard i/n
  tunebench link run [link flags] [--server 'CMD'] -- CLIENT CMD...
  tunebench link up NAME [link flags]   hold a path in the foreground
  tunebench link exec NAME client|server -- CMD...
  tunebench link down NAME
  tunebench doctor                      what this host can do
  tunebench clean                       remove what killed runs left
  tunebench serve --addr IP:PORT        the reference server (the runner starts it)
  tunebench load                        the load agent (the runner starts it)
  tunebench version                     also --version
  tunebench help [COMMAND]              also COMMAND -h or --help

A file argument of - reads standard input (a suite, a results file), and
-o - writes standard output where a stream makes sense. Exit status: 0 ok,
1 could not run, 2 bad input, 3 repetitions failed (results written),
99 a gate failed; link run and link exec pass the client's status through
and use 125-127 for their own failures (docs/cli.md has the table).

Run 'tunebench help COMMAND' for a command's arguments, flags and an example.
`

// run is the whole CLI; main only reports its error. A command given -h
// or --help prints its usage on stdout and returns nil.
func run(stdout, stderr io.Writer, args []string) error {
	err := dispatch(stdout, stderr, args)
	var h helpRequested
	if errors.As(err, &h) {
		return printHelp(stdout, h.name, h.fs)
	}
	return err
}

func dispatch(stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version", "--version", "-version":
		if len(rest) > 0 && isHelp(rest[0]) {
			return helpRequested{name: "version"}
		}
		fmt.Fprintln(stdout, "tunebench", buildVersion())
		return nil
	case "help", "-h", "--help", "-help":
		if cmd == "help" && len(rest) > 0 && isHelp(rest[0]) {
			return helpRequested{name: "help"}
		}
		if len(rest) == 0 || cmd != "help" {
			fmt.Fprint(stdout, usage)
			return nil
		}
		if _, ok := commandUsage(strings.Join(rest, " ")); !ok {
			fmt.Fprint(stderr, usage)
			return usagef("help: unknown command %q", strings.Join(rest, " "))
		}
		return dispatch(stdout, stderr, append(slices.Clone(rest), "-h"))
	}
	ctx, stop := signalContext(stderr)
	defer stop()
	switch cmd {
	case "run":
		return cmdRun(ctx, stdout, stderr, rest)
	case "validate":
		return cmdValidate(stdout, stderr, rest)
	case "compare":
		return cmdCompare(stdout, stderr, rest)
	case "report":
		return cmdReport(stdout, stderr, rest)
	case "findings":
		return cmdFindings(stdout, stderr, rest)
	case "merge":
		return cmdMerge(stdout, stderr, rest)
	case "gate":
		return cmdGate(stdout, stderr, rest)
	case "link":
		return cmdLink(ctx, stdout, stderr, rest)
	case "doctor":
		return cmdDoctor(stdout, rest)
	case "clean":
		return cmdClean(stdout, rest)
	case "serve":
		return cmdServe(ctx, stdout, stderr, rest)
	case "load":
		return cmdLoad(ctx, stdout, stderr, rest)
	}
	fmt.Fprint(stderr, usage)
	return usagef("unknown command %q; run tunebench help", cmd)
}

// signalContext is cancelled by the first SIGINT or SIGTERM, which lets the
// command stop starting work and tear down in order. A second signal
// removes this process's namespaces at once and exits.
func signalContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig, ok := <-ch
		if !ok {
			return
		}
		fmt.Fprintf(stderr, "tunebench: %v: stopping; tearing down (again to force)\n", sig)
		cancel()
		if _, ok := <-ch; ok {
			removed := netem.SweepOwn()
			fmt.Fprintf(stderr, "tunebench: forced exit; removed %d namespaces\n", len(removed))
			os.Exit(130)
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(ch)
		cancel()
	}
}

// needRoot gives the one-line fix before anything is attempted.
func needRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s: needs root to create network namespaces; run it with sudo (or grant CAP_NET_ADMIN and CAP_SYS_ADMIN)", what)
	}
	return nil
}
