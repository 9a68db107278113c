package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vmhost/atomicfile"
)

// Files of the self-signed certificate, under the data directory.
const (
	selfCertFile = "web_cert.pem"
	selfKeyFile  = "web_key.pem"
	// selfCertLife is how long the self-signed certificate is valid: like
	// an SSH host key, it is kept, and its fingerprint is what people check.
	selfCertLife = 10 * 365 * 24 * time.Hour
)

// TLSConfig returns the TLS configuration of certFile and keyFile.
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading web.cert and web.key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// SelfSigned returns the TLS configuration of the self-signed certificate
// kept in dir, made on first use for names (host names and addresses),
// and its SHA-256 fingerprint.
func SelfSigned(dir string, names []string) (*tls.Config, string, error) {
	certFile, keyFile := filepath.Join(dir, selfCertFile), filepath.Join(dir, selfKeyFile)
	if _, err := os.Stat(certFile); errors.Is(err, os.ErrNotExist) {
		if err := makeSelfSigned(certFile, keyFile, names); err != nil {
			return nil, "", err
		}
	}
	c, err := TLSConfig(certFile, keyFile)
	if err != nil {
		return nil, "", err
	}
	return c, Fingerprint(c.Certificates[0].Certificate[0]), nil
}

// Fingerprint is the SHA-256 of a certificate's DER, as browsers show it.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// makeSelfSigned writes a new self-signed certificate for names and its
// key (0600).
func makeSelfSigned(certFile, keyFile string, names []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("making the web certificate's key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return fmt.Errorf("making the web certificate's serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "vmhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(selfCertLife),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if n != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("making the web certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding the web certificate's key: %w", err)
	}
	if err := atomicfile.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return fmt.Errorf("writing the web certificate's key: %w", err)
	}
	if err := atomicfile.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("writing the web certificate: %w", err)
	}
	return nil
}
