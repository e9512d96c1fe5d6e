package agent

import (
	"encoding/json"
	"fmt"
	"mime"
	"time"

	"google.golang.org/protobuf/proto"

	apipb "github.com/tunebench/tunebench/servers/api"
)

// The agent's own copy of the reference API's codecs: the agent may import
// servers/api only (see the package doc), so the media types and the JSON
// model, which package servers owns, are repeated here. The tests check
// them against servers'.

// Codecs, as Config.Codec names them.
const (
	codecJSON     = "json"
	codecProtobuf = "protobuf"
)

// Media types of the codecs, as Content-Type and Accept carry them.
const (
	mediaJSON     = "application/json"
	mediaProtobuf = "application/x-protobuf"
)

// mediaType is the media type of codec.
func mediaType(codec string) string {
	if codec == codecProtobuf {
		return mediaProtobuf
	}
	return mediaJSON
}

// codecOfMedia returns the codec a Content-Type (parameters allowed) names,
// and whether it names one.
func codecOfMedia(contentType string) (string, bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	switch mt {
	case mediaJSON:
		return codecJSON, true
	case mediaProtobuf, "application/protobuf", "application/vnd.google.protobuf":
		return codecProtobuf, true
	}
	return "", false
}

// decodeOrders decodes an /orders body in codec, as a client of the API
// would, and returns the number of orders in it.
func decodeOrders(codec string, body []byte) (int, error) {
	if codec == codecProtobuf {
		var l apipb.OrderList
		if err := proto.Unmarshal(body, &l); err != nil {
			return 0, fmt.Errorf("decoding a Protobuf orders body: %w", err)
		}
		return len(l.Orders), nil
	}
	var l orderList
	if err := json.Unmarshal(body, &l); err != nil {
		return 0, fmt.Errorf("decoding a JSON orders body: %w", err)
	}
	return len(l.Orders), nil
}

// orderList is the JSON body of GET /orders, as servers.OrderList.
type orderList struct {
	Orders      []order   `json:"orders"`
	Count       int       `json:"count"`
	GeneratedAt time.Time `json:"generated_at"`
}

type order struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Status    string    `json:"status"`
	Customer  struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Email   string `json:"email"`
		Country string `json:"country"`
	} `json:"customer"`
	LineItems []struct {
		SKU       string `json:"sku"`
		Name      string `json:"name"`
		Quantity  int32  `json:"quantity"`
		UnitPrice money  `json:"unit_price"`
	} `json:"line_items"`
	Total           money    `json:"total"`
	Tags            []string `json:"tags"`
	ShippingAddress struct {
		Name       string `json:"name"`
		Street     string `json:"street"`
		City       string `json:"city"`
		PostalCode string `json:"postal_code"`
		Country    string `json:"country"`
	} `json:"shipping_address"`
}

type money struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}
