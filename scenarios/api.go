package scenarios

import (
	"fmt"
	"strings"
)

// The api knob: rest sends the suite's requests as HTTP; grpc makes each a
// unary call of the reference API's Orders service (servers/api/orders.proto)
// with grpc-go: GET /orders?items=N is ListOrders, POST /orders is
// CreateOrder with the request's body. gRPC runs over HTTP/2 and carries
// Protobuf, so a grpc cell needs http "2" and takes no codec but protobuf
// (a cell without codec sends and receives Protobuf all the same; codec
// protobuf also decodes and times the ListOrders replies, as for REST).

// apiProblem says why cell c cannot run as its api knob says, as the key
// path to blame and a message; "" when it can.
func (s *Suite) apiProblem(c Cell) (path, msg string) {
	if api, _ := c.Get("api"); api != "grpc" {
		return "", ""
	}
	http, ok := c.Get("http")
	switch {
	case !ok:
		return join("matrix", "api"), fmt.Sprintf("cell %s: api grpc runs over HTTP/2, and without an http knob the cell speaks HTTP/1.1; add http: [\"2\"] to the matrix", c.Name())
	case http != "2":
		return join("matrix", "api"), fmt.Sprintf("cell %s: api grpc runs over HTTP/2, not http %q; prune such cells with skip: [{api: grpc, http: %q}]", c.Name(), http, http)
	}
	if codec, _ := c.Get("codec"); codec != "" && codec != "protobuf" {
		return join("matrix", "api"), fmt.Sprintf("cell %s: api grpc carries Protobuf, so codec %s would name a cell for an encoding it never sends; prune such cells with skip: [{api: grpc, codec: %s}]", c.Name(), codec, codec)
	}
	// The one-request shorthand is server.endpoint's GET.
	if len(s.Requests) == 0 || len(s.Requests) == 1 && s.Requests[0].Name == "" && s.Server.Endpoint != "" {
		if p := pathOf(s.Server.Endpoint); p != "" && p != "/orders" {
			return join("server", "endpoint"), fmt.Sprintf("cell %s: api grpc calls the Orders service, and GET %s has no call; give /orders?items=N (ListOrders)", c.Name(), s.Server.Endpoint)
		}
		return "", ""
	}
	for i, q := range s.Requests {
		m := q.Method
		if m == "" {
			m = "GET"
		}
		if pathOf(q.Path) != "/orders" || (m != "GET" && m != "POST") {
			return index("requests", i), fmt.Sprintf("cell %s: api grpc calls the Orders service, and %s %s has no call: it has ListOrders (GET /orders?items=N) and CreateOrder (POST /orders)", c.Name(), m, q.Path)
		}
	}
	return "", ""
}

// pathOf is a request path without its query.
func pathOf(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}
