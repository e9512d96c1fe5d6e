package servers

import (
	"fmt"
	"strings"
	"time"
)

// The order model is plain structs with JSON tags so that a Protobuf codec
// (servers/api) maps it field by field: strings stay strings, money is an
// integer of minor units (never a float), times are UTC with whole seconds.

// OrderList is the body of GET /orders.
type OrderList struct {
	Orders      []Order   `json:"orders"`
	Count       int       `json:"count"`
	GeneratedAt time.Time `json:"generated_at"`
}

// Order is one order of an online shop.
type Order struct {
	ID              string     `json:"id"`
	CreatedAt       time.Time  `json:"created_at"`
	Status          string     `json:"status"`
	Customer        Customer   `json:"customer"`
	LineItems       []LineItem `json:"line_items"`
	Total           Money      `json:"total"`
	Tags            []string   `json:"tags"`
	ShippingAddress Address    `json:"shipping_address"`
}

// Customer is the buyer of an order.
type Customer struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Country string `json:"country"` // ISO 3166-1 alpha-2
}

// LineItem is one product line of an order.
type LineItem struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int32  `json:"quantity"`
	UnitPrice Money  `json:"unit_price"`
}

// Money is an amount in the smallest unit of its currency (cents for EUR), so
// that no codec has to round a float.
type Money struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"` // ISO 4217
}

// Address is a postal address.
type Address struct {
	Name       string `json:"name"`
	Street     string `json:"street"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
}

// Limits and defaults of GET /orders.
const (
	// DefaultItems is the number of orders when the request names none.
	DefaultItems = 20
	// MaxItems is the largest number of orders one request may ask for.
	MaxItems = 10000
)

// epoch is the fixed clock of the generated data: a wall clock would make two
// bodies for the same N differ, and the benchmark needs them byte-identical.
var epoch = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// NewOrderList returns n generated orders. The same n always gives the same
// list, and order i is the same in every list that holds it.
func NewOrderList(n int) OrderList {
	orders := make([]Order, n)
	for i := range orders {
		orders[i] = NewOrder(i)
	}
	return OrderList{Orders: orders, Count: n, GeneratedAt: epoch}
}

// Sample data: read-only lookup tables that nothing writes, so generation
// depends on the order index alone.
var (
	firstNames = [...]string{"Anna", "Lukas", "Marie", "Jonas", "Sofia", "Luca", "Emma", "Noah", "Lea", "Matteo", "Chloé", "Hugo", "Inés", "Pablo", "Saar", "Daan", "Aoife", "Liam", "Mia", "Elias"}
	lastNames  = [...]string{"Müller", "Schmidt", "Dubois", "Martin", "García", "Rossi", "Bianchi", "de Vries", "Jansen", "Murphy", "Kelly", "Silva", "Santos", "Virtanen", "Novak", "Peeters", "Bauer", "Lefèvre", "Moreau", "Costa"}
	statuses   = [...]string{"pending", "paid", "paid", "shipped", "shipped", "delivered", "delivered", "delivered", "cancelled", "refunded"}
	tagNames   = [...]string{"gift", "express", "b2b", "first_order", "subscription", "fragile", "eco", "pickup"}
	adjectives = [...]string{"Classic", "Organic", "Compact", "Wireless", "Ceramic", "Recycled", "Waterproof", "Vintage", "Foldable", "Ergonomic"}
	products   = [...]string{"Coffee Grinder", "Desk Lamp", "Backpack", "Water Bottle", "Headphones", "Notebook", "Chef's Knife", "Yoga Mat", "Teapot", "Rain Jacket", "Phone Case", "Wool Socks"}
	streets    = [...]string{"Hauptstraße", "Rue de la Paix", "Calle Mayor", "Via Roma", "Kerkstraat", "Main Street", "Rua Augusta", "Mannerheimintie", "Bahnhofstraße", "Grand-Place"}
	places     = [...]struct{ country, city, postal string }{
		{"DE", "Berlin", "10%03d"}, {"DE", "München", "80%03d"}, {"FR", "Paris", "75%03d"},
		{"FR", "Lyon", "69%03d"}, {"ES", "Madrid", "28%03d"}, {"IT", "Milano", "20%03d"},
		{"NL", "Amsterdam", "10%02d AB"}, {"IE", "Dublin", "D%02d"}, {"PT", "Lisboa", "1%03d-001"},
		{"FI", "Helsinki", "00%03d"}, {"AT", "Wien", "1%03d"}, {"BE", "Bruxelles", "1%03d"},
	}
)

// NewOrder returns the generated order with index i (0-based). Its fields are
// drawn from a generator seeded by i alone.
func NewOrder(i int) Order {
	r := newRNG(uint64(i))
	customerIndex := r.intn(5000)
	// The customer's data is drawn from its own index, so a customer who
	// orders twice has the same name, email and address in both orders.
	cr := newRNG(uint64(customerIndex) | 1<<40)
	first := firstNames[cr.intn(len(firstNames))]
	last := lastNames[cr.intn(len(lastNames))]
	place := places[cr.intn(len(places))]
	customer := Customer{
		ID:      fmt.Sprintf("cus_%06d", customerIndex),
		Name:    first + " " + last,
		Email:   emailLocal(first, last) + fmt.Sprintf("%d@example.com", customerIndex),
		Country: place.country,
	}
	address := Address{
		Name:       customer.Name,
		Street:     fmt.Sprintf("%s %d", streets[cr.intn(len(streets))], 1+cr.intn(240)),
		City:       place.city,
		PostalCode: fmt.Sprintf(place.postal, cr.intn(100)),
		Country:    place.country,
	}

	items := make([]LineItem, 1+r.intn(5))
	var total int64
	for k := range items {
		product := r.intn(len(adjectives) * len(products))
		price := int64(199 + r.intn(19800))
		qty := int32(1 + r.intn(4))
		items[k] = LineItem{
			SKU:       fmt.Sprintf("SKU-%05d", product*37%100000),
			Name:      adjectives[product%len(adjectives)] + " " + products[product/len(adjectives)],
			Quantity:  qty,
			UnitPrice: Money{AmountMinor: price, Currency: "EUR"},
		}
		total += price * int64(qty)
	}

	tags := make([]string, 0, 3)
	for _, k := range r.perm(len(tagNames))[:r.intn(4)] {
		tags = append(tags, tagNames[k])
	}

	// Older orders have larger indexes, about 37 minutes apart.
	created := epoch.Add(-time.Duration(i)*37*time.Minute - time.Duration(r.intn(1800))*time.Second)
	return Order{
		ID:              fmt.Sprintf("ord_%06d", i),
		CreatedAt:       created,
		Status:          statuses[r.intn(len(statuses))],
		Customer:        customer,
		LineItems:       items,
		Total:           Money{AmountMinor: total, Currency: "EUR"},
		Tags:            tags,
		ShippingAddress: address,
	}
}

// emailLocal returns the local part of an email address for a name, keeping
// ASCII letters only so that the address is valid everywhere.
func emailLocal(first, last string) string {
	var b strings.Builder
	for _, s := range [...]string{first, ".", last} {
		for _, c := range strings.ToLower(s) {
			if c >= 'a' && c <= 'z' || c == '.' {
				b.WriteRune(c)
			}
		}
	}
	return b.String()
}

// rng is splitmix64. It is written out here, rather than taken from
// math/rand, so that the generated bodies stay the same across Go releases.
type rng struct{ state uint64 }

func newRNG(seed uint64) *rng {
	return &rng{state: seed*0x9e3779b97f4a7c15 + 0x2545f4914f6cdd1d}
}

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n); the modulo bias is far below what test
// data cares about.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// perm returns a permutation of [0, n).
func (r *rng) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], i
	}
	return p
}
