package results

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestSummary(t *testing.T) {
	type stats struct{ mean, p50, p90, p99, p999, max time.Duration }
	tests := []struct {
		name string
		h    *hdrhistogram.Histogram
		want stats
	}{
		{"nil", nil, stats{}},
		{"empty", NewHistogram(), stats{}},
		{"one value", histOf(t, 1500), stats{1500, 1500, 1500, 1500, 1500, 1500}},
		// Below 2048 ns every nanosecond has its own bucket.
		{"1..1000 ns", histOf(t, spread(1000, 1, 1)...), stats{mean: 501, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000}},
		// Above, values share buckets 0.1% wide; the percentiles are the
		// highest value of their bucket.
		{"1..1000 ms", histOf(t, spread(1000, 1_000_000, 1_000_000)...), stats{
			mean: 500_500_310, p50: 500_170_751, p90: 900_202_495, p99: 990_380_031, p999: 999_292_927, max: 1_000_341_503,
		}},
		{"outlier", histOf(t, append(spread(999, 40_000_000, 0), int64(2*time.Second))...), stats{
			mean: 41_953_509, p50: 40_009_727, p90: 40_009_727, p99: 40_009_727, p999: 40_009_727, max: 2_000_683_007,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got stats
			got.mean, got.p50, got.p90, got.p99, got.p999, got.max = Summary(tt.h)
			if got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestNewHistogram(t *testing.T) {
	h := NewHistogram()
	if got := h.SignificantFigures(); got != 3 {
		t.Errorf("got %d significant figures; want 3", got)
	}
	tests := []struct {
		value   time.Duration
		wantErr bool
	}{
		{0, false},
		{time.Nanosecond, false},
		{50 * time.Microsecond, false},
		{MaxLatency, false},
		// The range ends at a bucket boundary somewhat above MaxLatency.
		{10 * MaxLatency, true},
	}
	for _, tt := range tests {
		err := h.RecordValue(int64(tt.value))
		if (err != nil) != tt.wantErr {
			t.Errorf("RecordValue(%v): got error %v; want error %v", tt.value, err, tt.wantErr)
		}
	}

	// The reason for a 1 ns floor: a 50 µs latency keeps 3 significant
	// digits instead of being rounded to a 512 ns step.
	for _, v := range []int64{50_000, 50_049, 1_234, 2_047} {
		h := histOf(t, v)
		if got, err := h.ValueAtPercentile(50), float64(v)*0.001; float64(got-v) > err {
			t.Errorf("value %d ns: got p50 %d; want within %.0f ns", v, got, err)
		}
	}
}
