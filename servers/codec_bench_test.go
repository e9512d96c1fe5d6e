package servers

import (
	"fmt"
	"testing"
)

// benchItems are the /orders sizes of the codec benchmarks: one order, the
// default page, a large page and the largest.
var benchItems = []int{1, 20, 200, 10000}

// BenchmarkEncode times encoding N orders from memory, as the server does
// for every /orders request (orderModels.encode). body-B/op is the size of
// the body; compare codecs with
//
//	benchstat -col /codec out/bench.txt
func BenchmarkEncode(b *testing.B) {
	for _, c := range []Codec{CodecJSON, CodecProtobuf} {
		for _, n := range benchItems {
			b.Run(fmt.Sprintf("codec=%s/items=%d", c, n), func(b *testing.B) {
				var m orderModels
				m.first(n)
				body, err := m.encode(c, n)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.encode(c, n); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(body)), "body-B/op")
			})
		}
	}
}

// BenchmarkDecode times decoding an /orders body of N orders into the
// model, as the load agent does for every response (DecodeOrders).
func BenchmarkDecode(b *testing.B) {
	for _, c := range []Codec{CodecJSON, CodecProtobuf} {
		for _, n := range benchItems {
			b.Run(fmt.Sprintf("codec=%s/items=%d", c, n), func(b *testing.B) {
				body, err := EncodeOrders(c, n)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if k, err := DecodeOrders(c, body); err != nil || k != n {
						b.Fatalf("DecodeOrders: %d orders, %v; want %d", k, err, n)
					}
				}
				b.ReportMetric(float64(len(body)), "body-B/op")
			})
		}
	}
}
