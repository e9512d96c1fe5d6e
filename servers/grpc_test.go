package servers

import (
	"crypto/tls"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	apipb "github.com/tunebench/tunebench/servers/api"
)

// TestGRPCInterop calls the reference server's hand-written Orders service
// with the client that protoc-gen-go-grpc generated from orders.proto, over
// h2c and over TLS 1.3: the service speaks the .proto's contract, and its
// orders are REST's.
func TestGRPCInterop(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tls   bool
		creds credentials.TransportCredentials
	}{
		{"h2c", false, insecure.NewCredentials()},
		{"tls", true, credentials.NewTLS(&tls.Config{InsecureSkipVerify: true})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveTransport(t, Transport{TLS: tc.tls, HTTP2: true, GRPC: true})
			conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(tc.creds))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			c := apipb.NewOrdersClient(conn)
			ctx := t.Context()

			var md metadata.MD
			list, err := c.ListOrders(ctx, &apipb.ListOrdersRequest{Items: proto.Int32(3)}, grpc.Header(&md))
			if err != nil {
				t.Fatalf("ListOrders: %v", err)
			}
			if got, want := FromProto(list), NewOrderList(3); !reflect.DeepEqual(got, want) {
				t.Errorf("ListOrders(3) = %+v; want %+v", got, want)
			}
			if st := md.Get("server-timing"); len(st) != 1 || !strings.HasPrefix(st[0], "encode;dur=") {
				t.Errorf("ListOrders header server-timing = %q; want one encode;dur=", st)
			}
			def, err := c.ListOrders(ctx, &apipb.ListOrdersRequest{})
			if err != nil || len(def.GetOrders()) != DefaultItems {
				t.Errorf("ListOrders without items: %d orders, %v; want %d", len(def.GetOrders()), err, DefaultItems)
			}

			md = nil
			created, err := c.CreateOrder(ctx, list, grpc.Header(&md))
			if err != nil {
				t.Fatalf("CreateOrder: %v", err)
			}
			if created.GetCount() != 3 || len(created.GetOrders()) != 0 {
				t.Errorf("CreateOrder = count %d, %d orders; want count 3, none", created.GetCount(), len(created.GetOrders()))
			}
			if st := strings.Join(md.Get("server-timing"), ","); !strings.Contains(st, "decode;dur=") || !strings.Contains(st, "encode;dur=") {
				t.Errorf("CreateOrder header server-timing = %q; want decode and encode", st)
			}

			for _, bad := range []struct {
				name string
				call func() error
			}{
				{"items over max", func() error {
					_, err := c.ListOrders(ctx, &apipb.ListOrdersRequest{Items: proto.Int32(MaxItems + 1)})
					return err
				}},
				{"order without id", func() error {
					_, err := c.CreateOrder(ctx, &apipb.OrderList{Orders: []*apipb.Order{{}}})
					return err
				}},
			} {
				if code := status.Code(bad.call()); code != codes.InvalidArgument {
					t.Errorf("%s: code %v; want InvalidArgument", bad.name, code)
				}
			}
		})
	}
}

// TestGRPCBesideREST checks that REST still answers on the port that
// serves gRPC, and that without GRPC set a gRPC call finds no service.
func TestGRPCBesideREST(t *testing.T) {
	addr := serveTransport(t, Transport{HTTP2: true, GRPC: true})
	c := transportClient(func(p *http.Protocols) { p.SetUnencryptedHTTP2(true) }, false, true)
	resp, err := c.Get("http://" + addr + "/orders?items=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		t.Errorf("REST over h2c beside gRPC: %s %s; want 200 over HTTP/2", resp.Proto, resp.Status)
	}

	plain := serveTransport(t, Transport{HTTP2: true})
	conn, err := grpc.NewClient("passthrough:///"+plain, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = apipb.NewOrdersClient(conn).ListOrders(t.Context(), &apipb.ListOrdersRequest{})
	if err == nil {
		t.Error("ListOrders on a server without GRPC succeeded; want an error")
	}
}

// TestGRPCNeedsHTTP2 checks both ways in: the environment and Serve.
func TestGRPCNeedsHTTP2(t *testing.T) {
	env := map[string]string{"TUNEBENCH_API": "grpc", "TUNEBENCH_HTTP": "1.1"}
	if _, _, err := TransportFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "TUNEBENCH_HTTP=2") {
		t.Errorf("TUNEBENCH_API=grpc with HTTP/1.1: %v; want an error naming TUNEBENCH_HTTP=2", err)
	}
	env["TUNEBENCH_HTTP"] = "2"
	tr, _, err := TransportFromEnv(func(k string) string { return env[k] })
	if err != nil || !tr.GRPC {
		t.Errorf("TUNEBENCH_API=grpc, HTTP=2: %+v, %v; want GRPC set", tr, err)
	}
	env["TUNEBENCH_API"] = "soap"
	if _, _, err := TransportFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "rest or grpc") {
		t.Errorf("TUNEBENCH_API=soap: %v; want an error naming rest or grpc", err)
	}
	ln, err := Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(t.Context(), ln, Config{Transport: Transport{GRPC: true}}) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "HTTP/2") {
			t.Errorf("Serve with GRPC and no HTTP2: %v; want an error naming HTTP/2", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Serve with GRPC and no HTTP2 kept serving; want an error")
	}
}
