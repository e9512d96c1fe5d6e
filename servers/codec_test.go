package servers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	apipb "github.com/tunebench/tunebench/servers/api"
)

func TestParseCodec(t *testing.T) {
	tests := []struct {
		in      string
		want    Codec
		wantErr bool
	}{
		{"", CodecJSON, false},
		{"json", CodecJSON, false},
		{"JSON", CodecJSON, false},
		{"protobuf", CodecProtobuf, false},
		{"proto", CodecProtobuf, false},
		{" pb ", CodecProtobuf, false},
		{"xml", "", true},
		{"msgpack", "", true},
	}
	for _, tt := range tests {
		got, err := ParseCodec(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseCodec(%q): got %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "use json or protobuf") {
			t.Errorf("ParseCodec(%q): error %q does not say what to use", tt.in, err)
		}
	}
}

func TestRequestCodec(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		accept  []string
		def     Codec
		want    Codec
		wantErr bool
	}{
		{"nothing: default json", "", nil, CodecJSON, CodecJSON, false},
		{"nothing: default protobuf", "", nil, CodecProtobuf, CodecProtobuf, false},
		{"accept protobuf", "", []string{"application/x-protobuf"}, CodecJSON, CodecProtobuf, false},
		{"accept protobuf, other name", "", []string{"application/protobuf"}, CodecJSON, CodecProtobuf, false},
		{"accept vnd protobuf", "", []string{"application/vnd.google.protobuf"}, CodecJSON, CodecProtobuf, false},
		{"accept json over default", "", []string{"application/json"}, CodecProtobuf, CodecJSON, false},
		{"accept list: first known wins", "", []string{"text/html, application/x-protobuf;q=0.9, application/json"}, CodecJSON, CodecProtobuf, false},
		{"accept two headers", "", []string{"text/html", "application/json"}, CodecProtobuf, CodecJSON, false},
		{"accept anything", "", []string{"*/*"}, CodecProtobuf, CodecProtobuf, false},
		{"accept unknown: default", "", []string{"text/html"}, CodecJSON, CodecJSON, false},
		{"query wins over accept", "codec=protobuf", []string{"application/json"}, CodecJSON, CodecProtobuf, false},
		{"query json", "codec=json", nil, CodecProtobuf, CodecJSON, false},
		{"query unknown", "codec=xml", nil, CodecJSON, "", true},
		{"query empty", "codec=", nil, CodecJSON, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/orders?"+tt.query, nil)
			for _, a := range tt.accept {
				r.Header.Add("Accept", a)
			}
			got, err := requestCodec(r, tt.def)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCodecOfMedia(t *testing.T) {
	tests := []struct {
		in   string
		want Codec
		ok   bool
	}{
		{"application/json", CodecJSON, true},
		{"application/json; charset=utf-8", CodecJSON, true},
		{"application/x-protobuf", CodecProtobuf, true},
		{"application/protobuf", CodecProtobuf, true},
		{"text/plain; charset=utf-8", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, ok := CodecOfMedia(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("CodecOfMedia(%q): got %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

var encodeTimingRE = regexp.MustCompile(`^encode;dur=[0-9]+\.[0-9]{6}$`)

// TestOrdersCodecs fetches /orders in both codecs through a real HTTP
// server and checks the body decodes to exactly the generated orders.
func TestOrdersCodecs(t *testing.T) {
	srv := newTestServer(t)
	for _, n := range []int{0, 1, 20, 1000} {
		for _, tt := range []struct {
			name   string
			accept string
			query  string
			want   Codec
		}{
			{"json default", "", "", CodecJSON},
			{"protobuf by accept", MediaProtobuf, "", CodecProtobuf},
			{"protobuf by query", "", "&codec=protobuf", CodecProtobuf},
		} {
			t.Run(tt.name+"/items="+strconv.Itoa(n), func(t *testing.T) {
				req, _ := http.NewRequest("GET", srv.URL+"/orders?items="+strconv.Itoa(n)+tt.query, nil)
				if tt.accept != "" {
					req.Header.Set("Accept", tt.accept)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body bytes.Buffer
				_, err = body.ReadFrom(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("status %d, %v: %s", resp.StatusCode, err, body.Bytes())
				}
				if got := resp.Header.Get("Content-Type"); got != tt.want.MediaType() {
					t.Errorf("Content-Type: got %q; want %q", got, tt.want.MediaType())
				}
				timings := resp.Header.Values("Server-Timing")
				if len(timings) != 2 || !serverTimingRE.MatchString(timings[0]) || !encodeTimingRE.MatchString(timings[1]) {
					t.Errorf("Server-Timing: got %q; want [app;dur=<ms> encode;dur=<ms>]", timings)
				}
				want := NewOrderList(n)
				var got OrderList
				if tt.want == CodecProtobuf {
					var l apipb.OrderList
					if err := proto.Unmarshal(body.Bytes(), &l); err != nil {
						t.Fatalf("proto.Unmarshal: %v", err)
					}
					got = FromProto(&l)
				} else if err := jsonDecodeStrict(body.Bytes(), &got); err != nil {
					t.Fatalf("decoding JSON: %v", err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("decoded orders differ from NewOrderList(%d)", n)
				}
				if k, err := DecodeOrders(tt.want, body.Bytes()); err != nil || k != n {
					t.Errorf("DecodeOrders: got %d, %v; want %d", k, err, n)
				}
				if fresh, _ := EncodeOrders(tt.want, n); !bytes.Equal(fresh, body.Bytes()) {
					t.Errorf("body differs from EncodeOrders(%s, %d): the same N must give the same bytes", tt.want, n)
				}
			})
		}
	}
}

// TestProtobufSmaller checks the direction the README's figures state: the
// same orders are several times smaller as Protobuf. The bound is loose:
// the measured ratio is in the README.
func TestProtobufSmaller(t *testing.T) {
	for _, n := range []int{20, 1000} {
		j, err := EncodeOrders(CodecJSON, n)
		if err != nil {
			t.Fatal(err)
		}
		p, err := EncodeOrders(CodecProtobuf, n)
		if err != nil {
			t.Fatal(err)
		}
		if ratio := float64(len(j)) / float64(len(p)); ratio < 1.5 {
			t.Errorf("items=%d: JSON %d bytes, Protobuf %d bytes (ratio %.2f); want Protobuf at least 1.5× smaller", n, len(j), len(p), ratio)
		}
	}
}

func TestDecodeOrdersErrors(t *testing.T) {
	tests := []struct {
		name  string
		codec Codec
		body  string
	}{
		{"json garbage", CodecJSON, "<html>"},
		{"json wrong type", CodecJSON, `{"orders": 5}`},
		{"protobuf garbage", CodecProtobuf, "\xff\xff\xff"},
		{"json body as protobuf", CodecProtobuf, `{"orders":[]}`},
	}
	for _, tt := range tests {
		if n, err := DecodeOrders(tt.codec, []byte(tt.body)); err == nil {
			t.Errorf("%s: got %d orders and no error; want an error", tt.name, n)
		}
	}
}

func TestOrdersBadCodec(t *testing.T) {
	srv := newTestServer(t)
	resp, body := do(t, "GET", srv.URL+"/orders?codec=xml")
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("use codec=json or codec=protobuf")) {
		t.Errorf("got %d %q; want 400 saying which codecs exist", resp.StatusCode, body)
	}
}

// TestCodecHandlerDefault checks that a server started with protobuf
// answers a request that names no codec in protobuf.
func TestCodecHandlerDefault(t *testing.T) {
	srv := httptest.NewServer(CodecHandler(CodecProtobuf))
	t.Cleanup(srv.Close)
	resp, body := do(t, "GET", srv.URL+"/orders?items=3")
	if got := resp.Header.Get("Content-Type"); got != MediaProtobuf {
		t.Fatalf("Content-Type: got %q; want %q", got, MediaProtobuf)
	}
	if n, err := DecodeOrders(CodecProtobuf, body); err != nil || n != 3 {
		t.Errorf("DecodeOrders: got %d, %v; want 3", n, err)
	}
}

// jsonDecodeStrict decodes b into v, refusing fields v does not have.
func jsonDecodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
