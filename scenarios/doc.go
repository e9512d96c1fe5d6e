// Package scenarios reads suite files: which network paths to emulate,
// which tunings to compare on them, which server to measure and how hard to
// drive it. It parses and validates a suite, naming every problem by file,
// line and key, and expands it into cells, one per combination, each of
// which becomes one benchmark line per repetition.
//
// # A suite file
//
//	suite: handshake
//	description: Connection-phase cost at two distances
//	links:
//	  - {name: lan, rtt: 1ms}
//	  - {name: wan40, rtt: 40ms, jitter: 1ms, loss: 0.1%}
//	server: {endpoint: "/orders?items=20"}
//	matrix:
//	  keepalive: [on, off]
//	load: {rate: 50, duration: 5s, warmup: 1s, count: 6}
//
// Every link is crossed with every combination of matrix values, so this
// suite has 2 × 2 = 4 cells, measured 6 times each. A cell's lines are
// named after the suite and the cell, link first and then the knobs in the
// matrix's order:
//
//	BenchmarkHandshake/link=wan40/keepalive=off
//
// so that `benchstat -col /keepalive` sets keep-alive on and off side by
// side, per link.
//
// # Top-level keys
//
//	suite        required. The suite's name: up to 64 letters and digits,
//	             starting with a letter. It becomes the benchmark name with
//	             its first letter capitalised (handshake → BenchmarkHandshake).
//	description  optional. One line for reports.
//	links        required. The network paths, a list of at least one link.
//	server       optional. The server to measure.
//	requests     optional. The request mix to send (see Requests).
//	targets      optional. The mix from a vegeta targets file (see Requests).
//	matrix       required. The knobs to compare and their values.
//	only, skip   optional. Prune the matrix (see Pruning).
//	load         required. The load of one repetition (see Load).
//	gates        optional. Objectives the results must meet (see Gates).
//	sysctl       optional. Namespace-scoped sysctls of every cell.
//
// Unknown keys are errors at every level, so that a misspelt setting is
// never silently ignored.
//
// # Links
//
// A link describes both directions of the path between the client host and
// the server host. Each direction gets half of rtt as its one-way delay and
// the link's jitter, loss, rate and queue.
//
//	name          required. a-z, 0-9, _ and -, starting with a letter or
//	              digit, up to 20 characters, unique in the suite.
//	rtt           round-trip time, a duration: 40ms, 1.5s. 0 (the default)
//	              to 10s.
//	jitter        per direction, a duration up to rtt/2 (the one-way delay
//	              must not go negative). Needs an rtt.
//	distribution  the jitter's shape: uniform (the default) or normal
//	              (jitter is then the standard deviation). Needs jitter.
//	reorder       true lets jittered packets overtake one another, as netem
//	              does by default; false (the default) keeps them in order,
//	              as most real paths do. Needs jitter.
//	loss          random loss per packet in each direction, a percentage
//	              with its % sign: 0.1%. From 0% up to, not including, 100%.
//	rate          the bottleneck bandwidth in bit/s: 100mbit, 1.5gbit,
//	              512kbit, or a plain number of bit/s; from 8kbit to 400gbit.
//	              Units count in thousands, as tc does. "mbps" and the other
//	              bps spellings are refused: tc reads them as bytes per
//	              second, while most people mean bits. Unset: unlimited.
//	queue         the bottleneck's buffer in packets, 1 to 1000000. Needs a
//	              rate.
//	queue_bytes   the buffer in bytes instead: 64kb, 1mb (k and m are 1024,
//	              as in tc), at least one packet. Needs a rate; not with
//	              queue.
//	mtu           576 to 9000; default 1500.
//	seed          a whole number that seeds loss and jitter, so that a run
//	              can be repeated packet for packet.
//	up, down      settings that differ in one direction: up is client →
//	              server, down is server → client. They take delay (one-way,
//	              instead of rtt), jitter, loss, rate, queue and queue_bytes;
//	              what they leave out comes from the link. A zero there is
//	              refused, since it would read as "the link's value": leave
//	              the setting out of the link and give it only in the
//	              direction that has it.
//
// An ADSL-like link, 20mbit down and 1mbit up, that loses packets only on
// the way down:
//
//	links: [{name: adsl, rtt: 30ms, rate: 20mbit, up: {rate: 1mbit}, down: {loss: 0.5%}}]
//
// Durations are written as Go writes them (ns, us, ms, s, m, h; 1.5s, 2m30s);
// a bare number other than 0 is refused, since 40 could be seconds or
// milliseconds.
//
// # Server
//
//	endpoint  the request path and query, starting with /; default
//	          /orders?items=20, the reference server's order listing.
//	          It is the one-request shorthand: every cell sends GET
//	          endpoint. Not with requests: or targets:.
//	command   starts your own server instead of the reference one, in the
//	          server host: a command line run under /bin/sh -c
//	          ("./myapi --listen {addr}"), or a list run without a shell,
//	          each argument on its own (["./myapi", "--listen", "{addr}"]).
//	          A relative program is found from the directory tunebench
//	          runs in. See "Your own server".
//	ready     an HTTP path of your own server (e.g. /healthz) that answers
//	          2xx once it can take load. Without it the runner waits for a
//	          TCP socket to listen in the server host.
//	port      the server's TCP port; 0 (the default) lets the runner choose.
//
// # Requests
//
// A suite may list the requests it sends instead of server.endpoint:
//
//	suite: shop
//	links: [{name: lan, rtt: 2ms}]
//	requests:
//	  - {name: list, path: "/orders?items=20", weight: 3}
//	  - {name: create, method: POST, path: /orders, body_orders: 2}
//	  - {name: note, method: PUT, path: /notes/1, body: "hello", headers: {Content-Type: text/plain}}
//	matrix:
//	  codec: [json, protobuf]
//	load: {rate: 50, duration: 5s}
//
// Each request takes:
//
//	name         required. a-z, 0-9, _ and -, up to 32, starting with a
//	             letter or digit; unique in the suite. With more than one
//	             request, each writes its own result line per repetition,
//	             its name the last key: BenchmarkShop/link=lan/codec=json/req=create.
//	method       the HTTP method, upper case; default GET.
//	path         required. The path and query, starting with /; the
//	             runner puts the server's scheme and address before it.
//	headers      a mapping of header to value, sent as given. Host,
//	             Content-Length, Transfer-Encoding and Connection are the
//	             agent's own and refused. A Content-Type here wins over
//	             body_orders' own.
//	weight       the request's share of the schedule, 1 to 1000000;
//	             default 1. Requests are picked in these proportions,
//	             deterministically from the run's seed: list above is sent
//	             three times as often as create.
//	body         the body: text, or "@file" to read a file relative to the
//	             suite's directory, as curl's -d @file does (at most 8 MiB).
//	body_orders  N reference orders, 1 to 10000, encoded with the cell's
//	             codec (json without a codec knob) and sent with its
//	             Content-Type: what the reference server's POST /orders
//	             decodes (201 Created, decode;dur= in Server-Timing).
//
// body and body_orders exclude each other, and neither is allowed on GET
// or HEAD. A mix lists at most 100 requests. Unknown keys, a missing body
// file, a weight of 0 and a name given twice are errors with file:line.
// A body from a file:
//
//	requests:
//	  - {name: raw, method: PUT, path: /x, body: "@payload.json", headers: {Content-Type: application/json}}
//
// targets names a file in vegeta's HTTP targets format instead, read with
// vegeta's own targeter:
//
//	targets: targets.txt
//
// where targets.txt holds, for example,
//
//	GET http://localhost/orders?items=20
//
//	POST http://localhost/orders
//	Content-Type: application/json
//	@create.json
//
// Every request goes to the server under test, so a URL's scheme and host
// are dropped and only its path and query count. A body file (@file) is
// relative to the targets file. Each target has weight 1 and is named
// after its method and the first two segments of its path (get-orders,
// post-v1-orders; get-root for /), with _2, _3 for a name used again, in
// file order. A problem in the file is reported as targets.txt:LINE.
// requests:, targets: and server.endpoint exclude one another.
//
// # Your own server
//
// A server of your own runs under the same contract as the reference one:
//
//   - It is started in the server host, so the kernel knobs (tfo, cc,
//     initcwnd, initrwnd, sysctl) apply to it
//     unchanged; it needs no socket option of its own for them (tfo=on
//     lets every listener of the host take Fast Open).
//   - Placeholders in command: {server} (the server host's address,
//     198.18.0.2), {port}, {addr} (address:port, where to listen) and
//     {knob} for every knob of the cell ({codec} is json or protobuf).
//     An unknown {name} is left as written.
//   - Environment: TUNEBENCH_ADDR (address:port), TUNEBENCH_CELL (the
//     cell's name) and TUNEBENCH_<KNOB>=value for every knob of the cell,
//     the name upper-cased (TUNEBENCH_CODEC=protobuf, TUNEBENCH_TLS=full).
//   - Ready: the runner polls GET <ready> from the server host every 20ms
//     (https:// with tls full or resume, the certificate not checked)
//     until it answers 2xx, for up to 10s; without ready, until a TCP
//     socket listens. A server that exits first, or is not ready in time,
//     fails the repetition with the last lines of its stderr.
//   - Logs: its stdout and stderr go to one file per repetition next to
//     the results, results.logs/<cell>/rep<N>.log for results.txt
//     (link=lan/codec=json/rep1.log). A repetition that fails names its
//     log and ends with the server's last stderr lines.
//   - It is stopped with SIGTERM, and SIGKILL 2s later, with anything it
//     started (its process group). Its CPU time per request
//     (server-cpu-ns/op) is that of its whole process group.
//   - With a codec knob, it answers the agent's Accept header
//     (application/json or application/x-protobuf) with that Content-Type
//     and the orders payload (servers/api/orders.proto, or its JSON
//     form); anything else counts as an error.
//
// # Matrix
//
// The matrix maps each knob to the values to compare, in the order the
// cells are named. A value may be given alone (keepalive: off) to fix a knob
// for the whole suite. A value may not be listed twice. The knobs are:
//
//	keepalive  on, off. HTTP keep-alive: reuse connections (on) or open one
//	           per request (off). true and false are read as on and off.
//	codec      json, protobuf. The encoding of the /orders payload: the
//	           agent asks for it (Accept), checks the Content-Type and
//	           decodes every measured body; the reference server encodes
//	           every response (TUNEBENCH_CODEC, or per request Accept or
//	           ?codec=). Evidence: wire-B/op, server-cpu-ns/op, encode-ns,
//	           decode-ns, decoded/op (see the README).
//	tls        off, full, resume, 0rtt. TLS 1.3 on every connection, with a
//	           certificate the reference server makes at start (ECDSA
//	           P-256, self-signed for its address; session tickets on).
//	           full: the agent keeps no sessions, so every new connection
//	           makes a full handshake; resume: it keeps them, so a new
//	           connection resumes with a ticket from an earlier one. The
//	           URL becomes https://. Go has no 0-RTT: a TLS 1.3 handshake,
//	           full or resumed, takes one round trip; resumption saves the
//	           certificate's bytes and the signature's CPU, not a round trip.
//	           0rtt (http "3" only): QUIC resumes too, and the agent sends
//	           GET and HEAD as 0-RTT early data in its first flight; the
//	           reference server accepts it. Evidence: 0rtt/op.
//	http       1.1, 2, 3. The agent speaks only that version: HTTP/2 by ALPN
//	           over TLS, h2c with prior knowledge without it (the reference
//	           server accepts both beside HTTP/1.1); HTTP/3 over QUIC
//	           (quic-go) on UDP at the server's port, always encrypted. A
//	           server that cannot speak it fails the cell instead of
//	           measuring another version. tls 0rtt with http other than
//	           "3", http "3" with tls off, and http "3" with tfo on (TCP's
//	           Fast Open; QUIC runs over UDP) are errors that name the
//	           skip: entry pruning them (handshakes.yaml skips them). The
//	           kernel's TCP knobs (cc, initcwnd, nodelay, rcvbuf) do not
//	           reach QUIC, which runs its own CUBIC in user space, and
//	           max_requests does not apply to HTTP/3. keepalive off is a new
//	           QUIC connection per request. Evidence: h3/op, 0rtt/op,
//	           quic-lost/op, quic-pkts/op, quic-conns/op, quic-gso.
//	api        rest, grpc. What the agent calls: rest sends the requests
//	           as HTTP; grpc makes each a unary call of the Orders service
//	           (servers/api/orders.proto) with grpc-go: GET /orders?items=N
//	           is ListOrders, POST /orders is CreateOrder with the request's
//	           body (body_orders encoded as Protobuf). The reference server
//	           serves gRPC on its port beside REST (TUNEBENCH_API=grpc).
//	           gRPC runs over HTTP/2 and carries Protobuf: a grpc cell needs
//	           http "2" and a codec of protobuf or none, and its requests
//	           must be GET or POST /orders; other cells are errors that name
//	           the skip: entry to prune them (api.yaml skips api grpc with
//	           codec json). keepalive on is one connection for every call;
//	           off is a new connection per call, which grpc-go uses only
//	           once the server's SETTINGS have come: a round trip more than
//	           REST over HTTP/2. Evidence: grpc/op.
//	max_requests  an integer, 0 (no limit) to 1000000. The server closes a
//	           connection after answering that many requests on it
//	           (Connection: close in HTTP/1.1, GOAWAY in HTTP/2), as
//	           nginx's keepalive_requests does.
//	server_idle   a duration (500ms, 5s), 1ms to 1h. The server's idle
//	           timeout: how long a kept-alive connection may wait for its
//	           next request. Default 90s.
//	client_idle   a duration, 1ms to 1h. How long the agent keeps an idle
//	           connection in its pool (Go's IdleConnTimeout). Default: for
//	           ever. Durations are written as Go prints them (1m30s), in
//	           cell names too.
//	rate       an integer, 1 to 100000: the cell's load is open loop at
//	           this many requests per second, in place of load's model.
//	connections  an integer, 1 to 10000: the cell's load is a closed loop
//	           over this many connections (load's think applies).
//
// With rate or connections in the matrix, load gives no model of its own
// (duration, warmup, count and the rest still apply), and a matrix has at
// most one of the two. A matrix of rates draws the hockey stick: the
// report shows latency against rate for each value of the other knobs,
// with the suite's latency gates as lines when it is given them.
//
//	suite: knee
//	links: [{name: lan, rtt: 2ms}]
//	matrix:
//	  rate: [100, 400, 1600, 6400]
//	  codec: [json, protobuf]
//	load: {duration: 5s, warmup: 1s}
//	gates:
//	  - {metric: p99, max: 50ms}
//
// tls, http, api, max_requests and server_idle reach a server of one's own
// as TUNEBENCH_TLS, TUNEBENCH_HTTP, TUNEBENCH_API, TUNEBENCH_MAX_REQUESTS
// and TUNEBENCH_SERVER_IDLE (with TUNEBENCH_API=grpc the server must serve
// the Orders service of servers/api/orders.proto on its port);
// keepalive.yaml shows the classic mismatch of server_idle shorter than
// client_idle.
//
// Every repetition also reports what the agent's httptrace saw of the
// measured requests (warmup requests are told apart by vegeta's sequence
// number, which travels in each request's X-Vegeta-Seq header):
//
//	conns/op           new connections per request
//	retries/op         requests Go's transport sent again on a new
//	                   connection because the reused one died before any
//	                   response byte (the keep-alive race)
//	tls-handshakes/op  TLS handshakes per request (tls full or resume)
//	tls-resumed/op     of which resumed (tls full or resume)
//	h2/op              responses over HTTP/2 per request (http: 2)
//	grpc/op            calls the server answered over gRPC per request
//	                   (api: grpc; a status other than OK is an error)
//	connect-ns         median TCP connect, over the requests that opened a
//	                   connection (absent when none did)
//	tls-ns             median TLS handshake, over the requests that made one
//	ttfb-ns            median from the request written to its first
//	                   response byte: one round trip plus the server's time
//	body-ns            median from the first byte to the end of the body
//
// With http "3" the QUIC connection's handshake is tls-ns (there is no
// separate connect), and the lines add:
//
//	h3/op              responses over HTTP/3 per request
//	0rtt/op            requests sent as 0-RTT early data that the server
//	                   accepted (tls 0rtt; near 1 after the warmup)
//	quic-lost/op       the agent's QUIC packets declared lost (their frames
//	                   resent), per request of the run, warmup included
//	quic-pkts/op       the agent's QUIC packets sent, per request of the run
//	quic-conns/op      QUIC connections per request of the run
//	quic-gso           share of the connections whose socket sent with UDP
//	                   GSO (off on the kernel netem backend with loss or a
//	                   rate, where the qdisc would drop a batch whole)
//
// The kernel knobs are applied to both hosts after the link is up and
// before the server starts, so a server of one's own gets them unchanged;
// each is written and read back, and a value the kernel cannot honour
// fails the cell's repetitions with the reason (never the default
// measured instead):
//
//	tfo        off, on. TCP Fast Open: net.ipv4.tcp_fastopen is 1 in the
//	           client host and 0x403 in the server host (0x400: every
//	           listener, without the TCP_FASTOPEN option); the agent sets
//	           TCP_FASTOPEN_CONNECT and the reference server TCP_FASTOPEN.
//	           off writes 0 in both. Fast Open helps new connections only:
//	           compare it with keepalive: off (or max_requests). Each
//	           repetition has fresh hosts, so its first connection only
//	           fetches the cookie; tfo: on therefore needs a warmup of at
//	           least one request. Evidence: tfo-active/op, tfo-fail/op
//	           (client), tfo-passive/op, tfo-cookie/op (server), nstat
//	           counter deltas over the whole load, warmup included, per
//	           request sent (warmup included). A cell fails ("disabled by
//	           policy or by the kernel") when connections were opened after
//	           the first response arrived and none used Fast Open, and when
//	           the client's TCP_FASTOPEN_CONNECT is refused. Connections
//	           opened together at the start (keep-alive at a high rate) all
//	           ask for a cookie; they are shown, not failed.
//	cc         cubic, bbr, reno. Congestion control of both hosts: the
//	           route metric congctl on each host's route (a namespace may
//	           only default to the host's tcp_allowed_congestion_control),
//	           TCP_CONGESTION on the agent's sockets and the reference
//	           server's listener. An algorithm the kernel lacks fails the
//	           cell. Evidence: the algorithm read back from every agent
//	           socket and, through sock_diag, from the server's
//	           connections (a mismatch fails the cell); retrans/op, the
//	           server host's TcpRetransSegs per request, and
//	           client-retrans/op, the agent sockets' TCP_INFO
//	           total_retrans per request.
//	initcwnd   an integer, 1 to 1000: the initial congestion window in
//	           segments, a route metric in both hosts.
//	initrwnd   an integer, 1 to 1000: the initial receive window the
//	           hosts advertise, a route metric. With a larger initcwnd,
//	           raise it too, or the client's window caps the first flight.
//	nodelay    on, off. off clears TCP_NODELAY on the agent's connections
//	           and the reference server's accepted ones (Go sets it by
//	           default); a server of one's own gets TUNEBENCH_NODELAY=off.
//	           GET /split/N shows the Nagle/delayed-ACK stall.
//	sysctl.KEY any value, spaces written as commas: the namespace-scoped
//	           sysctl KEY in both hosts, e.g.
//	           sysctl.net.ipv4.tcp_slow_start_after_idle: [0, 1] names
//	           cells .../sysctl.net.ipv4.tcp_slow_start_after_idle=0.
//
// The knobs of the common tuning claims (scenarios/claims/); a server of
// one's own gets them as TUNEBENCH_BACKLOG, TUNEBENCH_SNDBUF,
// TUNEBENCH_HEADER_TIMEOUT and TUNEBENCH_MAX_CONNS:
//
//	backlog        1 to 65535: the server's listen(2) backlog, read back
//	               through sock_diag (a listener's idiag_wqueue) once it
//	               listens; the kernel clamps it to net.core.somaxconn
//	               (4096 in a fresh namespace), and a backlog the listener
//	               did not get fails the cell, naming somaxconn when that
//	               is why. Evidence, with backlog, a burst load or a
//	               somaxconn, tcp_max_syn_backlog or tcp_syncookies sysctl:
//	               listen-overflows/op, listen-drops/op,
//	               syncookies-sent/op (server host's TcpExtListenOverflows,
//	               ListenDrops, SyncookiesSent) and syn-retrans/op (client
//	               host's TcpExtTCPSynRetrans), per request.
//	rcvbuf         bytes, 4096 to 1 GiB: SO_RCVBUF on every agent socket
//	               before connect (SO_RCVBUFFORCE, so net.core.rmem_max
//	               does not cap it), read back at once: the kernel keeps
//	               twice the value (half of it for its own bookkeeping) and
//	               stops autotuning (tcp_rmem). A value read back other than
//	               twice fails the connection.
//	sndbuf         bytes, 4096 to 1 GiB: SO_SNDBUF on the server's listener,
//	               which its accepted connections inherit; every server
//	               connection's send buffer is read back through sock_diag
//	               and must be twice the value. Evidence, with rcvbuf,
//	               sndbuf or a tcp_rmem, tcp_wmem, rmem_max or wmem_max
//	               sysctl: goodput-B/s (measured body bytes over their
//	               transfer time, first response byte to end; higher is
//	               better), rwnd-limited and sndbuf-limited (the share of
//	               the server connections' TCP_INFO busy time limited by
//	               the client's receive window, or by its own send buffer;
//	               read every 50 ms during the load).
//	header_timeout a duration: how long the reference server lets a client
//	               take to send a request's header (default 5s).
//	max_conns      1 to 1000000: connections the reference server serves at
//	               once; the others wait in its listen queue. Evidence,
//	               with load.slow_clients: slow-held, the slow clients the
//	               server still held at the end of the measured window.
//
// With a keepalive or max_requests knob, or a tcp_tw_reuse,
// ip_local_port_range, tcp_fin_timeout or tcp_max_tw_buckets sysctl, lines
// also carry client-timewait and server-timewait (both hosts' sockets in
// TIME_WAIT right after the load, counted through sock_diag: the side that
// closes first keeps them, and with the reference server that is the
// server), connect-errors/op and connect-<errno>/op (failed connects by
// errno, e.g. connect-eaddrnotavail/op when the ephemeral ports run out;
// that one is always there). sysctl.net.ipv4.ip_local_port_range and
// sysctl.net.ipv4.tcp_tw_reuse are namespace-scoped.
//
// sysctl, at the top level, fixes sysctls for every cell (a cell's
// sysctl.KEY knob wins over it):
//
//	sysctl: {net.core.somaxconn: 4096, net.ipv4.tcp_rmem: "4096 131072 6291456"}
//
// Only net.* sysctls that a network namespace has its own copy of can be
// set. The parser checks the name's shape (net.*) with file:line; it makes
// no system call, so whether a fresh namespace has the key, writable, is
// the runner's check, before a cell is measured: one that a fresh
// namespace lacks (net.core.netdev_max_backlog) or shows read-only
// (net.ipv4.tcp_allowed_congestion_control) fails the cell with the
// reason. The host's own sysctls are never written.
//
// Knobs returns this table; a knob joins it when the runner can apply it.
//
// # Pruning
//
// only and skip are lists of partial cells: mappings from link or a knob to
// one value. only keeps the cells that match at least one entry; skip then
// drops the cells that match any entry. A key or value that no cell has is
// an error, and so is pruning every cell away.
//
//	only: [{link: wan40}, {keepalive: on}]  # wan40, and keep-alive on anywhere,
//	skip: [{link: wan40, keepalive: off}]   # but not wan40 with it off
//
// leaves two of the example's cells: link=lan/keepalive=on and
// link=wan40/keepalive=on.
//
// A suite may have at most MaxCells cells after pruning.
//
// # Load
//
// load gives one load model and the timing of a repetition:
//
//	rate          open loop: requests per second, over 0 and at most
//	              100000, sent on schedule whether or not earlier ones
//	              have been answered, so that a slow server shows up as
//	              latency, not as a lower rate. req/s is the rate sent.
//	connections   closed loop: this many connections, 1 to 10000, each
//	              sending its next request when the previous one ends (wrk's
//	              model). Its primary figure is throughput: req/s is the
//	              completions per second of the measured window.
//	think         with connections: a pause between a response and the
//	              next request on its connection, up to 1m; default 0.
//	streams       with connections: requests in flight on each connection,
//	              1 to 100, multiplexed as HTTP/2 or HTTP/3 streams
//	              ({connections: 1, streams: 8}: head-of-line blocking, see
//	              hol.yaml); needs http "2" or "3" and keepalive on, and
//	              connections 1 over HTTP/2 (Go keeps a host's HTTP/2
//	              streams on one connection).
//	search        capacity search: {p99: 100ms, max_rate: 5000}, see below.
//	burst         {connections: 200, every: 2s}, see below.
//	slow_clients  0 to 10000 slow clients (Slowloris) beside the load: each
//	              connects once from the client host, starts a request's
//	              header and sends one more byte of it every 2 s until the
//	              end of the measured window; slow-held counts those the
//	              server had not cut off by then.
//	duration      required. The measured time of a repetition (of each
//	              probe, with search), over 0 and at most 1h.
//	warmup        unmeasured load before it; default 0.
//	count         repetitions of every cell, 1 to 1000; default 6, the
//	              fewest for which benchstat gives a confidence interval.
//	timeout       per request; default 10s.
//	cell_timeout  bound on one repetition, setup and teardown included;
//	              default warmup + duration + 30s; at least warmup +
//	              duration.
//
// Exactly one of rate, connections, search and burst is given, unless the
// matrix has a rate or connections knob, which gives every cell its model
// (see Matrix). Closed loop, 8 connections with a 10 ms pause:
//
//	load: {connections: 8, think: 10ms, duration: 5s, warmup: 1s}
//
// search finds, for each cell, the highest constant rate whose measured
// window meets an objective: it brackets, then bisects, each probe a full
// warmup + duration, and reports its probes in the progress output. Each
// repetition writes the rate found with the unit slo-req/s (better=higher),
// so benchstat compares capacity across knobs.
//
//	load:
//	  search: {p99: 100ms, max_rate: 5000, errors: 1%}
//	  duration: 3s
//	  warmup: 1s
//
// Its keys: one latency objective, the metric as gates name it (p50, p90,
// p99, p999, p99co, mean, max) mapped to the largest allowed value;
// max_rate, required, the highest rate tried (at most 100000); errors,
// optional, the largest fraction of failed requests a passing probe may
// have (0.01 or 1%; default 0, none).
//
// burst starts, at every interval, N requests at the same instant, each on
// a new connection, their latency counted from the burst's instant: what
// listen backlogs, SYN queues and accept loops are about. every is at most
// the duration, so that a burst falls in the measured window.
//
//	load: {burst: {connections: 200, every: 2s}, duration: 10s}
//
// # Errors
//
// Parse reports every problem in a file, each as
//
//	quick.yaml:7: links[1].loss: 120% is over 100%; give a loss between 0% and 100%
//
// The text ends with what to write instead.
//
// # Gates
//
// gates is a list of absolute objectives that `tunebench run --gate` and
// `tunebench gate --suite` check on the results; every cell that where
// selects must keep the median of its repetitions within max and min:
//
//	gates:
//	  - {metric: p99, max: 150ms, where: {link: wan40, keepalive: on}}
//	  - {metric: rate, min: 19}
//	  - {metric: errors, max: 0.5%}
//
// metric is one of p50, p90, p99, p999, p99co, mean, max (durations),
// rate (requests per second) or errors (a fraction: 0.005 or 0.5%), or a
// unit as results files write it (p99-ns, req/s, and slo-req/s, the
// capacity a search found: {metric: slo-req/s, min: 400}). A metric, key
// or value that matches nothing is an error, never a silent pass.
package scenarios
