package netem

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Prefix starts the name of every namespace tunebench creates. The owning
// process's PID follows it, so leftovers of a dead run can be found.
const Prefix = "tb-"

// Config is the wanted state of a topology. The zero value is a perfect
// link on the auto backend with a generated name.
type Config struct {
	// Name tells this topology apart from the others of the same process;
	// empty gives a sequence number. Lowercase letters, digits and '-'.
	Name    string
	Link    Link
	Backend string // auto, tun or netem; auto probes (see ChooseBackend)
}

// Topology is a client host and a server host joined by an emulated link.
type Topology struct {
	Name           string
	Client, Server *Host
	Link           Link
	Backend        Choice
	Setup          time.Duration // how long Up took

	path path
	mu   sync.Mutex
	undo []func() error // guarded by mu; run last-in first-out by Close
}

var (
	seq       atomic.Uint64
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,23}$`)
	leftRE    = regexp.MustCompile(`^tb-([0-9]+)-(.+)-[cs]$`)
	backendMu sync.Mutex
	probed    map[string]Choice // auto's outcome, probed once per process
)

// NamespaceNames returns the client and server namespace names that a
// topology called name gets in this process.
func NamespaceNames(name string) (client, server string) {
	base := fmt.Sprintf("%s%d-%s", Prefix, os.Getpid(), name)
	return base + "-c", base + "-s"
}

// Up builds the topology. On error nothing of it is left; on success the
// caller must Close it, which removes everything it created.
func Up(ctx context.Context, cfg Config) (t *Topology, err error) {
	start := time.Now()
	if err := cfg.Link.Validate(); err != nil {
		return nil, fmt.Errorf("netem: link: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = strconv.FormatUint(seq.Add(1), 10)
	}
	if !nameRE.MatchString(name) {
		return nil, fmt.Errorf("netem: topology name %q: use 1 to 24 lowercase letters, digits or '-'", name)
	}
	choice, err := chooseCached(cfg.Backend)
	if err != nil {
		return nil, err
	}
	t = &Topology{Name: name, Link: cfg.Link, Backend: choice}
	defer func() {
		if err != nil {
			err = errors.Join(err, t.Close())
			t = nil
		}
	}()
	cname, sname := NamespaceNames(name)
	cns, undo, err := createNamespace(cname)
	if err != nil {
		return t, inStep(StepNamespace, err)
	}
	t.push(undo)
	t.Client = &Host{NS: cns, Addr: ClientAddr}
	sns, undo, err := createNamespace(sname)
	if err != nil {
		return t, inStep(StepNamespace, err)
	}
	t.push(undo)
	t.Server = &Host{NS: sns, Addr: ServerAddr}
	if err := ctx.Err(); err != nil {
		return t, err
	}
	for _, h := range []*Host{t.Client, t.Server} {
		// Router solicitations and the like would cross the emulated link
		// and be counted as traffic; the path is IPv4 only.
		_ = h.NS.SetSysctl("net.ipv6.conf.all.disable_ipv6", "1")
		_ = h.NS.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1")
	}
	p, err := backendFor(choice.Backend).connect(t.Client, t.Server, cfg.Link)
	if err != nil {
		return t, err
	}
	t.path = p
	t.push(p.Close)
	t.Setup = time.Since(start)
	return t, nil
}

func chooseCached(name string) (Choice, error) {
	if name != BackendAuto && name != "" {
		return ChooseBackend(name)
	}
	backendMu.Lock()
	defer backendMu.Unlock()
	if c, ok := probed[BackendAuto]; ok {
		return c, nil
	}
	c, err := ChooseBackend(BackendAuto)
	if err != nil {
		return c, err
	}
	if probed == nil {
		probed = map[string]Choice{}
	}
	probed[BackendAuto] = c
	return c, nil
}

func (t *Topology) push(undo func() error) {
	t.mu.Lock()
	t.undo = append(t.undo, undo)
	t.mu.Unlock()
}

// Stats reports what the link has done so far.
func (t *Topology) Stats() Stats {
	if t.path == nil {
		return Stats{}
	}
	return t.path.Stats()
}

// Close tears the topology down: emulator, processes, namespaces. It is
// safe to call twice and from a signal handler's goroutine.
func (t *Topology) Close() error {
	t.mu.Lock()
	undo := t.undo
	t.undo = nil
	t.mu.Unlock()
	var errs []error
	for i := len(undo) - 1; i >= 0; i-- {
		if err := undo[i](); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
