package agent

import "time"

// Result is what the load agent measured. Only measured requests count
// (see Config.Warmup); every one of them is in both histograms, failed ones
// too (a timeout is latency a user waits through), so percentiles of a run
// with Errors > 0 include the failures and should be read with Errors in
// view.
type Result struct {
	// Model is the load model that ran: rate, connections or burst.
	Model string `json:"model"`
	// Requests is the number of measured requests that completed, with or
	// without an error (one never sent counts, as an error).
	Requests int `json:"requests"`
	// Errors counts measured requests that failed in transport, were never
	// sent, or got a status other than 2xx.
	Errors int `json:"errors"`
	// ErrorSamples holds up to 5 distinct error messages with their counts,
	// most frequent first, e.g. "12× dial tcp 198.18.0.2:8080: connect:
	// connection refused".
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Latency is every measured request's latency in nanoseconds, from the
	// moment it was sent to the end of the body, as an HDR histogram
	// (1µs..5min, 3 significant digits) in V2 compressed form without the
	// base64 layer; read it with DecodeHistogram.
	Latency []byte `json:"latency"`
	// LatencyCO is the same requests' latency from their intended send time
	// (a burst's instant), corrected for coordinated omission; it is never
	// below Latency.
	LatencyCO []byte `json:"latency_co"`
	// Achieved is the model's primary rate in requests per second: in open
	// loop the rate actually sent (Sent per second of Duration), otherwise
	// Throughput.
	Achieved float64 `json:"achieved"`
	// Throughput is the measured requests that completed within the
	// measured window, per second of it.
	Throughput float64 `json:"throughput"`
	// Sent is the measured requests actually sent.
	Sent int `json:"sent"`
	// SendLag is each sent measured request's lateness, its actual send
	// minus its intended one, in nanoseconds (1ns..1min), in the form
	// DecodeHistogram reads; empty when nothing was sent and in the closed
	// loop, which has no schedule. It is the agent's own error: scheduling,
	// and waiting for the in-flight cap.
	SendLag []byte `json:"send_lag,omitempty"`
	// MaxInFlight is the cap on requests in flight that the run had.
	MaxInFlight int `json:"max_in_flight"`
	// BytesIn and BytesOut are the measured requests' body bytes.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// Elapsed is from the start of the measured window to the last
	// measured completion.
	Elapsed time.Duration `json:"elapsed"`
	// Warmup is the number of warmup requests that completed.
	Warmup int `json:"warmup"`
	// Sockets is what the agent read back from its connections (warmup
	// included): algorithm, TCP_NODELAY, Fast Open, retransmissions.
	Sockets *SocketReport `json:"sockets,omitempty"`
	// Trace is what httptrace saw of the measured requests: connection
	// phases, new connections, retries, TLS handshakes, HTTP/2.
	Trace *TraceReport `json:"trace,omitempty"`
	// WireIn and WireOut are the bytes the agent's connections read and
	// wrote beneath TLS (HTTP headers, bodies, framing, TLS records), over
	// the whole run: warmup and measured requests together.
	WireIn  uint64 `json:"wire_in"`
	WireOut uint64 `json:"wire_out"`
	// QUIC is what the HTTP/3 client's QUIC connections counted (packets
	// sent and lost, 0-RTT, GSO), warmup included; nil without http3. Their
	// bytes are in WireIn and WireOut.
	QUIC *QUICReport `json:"quic,omitempty"`
	// Transfer is the measured successful bodies' bytes and transfer
	// time (first byte to end): their goodput; nil when none.
	Transfer *TransferReport `json:"transfer,omitempty"`
	// Slow is what became of the slow clients; nil without any.
	Slow *SlowReport `json:"slow,omitempty"`
	// Codec is what decoding the measured bodies found; nil without a
	// codec.
	Codec *CodecReport `json:"codec,omitempty"`
	// PerRequest holds each request's own figures, in the order of
	// Config.Requests, for a mix of more than one request.
	PerRequest []RequestResult `json:"per_request,omitempty"`
}

// RequestResult is one request of the mix's share of a Result.
type RequestResult struct {
	Name         string   `json:"name"`
	Requests     int      `json:"requests"`
	Errors       int      `json:"errors"`
	ErrorSamples []string `json:"error_samples,omitempty"`
	Latency      []byte   `json:"latency"`
	LatencyCO    []byte   `json:"latency_co"`
	// Sent, Achieved and Throughput are the request's share of Result's.
	Sent       int     `json:"sent"`
	Achieved   float64 `json:"achieved"`
	Throughput float64 `json:"throughput"`
}
