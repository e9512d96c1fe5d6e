package runner

import (
	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
	"github.com/tunebench/tunebench/servers"
)

// The api knob: rest or grpc reaches the load agent as agent.Config.API
// (grpc: each request of the mix a unary call of the Orders service) and
// the server as TUNEBENCH_API (see ServerEnv), which the reference server
// reads in servers.TransportFromEnv to serve gRPC beside REST.

// unitGRPC is the share of measured requests that went to the server as
// gRPC calls (api grpc): 1 when every call was answered over gRPC.
const unitGRPC = "grpc/op"

// apiAgent sets the cell's api knob on cfg. gRPC carries Protobuf, so with
// api grpc the requests' body_orders bodies are encoded as Protobuf
// whatever the codec (scenarios refuses codec json with api grpc; without a
// codec knob the runner would encode them as JSON).
func (r *run) apiAgent(cell scenarios.Cell, cfg *agent.Config) {
	api, ok := cell.Get("api")
	if !ok {
		return
	}
	cfg.API = api
	if api != "grpc" || len(cfg.Requests) != len(r.o.Suite.Requests) {
		return
	}
	for i, q := range r.o.Suite.Requests {
		if q.BodyOrders > 0 {
			// The scenarios parser has bounded BodyOrders.
			cfg.Requests[i].Body, _ = servers.EncodeOrders(servers.CodecProtobuf, q.BodyOrders)
		}
	}
}

// apiMetrics is grpc/op for a cell that called gRPC; nil otherwise.
func apiMetrics(t *agent.TraceReport) []results.Metric {
	if t == nil || !t.AskedGRPC || t.Requests == 0 {
		return nil
	}
	return []results.Metric{{Value: float64(t.GRPC) / float64(t.Requests), Unit: unitGRPC, Better: results.BetterHigher}}
}
