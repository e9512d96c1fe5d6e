// Package api holds the reference server's orders payload as Protobuf:
// orders.proto and the Go code protoc generates from it (orders.pb.go and
// the gRPC stubs of the Orders service, orders_grpc.pb.go; committed).
// `make generate` regenerates them with the distribution's protoc (Debian's
// protobuf-compiler), protoc-gen-go at the version of
// google.golang.org/protobuf in go.mod and protoc-gen-go-grpc at the
// Makefile's PROTOC_GEN_GO_GRPC.
//
// The messages map package servers' Go model (servers.OrderList) field by
// field; servers converts between them, and the load agent decodes a
// Protobuf body into OrderList.
package api
