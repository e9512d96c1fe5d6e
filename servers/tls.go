package servers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

// certValidity is how long the run-time certificate is valid: from an hour
// before it is made (clock skew between hosts) to a day after.
const certValidity = 24 * time.Hour

// SelfSigned makes a certificate for host (an IP address or a DNS name) at
// run time: an ECDSA P-256 key, signed by itself, valid for host alone. The
// key lives only in memory; nothing is written to disk. The load agent does
// not verify it (it measures the handshake, it does not judge the
// certificate); any other client must skip verification or trust it.
func SelfSigned(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("servers: making a TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("servers: making a certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"tunebench"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("servers: signing the certificate for %s: %w", host, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("servers: reading back the certificate for %s: %w", host, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// tlsConfig is the server's TLS configuration for addr (host:port): TLS 1.3
// only, a certificate made now for the host, and session tickets on (Go's
// default), so that a client with a session cache resumes. Go's server
// rotates its ticket keys itself; a ticket stays valid for 7 days.
//
// TLS 1.3 resumption in Go is a PSK handshake with a fresh ECDHE exchange:
// it skips the certificate and its signature (CPU and about a kilobyte on
// the wire) but still takes one round trip. Go has no 0-RTT (early data), so
// resumption never saves the round trip itself.
func tlsConfig(addr string) (*tls.Config, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("servers: TLS: address %q: %v; give host:port", addr, err)
	}
	if host == "" {
		host = "localhost" // ":8443" listens everywhere; name the certificate after something
	}
	cert, err := SelfSigned(host)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{cert},
		SessionTicketsDisabled: false,
	}, nil
}
