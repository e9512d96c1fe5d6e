package servers

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	apipb "github.com/tunebench/tunebench/servers/api"
)

// Codec is how GET /orders encodes its payload.
type Codec string

// The codecs of GET /orders.
const (
	// CodecJSON is encoding/json of OrderList: the default.
	CodecJSON Codec = "json"
	// CodecProtobuf is google.golang.org/protobuf of apipb.OrderList, the
	// same orders field by field.
	CodecProtobuf Codec = "protobuf"
)

// Media types of the codecs, as Content-Type and Accept carry them.
const (
	MediaJSON     = "application/json"
	MediaProtobuf = "application/x-protobuf"
)

// protobufMedia are the names clients use for a Protobuf body; the server
// answers each with MediaProtobuf.
var protobufMedia = []string{MediaProtobuf, "application/protobuf", "application/vnd.google.protobuf"}

// ParseCodec reads a codec name: "json" or "protobuf" ("proto" and "pb" are
// taken for protobuf); "" is CodecJSON.
func ParseCodec(s string) (Codec, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "json":
		return CodecJSON, nil
	case "protobuf", "proto", "pb":
		return CodecProtobuf, nil
	}
	return "", fmt.Errorf("servers: codec %q: unknown; use json or protobuf", s)
}

// MediaType is the Content-Type of a body in codec c.
func (c Codec) MediaType() string {
	if c == CodecProtobuf {
		return MediaProtobuf
	}
	return MediaJSON
}

// CodecOfMedia returns the codec whose body a Content-Type (parameters
// allowed) names, and whether it names one.
func CodecOfMedia(contentType string) (Codec, bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	if mt == MediaJSON {
		return CodecJSON, true
	}
	for _, p := range protobufMedia {
		if mt == p {
			return CodecProtobuf, true
		}
	}
	return "", false
}

// requestCodec picks the codec of one /orders request: the query parameter
// codec=json|protobuf wins, then the first media range of Accept that names
// a codec, then def (the server's, from --codec or TUNEBENCH_CODEC). An
// Accept that names no codec ("*/*", "text/html") gets def rather than 406:
// the benchmark measures the server's codec, not content negotiation.
func requestCodec(r *http.Request, def Codec) (Codec, error) {
	if q := r.URL.Query(); q.Has("codec") {
		c, err := ParseCodec(q.Get("codec"))
		if err != nil || q.Get("codec") == "" {
			return "", fmt.Errorf("servers: codec=%q: unknown; use codec=json or codec=protobuf", q.Get("codec"))
		}
		return c, nil
	}
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			if c, ok := CodecOfMedia(strings.TrimSpace(part)); ok {
				return c, nil
			}
		}
	}
	return def, nil
}

// orderModels holds the generated orders in both in-memory forms, so that
// a request pays for encoding only: a real API keeps its data in memory (or
// gets it from a database) and encodes it for every response. Order i is the
// same in every list, so the list of n orders is the first n of one slice,
// grown on demand up to the largest n asked for (at most MaxItems).
type orderModels struct {
	mu     sync.RWMutex
	orders []Order        // guarded by mu; orders[i] is NewOrder(i)
	protos []*apipb.Order // guarded by mu; protos[i] is toProto(orders[i])
}

// first returns the first n orders in both forms; callers only read them.
func (m *orderModels) first(n int) ([]Order, []*apipb.Order) {
	m.mu.RLock()
	if n <= len(m.orders) {
		o, p := m.orders[:n:n], m.protos[:n:n]
		m.mu.RUnlock()
		return o, p
	}
	m.mu.RUnlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.orders == nil {
		// Never nil, so that zero orders encode as [] rather than null.
		m.orders = make([]Order, 0, n)
	}
	for i := len(m.orders); i < n; i++ {
		o := NewOrder(i)
		m.orders = append(m.orders, o)
		m.protos = append(m.protos, toProto(o))
	}
	return m.orders[:n:n], m.protos[:n:n]
}

// encode encodes the first n orders in codec c.
func (m *orderModels) encode(c Codec, n int) ([]byte, error) {
	orders, protos := m.first(n)
	if c == CodecProtobuf {
		return marshalProto(protos)
	}
	return json.Marshal(OrderList{Orders: orders, Count: len(orders), GeneratedAt: epoch})
}

// protoMarshal is deterministic so that the same N gives byte-identical
// bodies, as the JSON ones are.
var protoMarshal = proto.MarshalOptions{Deterministic: true}

func marshalProto(protos []*apipb.Order) ([]byte, error) {
	return protoMarshal.Marshal(&apipb.OrderList{Orders: protos, Count: int32(len(protos)), GeneratedAt: timestamppb.New(epoch)})
}

// EncodeOrders returns the body of GET /orders?items=n in codec c, as the
// reference server sends it.
func EncodeOrders(c Codec, n int) ([]byte, error) {
	orders := NewOrderList(n).Orders
	if c == CodecProtobuf {
		protos := make([]*apipb.Order, len(orders))
		for i, o := range orders {
			protos[i] = toProto(o)
		}
		return marshalProto(protos)
	}
	return json.Marshal(OrderList{Orders: orders, Count: n, GeneratedAt: epoch})
}

// encodeOrders builds the JSON /orders body for n orders.
func encodeOrders(n int) ([]byte, error) { return EncodeOrders(CodecJSON, n) }

// serveOrders answers GET /orders?items=N in the request's codec (see
// requestCodec), encoding the orders for every request. The encoding time
// goes into Server-Timing as encode;dur=<ms>.
func (a *api) serveOrders(w http.ResponseWriter, r *http.Request) {
	n := DefaultItems
	q := r.URL.Query()
	if q.Has("items") {
		var err error
		if n, err = parseCount(q.Get("items"), MaxItems); err != nil {
			http.Error(w, fmt.Sprintf("servers: items=%q: %v; use items=N with N from 0 to %d", q.Get("items"), err, MaxItems), http.StatusBadRequest)
			return
		}
	}
	c, err := requestCodec(r, a.codec)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.models.first(n) // growing the slice is not encoding: keep it out of the timing
	start := time.Now()
	body, err := a.models.encode(c, n)
	took := time.Since(start)
	if err != nil {
		// Only a model that cannot be encoded gets here; not the client's fault.
		http.Error(w, "servers: encoding the orders body: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", c.MediaType())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Add("Server-Timing", timingEntry("encode", took))
	h.Add("Vary", "Accept")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body) // a write error means the client left; nothing to tell it
	}
}

// toProto converts an order to its Protobuf message.
func toProto(o Order) *apipb.Order {
	items := make([]*apipb.LineItem, len(o.LineItems))
	for i, li := range o.LineItems {
		items[i] = &apipb.LineItem{Sku: li.SKU, Name: li.Name, Quantity: li.Quantity, UnitPrice: moneyProto(li.UnitPrice)}
	}
	c, a := o.Customer, o.ShippingAddress
	return &apipb.Order{
		Id:              o.ID,
		CreatedAt:       timestamppb.New(o.CreatedAt),
		Status:          o.Status,
		Customer:        &apipb.Customer{Id: c.ID, Name: c.Name, Email: c.Email, Country: c.Country},
		LineItems:       items,
		Total:           moneyProto(o.Total),
		Tags:            o.Tags,
		ShippingAddress: &apipb.Address{Name: a.Name, Street: a.Street, City: a.City, PostalCode: a.PostalCode, Country: a.Country},
	}
}

func moneyProto(m Money) *apipb.Money {
	return &apipb.Money{AmountMinor: m.AmountMinor, Currency: m.Currency}
}

// FromProto converts a decoded Protobuf body back to the Go model, so that
// a test can compare it with NewOrderList. Missing messages become zero
// values.
func FromProto(l *apipb.OrderList) OrderList {
	out := OrderList{Orders: make([]Order, len(l.GetOrders())), Count: int(l.GetCount()), GeneratedAt: l.GetGeneratedAt().AsTime()}
	for i, o := range l.GetOrders() {
		items := make([]LineItem, len(o.GetLineItems()))
		for k, li := range o.GetLineItems() {
			items[k] = LineItem{SKU: li.GetSku(), Name: li.GetName(), Quantity: li.GetQuantity(), UnitPrice: moneyOf(li.GetUnitPrice())}
		}
		c, a := o.GetCustomer(), o.GetShippingAddress()
		tags := o.GetTags()
		if tags == nil {
			tags = []string{}
		}
		out.Orders[i] = Order{
			ID:              o.GetId(),
			CreatedAt:       o.GetCreatedAt().AsTime(),
			Status:          o.GetStatus(),
			Customer:        Customer{ID: c.GetId(), Name: c.GetName(), Email: c.GetEmail(), Country: c.GetCountry()},
			LineItems:       items,
			Total:           moneyOf(o.GetTotal()),
			Tags:            tags,
			ShippingAddress: Address{Name: a.GetName(), Street: a.GetStreet(), City: a.GetCity(), PostalCode: a.GetPostalCode(), Country: a.GetCountry()},
		}
	}
	return out
}

func moneyOf(m *apipb.Money) Money {
	return Money{AmountMinor: m.GetAmountMinor(), Currency: m.GetCurrency()}
}

// timingEntry formats one Server-Timing entry, "name;dur=<ms>" with
// nanosecond precision: encoding a few orders takes microseconds.
func timingEntry(name string, d time.Duration) string {
	ns := d.Nanoseconds()
	return fmt.Sprintf("%s;dur=%d.%06d", name, ns/1e6, ns%1e6)
}

// DecodeOrders decodes an /orders body in codec c, as a client of the API
// would, and returns the number of orders in it. The load agent decodes
// every body with it; the micro-benchmarks time it.
func DecodeOrders(c Codec, body []byte) (int, error) {
	if c == CodecProtobuf {
		var l apipb.OrderList
		if err := proto.Unmarshal(body, &l); err != nil {
			return 0, fmt.Errorf("decoding a Protobuf orders body: %w", err)
		}
		return len(l.Orders), nil
	}
	var l OrderList
	if err := json.Unmarshal(body, &l); err != nil {
		return 0, fmt.Errorf("decoding a JSON orders body: %w", err)
	}
	return len(l.Orders), nil
}
