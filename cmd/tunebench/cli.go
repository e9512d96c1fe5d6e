package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tunebench/tunebench/netem"
)

// version is set by the Makefile from git describe.
var version = "dev"

const usage = `tunebench measures what a TCP/API tuning buys on an emulated network path.

Usage:
  tunebench run SUITE.yaml [-o results.txt | --resume results.txt] [--count N] [--backend auto|tun|netem] [--only k=v,...]
                [--seed N] [--quiet] [--gate]
  tunebench validate SUITE.yaml         check a suite and list its cells
  tunebench compare [-col /knob] [-filter Q] [-format text|csv|json|markdown] [label=]FILE...
  tunebench gate --baseline base.txt --current new.txt --metric p99-ns [--max-regression 10%]
  tunebench gate --suite SUITE.yaml --current new.txt   check the suite's gates:
  tunebench report RESULTS.txt [--baseline OTHER.txt] [--format html|markdown] -o report.html
  tunebench link run [link flags] [--server 'CMD'] -- CLIENT CMD...
  tunebench link up NAME [link flags]   hold a path in the foreground
  tunebench link exec NAME client|server -- CMD...
  tunebench link down NAME
  tunebench doctor                      what this host can do
  tunebench clean                       remove what killed runs left
  tunebench serve --addr IP:PORT        the reference server (the runner starts it)
  tunebench load                        the load agent (the runner starts it)
  tunebench version

Run 'tunebench COMMAND -h' for a command's flags.
`

// usageError is bad input on the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitStatus passes a child's exit status through (link run, link exec).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func exitCode(err error) int {
	var st exitStatus
	var ue usageError
	var gf gateFailed
	switch {
	case errors.As(err, &st):
		return int(st)
	case errors.As(err, &ue):
		return 2
	case errors.As(err, &gf):
		return 1
	}
	return 1
}

// run is the whole CLI; main only reports its error.
func run(stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	ctx, stop := signalContext(stderr)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, stdout, stderr, rest)
	case "validate":
		return cmdValidate(stdout, stderr, rest)
	case "compare":
		return cmdCompare(stdout, stderr, rest)
	case "report":
		return cmdReport(stdout, stderr, rest)
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
	case "version":
		fmt.Fprintln(stdout, "tunebench", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usagef("unknown command %q", cmd)
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
