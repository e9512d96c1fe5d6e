// Package servers is tunebench's reference API server: the program that the
// runner starts as "tunebench serve --addr IP:PORT" inside the server host's
// network namespace, and that the load agent measures across the emulated
// link.
//
// # Routes
//
//	GET /orders?items=N  N generated orders as JSON or Protobuf (0 ≤ N ≤ 10000, default 20)
//	POST /orders         an OrderList body, JSON or Protobuf by Content-Type: 201 Created
//	GET /bytes/N         exactly N bytes, application/octet-stream (N ≤ 64 MiB)
//	GET /healthz         200 "ok"
//
// A bad N gets 400 with a message that says what to send, another method 405
// and another path 404.
//
// The orders are generated from their index alone (see NewOrder) with a fixed
// clock, so the same N gives byte-identical bodies in every run and on every
// machine. The orders are generated once and kept in memory; every request
// encodes them, as a real API encodes its data for every response. The
// server's own time is in the "Server-Timing: app;dur=<ms>" header of every
// response, and /orders adds "encode;dur=<ms>", the encoding alone.
//
// # Codecs
//
// /orders comes as JSON (encoding/json, application/json) or Protobuf
// (google.golang.org/protobuf, application/x-protobuf; the messages are in
// servers/api). A request picks with ?codec=json|protobuf, else with the
// first Accept media range that names one (application/json,
// application/x-protobuf, application/protobuf,
// application/vnd.google.protobuf), else it gets the server's codec:
// Config.Codec, which `tunebench serve` takes from --codec or from
// TUNEBENCH_CODEC, the variable the runner sets for a cell with a codec
// knob.
//
// # Creating orders
//
// POST /orders decodes its body into the orders model by its Content-Type
// (the media types above; EncodeOrders makes such a body, as a suite's
// body_orders does), checks that count, when given, matches the orders and
// that each has an id, and answers 201 Created with an OrderList that
// counts the orders and holds none, in the codec that ?codec= or Accept
// asks for, else in the body's own. Server-Timing carries decode;dur=<ms>,
// the decoding alone, and encode;dur=<ms>, the reply's. A Content-Type
// that names no codec gets 415 Unsupported Media Type; a body that does not
// decode, 400 with the reason; a body over MaxOrdersBody (8 MiB, which
// holds 10000 orders as JSON), 413. Other routes read at most 64 KiB of a
// body.
//
// # gRPC
//
// With Transport.GRPC (TUNEBENCH_API=grpc, which needs HTTP/2) the same
// port also serves the Orders service of servers/api/orders.proto: an
// HTTP/2 request with Content-Type application/grpc goes to grpc-go's
// Server.ServeHTTP, h2c or TLS as the transport is. ListOrders is GET
// /orders (items absent: 20), CreateOrder is POST /orders, with the same
// cached orders, checks and Protobuf bodies; the header metadata
// "server-timing" carries encode;dur= and decode;dur= as Server-Timing
// does, and a bad request gets InvalidArgument with the reason. See
// grpc.go for why one port rather than grpc-go's own server.
//
// # Running
//
// Run listens, writes "listening <addr>" to its ready writer, and serves
// until its context is done; then it shuts down gracefully within
// ShutdownTimeout and returns nil. Listen and Serve are the two halves of Run
// for callers that need the listener first, for example to set socket
// options through WithControl:
//
//	ln, err := servers.Listen(ctx, "198.18.0.2:8080", servers.WithControl(setFastOpen))
//	if err != nil {
//		return err
//	}
//	return servers.Serve(ctx, ln, servers.Config{})
//
// The server's timeouts protect it from slow or idle clients: a client gets
// Config.ReadHeaderTimeout to send its request header, a response may take
// Config.WriteTimeout to send, and a kept-alive connection is closed after
// Config.IdleTimeout without a request.
package servers
