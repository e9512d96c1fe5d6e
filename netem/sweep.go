package netem

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Leftover is a namespace of tunebench's whose owner may be gone.
type Leftover struct {
	Name  string
	Owner int  // PID in the name
	Live  bool // the owner still runs: never swept
}

// Leftovers lists tunebench's namespaces and whether their owners live.
func Leftovers() ([]Leftover, error) {
	entries, err := os.ReadDir(NamespaceDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netem: listing %s: %w", NamespaceDir, err)
	}
	var out []Leftover
	for _, e := range entries {
		m := leftRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		info, err := e.Info()
		var created time.Time
		if err == nil {
			created = info.ModTime()
		}
		out = append(out, Leftover{Name: e.Name(), Owner: pid, Live: ownerLive(pid, created)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ownerLive reports whether pid still runs and is the process that made a
// namespace at created: a PID reused by a process started later is not.
func ownerLive(pid int, created time.Time) bool {
	if pid == os.Getpid() {
		return true
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	start, ok := processStart(pid)
	if !ok || created.IsZero() {
		return true // cannot tell: keep it
	}
	return !start.After(created.Add(time.Second))
}

// processStart reads when pid started, from /proc/PID/stat and the boot
// time.
func processStart(pid int) (time.Time, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return time.Time{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return time.Time{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22: starttime
	if err != nil {
		return time.Time{}, false
	}
	var info unix.Sysinfo_t
	if unix.Sysinfo(&info) != nil {
		return time.Time{}, false
	}
	boot := time.Now().Add(-time.Duration(info.Uptime) * time.Second)
	return boot.Add(time.Duration(ticks) * time.Second / 100), true // USER_HZ is 100 on Linux
}

// Sweep removes the namespaces (and the processes inside them) of owners
// that are gone, never those of a live run. It returns what it removed.
func Sweep() ([]string, error) {
	left, err := Leftovers()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, l := range left {
		if l.Live {
			continue
		}
		path := filepath.Join(NamespaceDir, l.Name)
		if err := errors.Join(killInNamespace(path), unmountNamespace(l.Name)); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, l.Name)
	}
	return removed, errors.Join(errs...)
}

// FindNamed finds the live topology that `tunebench link up NAME` holds,
// returning its owner's PID and its two namespaces.
func FindNamed(name string) (owner int, client, server string, err error) {
	left, err := Leftovers()
	if err != nil {
		return 0, "", "", err
	}
	for _, l := range left {
		m := leftRE.FindStringSubmatch(l.Name)
		if m == nil || m[2] != name {
			continue
		}
		if !l.Live {
			return l.Owner, "", "", fmt.Errorf("netem: link %s: its owner (pid %d) is gone; run tunebench clean", name, l.Owner)
		}
		base := strings.TrimSuffix(strings.TrimSuffix(l.Name, "-c"), "-s")
		return l.Owner, base + "-c", base + "-s", nil
	}
	return 0, "", "", fmt.Errorf("netem: no link named %s is up; start one with tunebench link up %s", name, name)
}

// SweepOwn removes this process's own namespaces at once, for a second
// interrupt that cannot wait for an orderly teardown.
func SweepOwn() []string {
	left, _ := Leftovers()
	var removed []string
	for _, l := range left {
		if l.Owner == os.Getpid() {
			path := filepath.Join(NamespaceDir, l.Name)
			if errors.Join(killInNamespace(path), unmountNamespace(l.Name)) == nil {
				removed = append(removed, l.Name)
			}
		}
	}
	return removed
}
