package scenarios

import (
	"strings"
	"testing"
)

func TestHTTP3Pairs(t *testing.T) {
	suite := func(matrix, load string) string {
		return "suite: t\nlinks:\n  - {name: wan, rtt: 40ms}\nmatrix:\n" + matrix + "load: " + load + "\n"
	}
	rate := "{rate: 10, duration: 1s}"
	for _, tc := range []struct {
		name, data, wantErr string
	}{
		{"0rtt over http 2", suite("  tls: [0rtt]\n  http: [\"2\"]\n", rate),
			`t.yaml:4: matrix.tls: cell link=wan/tls=0rtt/http=2: tls 0rtt is QUIC's 0-RTT early data and needs http "3"`},
		{"0rtt without http", suite("  tls: [full, 0rtt]\n", rate), `skip: [{tls: 0rtt, http: "1.1"}]`},
		{"http 3 without tls", suite("  http: [\"3\"]\n", rate), `t.yaml:4: matrix.http: cell link=wan/http=3: http "3" runs over QUIC, which is always encrypted`},
		{"http 3 with tfo", suite("  http: [\"3\"]\n  tls: [full]\n  tfo: [off, on]\n", rate), "tfo is TCP Fast Open and HTTP/3 runs over UDP"},
		{"0rtt with http 3", suite("  http: [\"3\"]\n  tls: [full, resume, 0rtt]\n", rate), ""},
		{"pruned by skip", suite("  http: [\"2\", \"3\"]\n  tls: [full, 0rtt]\nskip: [{tls: 0rtt, http: \"2\"}]\n", rate), ""},
		{"streams", suite("  http: [\"2\", \"3\"]\n  tls: [full]\n", "{connections: 1, streams: 8, duration: 1s}"), ""},
		{"streams over 1.1", suite("  http: [\"1.1\", \"2\"]\n", "{connections: 1, streams: 8, duration: 1s}"), `load.streams: cell link=wan/http=1.1: streams 8 needs http "2" or "3"`},
		{"streams without keepalive", suite("  http: [\"2\"]\n  keepalive: [on, off]\n", "{connections: 1, streams: 8, duration: 1s}"), "needs keepalive on"},
		{"streams over h2 conns", suite("  http: [\"2\"]\n", "{connections: 4, streams: 8, duration: 1s}"), "give connections: 1"},
		{"streams over h3 conns", suite("  http: [\"3\"]\n  tls: [full]\n", "{connections: 4, streams: 8, duration: 1s}"), ""},
		{"streams in open loop", suite("  http: [\"2\"]\n", "{rate: 10, streams: 8, duration: 1s}"), "t.yaml:6: load.streams: streams is the closed loop's requests in flight"},
		{"streams too many", suite("  http: [\"2\"]\n", "{connections: 1, streams: 101, duration: 1s}"), "from 1 to 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tc.data))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("got %v; want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v; want an error with %q", err, tc.wantErr)
			case tc.wantErr == "" && strings.Contains(tc.data, "streams") && s.Load.Streams != 8:
				t.Errorf("load.streams: got %d; want 8", s.Load.Streams)
			}
		})
	}
}

// TestHandshakesSuite checks the cells scenarios/handshakes.yaml measures:
// the 15 possible ones of 3 http × 4 tls × 2 tfo.
func TestHandshakesSuite(t *testing.T) {
	s, err := LoadFile("handshakes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range cells {
		got[c.Name()] = true
	}
	for _, want := range []string{
		"link=wan40/keepalive=off/http=3/tls=0rtt/tfo=off",
		"link=wan40/keepalive=off/http=2/tls=full/tfo=on",
		"link=wan40/keepalive=off/http=1.1/tls=off/tfo=on",
	} {
		if !got[want] {
			t.Errorf("no cell %s", want)
		}
	}
	if len(cells) != 15 {
		t.Errorf("got %d cells; want 15", len(cells))
	}
}
