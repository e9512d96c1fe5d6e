package agent

import (
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunebench/tunebench/servers"
)

func TestServerTimingNS(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   int64
		ok     bool
	}{
		{"none", nil, 0, false},
		{"two fields", []string{"app;dur=0.100", "encode;dur=0.012345"}, 12345, true},
		{"one list", []string{"app;dur=0.100, encode;dur=1.5"}, 1500000, true},
		{"spaces and desc", []string{`encode ; desc="json" ; dur = 0.002`}, 2000, true},
		{"quoted dur", []string{`encode;dur="0.003"`}, 3000, true},
		{"other entry only", []string{"app;dur=0.100"}, 0, false},
		{"no dur", []string{"encode"}, 0, false},
		{"bad dur", []string{"encode;dur=abc"}, 0, false},
		{"negative dur", []string{"encode;dur=-1"}, 0, false},
		{"prefix is not the name", []string{"encoder;dur=1"}, 0, false},
	}
	for _, tt := range tests {
		h := http.Header{"Server-Timing": tt.values}
		got, ok := serverTimingNS(h, "encode")
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: got %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestInspectBody(t *testing.T) {
	pb, err := servers.EncodeOrders(servers.CodecProtobuf, 3)
	if err != nil {
		t.Fatal(err)
	}
	js, err := servers.EncodeOrders(servers.CodecJSON, 3)
	if err != nil {
		t.Fatal(err)
	}
	header := func(ct string, timing ...string) http.Header {
		return http.Header{"Content-Type": {ct}, "Server-Timing": timing}
	}
	tests := []struct {
		name    string
		codec   string
		body    []byte
		h       http.Header
		wantMsg string // "" for a body that passes
	}{
		{"protobuf ok", "protobuf", pb, header(servers.MediaProtobuf, "encode;dur=0.010"), ""},
		{"json ok", "json", js, header("application/json; charset=utf-8"), ""},
		{"json sent for protobuf", "protobuf", js, header(servers.MediaJSON),
			`codec protobuf: the server sent Content-Type "application/json"; want application/x-protobuf`},
		{"no content type", "json", js, http.Header{},
			`codec json: the server sent Content-Type ""; want application/json`},
		{"protobuf type, json body", "protobuf", js, header(servers.MediaProtobuf),
			"codec protobuf: decoding a Protobuf orders body"},
		{"json type, html body", "json", []byte("<html>"), header(servers.MediaJSON),
			"codec json: decoding a JSON orders body: invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newBodyDecoder(Config{Codec: tt.codec})
			msg, failed := d.record(inspectBody(tt.codec, tt.h, tt.body), true)
			if failed != (tt.wantMsg != "") || !strings.HasPrefix(msg, tt.wantMsg) {
				t.Fatalf("got %q, failed %v; want %q", msg, failed, tt.wantMsg)
			}
			rep, err := d.report()
			if err != nil {
				t.Fatal(err)
			}
			wantDecoded := 0
			if tt.wantMsg == "" {
				wantDecoded = 1
			}
			if rep.Decoded != wantDecoded || rep.DecodeErrors != 1-wantDecoded {
				t.Errorf("report: %d decoded, %d errors; want %d, %d", rep.Decoded, rep.DecodeErrors, wantDecoded, 1-wantDecoded)
			}
		})
	}
	if msg, failed := (*bodyDecoder)(nil).record(bodyCheck{checked: true, failed: true}, true); failed {
		t.Errorf("nil decoder: got %q; want no check", msg)
	}
	if d := newBodyDecoder(Config{}); d != nil {
		t.Errorf("no codec: got a decoder; want nil")
	}
}

func TestCheckCodec(t *testing.T) {
	for _, c := range []string{"", "json", "protobuf"} {
		if err := checkCodec(Config{Codec: c}); err != nil {
			t.Errorf("codec %q: %v", c, err)
		}
	}
	for _, c := range []string{"xml", "proto", "JSON"} {
		if err := checkCodec(Config{Codec: c}); err == nil || !strings.Contains(err.Error(), "give json or protobuf") {
			t.Errorf("codec %q: got %v; want an error naming json and protobuf", c, err)
		}
	}
}

// countingListener counts the bytes its connections write: the server's
// side of what the agent's wireCounter reads.
type countingListener struct {
	net.Listener
	written atomic.Uint64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &serverCountedConn{Conn: c, l: l}, nil
}

type serverCountedConn struct {
	net.Conn
	l *countingListener
}

func (c *serverCountedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.l.written.Add(uint64(n))
	return n, err
}

// startCodecServer serves the reference handler with def as its codec, or
// h when given, on 127.0.0.1, counting the bytes it writes.
func startCodecServer(t *testing.T, h http.Handler) (url string, ln *countingListener) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = &countingListener{Listener: raw}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + raw.Addr().String(), ln
}

// TestAgentCodec drives the reference handler with each codec and checks
// that every measured body was asked for, sent and decoded in it, that the
// server's encode time came back, and that the agent counted exactly the
// bytes the server wrote.
func TestAgentCodec(t *testing.T) {
	wire := map[string]float64{}
	for _, codec := range []string{"json", "protobuf"} {
		t.Run(codec, func(t *testing.T) {
			// The server's default is JSON: protobuf must come from the
			// agent's Accept header.
			url, ln := startCodecServer(t, servers.CodecHandler(servers.CodecJSON))
			res := runAgent(t, Config{URL: url + "/orders?items=50", Rate: 100, Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond, KeepAlive: true, Codec: codec})
			c := res.Codec
			if c == nil {
				t.Fatal("no codec report")
			}
			if res.Errors != 0 || c.DecodeErrors != 0 || c.Decoded != res.Requests || res.Requests != 30 {
				t.Fatalf("got %d requests, %d errors %v, %d decoded, %d decode errors; want 30, 0 errors, all decoded", res.Requests, res.Errors, res.ErrorSamples, c.Decoded, c.DecodeErrors)
			}
			if c.Eligible != res.Requests {
				t.Errorf("got %d eligible; want every measured GET (%d)", c.Eligible, res.Requests)
			}
			if c.Encoded != res.Requests {
				t.Errorf("got %d encode timings; want one per measured request (%d)", c.Encoded, res.Requests)
			}
			dec, err := DecodeHistogram(c.Decode)
			if err != nil || dec.TotalCount() != int64(res.Requests) || dec.ValueAtPercentile(50) <= 0 {
				t.Errorf("decode histogram: %v, %d values; want %d positive", err, dec.TotalCount(), res.Requests)
			}
			// Reading stops once the last response is in; the server has
			// written all of it by then.
			if got, want := res.WireIn, ln.written.Load(); got != want {
				t.Errorf("wire in: agent read %d bytes; the server wrote %d", got, want)
			}
			body, _ := servers.EncodeOrders(servers.Codec(codec), 50)
			perReq := float64(res.WireIn) / float64(res.Requests+res.Warmup)
			if perReq < float64(len(body)) || perReq > float64(len(body))+1024 {
				t.Errorf("wire bytes per request: got %.0f; want the %d-byte body plus under 1 KiB of status line and headers", perReq, len(body))
			}
			if res.WireOut == 0 {
				t.Errorf("wire out: got 0; want the requests' bytes")
			}
			wire[codec] = perReq
		})
	}
	if wire["json"] > 0 && wire["protobuf"] > 0 && wire["json"] < 1.5*wire["protobuf"] {
		t.Errorf("wire bytes per request: JSON %.0f, Protobuf %.0f; want Protobuf well below JSON", wire["json"], wire["protobuf"])
	}
}

// TestAgentCodecWrongServer checks that a server that ignores the codec
// asked for fails every request, with the reason in the samples.
func TestAgentCodecWrongServer(t *testing.T) {
	jsonOnly := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := servers.EncodeOrders(servers.CodecJSON, 2)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	url, _ := startCodecServer(t, jsonOnly)
	res := runAgent(t, Config{URL: url + "/", Rate: 100, Duration: 200 * time.Millisecond, KeepAlive: true, Codec: "protobuf"})
	if res.Errors != res.Requests || res.Codec.DecodeErrors != res.Requests || res.Codec.Decoded != 0 {
		t.Fatalf("got %d errors, %d decode errors, %d decoded of %d; want every request failed", res.Errors, res.Codec.DecodeErrors, res.Codec.Decoded, res.Requests)
	}
	if len(res.ErrorSamples) != 1 || !strings.Contains(res.ErrorSamples[0], `the server sent Content-Type "application/json"; want application/x-protobuf`) {
		t.Errorf("error samples: got %q; want the Content-Type named", res.ErrorSamples)
	}
}

// TestCodecCopy checks the agent's copy of the codecs against servers'.
func TestCodecCopy(t *testing.T) {
	for _, c := range []servers.Codec{servers.CodecJSON, servers.CodecProtobuf} {
		if got := mediaType(string(c)); got != c.MediaType() {
			t.Errorf("%s: media type %q; servers says %q", c, got, c.MediaType())
		}
		body, err := servers.EncodeOrders(c, 4)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := decodeOrders(string(c), body); err != nil || n != 4 {
			t.Errorf("%s: decoded %d, %v; want 4 orders", c, n, err)
		}
	}
	for _, ct := range []string{"application/json; charset=utf-8", "application/protobuf", "application/vnd.google.protobuf", "text/html"} {
		want, wantOK := servers.CodecOfMedia(ct)
		got, ok := codecOfMedia(ct)
		if got != string(want) || ok != wantOK {
			t.Errorf("%q: got %q, %v; servers says %q, %v", ct, got, ok, want, wantOK)
		}
	}
}
