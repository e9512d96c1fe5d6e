package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/scenarios"
)

// linkFlags are the flags that describe a link; each direction may be
// overridden with --up-X / --down-X.
type linkFlags struct {
	rtt, jitter, dist, loss, gemodel, rate, queue, overhead string
	reorder                                                 bool
	mtu                                                     int
	seed                                                    uint64
	up, down                                                dirFlags
	backend                                                 string
}

type dirFlags struct{ delay, jitter, loss, rate, queue string }

func (f *linkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.rtt, "rtt", "0", "round-trip `time`, split evenly between the directions (e.g. 40ms)")
	fs.StringVar(&f.jitter, "jitter", "0", "jitter of each one-way delay (uniform ±, or the σ of --distribution normal)")
	fs.StringVar(&f.dist, "distribution", "uniform", "jitter distribution: uniform or normal")
	fs.BoolVar(&f.reorder, "reorder", false, "let jitter reorder packets (by default they keep their order)")
	fs.StringVar(&f.loss, "loss", "0%", "random loss per direction (e.g. 1%)")
	fs.StringVar(&f.gemodel, "gemodel", "", "Gilbert-Elliott burst loss `p,r,1-h,1-k` as percentages (e.g. 1%,30%,100%,0%)")
	fs.StringVar(&f.rate, "rate", "", "bottleneck rate per direction (e.g. 100mbit); none means unlimited")
	fs.StringVar(&f.queue, "queue", "", "drop-tail queue behind the rate: packets (1000) or bytes (64kb)")
	fs.StringVar(&f.overhead, "overhead", "0", "bytes added to each packet for serialization (e.g. 38 for Ethernet framing)")
	fs.IntVar(&f.mtu, "mtu", netem.DefaultMTU, "path MTU (576 to 9000)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of loss and jitter, so that a run repeats exactly")
	for _, d := range []struct {
		name string
		v    *dirFlags
	}{{"up", &f.up}, {"down", &f.down}} {
		fs.StringVar(&d.v.delay, d.name+"-delay", "", "one-way delay of the "+d.name+"link only (overrides --rtt)")
		fs.StringVar(&d.v.jitter, d.name+"-jitter", "", "jitter of the "+d.name+"link only")
		fs.StringVar(&d.v.loss, d.name+"-loss", "", "loss of the "+d.name+"link only")
		fs.StringVar(&d.v.rate, d.name+"-rate", "", "rate of the "+d.name+"link only")
		fs.StringVar(&d.v.queue, d.name+"-queue", "", "queue of the "+d.name+"link only")
	}
	fs.StringVar(&f.backend, "backend", netem.BackendAuto, "link emulator: auto, tun (userspace) or netem (kernel qdisc)")
}

// link builds the link, naming the flag at fault.
func (f *linkFlags) link() (netem.Link, error) {
	var d netem.Direction
	rtt, err := scenarios.ParseDuration(f.rtt)
	if err != nil {
		return netem.Link{}, usagef("--rtt: %v", err)
	}
	if rtt < 0 {
		return netem.Link{}, usagef("--rtt %v: negative; give 0 or more", rtt)
	}
	if d.Jitter, err = scenarios.ParseDuration(f.jitter); err != nil {
		return netem.Link{}, usagef("--jitter: %v", err)
	}
	d.Distribution = netem.Distribution(f.dist)
	d.Reorder = f.reorder
	if d.Loss, err = scenarios.ParsePercent(f.loss); err != nil {
		return netem.Link{}, usagef("--loss: %v", err)
	}
	if f.gemodel != "" {
		parts := strings.Split(f.gemodel, ",")
		if len(parts) != 4 {
			return netem.Link{}, usagef("--gemodel %q: give four percentages p,r,1-h,1-k (e.g. 1%%,30%%,100%%,0%%)", f.gemodel)
		}
		var v [4]float64
		for i, p := range parts {
			if v[i], err = scenarios.ParsePercent(p); err != nil {
				return netem.Link{}, usagef("--gemodel: %v", err)
			}
		}
		d.GE = netem.GilbertElliott{P: v[0], R: v[1], OneH: v[2], OneK: v[3], Enable: true}
	}
	if f.rate != "" {
		if d.Rate, err = scenarios.ParseRate(f.rate); err != nil {
			return netem.Link{}, usagef("--rate: %v", err)
		}
	}
	if err := parseQueue(f.queue, &d); err != nil {
		return netem.Link{}, usagef("--queue: %v", err)
	}
	if d.Overhead, err = strconv.Atoi(f.overhead); err != nil {
		return netem.Link{}, usagef("--overhead %q: give a number of bytes", f.overhead)
	}
	l := netem.Symmetric(rtt, d)
	l.MTU, l.Seed = f.mtu, f.seed
	for _, x := range []struct {
		name string
		f    dirFlags
		d    *netem.Direction
	}{{"up", f.up, &l.Up}, {"down", f.down, &l.Down}} {
		if err := x.f.apply(x.name, x.d); err != nil {
			return netem.Link{}, err
		}
	}
	if err := l.Validate(); err != nil {
		return netem.Link{}, usagef("link: %v", err)
	}
	return l, nil
}

func (f dirFlags) apply(name string, d *netem.Direction) error {
	var err error
	if f.delay != "" {
		if d.Delay, err = scenarios.ParseDuration(f.delay); err != nil {
			return usagef("--%s-delay: %v", name, err)
		}
	}
	if f.jitter != "" {
		if d.Jitter, err = scenarios.ParseDuration(f.jitter); err != nil {
			return usagef("--%s-jitter: %v", name, err)
		}
	}
	if f.loss != "" {
		if d.Loss, err = scenarios.ParsePercent(f.loss); err != nil {
			return usagef("--%s-loss: %v", name, err)
		}
	}
	if f.rate != "" {
		if d.Rate, err = scenarios.ParseRate(f.rate); err != nil {
			return usagef("--%s-rate: %v", name, err)
		}
	}
	if err := parseQueue(f.queue, d); err != nil {
		return usagef("--%s-queue: %v", name, err)
	}
	return nil
}

func parseQueue(s string, d *netem.Direction) error {
	if s == "" {
		return nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		d.QueuePackets, d.QueueBytes = n, 0
		return nil
	}
	n, err := scenarios.ParseBytes(s)
	if err != nil {
		return fmt.Errorf("%q: give packets (1000) or bytes (64kb)", s)
	}
	d.QueuePackets, d.QueueBytes = 0, int(n)
	return nil
}

func cmdLink(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		return usagef("link: give run, up, exec or down; see tunebench help link")
	}
	switch args[0] {
	case "run":
		return ownFailure(linkRun(ctx, stderr, args[1:]))
	case "up":
		return linkUp(ctx, stdout, stderr, args[1:])
	case "exec":
		return ownFailure(linkExec(ctx, args[1:]))
	case "down":
		return linkDown(stdout, args[1:])
	case "-h", "-help", "--help":
		return helpRequested{name: "link"}
	}
	return usagef("link %s: unknown; give run, up, exec or down", args[0])
}

// ownFailure gives link run's and link exec's own failures (bad flags, a
// link that cannot be built) exitLinkFailed, so that they are never taken
// for the client command's status, which passes through as it is.
func ownFailure(err error) error {
	var st exitStatus
	var ce codedError
	var h helpRequested
	if err == nil || errors.As(err, &st) || errors.As(err, &ce) || errors.As(err, &h) {
		return err
	}
	return codedError{exitLinkFailed, err}
}

// startFailure is the status of a client command that could not be
// started: exitNotFound when it does not exist, exitCannotInvoke when it
// is not executable, as a shell says; 0 for other errors (the namespace).
func startFailure(err error) int {
	var ee *exec.Error
	var pe *fs.PathError
	switch {
	case errors.As(err, &ee) && errors.Is(ee.Err, exec.ErrNotFound):
		return exitNotFound
	case errors.As(err, &ee):
		return exitCannotInvoke
	case errors.As(err, &pe) && pe.Op == "fork/exec" && errors.Is(pe.Err, fs.ErrNotExist):
		return exitNotFound
	case errors.As(err, &pe) && pe.Op == "fork/exec":
		return exitCannotInvoke
	}
	return 0
}

func up(ctx context.Context, stderr io.Writer, name string, f *linkFlags, quiet bool) (*netem.Topology, error) {
	l, err := f.link()
	if err != nil {
		return nil, err
	}
	if _, err := netem.ChooseBackend(f.backend); err != nil {
		return nil, usagef("--backend: %v", err)
	}
	if err := needRoot("link"); err != nil {
		return nil, err
	}
	_, _ = netem.Sweep() // leftovers of dead runs only
	topo, err := netem.Up(ctx, netem.Config{Name: name, Link: l, Backend: f.backend})
	if err != nil {
		return nil, err
	}
	if !quiet {
		fmt.Fprintf(stderr, "tunebench: link up in %v: backend %s (%s); client %s ↔ server %s; %s\n",
			topo.Setup.Round(time.Millisecond), topo.Backend.Backend, topo.Backend.Reason, netem.ClientAddr, netem.ServerAddr, l)
	}
	return topo, nil
}

func linkRun(ctx context.Context, stderr io.Writer, args []string) error {
	fs := newFlagSet("link run")
	var f linkFlags
	f.register(fs)
	server := fs.String("server", "", "shell `command` to run in the server host first ({server} is its address)")
	wait := fs.Duration("server-wait", 5*time.Second, "how long to wait for the server to listen on TCP before going on")
	quiet := fs.Bool("quiet", false, "print nothing of tunebench's own")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return usagef("link run: give the client command after --, e.g. tunebench link run --rtt 40ms -- ping -c 3 {server}")
	}
	topo, err := up(ctx, stderr, "run", &f, *quiet)
	if err != nil {
		return err
	}
	defer func() {
		if !*quiet {
			printStats(stderr, topo.Stats())
		}
		topo.Close()
	}()
	if *server != "" {
		cmd := exec.Command("/bin/sh", "-c", substitute(*server))
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := topo.Server.NS.Start(cmd); err != nil {
			return err
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		defer netem.Stop(cmd, exited, 2*time.Second)
		if _, err := netem.WaitListening(ctx, cmd.Process.Pid, exited, *wait); err != nil {
			return fmt.Errorf("link run: server %q: %w", *server, err)
		}
	}
	return runIn(ctx, topo.Client.NS, argv)
}

// runIn runs argv in the namespace with this process's stdio and returns
// its exit status as an exitStatus.
func runIn(ctx context.Context, ns *netem.Namespace, argv []string) error {
	for i := range argv {
		argv[i] = substitute(argv[i])
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if cmd.Err != nil { // not found, or not executable
		return codedError{startFailure(cmd.Err), fmt.Errorf("%s: %w", argv[0], cmd.Err)}
	}
	if err := ns.Start(cmd); err != nil {
		if code := startFailure(err); code != 0 {
			return codedError{code, err}
		}
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return childStatus(err)
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		return exitStatus(130)
	}
}

func childStatus(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return exitStatus(128 + int(ws.Signal()))
		}
		return exitStatus(ee.ExitCode())
	}
	return err
}

func printStats(w io.Writer, s netem.Stats) {
	for _, d := range []struct {
		name string
		s    netem.DirStats
	}{{"uplink", s.Up}, {"downlink", s.Down}} {
		fmt.Fprintf(w, "tunebench: %s: %d packets, %d bytes; %s\n",
			d.name, d.s.Packets, d.s.Bytes, d.s.DropString())
	}
}

func linkUp(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("link up")
	var f linkFlags
	f.register(fs)
	if len(args) > 0 && isHelp(args[0]) {
		return helpRequested{name: "link up", fs: fs}
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usagef("link up: give a NAME first, e.g. tunebench link up wan --rtt 40ms")
	}
	name := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return flagError(fs, err)
	}
	if fs.NArg() > 0 {
		return usagef("link up: unexpected %q", fs.Arg(0))
	}
	if _, _, _, err := netem.FindNamed(name); err == nil {
		return usagef("link up: a link named %s is already up; take it down with tunebench link down %s", name, name)
	}
	topo, err := up(ctx, stderr, name, &f, false)
	if err != nil {
		return err
	}
	defer topo.Close()
	fmt.Fprintf(stdout, "link %s is up: client %s (%s), server %s (%s)\n", name,
		netem.ClientAddr, topo.Client.NS.Path(), netem.ServerAddr, topo.Server.NS.Path())
	fmt.Fprintf(stdout, "use: tunebench link exec %s client|server -- CMD; stop with Ctrl-C or tunebench link down %s\n", name, name)
	<-ctx.Done()
	printStats(stderr, topo.Stats())
	return nil
}

func linkExec(ctx context.Context, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		return helpRequested{name: "link exec"}
	}
	if len(args) < 2 {
		return usagef("link exec: give NAME, client or server, then -- CMD")
	}
	name, side := args[0], args[1]
	argv := args[2:]
	if len(argv) > 0 && argv[0] == "--" {
		argv = argv[1:]
	}
	if len(argv) == 0 {
		return usagef("link exec: give the command after --")
	}
	if side != "client" && side != "server" {
		return usagef("link exec: %q: give client or server", side)
	}
	if err := needRoot("link exec"); err != nil {
		return err
	}
	_, c, s, err := netem.FindNamed(name)
	if err != nil {
		return err
	}
	nsName := c
	if side == "server" {
		nsName = s
	}
	ns, err := netem.OpenNamespace(nsName)
	if err != nil {
		return err
	}
	defer ns.Close()
	return runIn(ctx, ns, argv)
}

func linkDown(stdout io.Writer, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		return helpRequested{name: "link down"}
	}
	if len(args) != 1 {
		return usagef("link down: give the NAME of a link that tunebench link up holds")
	}
	if err := needRoot("link down"); err != nil {
		return err
	}
	owner, _, _, err := netem.FindNamed(args[0])
	if err != nil {
		if owner != 0 { // owner gone: sweep
			_, serr := netem.Sweep()
			return serr
		}
		return err
	}
	// The owner is a `tunebench link up` (the name says so): ask it to
	// tear down, as Ctrl-C would, and wait until it has.
	if err := syscall.Kill(owner, syscall.SIGTERM); err != nil {
		return fmt.Errorf("link down: signalling pid %d: %w", owner, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, _, _, err := netem.FindNamed(args[0]); err != nil {
			fmt.Fprintf(stdout, "link %s is down\n", args[0])
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("link down: %s is still up after 10s (pid %d)", args[0], owner)
}
