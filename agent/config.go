package agent

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config is what the runner asks of the load agent. It travels as JSON;
// durations are integer nanoseconds.
type Config struct {
	// URL is fetched with GET when Requests is empty, e.g.
	// http://198.18.0.2:8080/orders?items=20. Redirects are never
	// followed: a 3xx counts as an error, since following it would time two
	// requests as one.
	URL string `json:"url,omitempty"`
	// Requests is the request mix; empty means one GET of URL.
	Requests []Request `json:"requests,omitempty"`
	// Seed seeds the pick of requests from the mix: the same seed sends
	// the same sequence.
	Seed uint64 `json:"seed,omitempty"`
	// Rate is the open loop's constant request rate in requests per
	// second. Requests are due every 1/Rate (rounded to the nanosecond),
	// the first one 1/Rate after the start.
	Rate float64 `json:"rate,omitempty"`
	// Connections is the closed loop: this many connections, each sending
	// its next request when the previous one ends, after Think.
	Connections int           `json:"connections,omitempty"`
	Think       time.Duration `json:"think,omitempty"`
	// Burst, when set, is the burst model; see Burst.
	Burst *Burst `json:"burst,omitempty"`
	// Warmup is load sent first, in the same model and without a pause
	// after it, and left out of every figure.
	Warmup time.Duration `json:"warmup"`
	// Duration is the measured part. In open loop Rate×Duration requests
	// (rounded down) are measured; in closed loop and bursts, the requests
	// started in it.
	Duration time.Duration `json:"duration"`
	// KeepAlive reuses connections; false opens a new TCP connection for
	// every request. Bursts always open new connections.
	KeepAlive bool `json:"keepalive"`
	// Timeout bounds each request, reading the body included; 0 is
	// DefaultTimeout.
	Timeout time.Duration `json:"timeout"`
	// MaxConnections caps connections to the server; 0: no cap beyond
	// MaxInFlight.
	MaxConnections int `json:"max_connections,omitempty"`
	// MaxInFlight caps the requests in flight at once (and so the
	// goroutines and connections); 0 is MaxConns(cfg). A request due while
	// the cap is reached is sent late, and counted from its due time.
	MaxInFlight int `json:"max_in_flight,omitempty"`
	// FastOpen sets TCP_FASTOPEN_CONNECT on every socket (tfo=on).
	FastOpen bool `json:"tfo,omitempty"`
	// Congestion sets TCP_CONGESTION on every socket (cc), e.g. "cubic".
	Congestion string `json:"cc,omitempty"`
	// Nagle clears TCP_NODELAY on every connection (nodelay=off).
	Nagle bool `json:"nagle,omitempty"`
	// TLS is the tls knob: "off" (URL http://), "full" (a full TLS 1.3
	// handshake on every new connection) or "resume" (a session cache, so
	// new connections resume with a ticket); the last two need https://.
	// "" goes by the URL: https:// is then as full. "0rtt" (http3 only)
	// resumes too, and sends idempotent requests as 0-RTT early data.
	TLS string `json:"tls,omitempty"`
	// HTTP2 speaks HTTP/2 only: over TLS by ALPN, or h2c with prior
	// knowledge on http:// (http=2).
	HTTP2 bool `json:"http2,omitempty"`
	// HTTP3 speaks HTTP/3 over QUIC on UDP to the URL's host and port; it
	// needs https:// (http=3). See h3.go.
	HTTP3 bool `json:"http3,omitempty"`
	// Streams is the closed loop's requests in flight on each connection,
	// multiplexed by HTTP/2 or HTTP/3: Connections×Streams loops share
	// Connections connections. 0 is 1. See streams.go.
	Streams int `json:"streams,omitempty"`
	// IdleTimeout closes a pooled connection idle this long (client_idle);
	// 0: never.
	IdleTimeout time.Duration `json:"client_idle,omitempty"`
	// RcvBuf sets SO_RCVBUF (bytes) on every socket before connect
	// (rcvbuf); 0 leaves the kernel's autotuning. See sockbuf.go.
	RcvBuf int `json:"rcvbuf,omitempty"`
	// SlowClients holds this many slow clients (Slowloris) open beside
	// the load until its end; see slowclients.go.
	SlowClients int `json:"slow_clients,omitempty"`
	// API is the api knob: "rest" (or "") sends the requests as HTTP;
	// "grpc" makes each a unary call of the Orders service with grpc-go
	// (GET /orders is ListOrders, POST /orders CreateOrder); it needs
	// HTTP2. See grpc.go.
	API string `json:"api,omitempty"`
	// Codec is the codec knob: "json" or "protobuf" asks for that codec
	// (Accept) and decodes every measured 2xx body of a GET with it, a body
	// of another Content-Type or one that does not decode counting as an
	// error; "" decodes nothing. See decode.go.
	Codec string `json:"codec,omitempty"`
}

// Request is one request of the mix.
type Request struct {
	// Name names the request in Result.PerRequest: a-z, 0-9, '_', '-'; ""
	// only for a mix of one.
	Name string `json:"name,omitempty"`
	// Method is the HTTP method; "" is GET.
	Method string `json:"method,omitempty"`
	// URL is absolute, http:// or https://. Every request of a mix goes to
	// the same host.
	URL string `json:"url"`
	// Header holds the request's own headers. A Content-Type or Accept
	// here wins over the codec's.
	Header map[string]string `json:"header,omitempty"`
	// Body is sent as is (JSON carries it in base64).
	Body []byte `json:"body,omitempty"`
	// Weight is the request's share of the picks; 0 counts as 1.
	Weight int `json:"weight,omitempty"`
}

// Burst is the burst model: every Every, Connections requests start at the
// same instant, each on a new connection, the first burst at the start.
type Burst struct {
	Connections int           `json:"connections"`
	Every       time.Duration `json:"every"`
}

// Load models, as Config.Model names them.
const (
	ModelRate        = "rate"
	ModelConnections = "connections"
	ModelBurst       = "burst"
)

// Model names cfg's load model: ModelBurst, ModelConnections or ModelRate.
func (cfg Config) Model() string {
	switch {
	case cfg.Burst != nil:
		return ModelBurst
	case cfg.Connections > 0:
		return ModelConnections
	}
	return ModelRate
}

// DefaultTimeout is the request timeout when Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// DefaultMaxInFlight is the most requests MaxConns allows in flight by
// default. Each costs the agent about 60 KiB (its goroutine, the
// transport's two goroutines and buffers, the connection), so the agent
// stays near 128 MiB whatever the server does; 2048 in flight still
// sustain 20 000 req/s at 100 ms of latency.
const DefaultMaxInFlight = 2048

// MaxConns is the most requests cfg's load holds in flight at once, and so
// the most connections it opens: Config.MaxInFlight if set, or else enough
// for a server that stalls each request for the whole timeout
// (rate × timeout + 1), at most DefaultMaxInFlight, and at least what a
// closed loop or a burst needs.
func MaxConns(cfg Config) int {
	if cfg.MaxInFlight > 0 {
		return cfg.MaxInFlight
	}
	n := DefaultMaxInFlight
	switch cfg.Model() {
	case ModelConnections:
		n = cfg.Connections * streamsOf(cfg)
	case ModelBurst:
		n = max(cfg.Burst.Connections, min(cfg.Burst.Connections*bursts(cfg), DefaultMaxInFlight))
	default:
		n = int(min(math.Ceil(cfg.Rate*timeout(cfg).Seconds())+1, DefaultMaxInFlight))
	}
	if cfg.MaxConnections > 0 && cfg.MaxConnections < n && cfg.Model() != ModelBurst {
		n = cfg.MaxConnections
	}
	return max(n, 1)
}

// bursts is how many bursts can be in flight at once: those within one
// timeout.
func bursts(cfg Config) int {
	if cfg.Burst == nil || cfg.Burst.Every <= 0 {
		return 1
	}
	return int(timeout(cfg)/cfg.Burst.Every) + 1
}

// timeout is cfg's request timeout in effect.
func timeout(cfg Config) time.Duration {
	if cfg.Timeout > 0 {
		return cfg.Timeout
	}
	return DefaultTimeout
}

// progressEvery is how often a long run reports progress on stderr.
const progressEvery = 10 * time.Second

// request is a validated Request, ready to send.
type request struct {
	name   string
	method string
	url    string
	header http.Header
	body   []byte
	weight int
	decode bool // a GET whose body the codec decodes
}

// plan is a validated Config.
type plan struct {
	cfg        Config
	reqs       []request
	interval   time.Duration // open loop
	warmupHits uint64        // open loop: hits 0 .. warmupHits-1 are warmup
	totalHits  uint64        // hits warmupHits .. totalHits-1 are measured
	inFlight   int
	socks      *socketTracker // set by client; read back at the end
	wire       wireCounter    // bytes of every connection dialed
	h3         *h3Client      // set by client with http3; closed by Run
	calls      []grpcCall     // api grpc: the call of each of reqs
	rpc        *grpcTransport // set by client with api grpc; closed by Run
}

var namePattern = regexp.MustCompile(`^[a-z0-9_-]*$`)

// newPlan validates cfg once; every error names the field and the fix.
func newPlan(cfg Config) (*plan, error) {
	if len(cfg.Requests) == 0 {
		cfg.Requests = []Request{{URL: cfg.URL}}
	}
	p := &plan{cfg: cfg}
	var host string
	for i, r := range cfg.Requests {
		what := fmt.Sprintf("request %d", i+1)
		if r.Name != "" {
			what = fmt.Sprintf("request %q", r.Name)
		}
		u, err := url.Parse(r.URL)
		switch {
		case err != nil:
			return nil, fmt.Errorf("load agent: %s: url %q: %v; give an absolute http:// or https:// URL", what, r.URL, err)
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, fmt.Errorf("load agent: %s: url %q: scheme must be http or https", what, r.URL)
		case u.Host == "":
			return nil, fmt.Errorf("load agent: %s: url %q: no host; give e.g. http://198.18.0.2:8080/", what, r.URL)
		case host != "" && u.Scheme+"://"+u.Host != host:
			return nil, fmt.Errorf("load agent: %s: url %q: every request must go to %s, as the first does", what, r.URL, host)
		case !namePattern.MatchString(r.Name):
			return nil, fmt.Errorf("load agent: %s: name: use a-z, 0-9, '_' and '-'", what)
		case r.Name == "" && len(cfg.Requests) > 1:
			return nil, fmt.Errorf("load agent: %s: no name; every request of a mix needs one", what)
		case r.Weight < 0:
			return nil, fmt.Errorf("load agent: %s: weight %d: give 1 or more", what, r.Weight)
		}
		host = u.Scheme + "://" + u.Host
		rq := request{name: r.Name, method: strings.ToUpper(r.Method), url: r.URL, body: r.Body, weight: max(r.Weight, 1)}
		if rq.method == "" {
			rq.method = http.MethodGet
		}
		rq.header = http.Header{}
		if cfg.Codec != "" {
			rq.header.Set("Accept", mediaType(cfg.Codec))
		}
		for k, v := range r.Header {
			rq.header.Set(k, v)
		}
		rq.decode = cfg.Codec != "" && rq.method == http.MethodGet
		p.reqs = append(p.reqs, rq)
	}
	p.cfg.URL = cfg.Requests[0].URL
	switch {
	case cfg.Warmup < 0:
		return nil, fmt.Errorf("load agent: warmup %v: negative; give 0 or more", cfg.Warmup)
	case cfg.Duration <= 0:
		return nil, fmt.Errorf("load agent: duration %v: give a positive duration (e.g. 10s)", cfg.Duration)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("load agent: timeout %v: negative; give 0 for the default (%v) or more", cfg.Timeout, DefaultTimeout)
	case cfg.MaxConnections < 0:
		return nil, fmt.Errorf("load agent: max connections %d: negative; give 0 for no cap or more", cfg.MaxConnections)
	case cfg.MaxInFlight < 0:
		return nil, fmt.Errorf("load agent: max in flight %d: negative; give 0 for the default or more", cfg.MaxInFlight)
	case cfg.Think < 0:
		return nil, fmt.Errorf("load agent: think %v: negative; give 0 or more", cfg.Think)
	case cfg.RcvBuf < 0:
		return nil, fmt.Errorf("load agent: rcvbuf %d: negative; give 0 for the kernel's autotuning or bytes", cfg.RcvBuf)
	case cfg.SlowClients < 0 || cfg.SlowClients > maxSlowClients:
		return nil, fmt.Errorf("load agent: slow clients %d: give 0 to %d", cfg.SlowClients, maxSlowClients)
	}
	if err := p.checkModel(); err != nil {
		return nil, err
	}
	if err := checkTransport(p.cfg, hostScheme(host)); err != nil {
		return nil, err
	}
	if err := checkCodec(cfg); err != nil {
		return nil, err
	}
	if err := checkStreams(cfg); err != nil {
		return nil, err
	}
	if err := checkAPI(p); err != nil {
		return nil, err
	}
	p.inFlight = MaxConns(cfg)
	return p, nil
}

// checkModel checks the load model's own fields and sets the schedule.
func (p *plan) checkModel() error {
	cfg := p.cfg
	set := 0
	if cfg.Rate != 0 {
		set++
	}
	if cfg.Connections != 0 {
		set++
	}
	if cfg.Burst != nil {
		set++
	}
	if set > 1 {
		return fmt.Errorf("load agent: give one of rate, connections and burst, not %d", set)
	}
	switch cfg.Model() {
	case ModelBurst:
		if cfg.Burst.Connections <= 0 || cfg.Burst.Every <= 0 {
			return fmt.Errorf("load agent: burst %d every %v: give a positive number of connections and interval", cfg.Burst.Connections, cfg.Burst.Every)
		}
		return nil
	case ModelConnections:
		if cfg.Connections < 0 {
			return fmt.Errorf("load agent: connections %d: give 1 or more", cfg.Connections)
		}
		return nil
	}
	if math.IsNaN(cfg.Rate) || cfg.Rate <= 0 || cfg.Rate > 1e9 {
		return fmt.Errorf("load agent: rate %v: give requests per second above 0 (e.g. 100)", cfg.Rate)
	}
	p.interval = max(time.Duration(math.Round(1e9/cfg.Rate)), 1)
	p.warmupHits = uint64(cfg.Warmup / p.interval)
	p.totalHits = uint64((cfg.Warmup + cfg.Duration) / p.interval)
	if p.totalHits == p.warmupHits {
		return fmt.Errorf("load agent: duration %v at %v req/s: no request falls in it; lengthen the duration or raise the rate", cfg.Duration, cfg.Rate)
	}
	return nil
}

// hostScheme is the scheme of "scheme://host".
func hostScheme(host string) string {
	s, _, _ := strings.Cut(host, "://")
	return s
}

// due returns when open-loop hit seq was meant to be sent, as an offset
// from the start.
func (p *plan) due(seq uint64) time.Duration {
	return time.Duration(seq+1) * p.interval
}
