package servers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	apipb "github.com/tunebench/tunebench/servers/api"
)

// The reference API as gRPC: the Orders service of servers/api/orders.proto
// (ListOrders is GET /orders, CreateOrder is POST /orders), served on the
// REST port by routing every HTTP/2 request whose Content-Type is
// application/grpc to grpc-go's Server.ServeHTTP.
//
// Why one port and net/http's HTTP/2 rather than grpc-go's own server on a
// second listener: the cell's transport then applies to both APIs the same
// way, from one listener with one set of socket options (tfo, cc, nodelay),
// one TLS configuration (TLS 1.3, session tickets), one idle timeout and
// one max_requests limit (GOAWAY after the N-th request, gRPC calls
// counted). The price is that the server side is Go's HTTP/2 server, not
// grpc-go's transport, which spends more CPU per call; over an emulated
// path of milliseconds that is noise, and the client is grpc-go's own.
//
// The bodies are the REST ones: ListOrders encodes the cached orders of
// the same orderModels for every call, CreateOrder decodes and checks the
// orders with decodeCreate, and both say their encoding and decoding time
// in the header metadata "server-timing" as REST's Server-Timing does
// ("encode;dur=<ms>"). To time the encoding itself rather than grpc-go's
// marshalling of a message, the handlers take and return encoded bytes
// (rawMessage) through a codec that passes them through; the wire is the
// same Protobuf a generated client sends and reads (see the interop test).

// MediaGRPC is the Content-Type prefix of gRPC requests
// (application/grpc, application/grpc+proto).
const MediaGRPC = "application/grpc"

// maxGRPCMessage bounds a message either way: CreateOrder's request, like
// POST /orders's body, is at most MaxOrdersBody.
const maxGRPCMessage = MaxOrdersBody

// rawMessage is a message already encoded as Protobuf.
type rawMessage struct{ b []byte }

// rawCodec passes rawMessage through as its bytes and marshals anything
// else as Protobuf. Its name is "proto", so the content-subtype on the
// wire is the standard one (application/grpc+proto or application/grpc).
type rawCodec struct{}

// Marshal implements encoding.Codec.
func (rawCodec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case *rawMessage:
		return m.b, nil
	case proto.Message:
		return proto.Marshal(m)
	}
	return nil, fmt.Errorf("servers: gRPC codec: cannot marshal %T", v)
}

// Unmarshal implements encoding.Codec.
func (rawCodec) Unmarshal(data []byte, v any) error {
	switch m := v.(type) {
	case *rawMessage:
		m.b = append(m.b[:0], data...) // data's buffer goes back to grpc-go's pool
		return nil
	case proto.Message:
		return proto.Unmarshal(data, m)
	}
	return fmt.Errorf("servers: gRPC codec: cannot unmarshal into %T", v)
}

// Name implements encoding.Codec.
func (rawCodec) Name() string { return "proto" }

// ordersRPC is the handler type of ordersDesc.
type ordersRPC interface {
	listOrders(ctx context.Context, req []byte) (*rawMessage, error)
	createOrder(ctx context.Context, req []byte) (*rawMessage, error)
}

// ordersDesc is the Orders service with handlers that take and return
// encoded messages; its names are those of the generated
// apipb.Orders_ServiceDesc.
var ordersDesc = grpc.ServiceDesc{
	ServiceName: apipb.Orders_ServiceDesc.ServiceName,
	HandlerType: (*ordersRPC)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "ListOrders", Handler: rawHandler(ordersRPC.listOrders)},
		{MethodName: "CreateOrder", Handler: rawHandler(ordersRPC.createOrder)},
	},
	Metadata: apipb.Orders_ServiceDesc.Metadata,
}

// rawHandler adapts a method of ordersRPC to a grpc.MethodDesc handler.
// There are no interceptors, so interceptor is always nil.
func rawHandler(call func(ordersRPC, context.Context, []byte) (*rawMessage, error)) func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
	return func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		var in rawMessage
		if err := dec(&in); err != nil {
			return nil, err
		}
		return call(srv.(ordersRPC), ctx, in.b)
	}
}

// grpcOrders serves the Orders service.
type grpcOrders struct {
	models orderModels
}

// listOrders is ListOrders: serveOrders's work for codec protobuf.
func (g *grpcOrders) listOrders(ctx context.Context, req []byte) (*rawMessage, error) {
	var in apipb.ListOrdersRequest
	if err := proto.Unmarshal(req, &in); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "servers: ListOrders: decoding the request: %v; send a tunebench.api.v1.ListOrdersRequest", err)
	}
	n := DefaultItems
	if in.Items != nil {
		n = int(in.GetItems())
	}
	if n < 0 || n > MaxItems {
		return nil, status.Errorf(codes.InvalidArgument, "servers: ListOrders: items %d: give 0 to %d", n, MaxItems)
	}
	g.models.first(n) // growing the slice is not encoding: keep it out of the timing
	start := time.Now()
	body, err := g.models.encode(CodecProtobuf, n)
	took := time.Since(start)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "servers: encoding the orders: %v", err)
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs("server-timing", timingEntry("encode", took)))
	return &rawMessage{b: body}, nil
}

// createOrder is CreateOrder: serveCreate's work for codec protobuf.
func (g *grpcOrders) createOrder(ctx context.Context, req []byte) (*rawMessage, error) {
	start := time.Now()
	orders, err := decodeCreate(CodecProtobuf, req)
	decoded := time.Since(start)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "servers: CreateOrder: %v", err)
	}
	start = time.Now()
	reply, err := encodeCount(CodecProtobuf, len(orders))
	encoded := time.Since(start)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "servers: encoding the reply: %v", err)
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs("server-timing", timingEntry("decode", decoded), "server-timing", timingEntry("encode", encoded)))
	return &rawMessage{b: reply}, nil
}

// newGRPCServer returns a gRPC server with the Orders service, to be
// served through its ServeHTTP.
func newGRPCServer() *grpc.Server {
	s := grpc.NewServer(
		grpc.ForceServerCodec(rawCodec{}),
		grpc.MaxRecvMsgSize(maxGRPCMessage),
		grpc.MaxSendMsgSize(maxGRPCMessage),
	)
	g := &grpcOrders{}
	g.models.first(DefaultItems) // as Handler does: no measured call pays for it
	s.RegisterService(&ordersDesc, g)
	return s
}

// isGRPC reports whether r is a gRPC call: HTTP/2 with a gRPC Content-Type.
func isGRPC(r *http.Request) bool {
	return r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), MediaGRPC)
}

// withGRPC routes the gRPC calls to a gRPC server with the Orders service
// and everything else to rest.
func withGRPC(rest http.Handler) http.Handler {
	g := newGRPCServer()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isGRPC(r) {
			g.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})
}
