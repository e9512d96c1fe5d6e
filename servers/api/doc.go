// Package api holds the reference server's orders payload as Protobuf:
// orders.proto and the Go code protoc generates from it (orders.pb.go,
// committed). `make generate` regenerates it with the distribution's protoc
// (Debian's protobuf-compiler) and protoc-gen-go at the version of
// google.golang.org/protobuf in go.mod.
//
// The messages map package servers' Go model (servers.OrderList) field by
// field; servers converts between them, and the load agent decodes a
// Protobuf body into OrderList.
package api
