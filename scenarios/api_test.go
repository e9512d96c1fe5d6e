package scenarios

import (
	"strings"
	"testing"
)

// TestAPIPairs checks the api knob against http, codec and the requests:
// every impossible cell is a file:line error that says why and how to
// prune it.
func TestAPIPairs(t *testing.T) {
	suite := func(extra, matrix string) string {
		return "suite: t\nlinks:\n  - {name: wan, rtt: 40ms}\n" + extra + "matrix:\n" + matrix + "load: {rate: 10, duration: 1s}\n"
	}
	for _, tc := range []struct {
		name, data, wantErr string
	}{
		{"grpc over h2", suite("", "  api: [rest, grpc]\n  http: [\"2\"]\n"), ""},
		{"grpc without http", suite("", "  api: [rest, grpc]\n"),
			`t.yaml:4: matrix.api: cell link=wan/api=grpc: api grpc runs over HTTP/2, and without an http knob the cell speaks HTTP/1.1; add http: ["2"]`},
		{"grpc over 1.1", suite("", "  api: [grpc]\n  http: [\"1.1\", \"2\"]\n"),
			`t.yaml:4: matrix.api: cell link=wan/api=grpc/http=1.1: api grpc runs over HTTP/2, not http "1.1"; prune such cells with skip: [{api: grpc, http: "1.1"}]`},
		{"grpc over 1.1 skipped", suite("", "  api: [rest, grpc]\n  http: [\"1.1\", \"2\"]\nskip: [{api: grpc, http: \"1.1\"}]\n"), ""},
		{"grpc with json", suite("", "  api: [rest, grpc]\n  codec: [json, protobuf]\n  http: [\"2\"]\n"),
			"api grpc carries Protobuf, so codec json would name a cell for an encoding it never sends; prune such cells with skip: [{api: grpc, codec: json}]"},
		{"grpc with json skipped", suite("", "  api: [rest, grpc]\n  codec: [json, protobuf]\n  http: [\"2\"]\nskip: [{api: grpc, codec: json}]\n"), ""},
		{"grpc of bytes", suite("server: {endpoint: /bytes/1024}\n", "  api: [grpc]\n  http: [\"2\"]\n"),
			"t.yaml:4: server.endpoint: cell link=wan/api=grpc/http=2: api grpc calls the Orders service, and GET /bytes/1024 has no call"},
		{"grpc of a mix", suite("requests:\n  - {name: list, path: \"/orders?items=2\"}\n  - {name: health, path: /healthz}\n", "  api: [grpc]\n  http: [\"2\"]\n"),
			"t.yaml:4: requests[1]: cell link=wan/api=grpc/http=2: api grpc calls the Orders service, and GET /healthz has no call"},
		{"rest of anything", suite("server: {endpoint: /bytes/1024}\n", "  api: [rest]\n"), ""},
		{"unknown api", suite("", "  api: [soap]\n"), `"soap" is not a value of api; give one of rest, grpc`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.data))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("got %v; want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v; want an error with %q", err, tc.wantErr)
			}
		})
	}
}

// TestAPISuite checks the cells scenarios/api.yaml measures: REST with
// JSON and with Protobuf, and gRPC, on each link.
func TestAPISuite(t *testing.T) {
	s, err := LoadFile("api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cells {
		got = append(got, c.Name())
	}
	want := []string{
		"link=lan/api=rest/codec=json/http=2", "link=lan/api=rest/codec=protobuf/http=2", "link=lan/api=grpc/codec=protobuf/http=2",
		"link=wan40/api=rest/codec=json/http=2", "link=wan40/api=rest/codec=protobuf/http=2", "link=wan40/api=grpc/codec=protobuf/http=2",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("cells:\n got %v\nwant %v", got, want)
	}
}
