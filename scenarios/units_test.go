package scenarios

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"40ms", 40 * time.Millisecond, ""},
		{"1.5s", 1500 * time.Millisecond, ""},
		{"2m30s", 150 * time.Second, ""},
		{"250us", 250 * time.Microsecond, ""},
		{"0", 0, ""},
		{"0.0", 0, ""},
		{"-1ms", -time.Millisecond, ""},
		{"40", 0, "40 has no unit; write e.g. 40ms or 40s"},
		{"1.5", 0, "1.5 has no unit"},
		{"far", 0, `"far" is not a duration`},
		{"", 0, `"" is not a duration`},
		{"99999999999h", 0, "is not a duration"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		checkUnit(t, "ParseDuration", tt.in, got, err, tt.want, tt.wantErr)
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"0.1%", 0.001, ""},
		{"50%", 0.5, ""},
		{"0%", 0, ""},
		{"100%", 1, ""},
		{"120%", 1.2, ""},
		{"-1%", -0.01, ""},
		{"2 %", 0.02, ""},
		{"0.1", 0, "0.1 has no % sign; write 0.1% for 0.1 percent"},
		{"NaN%", 0, `"NaN%" is not a percentage`},
		{"Inf%", 0, `"Inf%" is not a percentage`},
		{"1e2%", 0, `"1e2%" is not a percentage`},
		{"%", 0, `"%" is not a percentage`},
		{"lots", 0, `"lots" is not a percentage`},
	}
	for _, tt := range tests {
		got, err := ParsePercent(tt.in)
		checkUnit(t, "ParsePercent", tt.in, got, err, tt.want, tt.wantErr)
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr string
	}{
		{"100mbit", 100_000_000, ""},
		{"1gbit", 1_000_000_000, ""},
		{"1.5gbit", 1_500_000_000, ""},
		{"512kbit", 512_000, ""},
		{"100Mbit", 100_000_000, ""},
		{"64000", 64_000, ""},
		{"8000bit", 8_000, ""},
		{"10 mbit", 10_000_000, ""},
		{"10mbps", 0, "10mbps is ambiguous: tc reads mbps as bytes per second, most people mean bits; write 10mbit for bits, or 80mbit if you mean bytes"},
		{"1Gbps", 0, "1Gbps is ambiguous"},
		{"500kbps", 0, "or 4000kbit if you mean bytes"},
		{"100m", 0, `"100m" is not a rate`},
		{"fast", 0, `"fast" is not a rate`},
		{"-5mbit", 0, "-5mbit is negative"},
		{"1e9", 0, `"1e9" is not a rate`},
		{"99999999tbit", 0, "is too large"},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		checkUnit(t, "ParseRate", tt.in, got, err, tt.want, tt.wantErr)
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"64kb", 64 << 10, ""},
		{"1mb", 1 << 20, ""},
		{"1.5kb", 1536, ""},
		{"3000", 3000, ""},
		{"1500b", 1500, ""},
		{"2KiB", 2048, ""},
		{"1.5b", 0, "is not a whole number of bytes"},
		{"64kbit", 0, `"64kbit" is not a size`},
		{"-1kb", 0, "-1kb is negative"},
		{"big", 0, `"big" is not a size`},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		checkUnit(t, "ParseBytes", tt.in, got, err, tt.want, tt.wantErr)
	}
}

func checkUnit[T comparable](t *testing.T, fn, in string, got T, err error, want T, wantErr string) {
	t.Helper()
	switch {
	case wantErr != "":
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s(%q): got %v, error %v; want an error containing %q", fn, in, got, err, wantErr)
		}
	case err != nil:
		t.Errorf("%s(%q): got error %v; want %v", fn, in, err, want)
	case got != want:
		t.Errorf("%s(%q): got %v; want %v", fn, in, got, want)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatRate(100_000_000), "100mbit"},
		{formatRate(1_500_000_000), "1.5gbit"},
		{formatRate(512_000), "512kbit"},
		{formatRate(8_001), "8001bit"},
		{formatBytes(64 << 10), "64kb"},
		{formatBytes(1 << 20), "1mb"},
		{formatBytes(1500), "1500b"},
		{formatPercent(0.001), "0.1%"},
		{formatPercent(0.005), "0.5%"},
		{formatPercent(1.0 / 3), "33.3333%"},
		{formatDuration(time.Hour), "1h"},
		{formatDuration(90 * time.Minute), "1h30m"},
		{formatDuration(2 * time.Minute), "2m"},
		{formatDuration(36 * time.Second), "36s"},
		{formatDuration(500 * time.Millisecond), "500ms"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}

// TestRoundTrip checks that what the formatters write, the parsers read
// back to the same value, since result headers are read by people who
// paste them into suites.
func TestRoundTrip(t *testing.T) {
	for _, r := range []uint64{8_000, 512_000, 1_000_000, 100_000_000, 1_500_000_000, 123_456_789} {
		if got, err := ParseRate(formatRate(r)); err != nil || got != r {
			t.Errorf("ParseRate(formatRate(%d)) = %d, %v; want %d", r, got, err, r)
		}
	}
	for _, b := range []int{1500, 1 << 10, 64 << 10, 1 << 20, 3 << 20} {
		if got, err := ParseBytes(formatBytes(b)); err != nil || got != int64(b) {
			t.Errorf("ParseBytes(formatBytes(%d)) = %d, %v; want %d", b, got, err, b)
		}
	}
}
