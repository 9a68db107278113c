package agentcert

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"

	certv1 "k8s.io/api/certificates/v1"
)

// allowedUsages are the key usages an agent may ask for: serving TLS.
var allowedUsages = []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment, certv1.UsageServerAuth}

// Check reports the node an agent's request asks a certificate for, or why
// it is refused: it must come from agentUser (the agents' service account,
// system:serviceaccount:NS:NAME) with a token bound to a pod on one node,
// be for SignerName, for server authentication, and ask for that node's
// name as its only subject alternative name, with a key it signed.
func Check(csr *certv1.CertificateSigningRequest, agentUser string) (string, *x509.CertificateRequest, error) {
	s := csr.Spec
	if s.SignerName != SignerName {
		return "", nil, fmt.Errorf("signer %q is not %s", s.SignerName, SignerName)
	}
	if s.Username != agentUser {
		return "", nil, fmt.Errorf("requested by %q, not the agents' service account %s", s.Username, agentUser)
	}
	nodes := s.Extra[NodeNameExtra]
	if len(nodes) != 1 || nodes[0] == "" {
		return "", nil, errors.New("the requester's token names no node: it must be bound to the agent's pod")
	}
	node := nodes[0]
	if !slices.Contains(s.Usages, certv1.UsageServerAuth) {
		return "", nil, errors.New("it does not ask for server auth")
	}
	for _, u := range s.Usages {
		if !slices.Contains(allowedUsages, u) {
			return "", nil, fmt.Errorf("usage %q is not one of an agent's", u)
		}
	}
	req, err := parseRequest(s.Request)
	if err != nil {
		return "", nil, err
	}
	if !slices.Equal(req.DNSNames, []string{node}) || len(req.IPAddresses) != 0 || len(req.EmailAddresses) != 0 || len(req.URIs) != 0 {
		return "", nil, fmt.Errorf("it must name node %s, and only it (it names %v %v %v %v)", node, req.DNSNames, req.IPAddresses, req.EmailAddresses, req.URIs)
	}
	return node, req, nil
}

// parseRequest decodes a PEM certificate request and checks its signature.
func parseRequest(b []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("the request is not a PEM CERTIFICATE REQUEST")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the request: %w", err)
	}
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("the request's signature: %w", err)
	}
	return req, nil
}
