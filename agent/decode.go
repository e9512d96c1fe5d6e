package agent

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The codec knob's evidence on the client side. With Config.Codec set,
// the agent asks for that codec (Accept), checks that every measured
// response says it is in it (Content-Type) and decodes its body into the
// orders model as a client of the API would; a body that fails either check
// counts as an error. It times each decode, and reads the server's own
// encoding time from the response's "Server-Timing: encode;dur=<ms>".
// Decoding runs on the request's goroutine once the response is timed, so
// it adds nothing to the request's latency.
// Independently of the codec, it counts the bytes of every connection it
// dials, beneath TLS: what the request really cost on the wire.

// Geometry of the codec histograms, in nanoseconds: decoding one order takes
// a few microseconds, so they resolve single nanoseconds.
const (
	codecHistLowest  = 1
	codecHistHighest = int64(time.Minute)
)

// CodecReport is what the agent found decoding the measured bodies.
type CodecReport struct {
	// Codec is the codec the bodies were decoded with: json or protobuf.
	Codec string `json:"codec"`
	// Decoded counts measured 2xx bodies that had the codec's Content-Type
	// and decoded; DecodeErrors those that did not (they are in
	// Result.Errors too, with their reasons in ErrorSamples).
	Decoded int `json:"decoded"`
	// Eligible counts the measured requests whose bodies the codec
	// decodes when they succeed: the GETs of the mix.
	Eligible     int `json:"eligible"`
	DecodeErrors int `json:"decode_errors"`
	// Decode is the decoding time of each decoded body in nanoseconds, an
	// HDR histogram (1ns..1min, 3 significant digits) in the form
	// DecodeHistogram reads.
	Decode []byte `json:"decode"`
	// Encode is the server's encoding time of each measured response that
	// carried "Server-Timing: encode;dur=<ms>", in nanoseconds, in the same
	// form; Encoded counts them (0 for a server that does not say).
	Encode  []byte `json:"encode"`
	Encoded int    `json:"encoded"`
}

// bodyCheck is what inspecting one body found.
type bodyCheck struct {
	checked   bool // the body was inspected
	failed    bool
	msg       string
	decode    time.Duration // decoding time, when it decoded
	encode    int64         // the server's encoding time in ns ...
	hasEncode bool          // ... when it said
}

// inspectBody checks and decodes one 2xx body in codec, timing the
// decoding, and reads the server's encoding time from h.
func inspectBody(codec string, h http.Header, body []byte) bodyCheck {
	c := bodyCheck{checked: true}
	c.encode, c.hasEncode = serverTimingNS(h, "encode")
	ct := h.Get("Content-Type")
	if got, ok := codecOfMedia(ct); !ok || got != codec {
		c.failed = true
		c.msg = fmt.Sprintf("codec %s: the server sent Content-Type %q; want %s", codec, ct, mediaType(codec))
		return c
	}
	start := time.Now()
	_, err := decodeOrders(codec, body)
	c.decode = time.Since(start)
	if err != nil {
		c.failed = true
		c.msg = fmt.Sprintf("codec %s: %v", codec, err)
	}
	return c
}

// bodyDecoder tallies the body checks of the measured requests; it is used
// by the recorder's goroutine only. A nil *bodyDecoder (no codec) counts
// nothing.
type bodyDecoder struct {
	codec                    string
	decode, encode           *hdrhistogram.Histogram
	decoded, failed, encoded int
	eligible                 int
}

// newBodyDecoder returns the decoder for cfg, or nil when cfg has no codec.
func newBodyDecoder(cfg Config) *bodyDecoder {
	if cfg.Codec == "" {
		return nil
	}
	return &bodyDecoder{
		codec:  cfg.Codec,
		decode: hdrhistogram.New(codecHistLowest, codecHistHighest, histDigits),
		encode: hdrhistogram.New(codecHistLowest, codecHistHighest, histDigits),
	}
}

// checkCodec refuses a codec the agent cannot decode.
func checkCodec(cfg Config) error {
	switch cfg.Codec {
	case "", codecJSON, codecProtobuf:
		return nil
	}
	return fmt.Errorf("load agent: codec %q: give json or protobuf", cfg.Codec)
}

// record counts c, the check of a measured request's body (eligible: the
// request is one whose body the codec decodes), and says why the body
// failed, if it did.
func (d *bodyDecoder) record(c bodyCheck, eligible bool) (msg string, failed bool) {
	if d == nil {
		return "", false
	}
	if eligible {
		d.eligible++
	}
	if !c.checked {
		return "", false
	}
	if c.hasEncode {
		d.encoded++
		_ = d.encode.RecordValue(min(max(c.encode, codecHistLowest), codecHistHighest))
	}
	if c.failed {
		d.failed++
		return c.msg, true
	}
	d.decoded++
	_ = d.decode.RecordValue(min(max(int64(c.decode), codecHistLowest), codecHistHighest))
	return "", false
}

// report is the decoder's CodecReport; nil for a nil decoder.
func (d *bodyDecoder) report() (*CodecReport, error) {
	if d == nil {
		return nil, nil
	}
	out := &CodecReport{Codec: d.codec, Decoded: d.decoded, DecodeErrors: d.failed, Encoded: d.encoded, Eligible: d.eligible}
	var err error
	if out.Decode, err = encodeHistogram(d.decode); err != nil {
		return nil, err
	}
	if out.Encode, err = encodeHistogram(d.encode); err != nil {
		return nil, err
	}
	return out, nil
}

// serverTimingNS returns the dur of the Server-Timing entry name in
// nanoseconds ("encode;dur=0.012345" is 12345), and whether h has one. The
// header may come as several fields or as one comma-separated list.
func serverTimingNS(h http.Header, name string) (int64, bool) {
	for _, v := range h.Values("Server-Timing") {
		for _, entry := range strings.Split(v, ",") {
			params := strings.Split(entry, ";")
			if strings.TrimSpace(params[0]) != name {
				continue
			}
			for _, p := range params[1:] {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if !ok || strings.TrimSpace(k) != "dur" {
					continue
				}
				ms, err := strconv.ParseFloat(strings.Trim(strings.TrimSpace(val), `"`), 64)
				if err != nil || ms < 0 || math.IsInf(ms, 0) || math.IsNaN(ms) {
					return 0, false
				}
				return int64(math.Round(ms * 1e6)), true
			}
		}
	}
	return 0, false
}

// wireCounter counts the bytes of every connection the agent dials, as the
// connection reads and writes them: HTTP headers, bodies and framing, and
// TLS records and handshakes when TLS is on (it wraps the TCP connection,
// beneath TLS). It does not see TCP/IP headers, retransmissions or ACKs.
type wireCounter struct {
	in, out atomic.Uint64
}

// wrap returns c counting into w; it is a connWrapper.
func (w *wireCounter) wrap(c net.Conn) net.Conn { return &countedConn{Conn: c, w: w} }

// countedConn is a net.Conn that adds what it reads and writes to w.
type countedConn struct {
	net.Conn
	w *wireCounter
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.in.Add(uint64(n))
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.out.Add(uint64(n))
	return n, err
}

// Unwrap returns the dialed connection, for code that needs the
// *net.TCPConn beneath.
func (c *countedConn) Unwrap() net.Conn { return c.Conn }
