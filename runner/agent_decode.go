package runner

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
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/tunebench/tunebench/servers"
)

// The codec knob's evidence on the client side. With AgentConfig.Codec set,
// the agent asks for that codec (Accept), checks that every measured
// response says it is in it (Content-Type) and decodes its body into the
// orders model as a client of the API would; a body that fails either check
// counts as an error. It times each decode, and reads the server's own
// encoding time from the response's "Server-Timing: encode;dur=<ms>".
// Decoding runs on the recorder's goroutine once the response is timed, so
// it adds nothing to a request's latency; a body that takes longer to
// decode than the interval between requests holds vegeta's workers at the
// results channel, and vegeta then starts more of them.
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
	// AgentResult.Errors too, with their reasons in ErrorSamples).
	Decoded      int `json:"decoded"`
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

// bodyDecoder decodes the measured bodies of one attack; it is used by the
// recorder's goroutine only. A nil *bodyDecoder (no codec) checks nothing.
type bodyDecoder struct {
	codec                    servers.Codec
	decode, encode           *hdrhistogram.Histogram
	decoded, failed, encoded int
}

// newBodyDecoder returns the decoder for cfg, or nil when cfg has no codec.
func newBodyDecoder(cfg AgentConfig) *bodyDecoder {
	if cfg.Codec == "" {
		return nil
	}
	return &bodyDecoder{
		codec:  servers.Codec(cfg.Codec),
		decode: hdrhistogram.New(codecHistLowest, codecHistHighest, histDigits),
		encode: hdrhistogram.New(codecHistLowest, codecHistHighest, histDigits),
	}
}

// checkCodec refuses a codec the agent cannot decode.
func checkCodec(cfg AgentConfig) error {
	if cfg.Codec == "" {
		return nil
	}
	if c, err := servers.ParseCodec(cfg.Codec); err != nil || string(c) != cfg.Codec {
		return fmt.Errorf("load agent: codec %q: give json or protobuf", cfg.Codec)
	}
	return nil
}

// agentHeader is the header of every request: Accept names the cell's
// codec, so that a server that negotiates answers in it.
func agentHeader(cfg AgentConfig) http.Header {
	if cfg.Codec == "" {
		return nil
	}
	return http.Header{"Accept": {servers.Codec(cfg.Codec).MediaType()}}
}

// check decodes the body of a measured successful response and says why it
// failed, if it did. It records the decoding time and the server's encoding
// time.
func (d *bodyDecoder) check(res *vegeta.Result) (msg string, failed bool) {
	if d == nil {
		return "", false
	}
	if ns, ok := serverTimingNS(res.Headers, "encode"); ok {
		d.encoded++
		_ = d.encode.RecordValue(min(max(ns, codecHistLowest), codecHistHighest))
	}
	ct := res.Headers.Get("Content-Type")
	if c, ok := servers.CodecOfMedia(ct); !ok || c != d.codec {
		d.failed++
		return fmt.Sprintf("codec %s: the server sent Content-Type %q; want %s", d.codec, ct, d.codec.MediaType()), true
	}
	start := time.Now()
	_, err := servers.DecodeOrders(d.codec, res.Body)
	took := time.Since(start)
	if err != nil {
		d.failed++
		return fmt.Sprintf("codec %s: %v", d.codec, err), true
	}
	d.decoded++
	_ = d.decode.RecordValue(min(max(int64(took), codecHistLowest), codecHistHighest))
	return "", false
}

// report is the decoder's CodecReport; nil for a nil decoder.
func (d *bodyDecoder) report() (*CodecReport, error) {
	if d == nil {
		return nil, nil
	}
	out := &CodecReport{Codec: string(d.codec), Decoded: d.decoded, DecodeErrors: d.failed, Encoded: d.encoded}
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
