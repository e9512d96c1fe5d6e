package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// helpRequested is what a command given -h, -help or --help returns: run
// prints the command's usage, and its flags when fs is not nil, on stdout,
// and exits 0.
type helpRequested struct {
	name string // "run", "link exec"
	fs   *flag.FlagSet
}

func (h helpRequested) Error() string { return h.name + ": help requested" }

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// newFlagSet returns the FlagSet of the command name ("run", "link run").
// It prints nothing itself: flagError turns its errors into one message
// and -h into helpRequested.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// flagError is the error of fs.Parse: helpRequested for -h, otherwise bad
// input that names the command and where its usage is.
func flagError(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return helpRequested{name: fs.Name(), fs: fs}
	}
	return usagef("%s: %v; see tunebench %s -h", fs.Name(), err, fs.Name())
}

// printHelp writes the usage of the command name and fs's flags.
func printHelp(w io.Writer, name string, fs *flag.FlagSet) error {
	text, ok := commandUsage(name)
	if !ok {
		text = "Usage: tunebench " + name + "\n"
	}
	fmt.Fprint(w, text)
	if fs == nil {
		return nil
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		out := fs.Output()
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
	return nil
}

// commandUsage returns the usage of a command: what it takes, what it
// does, an example and its exit statuses. Flags are printed from the
// FlagSet after it.
func commandUsage(name string) (string, bool) {
	switch name {
	case "run":
		return runUsage, true
	case "validate":
		return validateUsage, true
	case "compare":
		return compareUsage, true
	case "gate":
		return gateUsage, true
	case "report":
		return reportUsage, true
	case "findings":
		return findingsUsage, true
	case "merge":
		return mergeUsage, true
	case "link":
		return linkUsage, true
	case "link run":
		return linkRunUsage, true
	case "link up":
		return linkUpUsage, true
	case "link exec":
		return linkExecUsage, true
	case "link down":
		return linkDownUsage, true
	case "doctor":
		return doctorUsage, true
	case "clean":
		return cleanUsage, true
	case "serve":
		return serveUsage, true
	case "load":
		return loadUsage, true
	case "version":
		return versionUsage, true
	case "help":
		return helpUsage, true
	}
	return "", false
}

// commandNames lists every command commandUsage knows, for help's tests.
func commandNames() []string {
	return []string{"run", "validate", "compare", "gate", "report", "findings", "merge", "link", "link run", "link up",
		"link exec", "link down", "doctor", "clean", "serve", "load", "version", "help"}
}

const runUsage = `Usage: tunebench run SUITE.yaml [-o results.txt | --resume results.txt] [flags]

run measures every cell of the suite (each combination of link and knob
values), --count times each, in a random order it prints the seed of, and
writes one Go benchmark line per repetition to the results file, the
histograms to the sidecar beside it (results.txt → results.hist.jsonl;
another name gets .hist.jsonl appended: x.1 → x.1.hist.jsonl) and any
server logs to a .logs folder beside it.

SUITE.yaml may be - to read the suite from standard input; its @file
bodies are then found relative to the working directory. -o - writes the
results to standard output (the progress lines go to standard error, and
no sidecar or logs are written).

A failed repetition is written as a --- FAIL line and the run goes on.
--max-failures N lets up to N failed repetitions pass; a run in which
every repetition failed fails whatever N is. --gate checks the suite's
gates: on the results even when repetitions failed.

Example:
  sudo tunebench run scenarios/quick.yaml -o out/quick.txt
  sudo tunebench run scenarios/quick.yaml -o out/quick.txt --gate --max-failures 2

Exit status: 0 done; 1 could not run; 2 bad flags or suite, nothing run;
3 more repetitions failed than --max-failures (results written); 99 a gate
failed (--gate); 130 interrupted (complete the file with --resume).
`

const validateUsage = `Usage: tunebench validate SUITE.yaml

validate checks a suite without running it and lists its cells, with an
estimate of the load time. SUITE.yaml may be - for standard input.

Example:
  tunebench validate scenarios/quick.yaml

Exit status: 0 valid; 2 the suite has errors (each names file:line).
`

const linkUsage = `Usage: tunebench link run|up|exec|down ...

link builds the emulated path between a client host and a server host
(two network namespaces) for commands of your own:

  link run [link flags] [--server 'CMD'] -- CLIENT CMD...   one command, then tear down
  link up NAME [link flags]                                hold a path in the foreground
  link exec NAME client|server -- CMD...                   run in a held path's host
  link down NAME                                           stop a held path

Example:
  sudo tunebench link run --rtt 40ms --loss 1% -- ping -c 5 {server}

Run 'tunebench help link run' (or up, exec, down) for each one's flags.
`

const linkRunUsage = `Usage: tunebench link run [link flags] [--server 'CMD'] -- CLIENT CMD...

link run builds the path, starts --server in the server host (if given)
and waits until it listens on TCP, runs CLIENT CMD in the client host with
this terminal's stdin, stdout and stderr, prints the link's packet counts
and tears everything down. {server} and {client} in the commands are the
hosts' addresses.

Example:
  sudo tunebench link run --rtt 40ms --rate 20mbit --server 'iperf3 -s' -- iperf3 -c {server} -t 5

Exit status: the client command's own; 125 link run itself failed (bad
flags, the link or the server could not be started); 126 the command
could not be started; 127 the command was not found; 128+N the command
was killed by signal N; 130 interrupted.
`

const linkUpUsage = `Usage: tunebench link up NAME [link flags]

link up builds a path named NAME and holds it in the foreground until
Ctrl-C, SIGTERM or tunebench link down NAME; tunebench link exec runs
commands in its hosts meanwhile.

Example:
  sudo tunebench link up wan --rtt 40ms --loss 0.5%

Exit status: 0 torn down; 1 could not be built; 2 bad flags or NAME in use.
`

const linkExecUsage = `Usage: tunebench link exec NAME client|server -- CMD...

link exec runs CMD in the client or server host of the path that
tunebench link up NAME holds, with this terminal's stdio.

Example:
  sudo tunebench link exec wan client -- curl -sS http://{server}:8080/

Exit status: the command's own; 125 link exec itself failed (no such
link, bad arguments); 126 the command could not be started; 127 the
command was not found; 130 interrupted.
`

const linkDownUsage = `Usage: tunebench link down NAME

link down stops the tunebench link up that holds NAME and waits until its
namespaces are gone.

Example:
  sudo tunebench link down wan

Exit status: 0 down; 1 it could not be stopped; 2 bad arguments.
`

const doctorUsage = `Usage: tunebench doctor [--json]

doctor checks what this host can do: root, namespaces, TUN, the kernel
netem qdisc, congestion controls, and says how to fix what is missing.

Example:
  sudo tunebench doctor

Exit status: 0 tunebench can run here; 1 it cannot (the fixes are printed).
`

const cleanUsage = `Usage: tunebench clean

clean removes the namespaces and links that killed runs left behind; a
live run's are kept.

Example:
  sudo tunebench clean

Exit status: 0 clean; 1 something could not be removed.
`

const serveUsage = `Usage: tunebench serve --addr IP:PORT [flags]

serve runs the reference HTTP server; tunebench run starts it in the
server host of each cell, with the cell's knobs in its environment.

Example:
  tunebench serve --addr 127.0.0.1:8080

Exit status: 0 stopped by a signal; 1 could not listen; 2 bad flags.
`

const loadUsage = `Usage: tunebench load

load is the load agent: tunebench run starts it in the client host of each
cell and sends it the cell's load as JSON on standard input; it answers
with the measured samples on standard output. It is not meant to be run
by hand.

Example:
  (started by tunebench run)

Exit status: 0 done; 1 the load could not be driven; 2 bad flags or input.
`

const versionUsage = `Usage: tunebench version (or tunebench --version)

version prints the version of this binary: the one the build set, else
the module version or the VCS revision that the go command recorded
(devel+REVISION, -dirty for a modified tree). Results headers carry it and
--resume requires the same.

Example:
  tunebench --version
`

const helpUsage = `Usage: tunebench help [COMMAND]

help prints the usage of tunebench, or of COMMAND (link commands as
"link run"), as COMMAND -h and COMMAND --help do.

Example:
  tunebench help gate
`
