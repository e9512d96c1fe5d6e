package scenarios

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// base is a valid suite that the error cases edit one line of.
const base = `suite: t
description: test suite
links:
  - {name: lan, rtt: 2ms}
  - {name: wan, rtt: 40ms}
matrix:
  keepalive: [on, off]
load: {rate: 10, duration: 1s}
`

// edit replaces line n (1-based) of base with text, which may hold several
// lines or none; n = 0 appends text.
func edit(n int, text string) string {
	lines := strings.Split(strings.TrimSuffix(base, "\n"), "\n")
	if n == 0 {
		return base + text + "\n"
	}
	var out []string
	out = append(out, lines[:n-1]...)
	if text != "" {
		out = append(out, text)
	}
	out = append(out, lines[n:]...)
	return strings.Join(out, "\n") + "\n"
}

func TestParseErrors(t *testing.T) {
	manyLinks := func(n int) string {
		var b strings.Builder
		b.WriteString("links:\n")
		for i := range n {
			b.WriteString("  - {name: l")
			b.WriteString(itoa(i))
			b.WriteString("}\n")
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	tests := []struct {
		name, data string
		want       string // the error contains this; it starts with file:line: key.path
	}{
		// The file as a whole.
		{"unclosed brace", edit(4, "  - {name: lan, rtt: 2ms"), "t.yaml:4: syntax error: did not find expected ',' or '}'; check the indentation of the block that starts on this line, and that every [ and { is closed"},
		{"unclosed bracket", edit(7, "  keepalive: [on, off"), "t.yaml:7: syntax error: did not find expected ',' or ']'"},
		{"bad indentation", edit(5, " - {name: wan, rtt: 40ms}"), "t.yaml:5: syntax error: did not find expected key"},
		{"tab indent", edit(4, "\t- {name: lan, rtt: 2ms}"), "t.yaml:4: syntax error: found character that cannot start any token; YAML indents with spaces, not tabs"},
		{"mapping in scalar", "suite: a: b\n", "t.yaml:1: syntax error: mapping values are not allowed"},
		{"empty file", "", "t.yaml:1: empty file; a suite needs suite:, links:, matrix: and load:"},
		{"comments only", "# nothing\n# here\n", "t.yaml:1: empty file"},
		{"empty document", "---\n", "t.yaml:1: empty file"},
		{"list at top", "- a\n- b\n", "t.yaml:1: the file holds a list; a suite is a mapping of keys"},
		{"scalar at top", "hello\n", `t.yaml:1: the file holds "hello"; a suite is a mapping`},
		{"two documents", base + "---\nsuite: u\n", "t.yaml:9: a second YAML document; a suite file holds one suite"},
		{"NUL bytes", "suite: t\n\x00\x01\x02", "t.yaml:1: not a text file: NUL byte at line 2"},
		{"invalid UTF-8", "suite: t\nlinks: \xff\xfe\n", "t.yaml:1: not UTF-8 text: invalid byte at line 2; save the file as UTF-8"},
		{"huge file", base + "#" + strings.Repeat("x", MaxFileSize), "over the 1048576-byte limit; a suite is a few dozen lines"},
		{"key given twice", edit(0, "load: {rate: 5, duration: 1s}"), "t.yaml:9: load: given twice (first at line 8); remove one"},
		{"unknown alias", edit(0, "x: *nope"), "t.yaml:9: syntax error: unknown anchor 'nope' referenced; define it with &nope"},
		{"alias reported where used", strings.Replace(base, "  - {name: lan, rtt: 2ms}\n  - {name: wan, rtt: 40ms}", "  - &l {name: lan, rtt: 2ms}\n  - *l", 1), "t.yaml:5: links[1].name: link lan is given twice (first at line 4)"},
		{"merge key", edit(0, "x: &x {a: 1}\ny:\n  <<: *x"), "t.yaml:9: x: unknown key"},

		// Unknown keys at every level.
		{"unknown top-level key", edit(2, "knobs: {}"), "t.yaml:2: knobs: unknown key; knobs are listed under matrix:; known keys: suite, description,"},
		{"top-level name", edit(1, "name: t"), "t.yaml:1: name: unknown key; the suite's name goes under suite:"},
		{"unknown link key", edit(5, "  - {name: wan, rttt: 40ms}"), "t.yaml:5: links[1].rttt: unknown key; did you mean rtt? known keys: name, rtt,"},
		{"delay on a link", edit(5, "  - {name: wan, delay: 20ms}"), "t.yaml:5: links[1].delay: unknown key; a link takes rtt (the round trip); a one-way delay goes under up: or down:"},
		{"unknown direction key", edit(5, "  - name: wan\n    rtt: 40ms\n    up:\n      rtt: 3ms"), "t.yaml:8: links[1].up.rtt: unknown key; a direction takes delay"},
		{"unknown server key", edit(0, "server: {endpoint: /x, host: a}"), "t.yaml:9: server.host: unknown key; known keys: endpoint, command, ready, port"},
		{"unknown load key", edit(8, "load: {rate: 10, duration: 1s, rps: 5}"), "t.yaml:8: load.rps: unknown key; rate gives requests per second"},
		{"unknown knob", edit(7, "  keepalive: [on, off]\n  zerocopy: [on, off]"), "t.yaml:8: matrix.zerocopy: unknown knob; known knobs: keepalive, tfo, cc, initcwnd, initrwnd, codec, tls, http, "},
		{"misspelt knob", edit(7, "  keepalve: [on, off]"), "t.yaml:7: matrix.keepalve: unknown knob; did you mean keepalive? known knobs: keepalive"},
		{"link as a knob", edit(7, "  keepalive: [on, off]\n  link: [lan]"), "t.yaml:8: matrix.link: link is not a knob"},

		// Wrong types.
		{"links is a mapping", edit(4, "  lan: {rtt: 2ms}") + "", "t.yaml:4: syntax error: did not find expected key"},
		{"links is a string", strings.Replace(base, "links:\n  - {name: lan, rtt: 2ms}\n  - {name: wan, rtt: 40ms}", "links: lan", 1), `t.yaml:3: links: got "lan"; give a list of links`},
		{"links is a mapping of links", strings.Replace(base, "  - {name: lan, rtt: 2ms}\n  - {name: wan, rtt: 40ms}", "  lan: {rtt: 2ms}", 1), "t.yaml:4: links: got a mapping; give a list of links"},
		{"link is a string", edit(5, "  - wan"), `t.yaml:5: links[1]: got "wan"; give a mapping of link settings`},
		{"rtt is a list", edit(5, "  - {name: wan, rtt: [40ms]}"), "t.yaml:5: links[1].rtt: got a list; give a duration such as 40ms"},
		{"rtt has no value", edit(5, "  - name: wan\n    rtt:"), "t.yaml:6: links[1].rtt: no value; give a duration such as 40ms, or remove the key"},
		{"matrix is a list", edit(7, "  - keepalive"), "t.yaml:7: matrix: got a list; give a mapping of knob to values"},
		{"knob value is a mapping", edit(7, "  keepalive: [{a: b}]"), "t.yaml:7: matrix.keepalive[0]: got a mapping; give one of on, off"},
		{"load is a list", edit(8, "load: [10, 1s]"), "t.yaml:8: load: got a list; give a mapping such as {rate: 50, duration: 5s}"},
		{"description is a list", edit(2, "description: [a]"), "t.yaml:2: description: got a list; give one line of text"},
		{"reorder not a bool", edit(5, "  - {name: wan, rtt: 40ms, jitter: 1ms, reorder: maybe}"), `t.yaml:5: links[1].reorder: "maybe" is not true or false`},
		{"count not whole", edit(8, "load: {rate: 10, duration: 1s, count: 6.5}"), `t.yaml:8: load.count: "6.5" is not a whole number`},
		{"seed negative", edit(5, "  - {name: wan, rtt: 40ms, seed: -1}"), `t.yaml:5: links[1].seed: "-1" is not a seed`},

		// Missing and empty.
		{"no suite", edit(1, ""), "t.yaml:1: suite: missing; name the suite"},
		{"no links", strings.Replace(base, "links:\n  - {name: lan, rtt: 2ms}\n  - {name: wan, rtt: 40ms}\n", "", 1), "t.yaml:1: links: missing; list the network paths"},
		{"links empty", edit(3, "links: []\nx:"), "t.yaml:3: links: no links; give at least one"},
		{"no matrix", strings.Replace(base, "matrix:\n  keepalive: [on, off]\n", "", 1), "t.yaml:1: matrix: missing; give the knobs to compare"},
		{"empty matrix", edit(7, "  {}"), "t.yaml:7: matrix: no knobs; give at least one, e.g. keepalive: [on, off]"},
		{"empty knob", edit(7, "  keepalive: []"), "t.yaml:7: matrix.keepalive: no values; give at least one of on, off"},
		{"no load", edit(8, ""), "t.yaml:1: load: missing; give the load"},
		{"no load model", edit(8, "load: {duration: 1s}"), "t.yaml:8: load: no load model; give one of rate: 50 (open loop), connections: 8 (closed loop)"},
		{"no load duration", edit(8, "load: {rate: 10}"), "t.yaml:8: load.duration: missing"},
		{"no link name", edit(5, "  - {rtt: 40ms}"), "t.yaml:5: links[1].name: missing; name the link"},
		{"empty direction", edit(5, "  - {name: wan, rtt: 40ms, down: {}}"), "t.yaml:5: links[1].down: empty; give the settings that differ"},

		// Names.
		{"suite name with dash", edit(1, "suite: my-suite"), `t.yaml:1: suite: "my-suite" is not a benchmark name`},
		{"suite name starts with digit", edit(1, "suite: 1x"), `t.yaml:1: suite: "1x" is not a benchmark name`},
		{"link name upper case", edit(5, "  - {name: WAN, rtt: 40ms}"), `t.yaml:5: links[1].name: "WAN" is not a link name`},
		{"link name too long", edit(5, "  - {name: abcdefghijklmnopqrstu, rtt: 40ms}"), `t.yaml:5: links[1].name: "abcdefghijklmnopqrstu" is not a link name; use up to 20`},
		{"duplicate link name", edit(5, "  - {name: lan, rtt: 40ms}"), "t.yaml:5: links[1].name: link lan is given twice (first at line 4); give each link its own name"},

		// Durations.
		{"rtt negative", edit(5, "  - {name: wan, rtt: -40ms}"), "t.yaml:5: links[1].rtt: -40ms is negative; give 0 or more"},
		{"rtt absurd", edit(5, "  - {name: wan, rtt: 20s}"), "t.yaml:5: links[1].rtt: 20s is over 10s; no real path is that slow"},
		{"rtt without unit", edit(5, "  - {name: wan, rtt: 40}"), "t.yaml:5: links[1].rtt: 40 has no unit; write e.g. 40ms or 40s"},
		{"rtt not a duration", edit(5, "  - {name: wan, rtt: far}"), `t.yaml:5: links[1].rtt: "far" is not a duration`},
		{"jitter with rtt 0", edit(5, "  - {name: wan, jitter: 1ms}"), "t.yaml:5: links[1].jitter: jitter 1ms with rtt 0: jitter varies the delay, and there is none; set rtt, or remove jitter"},
		{"jitter over rtt/2", edit(5, "  - {name: wan, rtt: 40ms, jitter: 25ms}"), "t.yaml:5: links[1].jitter: 25ms is over rtt/2 (20ms), so the one-way delay could go negative; give jitter <= 20ms"},
		{"jitter over direction delay", edit(5, "  - {name: wan, rtt: 40ms, jitter: 5ms, up: {delay: 2ms}}"), "t.yaml:5: links[1].up.delay: the uplink's jitter 5ms is over its one-way delay 2ms"},
		{"direction delay zero", edit(5, "  - {name: wan, rtt: 40ms, up: {delay: 0ms}}"), "t.yaml:5: links[1].up.delay: 0 here would keep the link's delay"},
		{"warmup negative", edit(8, "load: {rate: 10, duration: 1s, warmup: -1s}"), "t.yaml:8: load.warmup: -1s is negative; give 0 or more"},
		{"duration zero", edit(8, "load: {rate: 10, duration: 0s}"), "t.yaml:8: load.duration: 0s is not over 0"},
		{"duration over an hour", edit(8, "load: {rate: 10, duration: 2h}"), "t.yaml:8: load.duration: 2h is over 1h; give at most 1h and raise count instead"},
		{"timeout zero", edit(8, "load: {rate: 10, duration: 1s, timeout: 0}"), "t.yaml:8: load.timeout: 0 is not over 0"},
		{"cell timeout too short", edit(8, "load: {rate: 10, duration: 5s, warmup: 1s, cell_timeout: 2s}"), "t.yaml:8: load.cell_timeout: 2s is shorter than warmup+duration (6s); give at least that, or leave cell_timeout out for 36s"},

		// Loss, rate, queue, mtu.
		{"loss over 100%", edit(5, "  - {name: wan, rtt: 40ms, loss: 120%}"), "t.yaml:5: links[1].loss: 120% is over 100%; give a loss between 0% and 100%"},
		{"loss 100%", edit(5, "  - {name: wan, rtt: 40ms, loss: 100%}"), "t.yaml:5: links[1].loss: 100% drops every packet"},
		{"loss negative", edit(5, "  - {name: wan, rtt: 40ms, loss: -1%}"), "t.yaml:5: links[1].loss: -1% is below 0%"},
		{"loss without %", edit(5, "  - {name: wan, rtt: 40ms, loss: 0.1}"), "t.yaml:5: links[1].loss: 0.1 has no % sign; write 0.1% for 0.1 percent"},
		{"rate mbps", edit(5, "  - {name: wan, rtt: 40ms, rate: 10mbps}"), "t.yaml:5: links[1].rate: 10mbps is ambiguous: tc reads mbps as bytes per second, most people mean bits; write 10mbit for bits, or 80mbit if you mean bytes"},
		{"rate garbage", edit(5, "  - {name: wan, rtt: 40ms, rate: fast}"), `t.yaml:5: links[1].rate: "fast" is not a rate; write it as e.g. 100mbit`},
		{"rate too low", edit(5, "  - {name: wan, rtt: 40ms, rate: 1kbit}"), "t.yaml:5: links[1].rate: 1kbit is below 8kbit"},
		{"rate too high", edit(5, "  - {name: wan, rtt: 40ms, rate: 1tbit}"), "t.yaml:5: links[1].rate: 1tbit is over 400gbit"},
		{"queue without rate", edit(5, "  - {name: wan, rtt: 40ms, queue: 50}"), "t.yaml:5: links[1].queue: a queue only fills behind a rate limit, and the link has none; give rate too, or remove queue"},
		{"queue in both units", edit(5, "  - {name: wan, rtt: 40ms, rate: 1mbit, queue: 50, queue_bytes: 64kb}"), "t.yaml:5: links[1].queue_bytes: queue and queue_bytes are both given"},
		{"queue smaller than a packet", edit(5, "  - {name: wan, rtt: 40ms, rate: 1mbit, queue_bytes: 1kb}"), "t.yaml:5: links[1].queue_bytes: 1kb is smaller than one packet (mtu 1500); give at least 1500b"},
		{"queue zero", edit(5, "  - {name: wan, rtt: 40ms, rate: 1mbit, queue: 0}"), "t.yaml:5: links[1].queue: 0 is out of range; give a queue length in packets from 1 to 1000000"},
		{"mtu too small", edit(5, "  - {name: wan, rtt: 40ms, mtu: 100}"), "t.yaml:5: links[1].mtu: 100 is out of range; give an MTU from 576 to 9000"},
		{"unknown distribution", edit(5, "  - {name: wan, rtt: 40ms, jitter: 1ms, distribution: pareto}"), `t.yaml:5: links[1].distribution: "pareto" is not a distribution; give uniform or normal`},
		{"reorder without jitter", edit(5, "  - {name: wan, rtt: 40ms, reorder: true}"), "t.yaml:5: links[1].reorder: has no effect without jitter"},
		{"direction queue without rate", edit(5, "  - {name: wan, rtt: 40ms, up: {queue: 5}}"), "t.yaml:5: links[1].up.queue: a queue only fills behind a rate limit, and the uplink has none"},

		// Load.
		{"load rate zero", edit(8, "load: {rate: 0, duration: 1s}"), "t.yaml:8: load.rate: 0 is not over 0"},
		{"load rate huge", edit(8, "load: {rate: 1000000, duration: 1s}"), "t.yaml:8: load.rate: 1000000 is over 100000 requests per second"},
		{"load rate not a number", edit(8, "load: {rate: .inf, duration: 1s}"), `t.yaml:8: load.rate: ".inf" is not a number`},
		{"count zero", edit(8, "load: {rate: 10, duration: 1s, count: 0}"), "t.yaml:8: load.count: 0 is out of range; give the repetitions per cell from 1 to 1000"},

		// Server.
		{"endpoint without slash", edit(0, "server: {endpoint: orders}"), `t.yaml:9: server.endpoint: "orders" does not start with /`},
		{"endpoint with a space", edit(0, "server: {endpoint: /a b}"), `t.yaml:9: server.endpoint: "/a b" is not a request path`},
		{"port out of range", edit(0, "server: {port: 70000}"), "t.yaml:9: server.port: 70000 is out of range"},

		// Knob values.
		{"unknown knob value", edit(7, "  keepalive: [on, maybe]"), `t.yaml:7: matrix.keepalive[1]: "maybe" is not a value of keepalive; give one of on, off`},
		{"duplicate knob value", edit(7, "  keepalive:\n    - on\n    - true"), "t.yaml:9: matrix.keepalive[1]: on is listed twice (first at line 8); remove one"},

		// Pruning.
		{"only with unknown key", edit(0, "only: [{tfo: on}]"), "t.yaml:9: only[0].tfo: tfo is not in the matrix; keys: link, keepalive"},
		{"only with unknown link", edit(0, "only: [{link: moon}]"), `t.yaml:9: only[0].link: no link is named "moon"; links: lan, wan`},
		{"only with value not in matrix", edit(7, "  keepalive: [on]") + "only: [{keepalive: off}]\n", `t.yaml:9: only[0].keepalive: "off" is not among the matrix's values for keepalive; give one of on`},
		{"skip with empty entry", edit(0, "skip:\n  - {}"), "t.yaml:10: skip[0]: empty entry; it would match every cell"},
		{"skip with a list value", edit(0, "skip: [{keepalive: [on, off]}]"), "t.yaml:9: skip[0].keepalive: got a list; give one value"},
		{"pruned to nothing", edit(0, "only: [{link: lan}]\nskip: [{link: lan}]"), "t.yaml:10: skip: only: and skip: leave no cell to measure; loosen them"},

		// Size.
		{"too many cells", edit(3, manyLinks(5001)) + "", "t.yaml:5007: matrix: 5003 links × 2 keepalive make more than 10000 cells after only: and skip:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tt.data))
			if err == nil {
				t.Fatalf("got suite %q and no error; want %q", s.Name, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error\n%v\nwant it to contain\n%s", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("got error of type %T; want one that holds an *Error", err)
			}
		})
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestParseValid(t *testing.T) {
	data := `# a comment
suite: full
description: every key
links:
  - name: adsl
    rtt: 30ms
    jitter: 2ms
    distribution: normal
    reorder: true
    loss: 0.1%
    rate: 20mbit
    queue_bytes: 64kb
    mtu: 1400
    seed: 42
    up: {rate: 1mbit, queue: 20}
    down: {loss: 0.5%, delay: 20ms}
  - &plain {name: lan}
server: {endpoint: "/orders?items=5", command: ./srv -p 9000, port: 9000}
matrix:
  keepalive: [false, true]
only: [{link: adsl}, {keepalive: "on"}]
skip:
  - {link: lan, keepalive: off}
load: {rate: 12.5, duration: 2m, warmup: 500ms, count: 10, timeout: 2s, cell_timeout: 5m}
`
	s, err := Parse("full.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	adsl := s.Links[0]
	checks := []struct {
		what      string
		got, want any
	}{
		{"Name", s.Name, "full"},
		{"BenchName", s.BenchName(), "BenchmarkFull"},
		{"Description", s.Description, "every key"},
		{"File", s.File, "full.yaml"},
		{"links", len(s.Links), 2},
		{"RTT", adsl.RTT, 30 * time.Millisecond},
		{"Jitter", adsl.Jitter, 2 * time.Millisecond},
		{"Distribution", adsl.Distribution, "normal"},
		{"Reorder", adsl.Reorder, true},
		{"Loss", adsl.Loss, 0.001},
		{"Rate", adsl.Rate, uint64(20_000_000)},
		{"QueueBytes", adsl.QueueBytes, 64 << 10},
		{"MTU", adsl.MTU, 1400},
		{"Seed", adsl.Seed, uint64(42)},
		{"Up", *adsl.Up, Direction{Rate: 1_000_000, Queue: 20}},
		{"Down", *adsl.Down, Direction{Loss: 0.005, Delay: 20 * time.Millisecond}},
		{"Line", adsl.Line, 5},
		{"lan", s.Links[1].Name, "lan"},
		{"lan Distribution", s.Links[1].Distribution, "uniform"},
		{"Server", s.Server, Server{Endpoint: "/orders?items=5", Command: "./srv -p 9000", Port: 9000}},
		{"Matrix", len(s.Matrix), 1},
		{"knob values", strings.Join(s.Matrix[0].Values, ","), "off,on"},
		{"knob line", s.Matrix[0].Line, 20},
		{"Only", len(s.Only), 2},
		{"Only[1]", s.Only[1]["keepalive"], "on"},
		{"Skip", s.Skip[0]["keepalive"], "off"},
		{"Load", s.Load, Load{Rate: 12.5, Duration: 2 * time.Minute, Warmup: 500 * time.Millisecond, Count: 10, Timeout: 2 * time.Second, CellTimeout: 5 * time.Minute}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v; want %v", c.what, c.got, c.want)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	s, err := Parse("t.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	want := Load{Rate: 10, Duration: time.Second, Count: DefaultCount, Timeout: DefaultTimeout, CellTimeout: time.Second + CellTimeoutSlack}
	if s.Load != want {
		t.Errorf("Load: got %+v; want %+v", s.Load, want)
	}
	if !reflect.DeepEqual(s.Server, Server{Endpoint: DefaultEndpoint}) {
		t.Errorf("Server: got %+v; want the default endpoint only", s.Server)
	}
	if l := s.Links[0]; l.MTU != 0 || l.PathMTU() != DefaultMTU || l.Up != nil || l.Down != nil {
		t.Errorf("links[0]: got %+v; want no MTU and no directions", l)
	}
}

// TestParseAllErrors checks that one parse reports every problem, in line
// order, so that a user fixes a file in one pass.
func TestParseAllErrors(t *testing.T) {
	data := `suite: t
links:
  - {name: lan, rtt: -1ms}
  - {name: wan, rtt: 40ms, loss: 120%}
matrix:
  keepalive: [on, maybe]
load: {rate: 0, duration: 1s}
`
	_, err := Parse("t.yaml", []byte(data))
	list, ok := err.(ErrorList)
	if !ok {
		t.Fatalf("got %T; want ErrorList", err)
	}
	var got []string
	for _, e := range list {
		got = append(got, itoa(e.Line)+" "+e.Path)
	}
	want := []string{"3 links[0].rtt", "4 links[1].loss", "6 matrix.keepalive[1]", "7 load.rate"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got problems at %q; want %q", got, want)
	}
}
