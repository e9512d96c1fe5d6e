package runner

import (
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tunebench/tunebench/results"
)

// histOf returns a histogram holding the durations.
func histOf(t *testing.T, ds ...time.Duration) *hdrhistogram.Histogram {
	t.Helper()
	h := results.NewHistogram()
	for _, d := range ds {
		if err := h.RecordValue(int64(d)); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestProgressLine(t *testing.T) {
	ms := time.Millisecond
	lat := make([]time.Duration, 0, 150)
	for i := range 150 {
		lat = append(lat, 40*ms+time.Duration(i)*30*time.Microsecond)
	}
	tests := []struct {
		name   string
		n, of  int
		sample results.Sample
		want   string
	}{
		{
			name: "result",
			n:    12, of: 24,
			sample: results.Sample{
				Cell: "link=wan40/keepalive=off", Rep: 3, Requests: 150, Errors: 0, Achieved: 50,
				Latency: histOf(t, lat...), LatencyCO: histOf(t, append(lat, 45*ms)...),
			},
			want: "[12/24] link=wan40/keepalive=off rep 3: p50 42.2ms p99 44.5ms p99co 44.5ms 50.0 req/s errors 0/150",
		},
		{
			name: "no co histogram, errors",
			n:    1, of: 2,
			sample: results.Sample{
				Cell: "link=lan/keepalive=on", Rep: 1, Requests: 20, Errors: 2, Achieved: 19.96,
				Latency: histOf(t, 812*time.Microsecond),
			},
			want: "[1/2] link=lan/keepalive=on rep 1: p50 812µs p99 812µs 20.0 req/s errors 2/20",
		},
		{
			name: "failed",
			n:    13, of: 24,
			sample: results.Sample{
				Cell: "link=lan/keepalive=on", Rep: 3,
				Failed: "server exited before it listened: exit status 1:\n  servers: listening on 198.18.0.2:80: address already in use",
			},
			want: "[13/24] link=lan/keepalive=on rep 3: FAILED: server exited before it listened: exit status 1: servers: listening on 198.18.0.2:80: address already in use",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressLine(tt.n, tt.of, tt.sample); got != tt.want {
				t.Errorf("progressLine:\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{-time.Second, "0"},
		{999, "999ns"},
		{812 * time.Microsecond, "812µs"},
		{4250 * time.Microsecond, "4.25ms"},
		{40_900 * time.Microsecond, "40.9ms"},
		{409 * time.Millisecond, "409ms"},
		{1250 * time.Millisecond, "1.25s"},
		{90 * time.Second, "90.0s"},
	}
	for _, tt := range tests {
		if got := shortDuration(tt.d); got != tt.want {
			t.Errorf("shortDuration(%d) = %q; want %q", tt.d, got, tt.want)
		}
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"empty", nil, ""},
		{"blank lines", []string{"\n \n"}, ""},
		{"one line", []string{"servers: listening on 198.18.0.2:80: address already in use\n"}, "servers: listening on 198.18.0.2:80: address already in use"},
		{"split writes", []string{"a\nb", "c\n", "d\n"}, "a; bc; d"},
		{"last lines only", []string{"1\n2\n3\n4\n5\n6\n7\n"}, "3; 4; 5; 6; 7"},
		{"long output keeps its end", []string{strings.Repeat("x", 10000) + "\nthe end\n"}, strings.Repeat("x", tailKeep-len("\nthe end\n")) + "; the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTail()
			for _, w := range tt.writes {
				if n, err := tl.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(w))
				}
			}
			if got := tl.String(); got != tt.want {
				t.Errorf("String() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestLimitedBuffer(t *testing.T) {
	b := &limitedBuffer{max: 4}
	for _, w := range []string{"ab", "cde", "f"} {
		if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil: a short write would stop the child", w, n, err, len(w))
		}
	}
	if got := b.String(); got != "abcd" || !b.over {
		t.Errorf("got %q, over %v; want \"abcd\", over true", got, b.over)
	}
}
