package agent

import "fmt"

// Streams (load: {connections: 1, streams: 8}): the closed loop keeps
// Streams requests in flight on each of its Connections connections, which
// HTTP/2 and HTTP/3 multiplex as streams. That is the setting that shows
// head-of-line blocking: over HTTP/2 a lost TCP segment stalls every stream
// of the connection until it is retransmitted; over QUIC only the stream
// whose data it carried.

// streamsOf is the requests in flight on each connection of the closed
// loop: Config.Streams, at least 1.
func streamsOf(cfg Config) int { return max(cfg.Streams, 1) }

// checkStreams checks Config.Streams against the model and the HTTP
// version.
func checkStreams(cfg Config) error {
	if cfg.Streams < 0 {
		return fmt.Errorf("load agent: streams %d: negative; give 1 or more", cfg.Streams)
	}
	if cfg.Streams <= 1 {
		return nil
	}
	switch {
	case cfg.Model() != ModelConnections:
		return fmt.Errorf("load agent: streams %d needs the closed loop (connections); the open loop and bursts send as their schedule says", cfg.Streams)
	case !cfg.HTTP2 && !cfg.HTTP3:
		return fmt.Errorf("load agent: streams %d needs http2 or http3: HTTP/1.1 carries one request at a time on a connection", cfg.Streams)
	case !cfg.KeepAlive:
		return fmt.Errorf("load agent: streams %d needs keepalive: a new connection per request carries one stream", cfg.Streams)
	case cfg.HTTP2 && cfg.Connections > 1:
		return fmt.Errorf("load agent: streams %d over %d HTTP/2 connections: net/http keeps a host's HTTP/2 streams on one connection; give connections 1 (HTTP/3 takes more)", cfg.Streams, cfg.Connections)
	case cfg.MaxConnections > 0 && cfg.MaxConnections != cfg.Connections:
		return fmt.Errorf("load agent: streams %d with max connections %d: the streams share the %d connections; leave max connections 0", cfg.Streams, cfg.MaxConnections, cfg.Connections)
	}
	return nil
}

// maxConnsPerHost is the TCP transport's cap on connections: MaxConnections,
// or Connections when streams share them.
func maxConnsPerHost(cfg Config) int {
	if cfg.MaxConnections == 0 && cfg.Streams > 1 {
		return cfg.Connections
	}
	return cfg.MaxConnections
}
