package servers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	apipb "github.com/tunebench/tunebench/servers/api"
)

// MaxOrdersBody is the largest body POST /orders reads: MaxItems orders
// as JSON (about 7.3 MB) fit in it.
const MaxOrdersBody = 8 << 20

// serveCreate answers POST /orders: it decodes the body, by its
// Content-Type, into the orders model, as an API that stores orders would
// before writing them, and answers 201 Created with an OrderList that
// counts the orders and holds none of them. The reply's codec is the one
// the request asks for (?codec=, then Accept), else the body's own. The
// decoding time goes into Server-Timing as decode;dur=<ms>, the reply's
// encoding as encode;dur=<ms>.
//
// A Content-Type that names no codec gets 415 Unsupported Media Type; a
// body that does not decode, or whose count disagrees with its orders, 400;
// a body over MaxOrdersBody, 413. Each says what to send instead.
func (a *api) serveCreate(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	in, ok := CodecOfMedia(ct)
	if !ok {
		if ct == "" {
			ct = "none"
		}
		http.Error(w, fmt.Sprintf("servers: POST /orders: Content-Type %s: send the orders as %s or %s", ct, MediaJSON, MediaProtobuf), http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("servers: POST /orders: the body is over %d bytes; send at most %d orders", MaxOrdersBody, MaxItems), http.StatusRequestEntityTooLarge)
			return
		}
		return // the client left mid-body; no one reads an answer
	}
	out, err := requestCodec(r, in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	start := time.Now()
	orders, err := decodeCreate(in, body)
	decoded := time.Since(start)
	if err != nil {
		http.Error(w, "servers: POST /orders: "+err.Error(), http.StatusBadRequest)
		return
	}
	start = time.Now()
	reply, err := encodeCount(out, len(orders))
	encoded := time.Since(start)
	if err != nil {
		http.Error(w, "servers: encoding the reply: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", out.MediaType())
	h.Set("Content-Length", strconv.Itoa(len(reply)))
	h.Add("Server-Timing", timingEntry("decode", decoded))
	h.Add("Server-Timing", timingEntry("encode", encoded))
	h.Add("Vary", "Accept")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(reply) // a write error means the client left
}

// decodeCreate decodes a POST /orders body in codec c into the orders
// model and checks what a store would: a count that matches, ids present.
func decodeCreate(c Codec, body []byte) ([]Order, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("empty body; send an OrderList, e.g. the body of GET /orders?items=2")
	}
	var l OrderList
	if c == CodecProtobuf {
		var pb apipb.OrderList
		if err := proto.Unmarshal(body, &pb); err != nil {
			return nil, fmt.Errorf("decoding a Protobuf body: %v; send an apipb.OrderList (servers/api/orders.proto)", err)
		}
		l = FromProto(&pb)
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("decoding a JSON body: %v; send an OrderList such as the body of GET /orders?items=2", err)
		}
		if dec.More() {
			return nil, fmt.Errorf("decoding a JSON body: data after the OrderList; send one JSON object")
		}
	}
	if l.Count != 0 && l.Count != len(l.Orders) {
		return nil, fmt.Errorf("count is %d but the body holds %d orders; make them agree, or leave count out", l.Count, len(l.Orders))
	}
	for i, o := range l.Orders {
		if o.ID == "" {
			return nil, fmt.Errorf("order %d has no id; give every order an id", i)
		}
	}
	return l.Orders, nil
}

// encodeCount encodes the reply of POST /orders: an OrderList that counts
// n orders and holds none, so that a client that decodes every body as an
// OrderList (the load agent does) reads it too.
func encodeCount(c Codec, n int) ([]byte, error) {
	if c == CodecProtobuf {
		return protoMarshal.Marshal(&apipb.OrderList{Count: int32(n), GeneratedAt: timestamppb.New(epoch)})
	}
	return json.Marshal(OrderList{Orders: []Order{}, Count: n, GeneratedAt: epoch})
}
