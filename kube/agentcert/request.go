package agentcert

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"vmhost/atomicfile"
)

// Files in a certificate directory.
const (
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// pollEvery is how often a request is read again until it is decided.
const pollEvery = 500 * time.Millisecond

// Obtain asks, through c, for a certificate of node valid for validity,
// waits until it is issued or denied (or ctx ends), and writes it with its
// new key as dir/tls.crt (0644) and dir/tls.key (0600), each atomically.
func Obtain(ctx context.Context, c client.Client, node, dir string, validity time.Duration) (*x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "vmhost-agent:" + node}, DNSNames: []string{node},
	}, key)
	if err != nil {
		return nil, fmt.Errorf("making the certificate request: %w", err)
	}
	secs := int32(validity / time.Second)
	csr := &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "vmhost-agent-" + node + "-"},
		Spec: certv1.CertificateSigningRequestSpec{
			Request:           pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName:        SignerName,
			ExpirationSeconds: &secs,
			Usages:            []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageServerAuth},
		},
	}
	if err := c.Create(ctx, csr); err != nil {
		return nil, fmt.Errorf("asking for the certificate of node %s: %w", node, err)
	}
	certPEM, err := waitIssued(ctx, c, csr.Name)
	if err != nil {
		return nil, err
	}
	return write(dir, certPEM, key)
}

// waitIssued reads request name until it holds a certificate or is
// denied or failed.
func waitIssued(ctx context.Context, c client.Client, name string) ([]byte, error) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		var csr certv1.CertificateSigningRequest
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &csr); err != nil {
			return nil, fmt.Errorf("reading certificate request %s: %w", name, err)
		}
		if len(csr.Status.Certificate) > 0 {
			return csr.Status.Certificate, nil
		}
		for _, cond := range csr.Status.Conditions {
			if cond.Type == certv1.CertificateDenied || cond.Type == certv1.CertificateFailed {
				return nil, fmt.Errorf("certificate request %s: %s: %s", name, cond.Type, cond.Message)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for certificate request %s to be signed (is the controller running with -agent-ca-cert and -agent-ca-key?): %w", name, ctx.Err())
		case <-t.C:
		}
	}
}

// write stores certPEM and key in dir, key first, and returns the
// certificate.
func write(dir string, certPEM []byte, key *ecdsa.PrivateKey) (*x509.Certificate, error) {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("the issued certificate does not match its key: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, KeyFile), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CertFile), certPEM, 0o644); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(pair.Certificate[0])
}

// Current is the certificate in dir, or an error when there is none, it
// does not load with its key, or it is not node's.
func Current(dir, node string) (*x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	if !slices.Equal(cert.DNSNames, []string{node}) {
		return nil, fmt.Errorf("the certificate in %s names %v, not node %s", dir, cert.DNSNames, node)
	}
	return cert, nil
}

// RenewAt is when cert is to be renewed: at two thirds of its life.
func RenewAt(cert *x509.Certificate) time.Time {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotBefore.Add(life * 2 / 3)
}

// Ensure obtains a certificate for node in dir unless dir holds one of
// node's not yet due for renewal at now. It reports whether it obtained
// one.
func Ensure(ctx context.Context, c client.Client, node, dir string, validity time.Duration, now time.Time) (*x509.Certificate, bool, error) {
	if cert, err := Current(dir, node); err == nil && now.Before(RenewAt(cert)) {
		return cert, false, nil
	}
	cert, err := Obtain(ctx, c, node, dir, validity)
	return cert, err == nil, err
}

// retryAfter is how long a failed renewal waits before the next.
const retryAfter = time.Minute

// KeepRenewed renews the certificate of node in dir at two thirds of its
// life, calling renewed after each renewal, until ctx ends; a failed
// renewal is told to failed and tried again a minute later.
func KeepRenewed(ctx context.Context, c client.Client, node, dir string, validity time.Duration, renewed func(), failed func(error)) error {
	var backoff time.Duration
	for {
		wait := retryAfter
		if cert, err := Current(dir, node); err == nil {
			wait = max(time.Until(RenewAt(cert)), backoff)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		_, got, err := Ensure(ctx, c, node, dir, validity, time.Now())
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			failed(err)
			backoff = retryAfter
		case got:
			renewed()
			backoff = 0
		}
	}
}
