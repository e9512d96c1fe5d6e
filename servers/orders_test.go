package servers

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestNewOrderDeterministic(t *testing.T) {
	for _, i := range []int{0, 1, 2, 999, MaxItems - 1} {
		if a, b := NewOrder(i), NewOrder(i); !reflect.DeepEqual(a, b) {
			t.Errorf("NewOrder(%d) gave two different orders:\n%+v\n%+v", i, a, b)
		}
	}
	// Order i must not depend on which list holds it.
	short, long := NewOrderList(3), NewOrderList(300)
	if !reflect.DeepEqual(short.Orders, long.Orders[:3]) {
		t.Errorf("the first 3 orders of 3 and of 300 differ")
	}
}

// TestNewOrderFixed pins a few fields of order 0, so that a change to the
// generator, which changes every body size the benchmarks measure, is seen.
func TestNewOrderFixed(t *testing.T) {
	o := NewOrder(0)
	tests := []struct {
		field, got, want string
	}{
		{"id", o.ID, "ord_000000"},
		{"created_at", o.CreatedAt.Format("2006-01-02"), "2024-12-31"},
		{"total.currency", o.Total.Currency, "EUR"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q; want %q", tt.field, tt.got, tt.want)
		}
	}
}

func TestNewOrderInvariants(t *testing.T) {
	seenStatus := map[string]bool{}
	for i := range 2000 {
		o := NewOrder(i)
		if n := len(o.LineItems); n < 1 || n > 5 {
			t.Fatalf("order %d: got %d line items; want 1 to 5", i, n)
		}
		var total int64
		for _, li := range o.LineItems {
			if li.Quantity < 1 || li.UnitPrice.AmountMinor <= 0 || li.UnitPrice.Currency != "EUR" {
				t.Fatalf("order %d: bad line item %+v", i, li)
			}
			total += int64(li.Quantity) * li.UnitPrice.AmountMinor
		}
		if o.Total != (Money{AmountMinor: total, Currency: "EUR"}) {
			t.Fatalf("order %d: total got %+v; want %d EUR, the sum of its lines", i, o.Total, total)
		}
		if len(o.Tags) > 3 || o.Tags == nil {
			t.Fatalf("order %d: got tags %#v; want 0 to 3, not nil", i, o.Tags)
		}
		seen := map[string]bool{}
		for _, tag := range o.Tags {
			if seen[tag] {
				t.Fatalf("order %d: tag %q twice", i, tag)
			}
			seen[tag] = true
		}
		at := strings.IndexByte(o.Customer.Email, '@')
		if at < 1 || strings.ContainsFunc(o.Customer.Email, func(r rune) bool { return r > 127 }) {
			t.Fatalf("order %d: got email %q; want an ASCII address", i, o.Customer.Email)
		}
		if o.ShippingAddress.Country != o.Customer.Country || o.CreatedAt.Location().String() != "UTC" {
			t.Fatalf("order %d: address %+v and customer %+v disagree, or created_at %v is not UTC",
				i, o.ShippingAddress, o.Customer, o.CreatedAt)
		}
		seenStatus[o.Status] = true
	}
	if len(seenStatus) < 5 {
		t.Errorf("got statuses %v; want all of them across 2000 orders", seenStatus)
	}
}

// BenchmarkOrders measures generating and encoding N orders from scratch,
// and what the handler costs per request (encoding the orders it keeps in
// memory), for the sizes the suites use.
func BenchmarkOrders(b *testing.B) {
	for _, n := range []int{1, 20, 200} {
		b.Run("encode/n="+strconv.Itoa(n), func(b *testing.B) {
			body, err := encodeOrders(n)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encodeOrders(n); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("served/n="+strconv.Itoa(n), func(b *testing.B) {
			h := Handler()
			req := httptest.NewRequest(http.MethodGet, "/orders?items="+strconv.Itoa(n), nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			b.SetBytes(int64(rec.Body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				// A fresh header each time: the handler adds to it.
				h.ServeHTTP(discardWriter{header: make(http.Header, 4)}, req)
			}
		})
	}
}

// discardWriter is an http.ResponseWriter that keeps nothing, so that the
// benchmark measures the handler and not a recorder.
type discardWriter struct{ header http.Header }

func (w discardWriter) Header() http.Header         { return w.header }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}
