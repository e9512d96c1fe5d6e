// Package hostsnap takes a read-only snapshot of the host's network state:
// the named network namespaces, the links, addresses, routes and rules of
// the namespace it runs in, and every value under /proc/sys/net. Tests take
// one before and one after tunebench runs and compare them, to show that a
// run, a failed run and an interrupted run leave the host as they found it.
//
// It only reads. Nothing in it writes a sysctl, a route or a link.
package hostsnap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// A Snapshot is the host's network state as sorted "kind key = value"
// lines.
type Snapshot struct {
	Lines []string
}

// Options narrow what a snapshot holds.
type Options struct {
	// SkipNamespace, if not nil, leaves out a named namespace under
	// /run/netns for which it returns true: another run's, which lives on
	// its own schedule.
	SkipNamespace func(name string) bool
	// Volatile lists /proc/sys/net paths, relative to /proc/sys/net and
	// with '/', whose values change by themselves (counters); their values
	// are left out, their presence kept.
	Volatile []string
}

// DefaultVolatile are the /proc/sys/net entries that are counters of the
// kernel's own activity rather than settings.
var DefaultVolatile = []string{
	"netfilter/nf_conntrack_count",
}

// Take reads the state of the network namespace the calling thread is in
// (call it from the host's) and the names under /run/netns.
func Take(o Options) (*Snapshot, error) {
	var lines []string
	add := func(kind, key, value string) { lines = append(lines, kind+" "+key+" = "+value) }

	entries, err := os.ReadDir("/run/netns")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("hostsnap: %w", err)
	}
	for _, e := range entries {
		if o.SkipNamespace != nil && o.SkipNamespace(e.Name()) {
			continue
		}
		add("netns", e.Name(), "present")
	}

	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("hostsnap: links: %w", err)
	}
	names := make(map[int]string)
	for _, l := range links {
		a := l.Attrs()
		names[a.Index] = a.Name
	}
	for _, l := range links {
		a := l.Attrs()
		add("link", a.Name, fmt.Sprintf("type=%s flags=%v mtu=%d hw=%s master=%s txq=%d alias=%q", l.Type(), a.Flags, a.MTU, a.HardwareAddr, names[a.MasterIndex], a.TxQLen, a.Alias))
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return nil, fmt.Errorf("hostsnap: addresses of %s: %w", a.Name, err)
		}
		for _, ad := range addrs {
			add("addr", a.Name+" "+ad.IPNet.String(), fmt.Sprintf("scope=%d flags=%d label=%q peer=%v broadcast=%v", ad.Scope, ad.Flags, ad.Label, ad.Peer, ad.Broadcast))
		}
	}

	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("hostsnap: routes: %w", err)
	}
	for _, r := range routes {
		if r.Flags&unix.RTM_F_CLONED != 0 {
			continue // the route cache, which traffic fills
		}
		key := fmt.Sprintf("table=%d dst=%v dev=%s prio=%d", r.Table, r.Dst, names[r.LinkIndex], r.Priority)
		add("route", key, fmt.Sprintf("gw=%v src=%v proto=%d scope=%d type=%d metrics=%d/%d/%d/%d/%s", r.Gw, r.Src, r.Protocol, r.Scope, r.Type, r.MTU, r.AdvMSS, r.InitCwnd, r.InitRwnd, r.Congctl))
	}
	rules, err := netlink.RuleList(netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("hostsnap: rules: %w", err)
	}
	for _, r := range rules {
		add("rule", fmt.Sprintf("family=%d prio=%d table=%d", r.Family, r.Priority, r.Table), fmt.Sprintf("src=%v dst=%v mark=%d iif=%s oif=%s", r.Src, r.Dst, r.Mark, r.IifName, r.OifName))
	}

	volatile := make(map[string]bool)
	for _, v := range o.Volatile {
		volatile[v] = true
	}
	root := "/proc/sys/net"
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			add("sysctl", path, "walk error "+err.Error())
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel := strings.TrimPrefix(path, root+"/")
		info, err := d.Info()
		if err != nil {
			return nil // gone while walking: an interface that went away shows in links
		}
		if info.Mode().Perm()&0o444 == 0 {
			add("sysctl", rel, "(write-only)")
			return nil
		}
		if volatile[rel] {
			add("sysctl", rel, "(volatile)")
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			var en unix.Errno
			if errors.As(err, &en) {
				add("sysctl", rel, "error "+en.Error())
			} else {
				add("sysctl", rel, "error")
			}
			return nil
		}
		add("sysctl", rel, strings.Join(strings.Fields(string(b)), " "))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hostsnap: %w", err)
	}
	sort.Strings(lines)
	return &Snapshot{Lines: lines}, nil
}

// Diff returns what differs between a and b, as "- line" (only in a) and
// "+ line" (only in b); nil when they are the same.
func Diff(a, b *Snapshot) []string {
	in := func(s *Snapshot) map[string]bool {
		m := make(map[string]bool, len(s.Lines))
		for _, l := range s.Lines {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range a.Lines {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b.Lines {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return out
}
