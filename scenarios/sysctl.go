package scenarios

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Sysctls are set in both hosts of a cell, never in the host running
// tunebench. A suite sets them two ways:
//
//	sysctl: {net.core.somaxconn: 4096, net.ipv4.tcp_rmem: "4096 131072 6291456"}
//	matrix:
//	  sysctl.net.ipv4.tcp_slow_start_after_idle: [0, 1]
//
// The first fixes them for every cell; the second is a knob that varies
// one, and names cells ".../sysctl.net.ipv4.tcp_slow_start_after_idle=0".
// A cell name cannot hold spaces, so a matrix value writes them as commas
// ("4096,131072,6291456"); the runner writes spaces.
//
// Only net.* sysctls are accepted here: the parser checks the key's shape
// and nothing else, since parsing has no side effects (no scratch
// namespace, no system call). Whether the key is scoped to a network
// namespace is the runner's check, made before any cell is measured:
// global ones, such as net.core.netdev_max_backlog (absent from a child
// namespace) or net.ipv4.tcp_allowed_congestion_control (read-only there),
// fail their cells with the reason.

// SysctlKnobPrefix starts a matrix knob that varies one sysctl.
const SysctlKnobPrefix = "sysctl."

var (
	sysctlNameRE  = regexp.MustCompile(`^net(\.[A-Za-z0-9_-]+)+$`)
	sysctlValueRE = regexp.MustCompile(`^[A-Za-z0-9.,:_-]+$`)
)

// lookup finds a knob by name: one of the table, or a sysctl.* knob.
func (ix knobIndex) lookup(name string) (KnobInfo, bool) {
	if k, ok := ix.byName[name]; ok {
		return k, true
	}
	if key, ok := strings.CutPrefix(name, SysctlKnobPrefix); ok && sysctlNameRE.MatchString(key) {
		return KnobInfo{Name: name, Free: true, Doc: "the sysctl " + key + " in both hosts"}, true
	}
	return KnobInfo{}, false
}

// freeValue checks a sysctl knob's value, which becomes part of a cell
// name: no spaces (commas stand for them) and no '/' or '='.
func freeValue(name, v string) (string, error) {
	if !sysctlValueRE.MatchString(v) {
		return "", fmt.Errorf("%q is not a value of %s; give letters, digits, '.', '-', '_' or ':', with commas for spaces (e.g. 4096,131072,6291456)", v, name)
	}
	return v, nil
}

// sysctlProblem says why key is not a network sysctl's name, or "". It is
// a pure check of the name's shape; the runner checks the namespace scope.
func sysctlProblem(key string) string {
	if !sysctlNameRE.MatchString(key) {
		return fmt.Sprintf("%q is not a network sysctl; only net.* sysctls belong to a network namespace (e.g. net.core.somaxconn)", key)
	}
	return ""
}

// sysctls reads the suite's sysctl: map.
func (p *parser) sysctls(v *yaml.Node) map[string]string {
	es, ok := p.entries(v, "sysctl", "a mapping of sysctl to value, e.g. {net.core.somaxconn: 4096}")
	if !ok {
		return nil
	}
	m := make(map[string]string, len(es))
	for _, e := range es {
		path := join("sysctl", e.key)
		val, ok := p.scalar(e.v, path, "one value, e.g. 4096")
		if !ok {
			continue
		}
		if msg := sysctlProblem(e.key); msg != "" {
			p.add(e.k.Line, path, "%s", msg)
			continue
		}
		m[e.key] = val
	}
	return m
}
