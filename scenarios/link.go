package scenarios

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Link is one emulated path, as written in the suite. Its settings apply
// to both directions (each direction gets half of RTT as its one-way delay)
// unless Up or Down override them. The zero value of a setting means unset:
// no delay, no loss, no rate limit.
type Link struct {
	Name   string
	RTT    time.Duration // round trip, split evenly between the directions
	Jitter time.Duration // per direction; at most RTT/2
	// Distribution is the shape of the jitter: "uniform" (the default) or
	// "normal" (Jitter is then the standard deviation).
	Distribution string
	// Reorder lets jittered packets overtake one another, as netem does by
	// default; without it packets keep their order, as on most real paths.
	Reorder bool
	Loss    float64 // random loss per packet and direction, fraction 0..1
	Rate    uint64  // bottleneck in bit/s; 0 is unlimited
	// Queue and QueueBytes bound the bottleneck's buffer in packets or
	// bytes (at most one is set; both need Rate). Both zero: the emulator's
	// default.
	Queue      int
	QueueBytes int
	MTU        int        // 0 is the default, 1500
	Up, Down   *Direction // overrides for client→server and server→client
	Seed       uint64     // seeds loss and jitter, so a run can be repeated
	Line       int        // line in the file; 0 for a Link built in code
}

// DefaultMTU is the path MTU when a link leaves it unset.
const DefaultMTU = 1500

// Uplink returns the client→server direction in effect: the link's
// settings, half of RTT as the delay, and Up's overrides.
func (l Link) Uplink() Direction { return l.direction(l.Up) }

// Downlink returns the server→client direction in effect.
func (l Link) Downlink() Direction { return l.direction(l.Down) }

func (l Link) direction(o *Direction) Direction {
	d := Direction{Delay: l.RTT / 2, Jitter: l.Jitter, Loss: l.Loss, Rate: l.Rate, Queue: l.Queue, QueueBytes: l.QueueBytes}
	if o == nil {
		return d
	}
	if o.Delay != 0 {
		d.Delay = o.Delay
	}
	if o.Jitter != 0 {
		d.Jitter = o.Jitter
	}
	if o.Loss != 0 {
		d.Loss = o.Loss
	}
	if o.Rate != 0 {
		d.Rate = o.Rate
	}
	if o.Queue != 0 || o.QueueBytes != 0 {
		d.Queue, d.QueueBytes = o.Queue, o.QueueBytes
	}
	return d
}

// PathMTU is the MTU the link uses.
func (l Link) PathMTU() int {
	if l.MTU == 0 {
		return DefaultMTU
	}
	return l.MTU
}

// String describes the link compactly for result headers, as
// "rtt=40ms jitter=1ms loss=0.1%", listing only what is set.
func (l Link) String() string {
	w := words{"rtt=" + l.RTT.String()}
	if l.Jitter > 0 {
		w.add("jitter=" + l.Jitter.String())
	}
	if l.Distribution == "normal" {
		w.add("dist=normal")
	}
	if l.Reorder {
		w.add("reorder")
	}
	w.impairment(l.Loss, l.Rate, l.Queue, l.QueueBytes)
	if l.MTU != 0 && l.MTU != DefaultMTU {
		w.add("mtu=" + strconv.Itoa(l.MTU))
	}
	if l.Up != nil {
		w.add("up{" + l.Up.String() + "}")
	}
	if l.Down != nil {
		w.add("down{" + l.Down.String() + "}")
	}
	if l.Seed != 0 {
		w.add("seed=" + strconv.FormatUint(l.Seed, 10))
	}
	return strings.Join(w, " ")
}

// String describes the settings of the direction that are set, as
// "delay=20ms loss=1%".
func (d Direction) String() string {
	var w words
	if d.Delay != 0 {
		w.add("delay=" + d.Delay.String())
	}
	if d.Jitter != 0 {
		w.add("jitter=" + d.Jitter.String())
	}
	w.impairment(d.Loss, d.Rate, d.Queue, d.QueueBytes)
	return strings.Join(w, " ")
}

type words []string

func (w *words) add(s string) { *w = append(*w, s) }

func (w *words) impairment(loss float64, rate uint64, queue, queueBytes int) {
	if loss > 0 {
		w.add("loss=" + formatPercent(loss))
	}
	if rate > 0 {
		w.add("rate=" + formatRate(rate))
	}
	if queue > 0 {
		w.add("queue=" + strconv.Itoa(queue))
	}
	if queueBytes > 0 {
		w.add("queue=" + formatBytes(queueBytes))
	}
}

// Limits of the link settings. Beyond them a setting is a typo, not a path.
const (
	maxDelay   = 10 * time.Second
	minRate    = 8_000           // bit/s
	maxRate    = 400_000_000_000 // bit/s
	maxQueue   = 1_000_000       // packets
	maxQBytes  = 1 << 30
	minMTU     = 576
	maxMTU     = 9000
	maxNameLen = 20
)

// link reads one link. Every setting is checked alone as it is read; the
// settings that constrain one another are checked after, in checkLink.
func (p *parser) link(n *yaml.Node, path string) (Link, bool) {
	before := p.count
	fs, ok := p.fields(n, path, "a mapping of link settings, e.g. {name: lan, rtt: 2ms}",
		[]string{"name", "rtt", "jitter", "distribution", "reorder", "loss", "rate", "queue", "queue_bytes", "mtu", "up", "down", "seed"},
		map[string]string{
			"delay":     "a link takes rtt (the round trip); a one-way delay goes under up: or down:",
			"bandwidth": "the bandwidth is rate, e.g. rate: 100mbit",
		})
	if !ok {
		return Link{}, false
	}
	l := Link{Line: n.Line, Distribution: "uniform"}
	lines := make(map[string]int) // line of each setting, by its key within the link
	for k, e := range fs {
		lines[k] = e.k.Line
	}
	if e, ok := fs["name"]; ok {
		l.Name = p.linkName(e.v, join(path, "name"))
	} else {
		p.add(n.Line, join(path, "name"), "missing; name the link, e.g. name: wan40 (it labels the results as link=wan40)")
	}
	if e, ok := fs["rtt"]; ok {
		l.RTT, _ = p.duration(e.v, join(path, "rtt"), false, maxDelay, "no real path is that slow; give at most 10s")
	}
	if e, ok := fs["distribution"]; ok {
		if s, ok := p.scalar(e.v, join(path, "distribution"), "uniform or normal"); ok {
			if s != "uniform" && s != "normal" {
				p.add(e.v.Line, join(path, "distribution"), "%q is not a distribution; give uniform or normal", s)
			}
			l.Distribution = s
		}
	}
	if e, ok := fs["reorder"]; ok {
		l.Reorder, _ = p.boolean(e.v, join(path, "reorder"))
	}
	if e, ok := fs["mtu"]; ok {
		if m, ok := p.integer(e.v, join(path, "mtu"), minMTU, maxMTU, "an MTU from 576 to 9000 (1500 is Ethernet, 9000 jumbo frames)"); ok {
			l.MTU = int(m)
		}
	}
	if e, ok := fs["seed"]; ok {
		if s, ok := p.scalar(e.v, join(path, "seed"), "a whole number from 0 to 18446744073709551615"); ok {
			seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
			if err != nil {
				p.add(e.v.Line, join(path, "seed"), "%q is not a seed; give a whole number from 0 to 18446744073709551615", s)
			}
			l.Seed = seed
		}
	}
	var base Direction
	p.impairment(fs, path, &base, false)
	l.Jitter, l.Loss, l.Rate, l.Queue, l.QueueBytes = base.Jitter, base.Loss, base.Rate, base.Queue, base.QueueBytes
	for _, dir := range []string{"up", "down"} {
		e, ok := fs[dir]
		if !ok {
			continue
		}
		dpath := join(path, dir)
		dfs, ok := p.fields(e.v, dpath, "a mapping of settings for one direction, e.g. {delay: 20ms, loss: 1%}",
			[]string{"delay", "jitter", "loss", "rate", "queue", "queue_bytes"},
			map[string]string{"rtt": "a direction takes delay, its one-way delay"})
		if !ok {
			continue
		}
		if len(dfs) == 0 && len(e.v.Content) == 0 {
			p.add(e.v.Line, dpath, "empty; give the settings that differ in this direction, e.g. {loss: 1%%}, or remove %s", dir)
		}
		d := &Direction{}
		p.impairment(dfs, dpath, d, true)
		for k, de := range dfs {
			lines[dir+"."+k] = de.k.Line
		}
		if dir == "up" {
			l.Up = d
		} else {
			l.Down = d
		}
	}
	if p.count != before {
		return l, false
	}
	p.checkLink(l, path, lines)
	return l, p.count == before
}

// linkName reads a link's name, which becomes part of benchmark names.
func (p *parser) linkName(v *yaml.Node, path string) string {
	s, ok := p.scalar(v, path, "a name such as wan40")
	if !ok {
		return ""
	}
	valid := len(s) > 0 && len(s) <= maxNameLen
	for i, r := range s {
		lowerOrDigit := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if !lowerOrDigit && (i == 0 || r != '_' && r != '-') {
			valid = false
		}
	}
	if !valid {
		p.add(v.Line, path, "%q is not a link name; use up to %d of a-z, 0-9, _ and -, starting with a letter or digit (e.g. wan40)", s, maxNameLen)
		return ""
	}
	return s
}

// impairment reads the settings that a link and a direction share into d.
// In a direction (override) a zero is refused: it would read as "take the
// link's value", not as "none".
func (p *parser) impairment(fs map[string]entry, path string, d *Direction, override bool) {
	zero := func(e entry, key string) {
		p.add(e.v.Line, join(path, key), "0 here would keep the link's %s, not clear it; leave %s out of the link and set it only in the direction that has it", key, key)
	}
	if e, ok := fs["delay"]; ok {
		if v, ok := p.duration(e.v, join(path, "delay"), false, maxDelay, "no real path is that slow; give at most 10s"); ok {
			if v == 0 && override {
				zero(e, "delay")
			}
			d.Delay = v
		}
	}
	if e, ok := fs["jitter"]; ok {
		if v, ok := p.duration(e.v, join(path, "jitter"), false, maxDelay, "give at most 10s"); ok {
			if v == 0 && override {
				zero(e, "jitter")
			}
			d.Jitter = v
		}
	}
	if e, ok := fs["loss"]; ok {
		if v, ok := p.loss(e.v, join(path, "loss")); ok {
			if v == 0 && override {
				zero(e, "loss")
			}
			d.Loss = v
		}
	}
	if e, ok := fs["rate"]; ok {
		kpath := join(path, "rate")
		if s, ok := p.scalar(e.v, kpath, "a rate such as 100mbit"); ok {
			r, err := ParseRate(s)
			switch {
			case err != nil:
				p.add(e.v.Line, kpath, "%v", err)
			case r < minRate:
				p.add(e.v.Line, kpath, "%s is below 8kbit; give at least 8kbit, or leave rate out for an unlimited link", s)
			case r > maxRate:
				p.add(e.v.Line, kpath, "%s is over 400gbit; leave rate out for an unlimited link", s)
			default:
				d.Rate = r
			}
		}
	}
	if e, ok := fs["queue"]; ok {
		if q, ok := p.integer(e.v, join(path, "queue"), 1, maxQueue, "a queue length in packets from 1 to 1000000"); ok {
			d.Queue = int(q)
		}
	}
	if e, ok := fs["queue_bytes"]; ok {
		kpath := join(path, "queue_bytes")
		if s, ok := p.scalar(e.v, kpath, "a size such as 64kb"); ok {
			b, err := ParseBytes(s)
			switch {
			case err != nil:
				p.add(e.v.Line, kpath, "%v", err)
			case b < 1 || b > maxQBytes:
				p.add(e.v.Line, kpath, "%s is out of range; give a size from one packet to 1gb, e.g. 64kb", s)
			default:
				d.QueueBytes = int(b)
			}
		}
		if _, both := fs["queue"]; both {
			p.add(e.k.Line, kpath, "queue and queue_bytes are both given; bound the buffer in packets (queue) or in bytes (queue_bytes), not both")
		}
	}
}

// loss reads a percentage from 0% up to, not including, 100%.
func (p *parser) loss(v *yaml.Node, path string) (float64, bool) {
	s, ok := p.scalar(v, path, "a percentage such as 0.1%")
	if !ok {
		return 0, false
	}
	f, err := ParsePercent(s)
	switch {
	case err != nil:
		p.add(v.Line, path, "%v", err)
	case f < 0:
		p.add(v.Line, path, "%s is below 0%%; give a loss between 0%% and 100%%", s)
	case f > 1:
		p.add(v.Line, path, "%s is over 100%%; give a loss between 0%% and 100%%", s)
	case f == 1:
		p.add(v.Line, path, "%s drops every packet, so no request can finish; give a loss below 100%%", s)
	default:
		return f, true
	}
	return 0, false
}

// checkLink checks the settings that constrain one another, in each
// direction as it will be emulated. A problem is reported at the key that
// decides it: a direction's override when there is one, else the link's.
func (p *parser) checkLink(l Link, path string, lines map[string]int) {
	at := func(key string) (int, string) {
		line, ok := lines[key]
		if !ok {
			line = l.Line
		}
		return line, join(path, key)
	}
	anyJitter := false
	for _, dir := range []struct {
		key, name string
		o         *Direction
	}{{"up", "uplink", l.Up}, {"down", "downlink", l.Down}} {
		d := l.direction(dir.o)
		from := func(key string, set bool) string {
			if set {
				return dir.key + "." + key
			}
			return key
		}
		o := dir.o
		if o == nil {
			o = &Direction{}
		}
		delayKey := from("delay", o.Delay != 0)
		if delayKey == "delay" {
			delayKey = "rtt"
		}
		jitterKey := from("jitter", o.Jitter != 0)
		anyJitter = anyJitter || d.Jitter > 0
		switch {
		case d.Jitter > 0 && d.Delay == 0 && jitterKey == "jitter":
			line, kpath := at(jitterKey)
			p.add(line, kpath, "jitter %v with rtt 0: jitter varies the delay, and there is none; set rtt, or remove jitter", d.Jitter)
		case d.Jitter > 0 && d.Delay == 0:
			line, kpath := at(jitterKey)
			p.add(line, kpath, "jitter %v with no %s delay: jitter varies the delay, and there is none; set rtt or %s.delay, or remove jitter", d.Jitter, dir.name, dir.key)
		case d.Jitter > d.Delay && delayKey == "rtt" && jitterKey == "jitter":
			line, kpath := at(jitterKey)
			p.add(line, kpath, "%v is over rtt/2 (%v), so the one-way delay could go negative; give jitter <= %v", d.Jitter, d.Delay, d.Delay)
		case d.Jitter > d.Delay:
			key := jitterKey
			if jitterKey == "jitter" {
				key = delayKey
			}
			line, kpath := at(key)
			p.add(line, kpath, "the %s's jitter %v is over its one-way delay %v, so the delay could go negative; give jitter <= delay", dir.name, d.Jitter, d.Delay)
		}
		queueSet := o.Queue != 0 || o.QueueBytes != 0
		queueKey := from("queue", queueSet)
		if d.QueueBytes > 0 {
			queueKey = from("queue_bytes", queueSet)
		}
		switch {
		case (d.Queue > 0 || d.QueueBytes > 0) && d.Rate == 0 && !queueSet:
			line, kpath := at(queueKey)
			p.add(line, kpath, "a queue only fills behind a rate limit, and the link has none; give rate too, or remove %s", queueKey)
		case (d.Queue > 0 || d.QueueBytes > 0) && d.Rate == 0:
			line, kpath := at(queueKey)
			p.add(line, kpath, "a queue only fills behind a rate limit, and the %s has none; give rate or %s.rate too, or remove %s", dir.name, dir.key, queueKey)
		case d.QueueBytes > 0 && d.QueueBytes < l.PathMTU():
			line, kpath := at(queueKey)
			p.add(line, kpath, "%s is smaller than one packet (mtu %d); give at least %s", formatBytes(d.QueueBytes), l.PathMTU(), formatBytes(l.PathMTU()))
		}
	}
	if !anyJitter {
		if line, ok := lines["distribution"]; ok {
			p.add(line, join(path, "distribution"), "has no effect without jitter; add jitter, or remove distribution")
		}
		if line, ok := lines["reorder"]; ok && l.Reorder {
			p.add(line, join(path, "reorder"), "has no effect without jitter; add jitter, or remove reorder")
		}
	}
}

// linkNames lists the links' names, for messages.
func linkNames(links []Link) []string {
	names := make([]string, len(links))
	for i, l := range links {
		names[i] = l.Name
	}
	return names
}

func hasLink(links []Link, name string) bool {
	for _, l := range links {
		if l.Name == name {
			return true
		}
	}
	return false
}
