package runner

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/scenarios"
	"github.com/tunebench/tunebench/servers"
)

// TestAPIAgent: the api knob reaches the agent and the server
// (TUNEBENCH_API); with grpc, body_orders bodies are Protobuf even without
// a codec knob, and grpc/op is written only for a cell that called gRPC.
func TestAPIAgent(t *testing.T) {
	s := &scenarios.Suite{Name: "x", Load: scenarios.Load{Rate: 10, Duration: time.Second},
		Requests: []scenarios.Request{
			{Name: "list", Method: "GET", Path: "/orders?items=2", Weight: 3},
			{Name: "create", Method: "POST", Path: "/orders", BodyOrders: 2, Weight: 1},
		}}
	r := &run{o: Options{Suite: s}, port: 8080}
	for _, tc := range []struct {
		api   string
		codec servers.Codec
	}{{"rest", servers.CodecJSON}, {"grpc", servers.CodecProtobuf}} {
		cell := scenarios.Cell{Link: scenarios.Link{Name: "lan"}, Knobs: []scenarios.Setting{{Name: "api", Value: tc.api}, {Name: "http", Value: "2"}}}
		cfg := r.agentConfig(cell, 1)
		r.apiAgent(cell, &cfg)
		if cfg.API != tc.api {
			t.Errorf("api %s: agent API %q", tc.api, cfg.API)
		}
		want, _ := servers.EncodeOrders(tc.codec, 2)
		if len(cfg.Requests) != 2 || !bytes.Equal(cfg.Requests[1].Body, want) {
			t.Errorf("api %s: create's body is not the 2 orders in %s", tc.api, tc.codec)
		}
		if env := ServerEnv(cell, "198.18.0.2:8080"); !slices.Contains(env, "TUNEBENCH_API="+tc.api) {
			t.Errorf("api %s: server env %v; want TUNEBENCH_API=%s", tc.api, env, tc.api)
		}
	}
	if m := apiMetrics(&agent.TraceReport{Requests: 10, GRPC: 9, AskedGRPC: true}); len(m) != 1 || m[0].Unit != unitGRPC || m[0].Value != 0.9 {
		t.Errorf("apiMetrics of a gRPC cell = %+v; want grpc/op 0.9", m)
	}
	if m := apiMetrics(&agent.TraceReport{Requests: 10, HTTP2: 10}); m != nil {
		t.Errorf("apiMetrics of a REST cell = %+v; want none", m)
	}
}
