package servers

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// The claim "JSON parsing time grows exponentially past 1 MB", measured:
// decoding /orders bodies from about 1 KB to 30 MB in both codecs, and the
// slope of log(time) against log(size). A slope of 1 is linear (twice the
// bytes, twice the time); exponential growth would show as a slope that
// keeps rising with size. Run with
//
//	go test -run '^$' -bench 'DecodeSize|DecodeSlope' -benchtime 3x ./servers
//
// (make json-size). BenchmarkDecodeSlope logs the table and reports each
// codec's fitted slope, over all sizes and over those past 1 MB.

// sizeTargets are the JSON body sizes of the sweep, in bytes.
var sizeTargets = []struct {
	name  string
	bytes int
}{
	{"1KB", 1 << 10}, {"10KB", 10 << 10}, {"100KB", 100 << 10},
	{"1MB", 1 << 20}, {"3MB", 3 << 20}, {"10MB", 10 << 20}, {"30MB", 30 << 20},
}

// itemsFor returns the number of orders whose JSON body is about target
// bytes, from the size of a 100-order body (orders vary little in size).
func itemsFor(b testing.TB, target int) int {
	body, err := EncodeOrders(CodecJSON, 100)
	if err != nil {
		b.Fatal(err)
	}
	return max(1, int(math.Round(float64(target)*100/float64(len(body)))))
}

// BenchmarkDecodeSize times DecodeOrders on bodies of the sweep's sizes;
// body-B/op is each body's size in its codec.
func BenchmarkDecodeSize(b *testing.B) {
	for _, c := range []Codec{CodecJSON, CodecProtobuf} {
		for _, s := range sizeTargets {
			b.Run(fmt.Sprintf("codec=%s/size=%s", c, s.name), func(b *testing.B) {
				benchDecode(b, c, itemsFor(b, s.bytes))
			})
		}
	}
}

// benchDecode times decoding a body of n orders in codec c.
func benchDecode(b *testing.B, c Codec, n int) {
	body, err := EncodeOrders(c, n)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		if k, err := DecodeOrders(c, body); err != nil || k != n {
			b.Fatalf("DecodeOrders: %d orders, %v; want %d", k, err, n)
		}
	}
	b.ReportMetric(float64(len(body)), "body-B/op")
}

// BenchmarkDecodeSlope runs the sweep once per codec and fits log(ns/op)
// against log(body bytes) by least squares: json-slope and
// protobuf-slope over every size, json-slope-1MB+ and
// protobuf-slope-1MB+ over the sizes from 1 MB up (where the claim says
// growth turns exponential).
func BenchmarkDecodeSlope(b *testing.B) {
	for b.Loop() {
		for _, c := range []Codec{CodecJSON, CodecProtobuf} {
			var xs, ys, bigX, bigY []float64
			for _, s := range sizeTargets {
				n := itemsFor(b, s.bytes)
				body, err := EncodeOrders(c, n)
				if err != nil {
					b.Fatal(err)
				}
				size := float64(len(body))
				ns := timeDecode(b, c, body, n)
				b.Logf("%-8s %-5s %6d orders %11.0f B %14.0f ns/op %8.1f MB/s", c, s.name, n, size, ns, size/ns*1e3)
				xs, ys = append(xs, math.Log(size)), append(ys, math.Log(ns))
				if s.bytes >= 1<<20 {
					bigX, bigY = append(bigX, math.Log(size)), append(bigY, math.Log(ns))
				}
			}
			all, big := slope(xs, ys), slope(bigX, bigY)
			b.Logf("%s: log-log slope %.3f over 1 KB–30 MB, %.3f from 1 MB (1 is linear)", c, all, big)
			b.ReportMetric(all, fmt.Sprintf("%s-slope", c))
			b.ReportMetric(big, fmt.Sprintf("%s-slope-1MB+", c))
		}
	}
}

// timeDecode returns the mean time of decoding body (n orders in codec c)
// over repetitions that add up to at least slopeTime, after one unmeasured
// decode. testing.Benchmark cannot be called here: it would wait for the
// running benchmark's lock.
func timeDecode(b *testing.B, c Codec, body []byte, n int) float64 {
	decode := func() {
		if k, err := DecodeOrders(c, body); err != nil || k != n {
			b.Fatalf("DecodeOrders: %d orders, %v; want %d", k, err, n)
		}
	}
	decode()
	start, reps := time.Now(), 0
	for reps < 3 || time.Since(start) < slopeTime {
		decode()
		reps++
	}
	return float64(time.Since(start).Nanoseconds()) / float64(reps)
}

// slopeTime is the least time each size of BenchmarkDecodeSlope is
// decoded for.
const slopeTime = 300 * time.Millisecond

// slope is the least-squares slope of ys against xs.
func slope(xs, ys []float64) float64 {
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(ys))
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	return num / den
}

// TestSlope checks the fit on exact power laws.
func TestSlope(t *testing.T) {
	for _, want := range []float64{1, 2, 0.5} {
		var xs, ys []float64
		for _, x := range []float64{1e3, 1e4, 1e5, 1e6, 3e7} {
			xs, ys = append(xs, math.Log(x)), append(ys, math.Log(7*math.Pow(x, want)))
		}
		if got := slope(xs, ys); math.Abs(got-want) > 1e-9 {
			t.Errorf("slope of x^%v: got %v", want, got)
		}
	}
}
