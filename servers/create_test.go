package servers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	apipb "github.com/tunebench/tunebench/servers/api"
)

// post sends one POST /orders over a real connection and returns the
// response with its whole body.
func post(t *testing.T, url, contentType, accept string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

var decodeTimingRE = regexp.MustCompile(`(^|, )decode;dur=[0-9]+\.[0-9]{6}(,|$)`)

// TestCreateOrders posts bodies that EncodeOrders makes, the bodies a
// suite's body_orders sends, in both codecs and under every Protobuf media
// type, and checks the 201, the reply's codec and count, and decode;dur=.
func TestCreateOrders(t *testing.T) {
	srv := newTestServer(t)
	jsonBody, err := EncodeOrders(CodecJSON, 3)
	if err != nil {
		t.Fatal(err)
	}
	pbBody, err := EncodeOrders(CodecProtobuf, 3)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, contentType, accept string
		body                            []byte
		wantCodec                       Codec
	}{
		{"json", "/orders", MediaJSON, "", jsonBody, CodecJSON},
		{"json with charset", "/orders", MediaJSON + "; charset=utf-8", "", jsonBody, CodecJSON},
		{"protobuf", "/orders", MediaProtobuf, "", pbBody, CodecProtobuf},
		{"application/protobuf", "/orders", "application/protobuf", "", pbBody, CodecProtobuf},
		{"vnd.google.protobuf", "/orders", "application/vnd.google.protobuf", "", pbBody, CodecProtobuf},
		{"json in, protobuf asked", "/orders", MediaJSON, MediaProtobuf, jsonBody, CodecProtobuf},
		{"protobuf in, json by query", "/orders?codec=json", MediaProtobuf, "", pbBody, CodecJSON},
		{"accept names none", "/orders", MediaProtobuf, "*/*", pbBody, CodecProtobuf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, reply := post(t, srv.URL+tt.path, tt.contentType, tt.accept, tt.body)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("status: got %s (%q); want 201 Created", resp.Status, reply)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantCodec.MediaType() {
				t.Errorf("Content-Type: got %q; want %q", got, tt.wantCodec.MediaType())
			}
			timing := strings.Join(resp.Header.Values("Server-Timing"), ", ")
			if !decodeTimingRE.MatchString(timing) || !strings.HasPrefix(timing, "app;dur=") {
				t.Errorf("Server-Timing: got %q; want app;dur= first and a decode;dur=<ms> entry", timing)
			}
			if n := replyCount(t, tt.wantCodec, reply); n != 3 {
				t.Errorf("reply counts %d orders; want 3", n)
			}
			// The agent decodes every body as an OrderList; the reply is one.
			if _, err := DecodeOrders(tt.wantCodec, reply); err != nil {
				t.Errorf("DecodeOrders(reply): %v", err)
			}
		})
	}
}

// replyCount reads the count of a POST /orders reply.
func replyCount(t *testing.T, c Codec, reply []byte) int {
	t.Helper()
	if c == CodecProtobuf {
		var l apipb.OrderList
		if err := proto.Unmarshal(reply, &l); err != nil {
			t.Fatalf("reply is not Protobuf: %v", err)
		}
		return int(l.GetCount())
	}
	var l struct{ Count int }
	if err := json.Unmarshal(reply, &l); err != nil {
		t.Fatalf("reply is not JSON: %v (%q)", err, reply)
	}
	return l.Count
}

func TestCreateOrdersRefuses(t *testing.T) {
	srv := newTestServer(t)
	good, err := EncodeOrders(CodecJSON, 2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, contentType string
		body              []byte
		wantStatus        int
		want              string
	}{
		{"no Content-Type", "", good, http.StatusUnsupportedMediaType, "Content-Type none: send the orders as application/json or application/x-protobuf"},
		{"text/plain", "text/plain", good, http.StatusUnsupportedMediaType, "Content-Type text/plain: send the orders as"},
		{"empty body", MediaJSON, nil, http.StatusBadRequest, "empty body"},
		{"not JSON", MediaJSON, []byte("{orders"), http.StatusBadRequest, "decoding a JSON body: invalid character"},
		{"unknown field", MediaJSON, []byte(`{"orderz":[]}`), http.StatusBadRequest, `unknown field "orderz"`},
		{"two objects", MediaJSON, append(append([]byte{}, good...), good...), http.StatusBadRequest, "data after the OrderList"},
		{"count disagrees", MediaJSON, []byte(`{"orders":[{"id":"a"}],"count":2}`), http.StatusBadRequest, "count is 2 but the body holds 1 orders"},
		{"order without id", MediaJSON, []byte(`{"orders":[{"status":"paid"}]}`), http.StatusBadRequest, "order 0 has no id"},
		{"JSON sent as Protobuf", MediaProtobuf, good, http.StatusBadRequest, "decoding a Protobuf body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, srv.URL+"/orders", tt.contentType, "", tt.body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.want) {
				t.Errorf("got %s %q; want %d with %q", resp.Status, body, tt.wantStatus, tt.want)
			}
		})
	}
}

// TestCreateOrdersBodyCap: POST /orders reads up to MaxOrdersBody, enough
// for MaxItems orders, and answers 413 past it; other routes keep the
// small cap (TestOversizedRequests).
func TestCreateOrdersBodyCap(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr, done := startRun(t, ctx, Config{})
	defer waitRun(t, done, 5*time.Second)
	defer cancel()
	url := "http://" + addr + "/orders"

	most, err := EncodeOrders(CodecJSON, MaxItems)
	if err != nil {
		t.Fatal(err)
	}
	if len(most) > MaxOrdersBody {
		t.Fatalf("MaxItems orders are %d bytes, over MaxOrdersBody %d", len(most), MaxOrdersBody)
	}
	resp, reply := post(t, url, MediaJSON, "", most)
	if resp.StatusCode != http.StatusCreated || replyCount(t, CodecJSON, reply) != MaxItems {
		t.Errorf("MaxItems orders: got %s %.100q; want 201 counting %d", resp.Status, reply, MaxItems)
	}
	over := append(most, bytes.Repeat([]byte(" "), MaxOrdersBody-len(most)+1)...)
	resp, reply = post(t, url, MediaJSON, "", over)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(reply), "over 8388608 bytes") {
		t.Errorf("a body over the cap: got %s %q; want 413 naming the cap", resp.Status, reply)
	}
}
