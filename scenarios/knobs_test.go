package scenarios

import (
	"strings"
	"testing"
)

func TestKnobCanonical(t *testing.T) {
	onOff := KnobInfo{Name: "keepalive", Values: []string{"on", "off"}}
	cc := KnobInfo{Name: "cc", Values: []string{"cubic", "bbr", "reno"}}
	initcwnd := KnobInfo{Name: "initcwnd", Min: 1, Max: 1000}
	idle := KnobInfo{Name: "server_idle", Duration: true, Min: 1, Max: 3600000}
	tests := []struct {
		knob          KnobInfo
		in, want, err string
	}{
		{onOff, "on", "on", ""},
		{onOff, "off", "off", ""},
		{onOff, "true", "on", ""},
		{onOff, "False", "off", ""},
		{onOff, "ON", "on", ""},
		{onOff, "yes", "", `"yes" is not a value of keepalive; give one of on, off`},
		{cc, "bbr", "bbr", ""},
		{cc, "true", "", `"true" is not a value of cc; give one of cubic, bbr, reno`},
		{cc, "BBR", "", `"BBR" is not a value of cc`},
		{initcwnd, "10", "10", ""},
		{initcwnd, "010", "10", ""},
		{initcwnd, "1000", "1000", ""},
		{initcwnd, "0", "", `"0" is not a value of initcwnd; give an integer from 1 to 1000`},
		{initcwnd, "1001", "", "give an integer from 1 to 1000"},
		{initcwnd, "ten", "", "give an integer from 1 to 1000"},
		{idle, "500ms", "500ms", ""},
		{idle, "1000ms", "1s", ""},
		{idle, "90s", "1m30s", ""},
		{idle, "1h", "1h0m0s", ""},
		{idle, "0.5s", "500ms", ""},
		{idle, "0s", "", `"0s" is not a value of server_idle; give a duration from 1ms to 1h0m0s`},
		{idle, "2h", "", "give a duration from 1ms to 1h0m0s"},
		{idle, "5", "", "give a duration from 1ms to 1h0m0s"},
	}
	for _, tt := range tests {
		got, err := tt.knob.Canonical(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s.Canonical(%q): got %q, %v; want error containing %q", tt.knob.Name, tt.in, got, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("%s.Canonical(%q): got %q, %v; want %q", tt.knob.Name, tt.in, got, err, tt.want)
		}
	}
}

// TestKnobs checks the table's rows: each documented, each with values, and
// none named link, which every cell name already starts with.
func TestKnobs(t *testing.T) {
	seen := make(map[string]bool)
	for _, k := range Knobs() {
		switch {
		case k.Name == "" || k.Name == "link" || seen[k.Name]:
			t.Errorf("knob %q: got an empty, reserved or repeated name; want a unique one", k.Name)
		case k.Doc == "":
			t.Errorf("knob %s: got no Doc; want one line", k.Name)
		case len(k.Values) == 0 && k.Min >= k.Max:
			t.Errorf("knob %s: got no values and range %d..%d; want one or the other", k.Name, k.Min, k.Max)
		}
		seen[k.Name] = true
		for _, v := range k.Values {
			if c, err := k.Canonical(v); err != nil || c != v {
				t.Errorf("knob %s: value %q canonical as %q, %v; want itself", k.Name, v, c, err)
			}
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"name", "rtt", "jitter", "loss", "rate", "queue", "queue_bytes", "port", "keepalive"}
	tests := []struct{ in, want string }{
		{"rttt", "rtt"},
		{"jiter", "jitter"},
		{"Loss", "loss"},
		{"queu", "queue"},
		{"keepalvie", "keepalive"},
		{"host", ""},
		{"bandwidth", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, known); got != tt.want {
			t.Errorf("suggest(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}
